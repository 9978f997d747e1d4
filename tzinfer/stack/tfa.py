"""Build TF-A for a board (board/<board>/board.yaml: PLAT and its make arguments, SPD=opteed) and
pack bl1 + fip into the board's boot firmware image."""

from __future__ import annotations

import os
from pathlib import Path

from tzinfer.board import Board
from tzinfer.stack import StackError, hosttools, optee
from tzinfer.stack.layout import CROSS_COMPILE, TFA_PATCH_DIR, QemuStack
from tzinfer.stack.patching import patched_tree
from tzinfer.stack.steprun import Stamp, digest, run


def make_args(board: Board) -> list[str]:
    """The make arguments TF-A is built with for `board`, besides the BL32/BL33 images."""
    return [f"PLAT={board.tfa.plat}", "SPD=opteed", *(f"{k}={v}" for k, v in board.tfa.make_args.items()),
            f"CROSS_COMPILE={CROSS_COMPILE}", *(f"{k}={v}" for k, v in board.tfa_map_make_args().items())]


def build(stack: QemuStack, source: Path, u_boot: Path) -> None:
    """Patch `source` (an unpacked arm-trusted-firmware), build bl1 + fip, write stack.firmware.
    A stock layout (memmap) takes TF-A's own memory map: our layout patches stay out."""
    hosttools.require("make", "patch", "gcc", f"{CROSS_COMPILE}gcc")
    patches = [] if stack.board.memory.stock_layout else sorted(TFA_PATCH_DIR.glob("*.patch"))
    tree = patched_tree(source, patches, stack.root / "tfa-src")
    bl32, pager, pageable = optee.images(stack)
    platform = stack.board.tfa.plat
    args = make_args(stack.board)
    inputs = [str(tree), *args, *patches, bl32, pager, pageable, u_boot]
    stamp = Stamp(stack.tfa / ".tzinfer-built", digest(inputs))
    if stamp.fresh() and stack.firmware.is_file():
        return
    run(
        ["make", "-C", str(tree), f"-j{os.cpu_count() or 2}", f"BUILD_BASE={stack.tfa}", *args,
         f"BL32={bl32}", f"BL32_EXTRA1={pager}", f"BL32_EXTRA2={pageable}", f"BL33={u_boot}",
         "all", "fip"],
        label=f"TF-A ({platform}, opteed)", log=stack.logs / "tfa.log",
    )
    release = stack.tfa / platform / "release"
    bl1 = (release / "bl1.bin").read_bytes()
    fip = (release / "fip.bin").read_bytes()
    fip_offset = stack.board.firmware.fip_offset
    if len(bl1) > fip_offset:
        raise StackError(f"bl1.bin ({len(bl1)} B) overlaps the FIP at 0x{fip_offset:x}; check the TF-A build")
    stack.firmware.write_bytes(bl1.ljust(fip_offset, b"\0") + fip)
    stamp.done()
