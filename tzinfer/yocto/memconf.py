"""Bitbake include files generated from the board memory maps (board/<board>/memory.yaml).

The layers cannot import Python from this repository while bitbake parses, so the values that
tzinfer.memmap derives (OP-TEE CFG_* flags, TF-A make flags, config.txt lines) are written into
`meta-tzinfer-bsp/conf/machine/include/tzinfer-memory-<board>.inc` and committed. Each
assignment carries the bitbake MACHINE override of the board, so a configuration may require
every board's file and only the matching machine picks the values up. tests/layer checks the
committed files are current; `invoke yocto.memconf` rewrites them.
"""

from __future__ import annotations

from pathlib import Path

from tzinfer import REPO_ROOT, templating
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


def render(board: str) -> str:
    """The text of a board's include file, derived from its memory.yaml."""
    if board not in BOARD_MACHINES:
        raise ValueError(f"no bitbake MACHINE known for board {board!r}; add it to BOARD_MACHINES")
    memmap: MemoryMap = load(board)
    memmap.check_no_overlap()
    return templating.render("tzinfer-memory.inc.j2", m=memmap, machine=BOARD_MACHINES[board],
                             source=memmap.source.relative_to(REPO_ROOT),
                             config_txt=memmap.config_txt_lines())


def write(board: str) -> Path:
    """Regenerate a board's include file; returns its path."""
    path = include_path(board)
    path.write_text(render(board))
    return path
