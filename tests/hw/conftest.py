"""Pseudo-terminals standing in for a board's serial port."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pty_board import Pty

FAKE_GETTY = Path(__file__).with_name("fake_getty.py")
FAKE_UBOOT_BOARD = Path(__file__).with_name("fake_uboot_board.py")


@pytest.fixture
def pty() -> Iterator[Pty]:
    master, slave = os.openpty()
    # The driver opens the port by name. This descriptor is never read; it keeps the pty's
    # device side open, or the board's reads from the master fail (EIO) until the driver opens it.
    yield Pty(master, os.ttyname(slave))
    os.close(slave)
    os.close(master)


@pytest.fixture
def getty_board(pty: Pty, request: pytest.FixtureRequest) -> Iterator[Pty]:
    """A board at a login prompt that takes root / secret (tests/hw/fake_getty.py); parametrize it
    indirectly with another prompt."""
    prompt = getattr(request, "param", "login: ")
    board = subprocess.Popen([sys.executable, str(FAKE_GETTY), "root", "secret", prompt],
                             stdin=pty.master, stdout=pty.master, stderr=subprocess.DEVNULL,
                             # its own session: the shell's job control must not stop pytest
                             start_new_session=True)
    yield pty
    board.kill()
    board.wait()


@pytest.fixture
def uboot_board(pty: Pty, request: pytest.FixtureRequest) -> Iterator[Pty]:
    """A board that boots through U-Boot's autoboot countdown to a shell (tests/hw/fake_uboot_board.py);
    parametrize it indirectly with the script's arguments."""
    board = subprocess.Popen([sys.executable, str(FAKE_UBOOT_BOARD), *request.param],
                             stdin=pty.master, stdout=pty.master, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    yield pty
    board.kill()
    board.wait()


@pytest.fixture
def shell_board(pty: Pty) -> Iterator[Pty]:
    """A board that is up, at a root shell without a login (like the QEMU initramfs)."""
    board = subprocess.Popen(["bash", "--norc", "--noprofile"], stdin=pty.master, stdout=pty.master,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    yield pty
    board.kill()
    board.wait()
