"""Bitbake include files generated from the board memory maps (board/<board>/memory.yaml).

The layers cannot import Python from this repository while bitbake parses, so the values that
tzinfer.memmap derives (OP-TEE CFG_* flags, TF-A make flags, config.txt lines) are written into
`meta-tzinfer-bsp/conf/machine/include/tzinfer-memory-<board>.inc` and committed. Each
assignment carries the bitbake MACHINE override of the board, so a configuration may require
every board's file and only the matching machine picks the values up. tests/layer checks the
committed files are current; `invoke yocto-memconf` rewrites them.
"""

from __future__ import annotations

from pathlib import Path

from tzinfer import REPO_ROOT
from tzinfer.memmap import MemoryMap, load
from tzinfer.yocto import BSP_LAYER

#: The bitbake MACHINE each board is built as.
BOARD_MACHINES = {
    "rpi3": "raspberrypi3-64",
    "qemu": "qemuarm64-secureboot",
}

#: Where the generated include files live inside the BSP layer.
INCLUDE_DIR = BSP_LAYER / "conf" / "machine" / "include"


def include_path(board: str) -> Path:
    """The generated include file of a board."""
    return INCLUDE_DIR / f"tzinfer-memory-{board}.inc"


def _flags(values: dict[str, str]) -> str:
    return " ".join(f"{key}={value}" for key, value in values.items())


def render(board: str) -> str:
    """The text of a board's include file, derived from its memory.yaml."""
    if board not in BOARD_MACHINES:
        raise ValueError(f"no bitbake MACHINE known for board {board!r}; add it to BOARD_MACHINES")
    memmap: MemoryMap = load(board)
    memmap.check_no_overlap()
    machine = BOARD_MACHINES[board]
    source = memmap.source.relative_to(REPO_ROOT)
    pool = memmap.ta_pool
    lines = [
        f"# Generated from {source} by `invoke yocto-memconf`; do not edit by hand.",
        f"# OP-TEE TZDRAM 0x{memmap.tzdram.base:08x}-0x{memmap.tzdram.end - 1:08x} "
        f"({memmap.tzdram.size >> 20} MiB): core "
        f"{memmap.core_size >> 20} MiB, TA pool {pool.size >> 20} MiB.",
        f"# Linux is kept off 0x{memmap.linux_reservation.base:08x}-0x{memmap.linux_reservation.end - 1:08x} "
        f"by: {memmap.reservation_method}.",
        f'TZINFER_OPTEE_PLATFORM:{machine} = "{memmap.optee_platform}"',
        f'TZINFER_OPTEE_MEMORY_FLAGS:{machine} = "{_flags(memmap.optee_flags())}"',
        f'TZINFER_TFA_PLATFORM:{machine} = "{memmap.tfa_platform}"',
        f'TZINFER_TFA_MEMORY_FLAGS:{machine} = "{_flags(memmap.tfa_make_flags())}"',
        f'TZINFER_TA_HEAP_BUDGET:{machine} = "0x{memmap.ta_heap_budget:08x}"',
    ]
    config_txt = memmap.config_txt_lines()
    if config_txt:
        # meta-raspberrypi writes RPI_EXTRA_CONFIG with printf, so "\n" separates lines.
        lines.append(f'TZINFER_RPI_CONFIG:{machine} = "' + "\\n".join(config_txt) + '"')
    return "\n".join(lines) + "\n"


def write(board: str) -> Path:
    """Regenerate a board's include file; returns its path."""
    path = include_path(board)
    path.write_text(render(board))
    return path
