"""A board's root shell over its serial port: open the port, reach a logged-in shell, make it
quiet, and hand it out as the same `Console` the QEMU tests drive."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tzinfer.hw import SerialError
from tzinfer.hw.login import Credentials, reach_shell
from tzinfer.hw.port import SerialLink
from tzinfer.target.console import Console, ConsoleError

DEFAULT_BAUD = 115200
#: Power-on to login prompt of the Yocto image on a Pi 3B+ takes well under a minute.
DEFAULT_BOOT_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class SerialTargetConfig:
    """How to reach the board: port, line speed, login, and an optional power-cycle command."""

    port: str
    baud: int = DEFAULT_BAUD
    credentials: Credentials = Credentials()
    power_cycle: str = ""
    boot_timeout: float = DEFAULT_BOOT_TIMEOUT_S


class SerialTarget:
    """A logged-in shell on a board; close() releases the port (the board keeps running)."""

    def __init__(self, config: SerialTargetConfig, log: Path, tell: Callable[[str], None] = print) -> None:
        self.config = config
        self.link = SerialLink(config.port, config.baud, log)
        try:
            reach_shell(self.link.child, self.link.log, config.port, config.credentials,
                        config.boot_timeout, self._power_cycle if config.power_cycle else None, tell)
            self.console = Console(self.link.child)
            self.console.make_quiet()
        except ConsoleError as err:
            self.link.close()
            raise SerialError(f"the shell on {config.port} did not answer: {err}") from None
        except BaseException:
            self.link.close()
            raise

    def _power_cycle(self) -> None:
        result = subprocess.run(self.config.power_cycle, shell=True, capture_output=True, text=True)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise SerialError(f"--power-cycle command {self.config.power_cycle!r} exited "
                              f"{result.returncode} ({detail[0]}): fix the command")

    def close(self) -> None:
        self.link.close()

    def __enter__(self) -> Console:
        return self.console

    def __exit__(self, *exc: object) -> None:
        self.close()
