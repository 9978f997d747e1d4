"""The Raspberry Pi 3 secure firmware (armstub8.bin) built from our patches and board/rpi3/memory.yaml,
run in QEMU raspi3b up to OP-TEE's hand-over to the normal world."""

from __future__ import annotations

import pytest

from tzinfer import REPO_ROOT
from tzinfer.stack import StackError, rpi3
from tzinfer.stack.layout import QemuStack

pytestmark = [pytest.mark.qemu, pytest.mark.slow]


@pytest.fixture(scope="module")
def firmware() -> tuple[QemuStack, rpi3.FirmwareCheck]:
    try:
        stack = rpi3.build()
        return stack, rpi3.check_in_qemu(stack, REPO_ROOT / "artifacts" / "rpi3")
    except StackError as err:
        pytest.fail(f"the rpi3 firmware check failed: {err}", pytrace=False)


def test_ta_pool_is_what_memory_yaml_says(firmware: tuple[QemuStack, rpi3.FirmwareCheck]) -> None:
    stack, check = firmware
    assert check.ta_pool == stack.board.memory.ta_pool
    assert check.ta_pool.size == 56 << 20  # OP-TEE's default rpi3 pool is 8 MiB


def test_secure_memory_is_reserved_in_the_dtb(firmware: tuple[QemuStack, rpi3.FirmwareCheck]) -> None:
    # BL31 replaces the firmware's reservation at 0 with SEC_SRAM + SEC_DRAM0 (our TF-A patch).
    stack, check = firmware
    reservation = stack.board.memory.linux_reservation
    assert [(r.base, r.size) for r in check.memreserve] == [(reservation.base, reservation.size)]
