"""A QEMU VM that outlives the command that started it (`tzinfer qemu start|run|stop`).

QEMU runs daemonized, its console on a Unix socket under build/qemu/run/. Each command takes the
console lock, connects, drives the root shell with a Console and disconnects; the VM keeps running
for the next one. Files go in and out through the stack's share (virtio-9p, SHARE_MOUNT).
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pexpect import fdpexpect

from tzinfer.stack import StackError
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.vm import qemu_command
from tzinfer.target.console import Console, ConsoleError

BOOT_TIMEOUT_S = 240.0


class ResidentVM:
    """The stack's long-lived VM: its pid file, console socket and logs in build/qemu/run/."""

    def __init__(self, stack: QemuStack) -> None:
        self.stack = stack
        self.dir = stack.root / "run"
        self.socket = self.dir / "console.sock"
        self.pid_file = self.dir / "qemu.pid"
        self.secure_log = self.dir / "secure.log"
        self.console_log = self.dir / "console.log"

    def pid(self) -> int | None:
        """The running QEMU's pid, or None."""
        try:
            pid = int(self.pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        return pid if b"qemu-system-aarch64" in cmdline else None

    def running(self) -> bool:
        return self.pid() is not None

    def start(self) -> bool:
        """Boot the VM unless it runs; True when this call booted it. Waits for its shell."""
        if self.running():
            return False
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        command = qemu_command(self.stack, self.secure_log, console=f"unix:{self.socket},server=on,wait=off")
        command += ["-daemonize", "-pidfile", str(self.pid_file)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise StackError(f"QEMU did not start: {done.stderr.strip()[-300:]}")
        # Connected at once, so that the boot's ready line is seen: typing earlier would stop U-Boot.
        with self.console(BOOT_TIMEOUT_S, booting=True):
            pass
        return True

    @contextmanager
    def console(self, timeout: float = 60.0, booting: bool = False) -> Iterator[Console]:
        """The VM's root shell, to this caller alone; waits up to `timeout` for the boot's ready line
        (booting) or for the shell to answer."""
        if not self.running():
            raise StackError("the resident VM is not running: start it with `tzinfer qemu start`")
        with open(self.dir / "console.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            log = self.console_log.open("a", encoding="utf-8", errors="replace")
            try:
                _connect(sock, self.socket, timeout)
                child = fdpexpect.fdspawn(sock.fileno(), encoding="utf-8", codec_errors="replace")
                child.logfile_read = log
                console = Console(child)
                if booting:
                    console.expect_boot(timeout)
                else:
                    _wait_for_shell(console, timeout)
                yield console
            finally:
                sock.close()
                log.close()

    def stop(self, timeout: float = 60.0) -> None:
        """Power the VM off (kill QEMU if it does not go)."""
        pid = self.pid()
        if pid is None:
            return
        try:
            with self.console(10.0) as console:
                console.child.sendline("poweroff")
        except (ConsoleError, OSError):
            pass
        deadline = time.monotonic() + timeout
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.5)
        if self.running():
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)


def _connect(sock: socket.socket, path: Path, timeout: float) -> None:
    """Connect to QEMU's console socket, which appears once QEMU has set up its devices."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock.connect(str(path))
            return
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                raise StackError(f"QEMU's console socket {path} did not open within {timeout:.0f}s") from None
            time.sleep(0.1)


def _wait_for_shell(console: Console, timeout: float) -> None:
    """Until the shell answers (booting, or already up), then make it quiet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            console.run("true", timeout=5)
            break
        except ConsoleError:
            if time.monotonic() > deadline:
                raise ConsoleError(f"the resident VM's shell did not answer within {timeout:.0f}s") from None
    console.make_quiet()
