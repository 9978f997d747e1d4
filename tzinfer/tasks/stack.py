"""The QEMU secure stack: build it, boot it, test it."""

from __future__ import annotations

import subprocess
import sys

from invoke import Context, task

from tzinfer.board import BoardError
from tzinfer.memmap import MemoryMapError
from tzinfer.stack import StackError

#: Failures that carry a one-line cause-and-fix message: printed without a traceback.
EXPECTED = (StackError, MemoryMapError, BoardError)


def _fail(err: Exception) -> None:
    print(f"error: {err}", file=sys.stderr)
    sys.exit(1)


@task(help={"relock": "ignore board/qemu/debian.lock and take the newest Debian versions",
            "variant": "a layout variant of board/qemu/memory.yaml (e.g. stock-pool), built in "
                       "build/qemu-<variant>/"})
def build_qemu(c: Context, relock: bool = False, variant: str = "") -> None:
    """Build the QEMU stack: Debian fetch, OP-TEE (patched), TF-A, initramfs (build/qemu/)."""
    from tzinfer.stack import pipeline
    from tzinfer.stack.layout import variant_stack

    try:
        pipeline.build(relock=relock, stack=variant_stack(variant) if variant else None)
    except EXPECTED as err:
        _fail(err)


@task(help={"secure_log": "where OP-TEE's UART goes (default build/qemu/secure.log)"})
def boot_qemu(c: Context, secure_log: str = "") -> None:
    """Boot the built QEMU stack with an interactive root shell (quit: poweroff, or Ctrl-A X)."""
    from pathlib import Path

    from tzinfer.stack.layout import QemuStack
    from tzinfer.stack.vm import qemu_command

    try:
        stack = QemuStack()
        log = Path(secure_log) if secure_log else stack.secure_log()
        # mon:stdio gives QEMU's Ctrl-A escapes (Ctrl-A X quits) to the interactive user.
        command = qemu_command(stack, log, console="mon:stdio")
    except EXPECTED as err:
        _fail(err)
    print(f"OP-TEE log: {log}")
    sys.exit(subprocess.call(command))


@task(help={"k": "only tests matching this pytest -k expression"})
def test_qemu(c: Context, k: str = "") -> None:
    """Boot one VM and run the QEMU tests (pytest -m qemu); logs under artifacts/qemu/."""
    select = f" -k {k!r}" if k else ""
    c.run(f".venv/bin/python -m pytest -q -ra -m qemu tests/qemu{select}", pty=False)


@task(help={"relock": "ignore board/rpi3/debian.lock and take the newest Debian versions"})
def check_rpi3_firmware(c: Context, relock: bool = False) -> None:
    """Build the Pi 3 armstub8.bin (build/rpi3/) and check it in QEMU raspi3b (TA pool, DT reserve)."""
    from tzinfer import REPO_ROOT
    from tzinfer.stack import rpi3

    try:
        stack = rpi3.build(relock=relock)
        result = rpi3.check_in_qemu(stack, REPO_ROOT / "artifacts" / "rpi3")
    except EXPECTED as err:
        _fail(err)
    memory = stack.board.memory
    reserved = any(r.contains(memory.linux_reservation) for r in result.memreserve)
    if result.ta_pool != memory.ta_pool or not reserved:
        _fail(StackError(f"the firmware disagrees with {memory.source}: {result}"))
