"""A board is tested without building the QEMU stack: the board harness (tzinfer/hw) and the target
package (tzinfer/target) import nothing of the stack builder, and the host side of the target
checks on a board (pipeline.build_target_data) builds the data files alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tzinfer import REPO_ROOT
from tzinfer.hw import provision
from tzinfer.stack import initramfs, optee, payload, pipeline, python_root, tfa
from tzinfer.stack.layout import QemuStack
from tzinfer.target.layout import TARGET, TARGET_CLIENT

HARNESS = ("tzinfer.hw.target", "tzinfer.hw.provision", "tzinfer.hw.login", "tzinfer.hw.port",
           "tzinfer.hw.terminal", "tzinfer.target.console", "tzinfer.target.layout",
           "tzinfer.target.tzinfer_run")


def test_the_board_harness_imports_nothing_of_the_stack_builder() -> None:
    probe = (f"import sys; import {', '.join(HARNESS)}; "
             "print(sorted(m for m in sys.modules if m.startswith('tzinfer.stack')))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
def test_a_board_run_builds_the_data_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a board run started building the QEMU stack")

    for module, name in [(pipeline, "DebianArchive"), (pipeline, "build"), (optee, "build"), (tfa, "build"),
                         (initramfs, "build"), (initramfs, "unpack_debian"), (python_root, "build"),
                         (payload, "build"), (payload, "build_ta"), (payload, "build_client")]:
        monkeypatch.setattr(module, name, refuse)
    stack = pipeline.build_target_data(QemuStack(root=tmp_path / "qemu"))

    files = provision.data_files(stack.overlay)
    for path in (TARGET.model("lenet5"), TARGET.model("mobilenetv2"), TARGET.input("lenet5", "digit3"),
                 TARGET.labels):
        assert path in files
        assert files[path].read_bytes() == (stack.overlay / path.lstrip("/")).read_bytes()
    assert files[TARGET.model("lenet5")].read_bytes() == payload.model_file(stack, "lenet5").read_bytes()
    # What the board's image brings is not built: no TA, no client.
    assert not stack.board.target.ta_dir_under(stack.overlay).exists()
    assert not (stack.overlay / TARGET_CLIENT).exists()
    assert not stack.optee.exists() and not stack.initrd.exists()
