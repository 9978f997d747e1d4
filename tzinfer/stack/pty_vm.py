"""The QEMU stack as a stand-in board: its Linux console on a pseudo-terminal (`-serial pty`)
instead of stdio, so that the serial path (tzinfer/hw: `invoke test-hw`, `invoke hw.console`) can
be driven against a real boot without a Raspberry Pi (`invoke hw.qemu-pty`)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tzinfer.stack import StackError
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.vm import qemu_command

#: What QEMU prints for a pty backend, e.g. "char device redirected to /dev/pts/3 (label serial0)".
PTY_LINE = re.compile(r"char device redirected to (/dev/pts/\d+) \(label serial0\)")


class QemuOnPty:
    """A running QEMU whose UART0 is the pty `port`; use as a context manager (stops QEMU)."""

    def __init__(self, stack: QemuStack, secure_log: Path, qemu_log: Path) -> None:
        qemu_log.parent.mkdir(parents=True, exist_ok=True)
        self.qemu_log = qemu_log
        self.process = subprocess.Popen(qemu_command(stack, secure_log, console="pty"), text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.port = self._read_pty()

    def _read_pty(self) -> str:
        assert self.process.stdout is not None
        printed = []
        for line in self.process.stdout:  # QEMU prints the pty before it starts the machine
            printed.append(line)
            if match := PTY_LINE.search(line):
                return match[1]
        self.stop()
        self.qemu_log.write_text("".join(printed))
        raise StackError(f"QEMU exited without a console pty: see {self.qemu_log}")

    def stop(self) -> None:
        """Stop QEMU (the stand-in's power switch)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> QemuOnPty:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
