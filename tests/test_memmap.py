"""The board memory maps: no overlaps, and every derived value agrees with memory.yaml."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tzinfer import memmap

BOARDS = ["qemu", "rpi3"]
#: OP-TEE's default pools: 13 MiB on QEMU (15 MiB TZDRAM in secure RAM less a 2 MiB core), 8 MiB on
#: rpi3 (15 MiB less a 7 MiB core): the platforms' CFG_TZDRAM_SIZE and CFG_TEE_RAM_VA_SIZE defaults.
DEFAULT_POOLS = {"qemu": 13 << 20, "rpi3": 8 << 20}


@pytest.fixture(params=BOARDS)
def board(request: pytest.FixtureRequest) -> memmap.MemoryMap:
    return memmap.load(request.param)


def test_board_layout_has_no_overlap(board: memmap.MemoryMap) -> None:
    board.check_no_overlap()


def test_secure_shm_and_loads_are_pairwise_disjoint(board: memmap.MemoryMap) -> None:
    # Restated independently of check_no_overlap: every pair of named regions, but for the
    # pre-BL33 windows (armstub8.bin, the firmware's kernel8.img) and U-Boot's Linux loads.
    regions = [board.secure_sram, board.tzdram, board.shared_memory, *board.loads, *board.pre_bl33_loads,
               *board.other_regions]
    early = {w.name for w in board.pre_bl33_loads}
    for i, a in enumerate(regions):
        for b in regions[i + 1 :]:
            if {a.name, b.name} & early and {a.name, b.name} & {"kernel", "fdt", "initrd"}:
                continue
            assert a.end <= b.base or b.end <= a.base, f"{a} overlaps {b}"


def test_linux_ram_excludes_secure_and_shm(board: memmap.MemoryMap) -> None:
    ram = board.linux_ram()
    assert ram, "Linux must get some RAM"
    for piece in ram:
        for forbidden in (board.tzdram, board.secure_sram, board.shared_memory, *board.other_regions):
            assert not piece.overlaps(forbidden), f"{piece} overlaps {forbidden}"
    # Nothing but the holes is lost: the pieces add up to DRAM minus the holes.
    holes = sum(h.size for h in (board.linux_reservation, board.shared_memory) if board.dram.contains(h))
    assert sum(p.size for p in ram) == board.dram.size - holes


def test_load_windows_are_in_linux_ram(board: memmap.MemoryMap) -> None:
    for window in (*board.loads, *board.pre_bl33_loads):
        assert any(piece.contains(window) for piece in board.linux_ram()), window


def test_optee_flags_follow_the_map(board: memmap.MemoryMap) -> None:
    flags = board.optee_flags()
    assert int(flags["CFG_TZDRAM_START"], 16) == board.tzdram.base
    assert int(flags["CFG_TZDRAM_SIZE"], 16) == board.tzdram.size
    assert int(flags["CFG_SHMEM_START"], 16) == board.shared_memory.base
    assert int(flags["CFG_SHMEM_SIZE"], 16) == board.shared_memory.size
    assert int(flags["CFG_TEE_RAM_VA_SIZE"], 16) == board.core_size


def test_page_table_cache_covers_the_pool_with_one_slot(board: memmap.MemoryMap) -> None:
    flags = replace(board, ta_worker_slots=1).optee_flags()
    # The page tables must cover the whole TA pool (2 MiB each) plus ldelf/code/stack/params.
    entries = int(flags["CFG_PGT_CACHE_ENTRIES"])
    assert entries * memmap.PGT_SPAN >= board.ta_pool.size
    assert entries > 8, "OP-TEE's default of 8 is what makes large TA heaps fail"
    assert not {"CFG_TA_CONCURRENT_ENTRIES", "CFG_CORE_PREALLOC_EL0_TBLS", "CFG_NUM_THREADS"} & set(flags)


def test_concurrent_entries_own_their_page_tables(board: memmap.MemoryMap) -> None:
    """Patch 0003: one entry per slot at once, each TA owning its page tables (the cache would
    hand them back while another entry runs on them), and an OP-TEE thread per slot plus two."""
    flags = board.optee_flags()
    slots = board.ta_worker_slots
    assert slots > 1
    assert flags["CFG_TA_CONCURRENT_ENTRIES"] == str(slots)
    assert flags["CFG_CORE_PREALLOC_EL0_TBLS"] == "y"
    assert flags["CFG_NUM_THREADS"] == str(slots + 2)
    assert "CFG_PGT_CACHE_ENTRIES" not in flags, "OP-TEE ignores it with preallocated tables"


def test_ta_pool_grew_past_the_defaults(board: memmap.MemoryMap) -> None:
    default_pool = DEFAULT_POOLS[board.source.parent.name]
    assert board.ta_pool.size >= 4 * default_pool
    assert board.ta_heap_budget <= board.ta_pool.size
    # MobileNetV2 fp32: 13.3 MB weights + 9.2 MB peak activations must fit the heap budget.
    assert board.ta_heap_budget >= 23 * 10**6


def test_reservation_covers_all_secure_dram(board: memmap.MemoryMap) -> None:
    for region in (board.secure_sram, board.tzdram):
        if region.overlaps(board.dram):
            assert board.linux_reservation.contains(region), region


def test_reserved_memory_dts_names_the_reservation(board: memmap.MemoryMap) -> None:
    dts = board.reserved_memory_dts()
    r = board.linux_reservation
    assert f"reg = <0x0 0x{r.base:08x} 0x0 0x{r.size:08x}>;" in dts
    assert "no-map;" in dts


def test_rpi3_values_from_design() -> None:
    rpi3 = memmap.load("rpi3")
    assert (rpi3.tzdram.base, rpi3.tzdram.size) == (0x10100000, 0x03F00000)
    assert rpi3.value("bl33.base") == 0x14000000
    assert (rpi3.linux_reservation.base, rpi3.linux_reservation.end) == (0x10000000, 0x14000000)
    assert rpi3.ta_pool.size == 56 << 20
    assert rpi3.value("firmware_dtb.base") == 0x08400000
    assert rpi3.value("firmware_kernel8.base") == 0x02000000


def test_a_value_names_a_region_and_a_part() -> None:
    qemu = memmap.load("qemu")
    assert qemu.value("tzdram.end") == 0x74000000
    for ref in ("tzdram.start", "nosuch.base", "tzdram"):
        with pytest.raises(memmap.MemoryMapError, match=f"{ref!r} names no map value"):
            qemu.value(ref)


def test_overlap_is_detected(tmp_path: Path) -> None:
    text = memmap.board_file("qemu").read_text()
    bad = tmp_path / "memory.yaml"
    # Put the static shm inside the secure carve-out.
    bad.write_text(text.replace("shared_memory: {base: 0x4c000000", "shared_memory: {base: 0x71000000"))
    with pytest.raises(memmap.MemoryMapError, match="overlaps"):
        memmap.load(bad).check_no_overlap()


def _edited_rpi3(tmp_path: Path, old: str, new: str) -> memmap.MemoryMap:
    """The rpi3 map with one edit (which must apply, or the test would check the real map)."""
    text = memmap.board_file("rpi3").read_text()
    assert text.count(old) == 1, f"{old!r} is not in board/rpi3/memory.yaml once"
    edited = tmp_path / "memory.yaml"
    edited.write_text(text.replace(old, new))
    return memmap.load(edited)


KERNEL8 = "firmware_kernel8: {base: 0x02000000"


def test_pre_bl33_windows_may_share_the_kernel_window() -> None:
    # The firmware's kernel8.img copy, like armstub8.bin, is dead once U-Boot runs, so U-Boot may
    # load Linux over it; the rpi3 map relies on that (both sit in the kernel window).
    rpi3 = memmap.load("rpi3")
    kernel = rpi3.load_window("kernel")
    assert rpi3.load_window("firmware_kernel8").overlaps(kernel)
    assert rpi3.load_window("armstub8").overlaps(kernel)
    rpi3.check_no_overlap()


@pytest.mark.parametrize(
    ("base", "victim"),
    [
        ("0x00080000", "armstub8"),  # the firmware's default kernel_address: on the FIP
        ("0x08000000", "shared_memory"),
        ("0x08400000", "firmware_dtb"),
        ("0x11000000", "tzdram"),
    ],
)
def test_firmware_kernel8_on_a_live_region_is_refused(tmp_path: Path, base: str, victim: str) -> None:
    bad = _edited_rpi3(tmp_path, KERNEL8, f"firmware_kernel8: {{base: {base}")
    pair = rf"{victim} 0x\S+ overlaps firmware_kernel8 |firmware_kernel8 0x\S+ overlaps {victim} "
    with pytest.raises(memmap.MemoryMapError, match=pair):
        bad.check_no_overlap()


def test_only_pre_bl33_windows_may_share_the_kernel_window(tmp_path: Path) -> None:
    # The firmware DTB is read by TF-A, U-Boot and Linux: at TF-A's documented 0x01000000 the
    # kernel would overwrite it.
    bad = _edited_rpi3(tmp_path, "firmware_dtb: {base: 0x08400000", "firmware_dtb: {base: 0x01000000")
    with pytest.raises(memmap.MemoryMapError, match="kernel 0x00080000-0x025fffff overlaps firmware_dtb"):
        bad.check_no_overlap()


def test_a_load_window_name_may_not_repeat(tmp_path: Path) -> None:
    with pytest.raises(memmap.MemoryMapError, match="load window kernel named twice"):
        _edited_rpi3(tmp_path, KERNEL8, "kernel: {base: 0x02000000")


def test_load_window_outside_linux_ram_is_detected(tmp_path: Path) -> None:
    text = memmap.board_file("qemu").read_text()
    bad = tmp_path / "memory.yaml"
    bad.write_text(text.replace("linux_reservation: {method: optee-dt, base: 0x70000000, size: 0x04000000}",
                                "linux_reservation: {method: optee-dt, base: 0x60000000, size: 0x14000000}"))
    with pytest.raises(memmap.MemoryMapError, match="not inside Linux RAM"):
        memmap.load(bad).check_no_overlap()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("tzdram: {base: 0x70000000", "tzdram: {base: 0x70000800"), "4 KiB aligned"),
        (("method: optee-dt", "method: memmap"), "unknown"),
        (("ta_heap_budget: 0x03000000", "ta_heap_budget: 0x08000000"), "exceeds the TA pool"),
        (("ta_worker_slots: 2", "ta_worker_slots: 0"), "ta_worker_slots 0 must be 1 to 8"),
        (("ta_worker_slots: 2", "ta_worker_slots: 9"), "ta_worker_slots 9 must be 1 to 8"),
    ],
)
def test_bad_map_gives_one_line_error(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    bad = tmp_path / "memory.yaml"
    bad.write_text(memmap.board_file("qemu").read_text().replace(*edit))
    with pytest.raises(memmap.MemoryMapError, match=message) as err:
        memmap.load(bad).check_no_overlap()
    assert "\n" not in str(err.value)


def test_worker_slots_one_per_core_and_none_for_stock_op_tee() -> None:
    assert memmap.load("qemu").ta_worker_slots == 2  # `-smp 2`
    assert memmap.load("rpi3").ta_worker_slots == 4  # four Cortex-A53
    assert memmap.load("qemu", variant="stock-pool").ta_worker_slots == 1


def test_unknown_board_lists_known_ones() -> None:
    with pytest.raises(memmap.MemoryMapError, match="known boards: qemu, rpi3"):
        memmap.load("nosuchboard")


def test_stock_pool_variant_is_op_tees_own_layout() -> None:
    """The `stock-pool` variant: vexpress-qemu_armv8a's default TZDRAM (TF-A's SEC_DRAM in QEMU's
    secure RAM) and core size, so OP-TEE gets no layout flag but the moved static shm; the base map
    is untouched by loading it."""
    stock = memmap.load("qemu", "stock-pool")
    stock.check_no_overlap()
    assert stock.stock_layout and not memmap.load("qemu").stock_layout
    assert (stock.tzdram.base, stock.tzdram.size, stock.ta_pool.size) == (0x0E100000, 0x00F00000, 13 << 20)
    assert set(stock.optee_flags()) == {"CFG_SHMEM_START", "CFG_SHMEM_SIZE"}
    assert stock.shared_memory == memmap.load("qemu").shared_memory
    with pytest.raises(memmap.MemoryMapError, match="no variant 'nope'; known: stock-pool"):
        memmap.load("qemu", "nope")
