"""A layout variant of the QEMU stack (variant_stack, e.g. `stock-pool`) builds only what its
memory map changes, on the default stack: its own OP-TEE core, TF-A, TA and an initramfs layer;
the kernel, the normal world, the client, the models and the host share are the base's. The
boot itself is tests/qemu/test_stock_pool.py."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

from tzinfer.stack import initramfs, pipeline
from tzinfer.stack.layout import QemuStack, variant_stack
from tzinfer.target.layout import TA_UUID


def test_a_variant_runs_on_its_base() -> None:
    stack = variant_stack("stock-pool")
    base = QemuStack()
    assert stack.base is not None and stack.base.root == base.root and stack.root != base.root
    assert (stack.kernel, stack.share, stack.ta_devkit) == (base.kernel, base.share, base.ta_devkit)
    for own in (stack.optee, stack.firmware, stack.initrd, stack.overlay):
        assert own.is_relative_to(stack.root)
    assert stack.board.memory.stock_layout and not base.board.memory.stock_layout


def test_a_variant_builds_no_normal_world() -> None:
    steps = [name for name, _ in pipeline.VARIANT_STEPS]
    assert steps == ["fetch", "optee", "tfa", "payload", "initramfs"]
    assert [name for name, _ in pipeline.STEPS][-1] == steps[-1] == "initramfs"


def test_the_initramfs_layer_is_the_base_then_the_variants_overlay(tmp_path: Path) -> None:
    stack = QemuStack(root=tmp_path / "variant", board=variant_stack("stock-pool").board,
                      base=QemuStack(root=tmp_path / "base"))
    assert stack.base is not None
    stack.base.root.mkdir()
    base_initrd = gzip.compress(b"the base's cpio")
    stack.base.initrd.write_bytes(base_initrd)
    ta = stack.board.target.ta_dir_under(stack.overlay) / f"{TA_UUID}.ta"
    ta.parent.mkdir(parents=True)
    ta.write_bytes(b"the variant's TA")

    initramfs.build_layer(stack)
    packed = stack.initrd.read_bytes()
    assert packed.startswith(base_initrd)
    layer = gzip.decompress(packed[len(base_initrd):])
    listing = subprocess.run(["cpio", "-it", "--quiet"], input=layer, capture_output=True, check=True)
    assert stack.board.target.ta_file(TA_UUID).lstrip("/") in listing.stdout.decode().split()

    ta.write_bytes(b"a rebuilt TA")  # the layer follows the overlay
    initramfs.build_layer(stack)
    assert b"a rebuilt TA" in gzip.decompress(stack.initrd.read_bytes()[len(base_initrd):])
