"""The Raspberry Pi 3 secure firmware from the quick stack's sources, checked in QEMU raspi3b.

armstub8.bin (TF-A bl1 + fip: BL2, BL31, OP-TEE as BL32, Debian's rpi_arm64 U-Boot as BL33) is
built from the same releases (board/firmware.lock.yaml), the same patch files and
board/rpi3/ (memory.yaml, board.yaml) as the Yocto layer uses. QEMU's raspi3b then runs it up to OP-TEE
handing over to the normal world, with the firmware DTB at device_tree_address; the check reads
back what the Pi's Linux would get: OP-TEE's TA pool, and the /memreserve/ that our TF-A patch
writes into the DTB.
"""

from __future__ import annotations

import re
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pexpect

from tzinfer import BUILD_DIR, board, memmap
from tzinfer.stack import StackError, hosttools, optee, pipeline, tfa
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.steprun import console, one_build_at_a_time

RPI3_BUILD = BUILD_DIR / "rpi3"
#: What OP-TEE prints on its UART (the mini UART, QEMU's second serial) when it is done.
OPTEE_READY = "Primary CPU switching to normal world boot"


@dataclass(frozen=True)
class FirmwareCheck:
    """What the firmware left for the normal world in QEMU raspi3b."""

    ta_pool: memmap.Region
    memreserve: list[memmap.Region]


def rpi3_stack() -> QemuStack:
    """The build tree build/rpi3/ with the rpi3 board."""
    return QemuStack(root=RPI3_BUILD, board=board.load("rpi3"))


def _dtb(stack: QemuStack) -> board.DebianFile:
    dtb = stack.board.firmware.dtb
    if dtb is None:
        raise StackError(f"{stack.board.folder}/board.yaml names no firmware.dtb; add the Pi's DTB there")
    return dtb


def build(relock: bool = False) -> QemuStack:
    """Build build/rpi3/armstub8.bin and unpack the firmware DTB; pins go to board/rpi3/debian.lock."""
    stack = rpi3_stack()
    stack.board.check()
    archive = pipeline.firmware_archive(stack.board.folder / "debian.lock", relock,
                                        "invoke qemu.check-rpi3-firmware --relock")
    bl33, dtb = stack.board.firmware.bl33, _dtb(stack)
    with one_build_at_a_time():
        archive.update()
        optee.build(stack, pipeline.firmware_source(archive, pipeline.OPTEE))
        u_boot = _unpack(archive.deb(bl33.package, bl33.suite), stack.root / "u-boot", bl33.file)
        tfa.build(stack, pipeline.firmware_source(archive, pipeline.TFA), u_boot)
        # The kernel metapackage depends on the versioned image package that holds the DTBs.
        image = next(d for d in archive.depends(dtb.package, dtb.suite) if d.startswith("linux-image-"))
        _unpack(archive.deb(image, dtb.suite), stack.root / "kernel", f"usr/lib/{image}/broadcom/{dtb.file}")
        archive.write_lock()
    return stack


def _unpack(deb: Path, dest: Path, member: str) -> Path:
    """Extract `member` of `deb` under `dest` (once per .deb); return its path."""
    target = dest / member
    if not target.is_file() or target.stat().st_mtime < deb.stat().st_mtime:
        dest.mkdir(parents=True, exist_ok=True)
        tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(dest), f"./{member}"], stdin=tar.stdout, check=False)
        tar.wait()
        if not target.is_file():
            raise StackError(f"{deb.name} has no {member}; check the package contents")
    return target


def memreserve(dtb: bytes) -> list[memmap.Region]:
    """The /memreserve/ entries of a flattened device tree blob."""
    magic, _size, _struct, _strings, rsvmap = struct.unpack_from(">5I", dtb)
    if magic != 0xD00DFEED:
        raise StackError("no device tree at device_tree_address after boot; check the DTB load")
    entries = []
    for offset in range(rsvmap, len(dtb), 16):
        base, size = struct.unpack_from(">QQ", dtb, offset)
        if not size:
            break
        entries.append(memmap.Region("memreserve", base, size))
    return entries


def check_in_qemu(stack: QemuStack, logs: Path, timeout: float = 180.0) -> FirmwareCheck:
    """Run armstub8.bin in QEMU raspi3b until OP-TEE hands over; read back the pool and the DTB."""
    hosttools.require("qemu-system-aarch64")
    name = _dtb(stack).file
    dtb = next((stack.root / "kernel").glob(f"usr/lib/*/broadcom/{name}"), None)
    if dtb is None:
        raise StackError(f"no {name} under {stack.root / 'kernel'}: run `invoke qemu.check-rpi3-firmware`")
    window = stack.board.memory.load_window("firmware_dtb")
    logs.mkdir(parents=True, exist_ok=True)
    uart0, uart1, dump = logs / "rpi3-uart0.log", logs / "rpi3-optee.log", logs / "rpi3-dtb-after-boot.dtb"
    for path in (uart1, dump):
        path.unlink(missing_ok=True)
    monitor = pexpect.spawn("qemu-system-aarch64", [
        "-M", "raspi3b", "-display", "none", "-monitor", "stdio", "-no-reboot",
        "-serial", f"file:{uart0}", "-serial", f"file:{uart1}",
        "-device", f"loader,file={stack.firmware},addr=0x0,force-raw=on",
        "-device", f"loader,file={dtb},addr=0x{window.base:x},force-raw=on",
    ], encoding="utf-8", codec_errors="replace")
    try:
        deadline = time.monotonic() + timeout
        while OPTEE_READY not in (uart1.read_text(errors="replace") if uart1.exists() else ""):
            if time.monotonic() > deadline or not monitor.isalive():
                raise StackError(f"OP-TEE did not reach the normal world in QEMU raspi3b; see {uart1}")
            time.sleep(0.5)
        monitor.expect_exact("(qemu)", timeout=30)
        monitor.sendline(f'pmemsave 0x{window.base:x} 0x{window.size:x} "{dump}"')
        monitor.expect_exact("(qemu)", timeout=30)
    finally:
        monitor.terminate(force=True)
    log = uart1.read_text(errors="replace")
    match = re.search(r"carve_out_core_mem:\d+ (0x[0-9a-f]+) \.\. (0x[0-9a-f]+)", log)
    if match is None:
        raise StackError(f"OP-TEE logged no core carve-out in {uart1}; build with CFG_TEE_CORE_LOG_LEVEL=3")
    core_end = int(match[2], 16)
    pool = memmap.Region("ta_pool", core_end, stack.board.memory.tzdram.end - core_end)
    result = FirmwareCheck(pool, memreserve(dump.read_bytes()))
    console.print(f"[green]✓[/] rpi3 firmware in QEMU raspi3b: TA pool {pool}, "
                  f"memreserve {', '.join(str(r) for r in result.memreserve)}")
    return result
