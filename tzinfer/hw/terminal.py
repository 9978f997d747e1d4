"""`invoke hw.console`: pyserial's miniterm on the board's serial port, with everything the board
prints also appended to a log file (for bring-up: what did U-Boot say before it stopped?)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from serial.tools.miniterm import Miniterm, Transform

from tzinfer.hw.port import open_port

#: Ctrl-] leaves, as in telnet and miniterm.
EXIT_KEY = "\x1d"


class LogTransform(Transform):
    """Passes received text through unchanged and appends it to the log."""

    def __init__(self, log: IO[str]) -> None:
        self.log = log

    def rx(self, text: str) -> str:
        self.log.write(text)
        self.log.flush()
        return text


def interact(port: str, baud: int, log: Path) -> None:
    """Connect the user's terminal to the port until Ctrl-]; SerialError if the port is unusable."""
    serial_port = open_port(port, baud)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8", errors="replace") as log_file:
        # eol "lf": Enter sends a newline, which the board's tty takes as a line end; its
        # "\r\n" output is shown unchanged.
        term = Miniterm(serial_port, echo=False, eol="lf", filters=["default"])
        term.exit_character = EXIT_KEY
        term.set_rx_encoding("utf-8", errors="replace")
        term.set_tx_encoding("utf-8")
        term.rx_transformations.append(LogTransform(log_file))
        print(f"--- {port} at {baud} baud, log {log}; quit: Ctrl-] ---", flush=True)
        term.start()
        try:
            term.join(True)
        except KeyboardInterrupt:
            pass
        term.join()
        term.close()
