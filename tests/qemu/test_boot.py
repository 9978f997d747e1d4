"""The booted QEMU stack: OP-TEE is up, patched, sized from board/qemu/memory.yaml, and clean."""

from __future__ import annotations

import re

import pytest

from tzinfer.stack.vm import BootedVM
from tzinfer.target.console import Console

pytestmark = pytest.mark.qemu

#: xtest cases run on our patched OS: 1001 (core self tests), 1004 (TA crypto/mem), 4001 (crypto).
XTEST_SMOKE = ("1001", "1004", "4001")


def iomem_top_level(target: Console) -> list[tuple[int, int, str]]:
    """(start, end inclusive, name) of the top-level /proc/iomem entries."""
    entries = []
    for line in target.check("cat /proc/iomem").splitlines():
        match = re.match(r"^([0-9a-f]+)-([0-9a-f]+) : (.*)$", line)
        if match:
            entries.append((int(match[1], 16), int(match[2], 16), match[3]))
    return entries


def test_tee_devices_present(target: Console) -> None:
    target.check("test -c /dev/tee0 && test -c /dev/teepriv0")


def test_optee_revision_in_dmesg(target: Console, optee_version: str) -> None:
    dmesg = target.check("dmesg")
    match = re.search(r"optee: revision (\d+\.\d+)", dmesg)
    assert match, "the optee driver did not report an OP-TEE revision"
    if optee_version:  # "" on a board run without --target-optee-version
        assert match[1] == optee_version


def test_xtest_smoke_passes(target: Console) -> None:
    code, output = target.run(f"xtest {' '.join(XTEST_SMOKE)}", timeout=600)
    summary = re.search(r"(\d+) test cases? of which (\d+) failed", output)
    assert summary, output[-2000:]
    assert int(summary[1]) >= len(XTEST_SMOKE), output[-2000:]
    assert summary[2] == "0", output[-2000:]
    assert code == 0


def test_secure_carveout_reserved_from_linux(target: Console, qemu_vm: BootedVM) -> None:
    board = qemu_vm.stack.board.memory
    entries = iomem_top_level(target)
    for region in (board.tzdram, board.shared_memory):
        assert (region.base, region.end - 1, "reserved") in entries, f"{region} not reserved: {entries}"
    for start, end, name in entries:
        if name == "System RAM":
            for region in (board.tzdram, board.shared_memory):
                assert end < region.base or start >= region.end, f"System RAM {start:x}-{end:x} over {region}"


def test_ta_pool_is_what_memory_yaml_says(qemu_vm: BootedVM) -> None:
    # OP-TEE (CFG_TEE_CORE_LOG_LEVEL=3) logs the core's carve-out from TZDRAM; the TA pool is
    # the rest of TZDRAM.
    board = qemu_vm.stack.board.memory
    log = qemu_vm.vm.secure_log.read_text(errors="replace")
    match = re.search(r"carve_out_core_mem:\d+ (0x[0-9a-f]+) \.\. (0x[0-9a-f]+)", log)
    assert match, "OP-TEE logged no core carve-out"
    core_start, core_end = int(match[1], 16), int(match[2], 16)
    assert core_start == board.tzdram.base
    assert (core_end, board.tzdram.end - core_end) == (board.ta_pool.base, board.ta_pool.size)
    assert board.ta_pool.size == 62 << 20


def memscan(target: Console, base: int, size: int) -> dict[str, int]:
    """Page counts (pages, zero, nonzero) of a physical range, read from the normal world."""
    output = target.check(f"memscan 0x{base:x} 0x{size:x}", timeout=120)
    counts = {key: int(value, 0) for key, value in re.findall(r"(\w+)=(0x[0-9a-f]+|\d+)", output)}
    assert counts["pages"] == size // 4096, output
    return counts


def test_freed_ta_pages_are_zero(target: Console, qemu_vm: BootedVM) -> None:
    # Runs last but one: every TA of the session (xtest's, the tzinfer TA with its model) has
    # exited. Run a TA once more, then read the TA pool from the normal world: every page must
    # be zero.
    board = qemu_vm.stack.board.memory
    target.check("xtest 4001", timeout=600)
    # Control: the same reads do see the secure carve-out's contents (the OP-TEE core).
    assert memscan(target, board.tzdram.base, board.core_size)["nonzero"] > 0
    pool = memscan(target, board.ta_pool.base, board.ta_pool.size)
    assert pool["nonzero"] == 0, f"TA data left in the pool after its TAs exited: {pool}"


def test_clean_poweroff(qemu_vm: BootedVM) -> None:
    assert qemu_vm.poweroff() == 0
