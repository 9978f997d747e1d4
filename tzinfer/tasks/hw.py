"""The hardware path: the target checks on a board over its serial console, an interactive
serial console for bring-up, and the QEMU stack on a pty as a stand-in board."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from invoke import Context, task
from invoke.exceptions import Exit

from tzinfer import REPO_ROOT
from tzinfer import board as boards
from tzinfer.hw import SerialError
from tzinfer.hw.port import open_port
from tzinfer.hw.target import DEFAULT_BOOT_TIMEOUT_S

HW_ARTIFACTS = REPO_ROOT / "artifacts" / "hw"
#: The target checks: the tests/qemu list; with --target-port its conftest keeps the tests that
#: need only a shell on the target.
CHECKS = ("tests/qemu",)


#: The board whose console settings apply when --board is not given.
DEFAULT_BOARD = "rpi3"


def _console(name: str) -> boards.SerialConsole:
    """The console of board `name` (board/<name>/board.yaml); Exit when there is no such board."""
    try:
        return boards.load(name).console
    except boards.BoardError as err:
        raise Exit(f"error: {err}", code=2) from None


@task(help={
    "port": "the board's serial port, e.g. /dev/ttyUSB0 (or a pty, see qemu-pty)",
    "board": f"the board (a folder of board/) whose console settings apply (default {DEFAULT_BOARD})",
    "baud": "line speed, 8N1 (default: the board's, board.yaml console.baud)",
    "login": "user to log in as when the board shows a login prompt (default root)",
    "password": "password, when the board asks for one",
    "power_cycle": "shell command that power-cycles the board, e.g. a USB relay; without it the board "
                   "is used as it is, or you are asked to power it",
    "boot_timeout": f"seconds to wait for a login prompt or shell (default {DEFAULT_BOOT_TIMEOUT_S:.0f})",
    "optee_version": "major.minor the board's OP-TEE must report (default: any)",
    "k": "only checks matching this pytest -k expression",
    "artifacts": "where junit.xml and serial.log go (default artifacts/hw)",
})
def test_hw(c: Context, port: str, board: str = DEFAULT_BOARD, baud: int = 0, login: str = "root",
            password: str = "", power_cycle: str = "", boot_timeout: float = DEFAULT_BOOT_TIMEOUT_S,
            optee_version: str = "", k: str = "", artifacts: str = str(HW_ARTIFACTS)) -> None:
    """Run the target checks of `invoke test-qemu` on a board over its serial console (JUnit XML
    and the full serial log under artifacts/hw/)."""
    baud = baud or _console(board).baud
    try:  # the usual port mistakes, answered before the checks start
        open_port(port, baud).close()
    except SerialError as err:
        raise Exit(f"error: {err}", code=2) from None
    out = Path(artifacts)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "serial.log"
    log.write_text("")
    args = [str(REPO_ROOT / ".venv/bin/python"), "-m", "pytest", "-q", "-ra", *CHECKS,
            f"--junitxml={out / 'junit.xml'}", f"--target-port={port}", f"--target-board={board}",
            f"--target-baud={baud}",
            f"--target-login={login}", f"--target-power-cycle={power_cycle}",
            f"--target-boot-timeout={boot_timeout}", f"--target-log={log}",
            f"--target-optee-version={optee_version}"]
    if password:
        args.append(f"--target-password={password}")
    if k:
        args += ["-k", k]
    result = c.run(shlex.join(args), warn=True, pty=False)
    print(f"serial log: {log}\nJUnit report: {out / 'junit.xml'}")
    if result is None or result.exited != 0:
        raise Exit(code=result.exited if result is not None else 1)


@task(help={
    "port": "the board's serial port, e.g. /dev/ttyUSB0",
    "board": f"the board (a folder of board/) whose line speed applies (default {DEFAULT_BOARD})",
    "baud": "line speed, 8N1 (default: the board's, board.yaml console.baud)",
    "log": "file the board's output is appended to (default artifacts/hw/console.log)",
})
def console(c: Context, port: str, board: str = DEFAULT_BOARD, baud: int = 0,
            log: str = str(HW_ARTIFACTS / "console.log")) -> None:
    """Open an interactive serial console on the board, logging its output (quit: Ctrl-])."""
    from tzinfer.hw.terminal import interact

    try:
        interact(port, baud or _console(board).baud, Path(log))
    except SerialError as err:
        raise Exit(f"error: {err}", code=2) from None


@task(help={"artifacts": "where the OP-TEE log and QEMU's own output go (default artifacts/hw-qemu)"})
def qemu_pty(c: Context, artifacts: str = str(REPO_ROOT / "artifacts" / "hw-qemu")) -> None:
    """Boot the QEMU stack with its console on a pty, a stand-in board for test-hw and console
    (stop: Ctrl-C)."""
    from tzinfer.stack import StackError, pipeline
    from tzinfer.stack.pty_vm import QemuOnPty

    out = Path(artifacts)
    try:
        with QemuOnPty(pipeline.build(), out / "secure.log", out / "qemu.log") as vm:
            print(f"console on {vm.port}: invoke test-hw --port {vm.port}  (stop: Ctrl-C)", flush=True)
            vm.process.wait()
    except (StackError, SerialError) as err:
        raise Exit(f"error: {err}", code=2) from None
    except KeyboardInterrupt:
        sys.exit(0)
