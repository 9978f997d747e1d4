"""The serial driver's answers to the usual mistakes: each is one line naming cause and fix."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from pty_board import Pty

from tzinfer import board as boards
from tzinfer.hw import SerialError
from tzinfer.hw.login import Credentials
from tzinfer.hw.port import open_port
from tzinfer.hw.target import SerialTarget, SerialTargetConfig


def connect(port: str, tmp_path: Path, credentials: Credentials | None = None,
            boot_timeout: float = 20.0, told: list[str] | None = None) -> SerialTarget:
    credentials = credentials or Credentials()
    config = SerialTargetConfig(port, credentials=credentials, boot_timeout=boot_timeout)
    return SerialTarget(config, tmp_path / "serial.log", (told if told is not None else []).append)


def test_missing_port(tmp_path: Path) -> None:
    with pytest.raises(SerialError, match=r"ttyUSB7 does not exist: plug in the USB-serial adapter"):
        open_port(str(tmp_path / "ttyUSB7"), 115200)


@pytest.mark.parametrize("kind", ["regular file", "character device that is not a tty"])
def test_port_that_is_not_a_tty(tmp_path: Path, kind: str) -> None:
    path = Path("/dev/null")
    if kind == "regular file":
        path = tmp_path / "capture.log"
        path.write_text("a log, not a port\n")
    with pytest.raises(SerialError, match=rf"{path} is not a serial port \(not a tty\)"):
        open_port(str(path), 115200)


def test_busy_port(pty: Pty) -> None:
    first = open_port(pty.port, 115200)
    try:
        with pytest.raises(SerialError, match=rf"serial port {pty.port} is busy: another program"):
            open_port(pty.port, 115200)
    finally:
        first.close()
    open_port(pty.port, 115200).close()  # free again once the first user let go


def test_silent_board(pty: Pty, tmp_path: Path) -> None:
    told: list[str] = []
    with pytest.raises(SerialError, match=rf"no data from {pty.port} within 2s: check the power, the wiring"):
        connect(pty.port, tmp_path, boot_timeout=2, told=told)
    assert told == [f"no answer on {pty.port}: power on (or reset) the board now; "
                    "waiting up to 2s for it to boot"]
    open_port(pty.port, 115200).close()  # the failed attempt released the port


def test_login_with_password(getty_board: Pty, tmp_path: Path) -> None:
    with connect(getty_board.port, tmp_path, Credentials("root", "secret")) as shell:
        assert shell.run("echo $((6*7)); false") == (1, "42")
    assert "tzboard login: " in (tmp_path / "serial.log").read_text()


@pytest.mark.parametrize("getty_board", ["username> "], indirect=True)
def test_login_prompt_comes_from_the_board(getty_board: Pty, tmp_path: Path) -> None:
    # A board whose getty asks otherwise: its board.yaml console.login_prompt says how.
    with connect(getty_board.port, tmp_path, Credentials("root", "secret", "username> ")) as shell:
        assert shell.check("echo $((6*7))") == "42"


@pytest.mark.parametrize("getty_board", ["username> "], indirect=True)
def test_another_login_prompt_is_not_taken_for_a_login(getty_board: Pty, tmp_path: Path) -> None:
    with pytest.raises(SerialError, match="printed output but showed no login prompt or shell"):
        connect(getty_board.port, tmp_path, Credentials("root", "secret"), boot_timeout=8.0)


def test_every_board_names_its_login_prompt() -> None:
    for name in boards.names():
        console = boards.load(name).console
        assert console.login_prompt and console.baud > 0 and console.device


def test_wrong_password(getty_board: Pty, tmp_path: Path) -> None:
    with pytest.raises(SerialError, match=r"^login as root failed \(the board refused it\): check --login"):
        connect(getty_board.port, tmp_path, Credentials("root", "guess"))


def test_password_needed(getty_board: Pty, tmp_path: Path) -> None:
    with pytest.raises(SerialError, match=r"^the board asks for root's password: pass --password$"):
        connect(getty_board.port, tmp_path, Credentials("root", None))


def test_board_stopped_in_uboot(pty: Pty, tmp_path: Path) -> None:
    # Printed once the driver listens (opening the port discards what came before, as on a board).
    uboot = threading.Timer(0.5, os.write, (pty.master, b"\r\nHit any key to stop autoboot:  0 \r\nU-Boot> "))
    uboot.start()
    try:
        with pytest.raises(SerialError, match=r"stopped at the U-Boot prompt .*OP-TEE issue #6284\)$"):
            connect(pty.port, tmp_path)
    finally:
        uboot.cancel()


def test_failing_power_cycle_command(pty: Pty, tmp_path: Path) -> None:
    config = SerialTargetConfig(pty.port, power_cycle="echo relay not found >&2; exit 3")
    with pytest.raises(SerialError, match=r"^--power-cycle command .* exited 3 \(relay not found\): fix"):
        SerialTarget(config, tmp_path / "serial.log", [].append)


def test_shell_that_printed_while_we_listened(shell_board: Pty, tmp_path: Path) -> None:
    # A late kernel message as the driver connects: it waits for quiet, then finds the shell.
    message = threading.Timer(0.5, os.write, (shell_board.master, b"[  42.0] random: crng init done\r\n"))
    message.start()
    told: list[str] = []
    with connect(shell_board.port, tmp_path, told=told) as shell:
        assert shell.check("echo $((6*7))") == "42"
    assert told == []  # never asked to power the board
