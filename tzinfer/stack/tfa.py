"""Build TF-A for QEMU (PLAT=qemu, SPD=opteed) and assemble QEMU's -bios image (bl1 + fip)."""

from __future__ import annotations

import os
from pathlib import Path

from tzinfer.stack import StackError, hosttools, optee
from tzinfer.stack.layout import CROSS_COMPILE, TFA_PATCH_DIR, QemuStack
from tzinfer.stack.patching import patched_tree
from tzinfer.stack.steprun import Stamp, digest, run

#: Where TF-A qemu's BL1 expects the FIP in flash (PLAT_QEMU_FIP_BASE).
FIP_OFFSET = 0x40000


def build(stack: QemuStack, source: Path, u_boot: Path) -> None:
    """Patch `source` (an unpacked arm-trusted-firmware), build bl1 + fip, write stack.bios."""
    hosttools.require("make", "patch", "gcc", f"{CROSS_COMPILE}gcc")
    patches = sorted(TFA_PATCH_DIR.glob("*.patch"))
    tree = patched_tree(source, patches, stack.root / "tfa-src")
    bl32, pager, pageable = optee.images(stack)
    args = [
        f"PLAT={stack.board.tfa_platform}", "SPD=opteed", "QEMU_USE_GIC_DRIVER=QEMU_GICV3",
        "BL32_RAM_LOCATION=tdram", f"CROSS_COMPILE={CROSS_COMPILE}",
        *(f"{k}={v}" for k, v in stack.board.tfa_make_flags().items()),
    ]
    inputs = [str(tree), *args, *patches, bl32, pager, pageable, u_boot]
    stamp = Stamp(stack.tfa / ".tzinfer-built", digest(inputs))
    if stamp.fresh() and stack.bios.is_file():
        return
    run(
        ["make", "-C", str(tree), f"-j{os.cpu_count() or 2}", f"BUILD_BASE={stack.tfa}", *args,
         f"BL32={bl32}", f"BL32_EXTRA1={pager}", f"BL32_EXTRA2={pageable}", f"BL33={u_boot}",
         "all", "fip"],
        label="TF-A (qemu, opteed)", log=stack.logs / "tfa.log",
    )
    release = stack.tfa / stack.board.tfa_platform / "release"
    bl1 = (release / "bl1.bin").read_bytes()
    fip = (release / "fip.bin").read_bytes()
    if len(bl1) > FIP_OFFSET:
        raise StackError(f"bl1.bin ({len(bl1)} B) overlaps the FIP at 0x{FIP_OFFSET:x}; check the TF-A build")
    stack.bios.write_bytes(bl1.ljust(FIP_OFFSET, b"\0") + fip)
    stamp.done()
