"""Board memory maps: one `board/<board>/memory.yaml` per board, and everything derived from it.

`load(board)` reads and validates a map; the `MemoryMap` it returns derives
- the OP-TEE make flags (`optee_flags()`: CFG_TZDRAM_*, CFG_SHMEM_*, CFG_TEE_RAM_VA_SIZE, the
  user page tables, and the concurrent TA entries of patch 0003),
- how Linux is kept off the secure carve-out (`linux_reservation`, `reserved_memory_dts()`),
- any value a board's platform description names (`value("tzdram.base")`: the TF-A make flags and
  patch defines of board.yaml, see tzinfer/board.py),
- and checks them (`check_no_overlap()`).

A board file may describe variants of its layout under `variants:` (`load(board, variant)`: the
variant's keys replace the base map's). `stock_layout: true` marks a variant that is OP-TEE's and
TF-A's own layout for the platform: the stack builds it without our TF-A layout patch and passes
OP-TEE only the flags it cannot boot without (`optee_flags()`).

Both build paths (the quick QEMU stack in tzinfer/stack and the Yocto layer, through the includes
tzinfer/yocto/memconf.py generates) take their values from here, through tzinfer.board. The TF-A
patches write some platform_def.h values themselves; board.yaml names the map value each must
equal, and tests/test_board.py fails until they agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tzinfer import REPO_ROOT, templating

#: Where the board descriptions live.
BOARD_DIR = REPO_ROOT / "board"

#: TA virtual address covered by one user page table of OP-TEE's pgt cache (CORE_MMU_PGDIR_SIZE).
PGT_SPAN = 0x00200000
#: Page tables a TA needs beyond its heap: ldelf, the TA's code/data, its stack, and the
#: memrefs mapped for a call each sit in their own 2 MiB VA slot.
PGT_EXTRA_ENTRIES = 4
#: Most TA entries that may run at once in one TA (docs/multicore.md §4.1): each slot has its own
#: stack, VFP area and bounce buffer in the core, and a pthread in the client.
MAX_TA_WORKER_SLOTS = 8
#: OP-TEE threads beyond a team run's entries: tee-supplicant-driven calls and other clients
#: while a run is in flight (docs/multicore.md §7).
SPARE_OPTEE_THREADS = 2
#: OP-TEE's page size; every region must be aligned to it.
SMALL_PAGE = 0x1000

#: The `loads` windows U-Boot fills to boot Linux (kernel_addr_r, fdt_addr_r, ramdisk_addr_r). It
#: writes them only after every `pre_bl33_loads` window is dead, so they alone may reuse that memory.
UBOOT_LOADS = frozenset({"kernel", "fdt", "initrd"})

#: How a board keeps Linux off the secure memory (value of linux_reservation.method).
RESERVATION_METHODS = {
    "optee-dt": "OP-TEE (CFG_DT=y) adds reserved-memory nodes to the DT it passes on",
    "tfa-memreserve": "TF-A BL31 adds a /memreserve/ entry to the firmware DT (our TF-A patch)",
}


class MemoryMapError(ValueError):
    """A memory.yaml that is missing, malformed or inconsistent; the message names cause and fix."""


@dataclass(frozen=True)
class Region:
    """A physical address range [base, base + size)."""

    name: str
    base: int
    size: int

    @property
    def end(self) -> int:
        """First address after the region."""
        return self.base + self.size

    def overlaps(self, other: Region) -> bool:
        """True when the two ranges share at least one byte."""
        return self.base < other.end and other.base < self.end

    def contains(self, other: Region) -> bool:
        """True when `other` lies entirely inside this region."""
        return self.base <= other.base and other.end <= self.end

    def __str__(self) -> str:
        return f"{self.name} 0x{self.base:08x}-0x{self.end - 1:08x}"


@dataclass(frozen=True)
class MemoryMap:
    """One board's memory layout, as described by its memory.yaml (see the comments there)."""

    dram: Region
    secure_sram: Region
    tzdram: Region
    core_size: int
    shared_memory: Region
    linux_reservation: Region
    reservation_method: str
    loads: tuple[Region, ...]
    pre_bl33_loads: tuple[Region, ...]
    other_regions: tuple[Region, ...]
    ta_heap_budget: int
    source: Path
    ta_worker_slots: int = 1
    stock_layout: bool = False
    variant: str = ""

    @property
    def ta_pool(self) -> Region:
        """OP-TEE's TA RAM pool: the TZDRAM that is left after the core (TEE_RAM_VA_SIZE)."""
        return Region("ta_pool", self.tzdram.base + self.core_size, self.tzdram.size - self.core_size)

    @property
    def pgt_cache_entries(self) -> int:
        """CFG_PGT_CACHE_ENTRIES so that one TA can map the whole TA pool.

        OP-TEE's default (8 tables of 2 MiB TA VA each) makes a large TA_DATA_SIZE fail with
        TEE_ERROR_OUT_OF_MEMORY ("alloc_pgt: Page tables are not available") even when the pool
        is big enough. Each entry costs 4 KiB of core memory.
        """
        return math.ceil(self.ta_pool.size / PGT_SPAN) + PGT_EXTRA_ENTRIES

    def load_window(self, name: str) -> Region:
        """The load window called `name` (e.g. "kernel", "bl33", "firmware_kernel8")."""
        for region in (*self.loads, *self.pre_bl33_loads):
            if region.name == name:
                return region
        raise MemoryMapError(
            f"{self.source}: no load window {name!r}; add it under `loads:` or `pre_bl33_loads:`"
        )

    def optee_flags(self) -> dict[str, str]:
        """OP-TEE OS make variables (besides PLATFORM) for this board; for a stock layout only
        the static shared memory (its default must move off the kernel, see memory.yaml)."""
        shm = {"CFG_SHMEM_START": f"0x{self.shared_memory.base:08x}",
               "CFG_SHMEM_SIZE": f"0x{self.shared_memory.size:08x}"}
        if self.stock_layout:
            return shm
        return {
            "CFG_TZDRAM_START": f"0x{self.tzdram.base:08x}",
            "CFG_TZDRAM_SIZE": f"0x{self.tzdram.size:08x}",
            "CFG_TEE_RAM_VA_SIZE": f"0x{self.core_size:08x}",
            **shm,
            **self.user_table_flags(),
        }

    def user_table_flags(self) -> dict[str, str]:
        """How OP-TEE provides the TAs' page tables, and the concurrent entries (patch 0003).

        With one slot: the shared cache, sized for the whole pool. With more: entries running at
        once in one TA share its tables, so each TA owns them for its life
        (CFG_CORE_PREALLOC_EL0_TBLS, allocated from the TA pool as the TA maps memory: the cache
        size no longer applies), and OP-TEE gets a thread per slot plus spares.
        """
        if self.ta_worker_slots == 1:
            return {"CFG_PGT_CACHE_ENTRIES": str(self.pgt_cache_entries)}
        return {
            "CFG_TA_CONCURRENT_ENTRIES": str(self.ta_worker_slots),
            "CFG_CORE_PREALLOC_EL0_TBLS": "y",
            "CFG_NUM_THREADS": str(self.ta_worker_slots + SPARE_OPTEE_THREADS),
        }

    def value(self, ref: str) -> int:
        """The number `ref` names: "<region>.<base|size|end>", where region is a region of the map
        (dram, secure_sram, tzdram, shared_memory, linux_reservation) or a load window by name."""
        name, _, part = ref.rpartition(".")
        regions = {r.name: r for r in (self.dram, self.secure_sram, self.tzdram, self.shared_memory,
                                       self.linux_reservation, *self.loads, *self.pre_bl33_loads)}
        if name not in regions or part not in ("base", "size", "end"):
            raise MemoryMapError(f"{self.source}: {ref!r} names no map value; write <region>.base, .size or "
                                 f".end with a region of {', '.join(regions)}")
        return int(getattr(regions[name], part))

    def reserved_memory_dts(self) -> str:
        """A DTS /reserved-memory fragment (no-map) for the Linux reservation of this board."""
        return templating.render("reserved-memory.dtsi.j2", r=self.linux_reservation)

    def linux_ram(self) -> list[Region]:
        """DRAM ranges Linux may use: `dram` minus the reservation and the static shared memory."""
        ram = [Region("linux_ram", self.dram.base, self.dram.size)]
        for hole in (self.linux_reservation, self.shared_memory):
            cut: list[Region] = []
            for piece in ram:
                if not piece.overlaps(hole):
                    cut.append(piece)
                    continue
                if piece.base < hole.base:
                    cut.append(Region("linux_ram", piece.base, hole.base - piece.base))
                if hole.end < piece.end:
                    cut.append(Region("linux_ram", hole.end, piece.end - hole.end))
            ram = cut
        return ram

    def may_share(self, a: Region, b: Region) -> bool:
        """True when `a` and `b` are never in use at the same time: one is a pre-BL33 window, dead
        before U-Boot runs, the other a window U-Boot loads Linux into (UBOOT_LOADS)."""
        early = self.pre_bl33_loads
        late = [window for window in self.loads if window.name in UBOOT_LOADS]
        return (a in early and b in late) or (b in early and a in late)

    def check_no_overlap(self) -> None:
        """Raise MemoryMapError unless the layout is consistent.

        Checks: the secure regions, the shared memory, the load windows and the other regions
        (GPU, peripherals) are pairwise disjoint, except that a pre-BL33 window may share memory
        with a U-Boot load (`may_share`); the Linux reservation covers all secure memory that is
        in DRAM; every load window lies in Linux RAM; the TA heap budget fits the pool.
        """
        secure = [self.secure_sram, self.tzdram]
        windows = [*self.loads, *self.pre_bl33_loads]
        everything = secure + [self.shared_memory, *windows, *self.other_regions]
        for i, a in enumerate(everything):
            for b in everything[i + 1 :]:
                if a.overlaps(b) and not self.may_share(a, b):
                    raise MemoryMapError(f"{self.source}: {a} overlaps {b}; move one of them")
        for region in secure:
            if region.overlaps(self.dram) and not self.linux_reservation.contains(region):
                raise MemoryMapError(
                    f"{self.source}: {region} is in DRAM but outside the Linux reservation "
                    f"{self.linux_reservation}; widen linux_reservation"
                )
        if not self.dram.contains(self.shared_memory):
            raise MemoryMapError(f"{self.source}: {self.shared_memory} is not in DRAM {self.dram}")
        for window in windows:
            if not any(piece.contains(window) for piece in self.linux_ram()):
                raise MemoryMapError(
                    f"{self.source}: load window {window} is not inside Linux RAM; move it"
                )
        if self.ta_heap_budget > self.ta_pool.size:
            raise MemoryMapError(
                f"{self.source}: ta_heap_budget 0x{self.ta_heap_budget:x} exceeds the TA pool "
                f"{self.ta_pool}; grow tzdram or shrink the budget"
            )


def _region(name: str, raw: Any, source: Path) -> Region:
    """A Region from a `{base: .., size: ..}` mapping, with alignment checks."""
    if not (isinstance(raw, dict) and isinstance(raw.get("base"), int) and isinstance(raw.get("size"), int)):
        raise MemoryMapError(f"{source}: {name} must be a mapping {{base: 0x..., size: 0x...}}")
    region = Region(name, raw["base"], raw["size"])
    if region.size <= 0 or region.base % SMALL_PAGE or region.size % SMALL_PAGE:
        raise MemoryMapError(f"{source}: {region} must have a positive size and be 4 KiB aligned")
    return region


def _field(data: dict[str, Any], key: str, kind: type, source: Path) -> Any:
    """data[key], checked to be of `kind`."""
    if not isinstance(data.get(key), kind):
        raise MemoryMapError(f"{source}: missing or invalid `{key}` ({kind.__name__} expected)")
    return data[key]


def board_file(board: str) -> Path:
    """The memory.yaml of a board name ("qemu", "rpi3")."""
    return BOARD_DIR / board / "memory.yaml"


def load(board: str | Path, variant: str = "") -> MemoryMap:
    """Load a board's memory map by name ("qemu", "rpi3") or by path to a memory.yaml; with
    `variant`, the base map with that entry of its `variants:` laid over it."""
    source = Path(board) if str(board).endswith(".yaml") else board_file(str(board))
    if not source.is_file():
        known = sorted(p.parent.name for p in BOARD_DIR.glob("*/memory.yaml"))
        raise MemoryMapError(f"no memory map {source}; known boards: {', '.join(known)}")
    try:
        data = yaml.safe_load(source.read_text())
    except yaml.YAMLError as err:
        raise MemoryMapError(f"{source}: not valid YAML ({err}); fix the syntax") from err
    if not isinstance(data, dict):
        raise MemoryMapError(f"{source}: expected a mapping at top level")
    variants = data.pop("variants", None) or {}
    if variant:
        if not isinstance(variants.get(variant), dict):
            known = ", ".join(sorted(variants)) or "none"
            raise MemoryMapError(f"{source}: no variant {variant!r}; known: {known}")
        data.update(variants[variant])
    reservation = _field(data, "linux_reservation", dict, source)
    method = reservation.get("method")
    if method not in RESERVATION_METHODS:
        raise MemoryMapError(
            f"{source}: linux_reservation.method {method!r} unknown; use one of {sorted(RESERVATION_METHODS)}"
        )
    memmap = MemoryMap(
        dram=_region("dram", data.get("dram"), source),
        secure_sram=_region("secure_sram", data.get("secure_sram"), source),
        tzdram=_region("tzdram", data.get("tzdram"), source),
        core_size=_field(data, "core_size", int, source),
        shared_memory=_region("shared_memory", data.get("shared_memory"), source),
        linux_reservation=_region("linux_reservation", reservation, source),
        reservation_method=method,
        loads=tuple(_region(k, v, source) for k, v in _field(data, "loads", dict, source).items()),
        pre_bl33_loads=tuple(_region(k, v, source) for k, v in (data.get("pre_bl33_loads") or {}).items()),
        other_regions=tuple(_region(k, v, source) for k, v in (data.get("other_regions") or {}).items()),
        ta_heap_budget=_field(data, "ta_heap_budget", int, source),
        source=source,
        ta_worker_slots=int(data.get("ta_worker_slots", 1)),
        stock_layout=bool(data.get("stock_layout", False)),
        variant=variant,
    )
    # load_window() and the U-Boot rule of may_share() go by name.
    names = [w.name for w in (*memmap.loads, *memmap.pre_bl33_loads)]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise MemoryMapError(f"{source}: load window {', '.join(twice)} named twice; rename one")
    if not 1 <= memmap.ta_worker_slots <= MAX_TA_WORKER_SLOTS:
        raise MemoryMapError(
            f"{source}: ta_worker_slots {memmap.ta_worker_slots} must be 1 to {MAX_TA_WORKER_SLOTS}"
        )
    if not 0 < memmap.core_size < memmap.tzdram.size:
        raise MemoryMapError(f"{source}: core_size 0x{memmap.core_size:x} must be inside tzdram")
    return memmap
