"""From an open serial console to a logged-in shell: find out what the board is doing (shell,
login prompt, booting, silence), wait for it to boot, and log in.

A quiet board is poked with an empty line (a getty answers with its login prompt) and then
with `echo tz$((6*7))probe`: only a shell turns that into "tz42probe"; the echoed command line
never matches. A board that is printing is never poked: a key pressed during U-Boot's
countdown would stop the boot.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import pexpect
from pexpect.spawnbase import SpawnBase

from tzinfer.hw import SerialError
from tzinfer.hw.port import CountingLog
from tzinfer.target.console import READY_LINE

#: What a getty prints when it asks for the user (board.yaml console.login_prompt).
LOGIN_PROMPT = "login: "
PASSWORD_PROMPT = r"(?i)\bpassword: ?"
LOGIN_REFUSED = r"(?i)login incorrect|authentication fail"
#: U-Boot's prompt on the Pi ("U-Boot> ") and its default elsewhere ("=> ").
UBOOT_PROMPT = r"U-Boot> |\n=> "
SHELL_PROBE = "echo tz$((6*7))probe"
SHELL_ANSWER = "tz42probe"
#: Output stops this long before the board counts as quiet (kernel and init pause for less).
QUIET_S = 5.0
#: How long to listen before the first poke, so a board that is booting is not disturbed.
LISTEN_S = 2.0
#: How long to wait after a password for the login to be refused (PAM delays about 2 s).
REFUSAL_WAIT_S = 5.0


class State(Enum):
    SHELL = "shell"
    LOGIN = "login prompt"


@dataclass(frozen=True)
class Credentials:
    """Who to log in as when the board shows its login prompt (password None: none is sent)."""

    user: str = "root"
    password: str | None = None
    login_prompt: str = LOGIN_PROMPT

    @property
    def prompt_pattern(self) -> str:
        """The login prompt as a pattern: after a host name ("raspberrypi3-64 login: "), never
        inside a word."""
        return rf"\b{re.escape(self.login_prompt)}" if self.login_prompt[:1].isalnum() \
            else re.escape(self.login_prompt)


def reach_shell(child: SpawnBase, log: CountingLog, port: str, credentials: Credentials,
                boot_timeout: float, power_cycle: Callable[[], None] | None = None,
                tell: Callable[[str], None] = print) -> None:
    """Leave `child` at a shell on the board, or raise SerialError.

    With `power_cycle` the board is restarted first and its new boot awaited. Without it, a board
    that stays silent and does not answer is taken to be off, and the user is asked to power it."""
    state = None
    chars_at_start = log.chars
    if power_cycle is not None:
        power_cycle()
        tell(f"power-cycled the board; waiting up to {boot_timeout:.0f}s for it to boot on {port}")
    elif not _printing(child, log, LISTEN_S):
        state = poke(child, credentials.prompt_pattern)
        if state is None:
            tell(f"no answer on {port}: power on (or reset) the board now; "
                 f"waiting up to {boot_timeout:.0f}s for it to boot")
    if state is None:
        state = wait_for_boot(child, log, port, boot_timeout, chars_at_start, credentials.prompt_pattern)
    if state is State.LOGIN:
        log_in(child, credentials)


def poke(child: SpawnBase, login_prompt: str) -> State | None:
    """What answers on the console right now: a login prompt (the pattern), a shell, or nothing."""
    child.sendline("")
    if _expect(child, [login_prompt, UBOOT_PROMPT], 2.0) == 0:
        return State.LOGIN
    child.sendline(SHELL_PROBE)
    found = _expect(child, [SHELL_ANSWER, login_prompt, UBOOT_PROMPT], 3.0)
    return {0: State.SHELL, 1: State.LOGIN}.get(found)


def wait_for_boot(child: SpawnBase, log: CountingLog, port: str, timeout: float,
                  chars_at_start: int, login_prompt: str) -> State:
    """Follow the boot until a login prompt or a shell; poke only once the board is quiet after
    printing something (the log held `chars_at_start` characters when we began listening)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        chars = log.chars
        found = _expect(child, [login_prompt, re.escape(READY_LINE), UBOOT_PROMPT], min(QUIET_S, left))
        if found == 0:
            return State.LOGIN
        quiet_after_output = found is None and log.chars == chars > chars_at_start
        # The QEMU initramfs' ready line, or silence after boot output: is there a shell now?
        if (found == 1 or quiet_after_output) and (state := poke(child, login_prompt)) is not None:
            return state
    if log.chars == chars_at_start:
        raise SerialError(f"no data from {port} within {timeout:.0f}s: check the power, the wiring "
                          "(adapter RX to Pi TX = pin 8, adapter TX to Pi RX = pin 10, GND to pin 6), "
                          "--baud (115200) and enable_uart=1 in config.txt")
    raise SerialError(f"the board on {port} printed output but showed no login prompt or shell within "
                      f"{timeout:.0f}s: read the serial log; docs/hardware.md lists the known boot traps")


def log_in(child: SpawnBase, credentials: Credentials) -> None:
    """Answer the login (and password) prompt; SerialError when the board refuses."""
    who = credentials.user
    if not who:
        raise SerialError("the board shows a login prompt: pass --login USER (and --password if it has one)")
    child.sendline(who)
    prompt = credentials.prompt_pattern
    found = _expect(child, [PASSWORD_PROMPT, LOGIN_REFUSED, prompt], 3.0)
    if found == 0:
        if credentials.password is None:
            raise SerialError(f"the board asks for {who}'s password: pass --password")
        child.sendline(credentials.password)
        found = _expect(child, [PASSWORD_PROMPT, LOGIN_REFUSED, prompt], REFUSAL_WAIT_S)
    if found is not None:
        raise SerialError(f"login as {who} failed (the board refused it): check --login and --password")
    if poke(child, prompt) is not State.SHELL:
        raise SerialError(f"logged in as {who} but no shell answered: check the user's login shell")


def _printing(child: SpawnBase, log: CountingLog, seconds: float) -> bool:
    """Whether the board prints anything within `seconds` (then it is booting: leave it alone)."""
    chars = log.chars
    _expect(child, [], seconds)
    return log.chars > chars


def _expect(child: SpawnBase, patterns: list[str], timeout: float) -> int | None:
    """Index of the first pattern seen within `timeout`; None when none was; SerialError on EOF.
    A U-Boot prompt (when asked for) raises: the board stopped before Linux."""
    try:
        found = child.expect([*patterns, pexpect.TIMEOUT], timeout=timeout)
    except pexpect.EOF:
        raise SerialError("the serial port closed while waiting for the board (adapter unplugged?)") from None
    if found == len(patterns):
        return None
    if patterns[found] == UBOOT_PROMPT:
        raise SerialError("the board stopped at the U-Boot prompt instead of booting Linux: see "
                          "docs/hardware.md, troubleshooting (OP-TEE issue #6284)")
    return found
