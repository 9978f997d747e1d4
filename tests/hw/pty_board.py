"""A pseudo-terminal standing in for a board's serial port (used by conftest.py's fixtures)."""

from dataclasses import dataclass


@dataclass
class Pty:
    """`port` is the device the driver opens (as it would /dev/ttyUSB0), `master` the board's side."""

    master: int
    port: str
