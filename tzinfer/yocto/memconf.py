"""Bitbake include files generated from the boards (board/<board>/: memory.yaml and board.yaml).

The layers cannot import Python from this repository while bitbake parses, so the values that
tzinfer.board derives (OP-TEE platform and CFG_* flags, TF-A platform and make flags, config.txt
lines, the TA heap) are written into
`meta-tzinfer-bsp/conf/machine/include/tzinfer-memory-<board>.inc` and committed. Each
assignment carries the board's bitbake MACHINE override (board.yaml yocto.machine), so a
configuration may require every board's file and only the matching machine picks the values up.
tests/layer checks the committed files are current; `invoke yocto.memconf` rewrites them.
"""

from __future__ import annotations

from pathlib import Path

from tzinfer import REPO_ROOT, templating
from tzinfer.board import Board
from tzinfer.yocto import BSP_LAYER

#: Where the generated include files live inside the BSP layer.
INCLUDE_DIR = BSP_LAYER / "conf" / "machine" / "include"


def include_path(board: Board) -> Path:
    """The generated include file of a board."""
    return INCLUDE_DIR / f"tzinfer-memory-{board.name}.inc"


def render(board: Board) -> str:
    """The text of a board's include file."""
    board.check()
    folder = board.folder.relative_to(REPO_ROOT) if board.folder.is_relative_to(REPO_ROOT) else board.folder
    return templating.render("tzinfer-memory.inc.j2", b=board, m=board.memory, source=folder,
                             config_txt=board.config_txt_lines())


def write(board: Board) -> Path:
    """Regenerate a board's include file; returns its path."""
    path = include_path(board)
    path.write_text(render(board))
    return path
