"""From an open serial console to a logged-in shell: find out what the board is doing (shell,
login prompt, booting, U-Boot prompt, silence), wait for it to boot, and log in.

Nothing is typed while a bootloader may be reading the console: a key pressed during U-Boot's
autoboot countdown stops the boot, and a key typed while the board is silent between TF-A and
U-Boot (OP-TEE starting, logging to its own UART on QEMU) waits in the UART until the countdown
reads it. So a board that is booting is followed without a keystroke until its output shows that
Linux runs (U-Boot's "Starting kernel", a kernel message, the QEMU initramfs' ready line) or it
prints its login prompt.

A board that is silent when the driver connects is poked, because a board that is up says
nothing until asked: with an empty line (a getty answers with its login prompt) and then with
`echo tz$((6*7))probe`, which only a shell turns into "tz42probe" (the echoed command line never
matches). If the board was in fact starting, that poke can stop U-Boot; so a U-Boot prompt after
the driver typed is answered with `boot`, once. A U-Boot prompt the driver did not cause, or a
second one after its `boot`, means the boot itself stops there: that is an error naming the cause.
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
#: What U-Boot's `boot` runs: its boot command (bootcmd), as the countdown would have.
UBOOT_BOOT = "boot"
#: Output that only comes once the bootloader is done: U-Boot hands over to Linux, or Linux logs
#: (its banner, or any timestamped kernel message). After it, a key reaches Linux, not U-Boot.
LINUX_STARTED = r"Starting kernel|Booting Linux|Linux version \d|\[ *\d+\.\d+\] "
SHELL_PROBE = "echo tz$((6*7))probe"
SHELL_ANSWER = "tz42probe"
#: Output stops this long before the board counts as quiet (kernel and init pause for less).
QUIET_S = 5.0
#: How long to listen before the first poke, so a board that is booting is not disturbed.
LISTEN_S = 2.0
#: How long to wait after a password for the login to be refused (PAM delays about 2 s).
REFUSAL_WAIT_S = 5.0
#: U-Boot's Ctrl-C: drops a half-typed command line (ours, if the poke reached U-Boot).
CTRL_C = "\x03"


class State(Enum):
    SHELL = "shell"
    LOGIN = "login prompt"
    UBOOT = "U-Boot prompt"


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
    typed = said_boot = False
    chars_at_start = log.chars
    if power_cycle is not None:
        power_cycle()
        tell(f"power-cycled the board; waiting up to {boot_timeout:.0f}s for it to boot on {port}")
    elif not _printing(child, log, LISTEN_S):
        state, typed = poke(child, credentials.prompt_pattern), True
        if state is None:
            tell(f"no answer on {port}: power on (or reset) the board now; "
                 f"waiting up to {boot_timeout:.0f}s for it to boot")
    deadline = time.monotonic() + boot_timeout
    while state in (None, State.UBOOT):
        if state is State.UBOOT:
            _boot_from_uboot(child, port, typed, said_boot, tell)
            said_boot = True
        state = wait_for_boot(child, log, port, boot_timeout, deadline, chars_at_start,
                              credentials.prompt_pattern)
    if state is State.LOGIN:
        log_in(child, credentials)


def poke(child: SpawnBase, login_prompt: str) -> State | None:
    """What answers on the console right now: a login prompt (the pattern), a shell, U-Boot's
    prompt, or nothing. Only for a board that is up or silent: it types."""
    child.sendline("")
    found = _expect(child, [login_prompt, UBOOT_PROMPT], 2.0)
    if found is not None:
        return (State.LOGIN, State.UBOOT)[found]
    child.sendline(SHELL_PROBE)
    found = _expect(child, [SHELL_ANSWER, login_prompt, UBOOT_PROMPT], 3.0)
    return None if found is None else (State.SHELL, State.LOGIN, State.UBOOT)[found]


def wait_for_boot(child: SpawnBase, log: CountingLog, port: str, timeout: float, deadline: float,
                  chars_at_start: int, login_prompt: str) -> State:
    """Follow the boot until a login prompt, a shell or U-Boot's prompt, until `deadline` (the end
    of the wait of `timeout` seconds; the log held `chars_at_start` characters when we began
    listening). Nothing is typed until the output shows that Linux runs; then a pause in the
    output is a chance that a shell waits."""
    linux_started = False
    while (left := deadline - time.monotonic()) > 0:
        chars = log.chars
        found = _expect(child, [login_prompt, UBOOT_PROMPT, re.escape(READY_LINE), LINUX_STARTED],
                        min(QUIET_S, left))
        if found in (0, 1):
            return (State.LOGIN, State.UBOOT)[found]
        linux_started = linux_started or found == 3
        quiet_in_linux = found is None and linux_started and log.chars == chars
        # The QEMU initramfs' ready line, or silence once Linux runs: is there a shell now?
        if (found == 2 or quiet_in_linux) and (state := poke(child, login_prompt)) is not None:
            return state
    if log.chars == chars_at_start:
        raise SerialError(f"no data from {port} within {timeout:.0f}s: check the power, the wiring "
                          "(adapter RX to Pi TX = pin 8, adapter TX to Pi RX = pin 10, GND to pin 6), "
                          "--baud (115200) and enable_uart=1 in config.txt")
    raise SerialError(f"the board on {port} printed output but showed no login prompt or shell within "
                      f"{timeout:.0f}s: read the serial log; docs/hardware.md lists the known boot traps")


def _boot_from_uboot(child: SpawnBase, port: str, typed: bool, said_boot: bool,
                     tell: Callable[[str], None]) -> None:
    """At U-Boot's prompt: say `boot` if our typing may have stopped the countdown (or found the
    board left at the prompt), the first time only; otherwise the boot stops there by itself."""
    if said_boot:
        raise SerialError(f"the board on {port} came back to the U-Boot prompt after `{UBOOT_BOOT}`: "
                          "its boot command fails (read the serial log for U-Boot's error); see "
                          "docs/hardware.md, troubleshooting (OP-TEE issue #6284)")
    if not typed:
        raise SerialError(f"the board on {port} stopped at the U-Boot prompt instead of booting Linux, "
                          "with nothing typed by us (its boot command failed, or noise on the RX line "
                          "stopped the countdown): see docs/hardware.md, troubleshooting "
                          "(OP-TEE issue #6284)")
    tell(f"the board on {port} was at the U-Boot prompt (our poke may have stopped its countdown); "
         f"sent `{UBOOT_BOOT}`")
    child.send(CTRL_C)
    child.sendline(UBOOT_BOOT)
    # Its echo comes after every prompt U-Boot printed so far: only a prompt after it is new.
    if _expect(child, [rf"\b{UBOOT_BOOT}\r*\n"], 10.0) is None:
        raise SerialError(f"the board on {port} shows the U-Boot prompt but did not take `{UBOOT_BOOT}`: "
                          "read the serial log; is the line noisy (check the wiring and --baud)?")


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
    """Index of the first pattern seen within `timeout`; None when none was; SerialError on EOF."""
    try:
        found = child.expect([*patterns, pexpect.TIMEOUT], timeout=timeout)
    except pexpect.EOF:
        raise SerialError("the serial port closed while waiting for the board (adapter unplugged?)") from None
    return None if found == len(patterns) else found
