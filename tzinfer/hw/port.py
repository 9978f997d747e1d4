"""A serial port as a pexpect child: pyserial opens and configures it, pexpect's fdspawn reads
and writes its file descriptor, and every character the board prints goes to a log file.

The port is locked exclusively (flock, as pyserial does with exclusive=True), so two programs
cannot both type into the board's shell.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import IO

import serial
from pexpect.fdpexpect import fdspawn

from tzinfer.hw import SerialError

#: Where USB-serial adapters usually appear; named in the "does not exist" message.
PORT_HINT = "ls /dev/serial/by-id/ /dev/ttyUSB* /dev/ttyACM*"


class CountingLog:
    """The serial log file, counting what it was given (to tell "no data" from "no prompt")."""

    def __init__(self, file: IO[str]) -> None:
        self.file = file
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return self.file.write(text)

    def flush(self) -> None:
        self.file.flush()


def open_port(path: str, baud: int) -> serial.Serial:
    """Open `path` at `baud` 8N1, exclusively; SerialError with the fix when that is not possible."""
    if not os.path.exists(path):
        raise SerialError(f"serial port {path} does not exist: plug in the USB-serial adapter and "
                          f"pass its device with --port ({PORT_HINT})")
    if not _is_tty(path):
        raise SerialError(f"{path} is not a serial port (not a tty): pass the adapter's device with "
                          f"--port, e.g. /dev/ttyUSB0 ({PORT_HINT})")
    try:
        return serial.Serial(path, baud, bytesize=8, parity="N", stopbits=1, timeout=0, exclusive=True)
    except serial.SerialException as err:
        if err.errno in (errno.EWOULDBLOCK, errno.EBUSY):
            raise SerialError(f"serial port {path} is busy: another program (screen, minicom, picocom, "
                              "`invoke hw.console`, ModemManager) has it open; close it and retry") from None
        if err.errno == errno.EACCES:
            raise SerialError(f"no permission to open {path}: add yourself to its group "
                              "(sudo usermod -aG dialout $USER, then log in again) or run as root") from None
        raise SerialError(f"cannot open serial port {path}: {err}") from None
    except ValueError as err:  # pyserial's answer to a baud rate it cannot set
        raise SerialError(f"cannot use {baud} baud on {path}: {err}; the Pi's UART runs at 115200") from None


def _is_tty(path: str) -> bool:
    if not stat.S_ISCHR(os.stat(path).st_mode):
        return False
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return True  # a character device we may not open: open_port reports why
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


class SerialLink:
    """An open serial port and the pexpect child over it; close() releases both and the log."""

    def __init__(self, path: str, baud: int, log: Path) -> None:
        self.path = path
        self.baud = baud
        self.port = open_port(path, baud)
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = CountingLog(log.open("a", encoding="utf-8", errors="replace"))
        # fdspawn gets its own descriptor (same open file, same lock), so each side closes its own.
        self.child = fdspawn(os.dup(self.port.fileno()), encoding="utf-8", codec_errors="replace")
        self.child.logfile_read = self.log

    def close(self) -> None:
        """Release the port (the board keeps running) and close the log."""
        self.child.close()
        self.port.close()
        self.log.file.close()
