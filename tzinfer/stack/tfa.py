"""Build TF-A (PLAT=qemu or rpi3, SPD=opteed) and pack bl1 + fip into the boot firmware image."""

from __future__ import annotations

import os
from pathlib import Path

from tzinfer.stack import StackError, hosttools, optee
from tzinfer.stack.layout import CROSS_COMPILE, FIRMWARE_IMAGES, TFA_PATCH_DIR, QemuStack
from tzinfer.stack.patching import patched_tree
from tzinfer.stack.steprun import Stamp, digest, run

#: Per platform make variables: QEMU's GICv3 (gic-version=3, OP-TEE CFG_ARM_GICV3) and OP-TEE
#: in the secure DRAM that our patch moved into DDR.
PLATFORM_ARGS = {"qemu": ("QEMU_USE_GIC_DRIVER=QEMU_GICV3", "BL32_RAM_LOCATION=tdram"), "rpi3": ()}


def build(stack: QemuStack, source: Path, u_boot: Path) -> None:
    """Patch `source` (an unpacked arm-trusted-firmware), build bl1 + fip, write stack.firmware.
    A stock layout (memmap) takes TF-A's own memory map: our layout patches stay out."""
    hosttools.require("make", "patch", "gcc", f"{CROSS_COMPILE}gcc")
    patches = [] if stack.board.stock_layout else sorted(TFA_PATCH_DIR.glob("*.patch"))
    tree = patched_tree(source, patches, stack.root / "tfa-src")
    bl32, pager, pageable = optee.images(stack)
    platform = stack.board.tfa_platform
    args = [
        f"PLAT={platform}", "SPD=opteed", *PLATFORM_ARGS[platform], f"CROSS_COMPILE={CROSS_COMPILE}",
        *(f"{k}={v}" for k, v in stack.board.tfa_make_flags().items()),
    ]
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
    fip_offset = FIRMWARE_IMAGES[platform][1]
    if len(bl1) > fip_offset:
        raise StackError(f"bl1.bin ({len(bl1)} B) overlaps the FIP at 0x{fip_offset:x}; check the TF-A build")
    stack.firmware.write_bytes(bl1.ljust(fip_offset, b"\0") + fip)
    stamp.done()
