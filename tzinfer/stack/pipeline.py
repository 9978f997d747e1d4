"""The QEMU stack build, as one ordered list of steps.

Each step takes the BuildContext and is cached/incremental on its own. To add a step, insert one
line in STEPS after the steps it needs; anything that goes on the target comes before "initramfs",
which packs build/qemu/overlay/ (filled by "payload": the TAs, tzinfer-run, the models).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tzinfer import firmware
from tzinfer.stack import initramfs, optee, payload, python_root, tfa
from tzinfer.stack.debian import LOCK_FILE, DebianArchive
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.steprun import console, one_build_at_a_time

#: The OP-TEE OS and TF-A releases the Yocto layer builds too (board/firmware.lock.yaml).
FIRMWARE = firmware.load()
OPTEE = FIRMWARE["optee-os"]
TFA = FIRMWARE["trusted-firmware-a"]


@dataclass
class BuildContext:
    """What the steps share: the build tree, the Debian archive and the unpacked sources."""

    stack: QemuStack
    archive: DebianArchive
    sources: dict[str, Path] = field(default_factory=dict)
    optee_patched: bool = True  # False: OP-TEE without our patches (xtest-full's baseline)


def firmware_archive(lock_file: Path = LOCK_FILE, relock: bool = False,
                     relock_command: str = "invoke qemu.build --relock") -> DebianArchive:
    """The private Debian archive, with the firmware lock's versions fixed."""
    return DebianArchive(lock_file=lock_file, relock=relock, relock_command=relock_command,
                         fixed=firmware.debian_pins(FIRMWARE))


def firmware_source(archive: DebianArchive, component: firmware.Component) -> Path:
    """A locked component's upstream release: its Debian source package without Debian's patches
    (the layer's recipe fetches the same release from upstream git)."""
    return archive.source(component.debian.package, component.debian.suite, debian_patches=False)


def fetch(ctx: BuildContext) -> None:
    """Refresh the Debian indexes; download and unpack the OP-TEE and TF-A sources."""
    ctx.archive.update()
    for component in (OPTEE, TFA):
        ctx.sources[component.name] = firmware_source(ctx.archive, component)


def normal_world(ctx: BuildContext) -> None:
    """Unpack the Debian binaries, the kernel and the tee modules; expose the client sysroot."""
    initramfs.unpack_debian(ctx.stack, ctx.archive)
    initramfs.make_sysroot(ctx.stack)


def build_optee(ctx: BuildContext) -> None:
    """OP-TEE OS with our patch and the memory-map flags; TA dev kit in build/qemu/optee."""
    optee.build(ctx.stack, ctx.sources[OPTEE.name], patched=ctx.optee_patched)


def build_tfa(ctx: BuildContext) -> None:
    """TF-A bl1 + fip with OP-TEE as BL32 and Debian's U-Boot as BL33 (the board's firmware.bl33):
    build/qemu/qemu_fw.bios."""
    bl33 = ctx.stack.board.firmware.bl33
    u_boot = ctx.archive.deb(bl33.package, bl33.suite)
    unpacked = ctx.stack.root / "u-boot"
    target = unpacked / bl33.file
    if not target.is_file() or target.stat().st_mtime < u_boot.stat().st_mtime:
        subprocess.run(["dpkg-deb", "-x", str(u_boot), str(unpacked)], check=True)
    tfa.build(ctx.stack, ctx.sources[TFA.name], target)


def build_initramfs(ctx: BuildContext) -> None:
    """The initramfs: Debian binaries, modules, in-tree TAs, target helpers and build/qemu/overlay/."""
    initramfs.build(ctx.stack)


#: The build, in order. Steps after "normal-world" may use the TA dev kit and the sysroot.
STEPS: list[tuple[str, Callable[[BuildContext], None]]] = [
    ("fetch", fetch),
    ("normal-world", normal_world),
    ("optee", build_optee),
    ("tfa", build_tfa),
    ("payload", lambda ctx: payload.build(ctx.stack)),  # TA, tzinfer-run, models -> overlay
    ("python", lambda ctx: python_root.build(ctx.stack, ctx.archive)),  # python3 + numpy -> share
    ("initramfs", build_initramfs),
]


#: A layout variant's build (QemuStack.base): what its memory map changes, on its base's build.
VARIANT_STEPS: list[tuple[str, Callable[[BuildContext], None]]] = [
    ("fetch", fetch),
    ("optee", build_optee),  # the core images; the TA dev kit and in-tree TAs are the base's
    ("tfa", build_tfa),
    ("payload", lambda ctx: payload.build_variant(ctx.stack)),  # the TA, for the variant's heap
    ("initramfs", lambda ctx: initramfs.build_layer(ctx.stack)),  # the base's + the variant's TA
]


def build_target_data(stack: QemuStack | None = None) -> QemuStack:
    """Only the host side of the target checks, for a board whose image holds the TA and the
    client: the models, their inputs and the labels of build/qemu/overlay/ (payload.install_data),
    with the host references beside them. Nothing of the stack itself (Debian, OP-TEE, TF-A, the
    TA, the initramfs) is built."""
    stack = stack or QemuStack()
    with one_build_at_a_time():
        payload.install_data(stack)
    return stack


def build(relock: bool = False, stack: QemuStack | None = None, optee_patched: bool = True) -> QemuStack:
    """Run every step (for a layout variant: its base's, then VARIANT_STEPS); write the lock file
    when all succeeded. Returns the built stack."""
    stack = stack or QemuStack()
    stack.board.check()
    archive = firmware_archive(relock=relock)
    with one_build_at_a_time():
        if stack.base is not None:
            _run_steps(BuildContext(stack.base, archive), STEPS)
        _run_steps(BuildContext(stack, archive, optee_patched=optee_patched),
                   STEPS if stack.base is None else VARIANT_STEPS)
        archive.write_lock()
    return stack


def _run_steps(ctx: BuildContext, steps: list[tuple[str, Callable[[BuildContext], None]]]) -> None:
    start = time.monotonic()
    for name, step in steps:
        step_start = time.monotonic()
        step(ctx)
        console.print(f"[dim]step {name}: {time.monotonic() - step_start:.0f}s[/]")
    console.print(f"[bold green]QEMU stack ready[/] in {time.monotonic() - start:.0f}s: {ctx.stack.root}")
