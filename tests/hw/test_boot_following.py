"""Following a board's boot through U-Boot without stopping it (tests/hw/fake_uboot_board.py on a
pty, no QEMU): the driver types nothing until Linux runs, and when its poke of a silent board did
reach U-Boot's countdown, it says `boot` there, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from pty_board import Pty

from tzinfer.hw import SerialError, login
from tzinfer.hw.target import SerialTarget, SerialTargetConfig

#: A pause after TF-A longer than the quiet time, as OP-TEE's start gives on a loaded machine.
QUIET_S = 1.5
PAUSE_S = "3"


@pytest.fixture(autouse=True)
def short_quiet_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(login, "QUIET_S", QUIET_S)


def connect(port: str, tmp_path: Path, told: list[str]) -> SerialTarget:
    return SerialTarget(SerialTargetConfig(port, boot_timeout=30), tmp_path / "serial.log", told.append)


@pytest.mark.parametrize("uboot_board", [["1", PAUSE_S]], indirect=True)
def test_nothing_is_typed_while_u_boot_counts_down(uboot_board: Pty, tmp_path: Path) -> None:
    # TF-A prints while the driver listens, then the console is silent longer than the quiet
    # time (OP-TEE starting), then U-Boot counts down: a key typed in the pause would stop it.
    told: list[str] = []
    with connect(uboot_board.port, tmp_path, told) as shell:
        assert shell.check("echo $((6*7))") == "42"
    log = (tmp_path / "serial.log").read_text()
    assert "Starting kernel" in log and "=> " not in log  # autoboot ran out: never stopped
    assert told == []


@pytest.mark.parametrize("uboot_board", [["--power-on-at-first-key", "0.5", "0.5"]], indirect=True)
def test_a_poke_that_stopped_u_boot_is_answered_with_boot(uboot_board: Pty, tmp_path: Path) -> None:
    # The board is silent when the driver connects (it is off), so the driver pokes; the board
    # starts just then, and the pending key stops U-Boot's countdown.
    told: list[str] = []
    with connect(uboot_board.port, tmp_path, told) as shell:
        assert shell.check("echo $((6*7))") == "42"
    log = (tmp_path / "serial.log").read_text()
    assert "Hit any key to stop autoboot" in log and "=> boot" in log
    assert told[-1] == (f"the board on {uboot_board.port} was at the U-Boot prompt (our poke may have "
                        "stopped its countdown); sent `boot`")


@pytest.mark.parametrize("uboot_board", [["--power-on-at-first-key", "--boot-fails", "0.5", "0.5"]],
                         indirect=True)
def test_u_boot_prompt_again_after_boot_names_the_failing_boot_command(uboot_board: Pty,
                                                                        tmp_path: Path) -> None:
    with pytest.raises(SerialError, match=r"came back to the U-Boot prompt after `boot`: its boot command "
                                          r"fails .*OP-TEE issue #6284\)$"):
        connect(uboot_board.port, tmp_path, [])
    assert "can't get kernel image" in (tmp_path / "serial.log").read_text()
