"""The int8 MobileNetV2 in the TA on OP-TEE's DEFAULT memory layout: the QEMU stack built with the
`stock-pool` variant of board/qemu/memory.yaml (TZDRAM in QEMU's 16 MiB secure RAM, a 13 MiB TA
pool, no TF-A layout patch, OP-TEE's default pgt cache; build/qemu-stock-pool/), booted in a VM of
its own. The float MobileNetV2 needs our layout change; the int8 one must not."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.qemu.conftest import ARTIFACTS, BOOT_TIMEOUT_S
from tzinfer.fixtures import FixturePaths
from tzinfer.stack import pipeline
from tzinfer.stack.layout import variant_stack
from tzinfer.stack.vm import BootedVM, boot
from tzinfer.target import tzinfer_run
from tzinfer.target.layout import TARGET

pytestmark = pytest.mark.qemu
VARIANT = "stock-pool"
RUN_TIMEOUT_S = 600.0


@pytest.fixture(scope="module")
def stock_vm() -> Iterator[BootedVM]:
    stack = pipeline.build(stack=variant_stack(VARIANT))
    booted = boot(stack, ARTIFACTS / f"{VARIANT}-console.log", ARTIFACTS / f"{VARIANT}-secure.log",
                  timeout=BOOT_TIMEOUT_S)
    try:
        yield booted
        booted.poweroff()
    finally:
        booted.vm.stop()


def classify(vm: BootedVM, model: str) -> tzinfer_run.RunReport:
    cmdline = tzinfer_run.command(TARGET.model(model), TARGET.input(model, "chelsea"), labels=TARGET.labels)
    return tzinfer_run.run(vm.console, cmdline, timeout=RUN_TIMEOUT_S)


def test_the_pool_is_op_tees_default(stock_vm: BootedVM) -> None:
    """OP-TEE's own carve-out: the core at the start of the 15 MiB TZDRAM in secure RAM, 13 MiB left
    for TAs (vexpress-qemu_armv8a's CFG_TZDRAM_* and CFG_TEE_RAM_VA_SIZE defaults)."""
    log = stock_vm.vm.secure_log.read_text(errors="replace")
    match = re.search(r"carve_out_core_mem:\d+ (0x[0-9a-f]+) \.\. (0x[0-9a-f]+)", log)
    assert match, "OP-TEE logged no core carve-out"
    assert (int(match[1], 16), int(match[2], 16)) == (0x0E100000, 0x0E300000)
    assert stock_vm.stack.board.memory.ta_pool.size == 13 << 20


def test_int8_mobilenetv2_classifies_chelsea_in_the_default_pool(stock_vm: BootedVM,
                                                                 fixtures: FixturePaths) -> None:
    report = classify(stock_vm, "mobilenetv2_int8")
    assert report.ok, report.output
    assert report.fields["world"] == "secure"
    assert report.top[0].class_id == fixtures.top1("mobilenetv2_int8", "chelsea")


def test_float_mobilenetv2_does_not_fit_and_the_ta_stays_usable(stock_vm: BootedVM,
                                                                fixtures: FixturePaths) -> None:
    """The float model (14 MB) is refused with an error, not a crash; int8 still runs after it."""
    assert not classify(stock_vm, "mobilenetv2").ok
    report = classify(stock_vm, "mobilenetv2_int8")
    assert report.ok, report.output
    assert report.top[0].class_id == fixtures.top1("mobilenetv2_int8", "chelsea")
