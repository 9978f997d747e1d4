"""A root shell on a serial console, driven with pexpect.

The Console knows nothing about QEMU: give it any pexpect child whose input/output is the
console, e.g. `pexpect.spawn("qemu-system-aarch64 ... -serial stdio")` or, on real hardware,
`pexpect.fdpexpect.fdspawn(serial_fd)`.
"""

from __future__ import annotations

import re
import time
import uuid

import pexpect
from pexpect.spawnbase import SpawnBase

#: Printed by the initramfs' rcS once tee-supplicant runs (see tzinfer.stack.initramfs).
READY_LINE = "tzinfer: normal world ready"
#: What Linux prints when it powers the machine off.
POWER_DOWN_LINE = "reboot: Power down"


class ConsoleError(RuntimeError):
    """The target did not answer as expected; the message says what was awaited."""


class Console:
    """Run shell commands on a target's serial console and read their output and exit status."""

    def __init__(self, child: SpawnBase) -> None:
        self.child = child

    def expect_boot(self, timeout: float = 60.0, ready: str = READY_LINE) -> float:
        """Wait for the boot to reach `ready`, then make the shell quiet. Returns seconds waited."""
        start = time.monotonic()
        self._expect(re.escape(ready), timeout, f"boot to reach {ready!r}")
        self.make_quiet()
        return time.monotonic() - start

    def make_quiet(self) -> None:
        """Turn the shell at the console plain: no echo of what we type, no prompt, so that
        output is only output. Also used after logging in on a board (tzinfer.hw)."""
        self.child.sendline("")
        self.child.sendline("stty -echo; PS1=''; PS2=''")
        self.run("true", timeout=10)

    def run(self, cmd: str, timeout: float = 30.0) -> tuple[int, str]:
        """Run `cmd` in the shell; return (exit status, output without carriage returns)."""
        tag = uuid.uuid4().hex[:12]
        # The marker is assembled by printf, so the command line itself never matches it.
        self.child.sendline(f"{cmd}\nprintf '\\n%s-%s-%d\\n' tzdone {tag} $?")
        self._expect(rf"\r*\ntzdone-{tag}-(\d+)\r*\n", timeout, f"{cmd!r} to finish")
        output = self.child.before.replace("\r", "")
        return int(self.child.match.group(1)), output.strip("\n")

    def check(self, cmd: str, timeout: float = 30.0) -> str:
        """Run `cmd` and return its output; raise ConsoleError if it exits non-zero."""
        code, output = self.run(cmd, timeout)
        if code != 0:
            raise ConsoleError(f"{cmd!r} exited {code}: {output[-500:]}")
        return output

    def poweroff(self, timeout: float = 30.0) -> None:
        """Power the target off and wait until Linux says it powers down."""
        self.child.sendline("poweroff")
        self._expect(re.escape(POWER_DOWN_LINE), timeout, "power down")

    def _expect(self, pattern: str, timeout: float, what: str) -> None:
        try:
            self.child.expect(pattern, timeout=timeout)
        except pexpect.TIMEOUT as err:
            raise ConsoleError(f"timed out after {timeout:.0f}s waiting for {what}") from err
        except pexpect.EOF as err:
            raise ConsoleError(f"the console closed while waiting for {what}") from err
