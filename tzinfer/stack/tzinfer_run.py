"""Running `tzinfer-run` on a booted target through its serial Console, and reading its report.

tzinfer-run prints "key: value" lines (client/main.c) and a top-k block:

    top-5:
      #1 class 285 score 9.8 Egyptian cat

Files come back over the console as base64 (busybox has `base64`), e.g. the raw output tensor
written with `--output`. Used by tests/qemu/test_ta.py and `invoke demo` / `invoke bench-qemu`.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import shlex
from dataclasses import dataclass

import numpy as np

from tzinfer.stack.console import Console, ConsoleError
from tzinfer.stack.payload import TARGET

_TOP_LINE = re.compile(r"^\s+#(\d+) class (\d+) score (\S+)(?: (.*))?$")
_FIELD_LINE = re.compile(r"^([a-z][a-z -]*): (.*)$")
_LOAD_PARTS = re.compile(r"\(transfer ([\d.]+), verify ([\d.]+)\)")


@dataclass(frozen=True)
class Prediction:
    """One line of the top-k listing."""

    rank: int
    class_id: int
    score: float
    label: str


@dataclass(frozen=True)
class RunReport:
    """What one tzinfer-run invocation printed, and its exit status."""

    exit_code: int
    output: str
    fields: dict[str, str]
    top: list[Prediction]

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def number(self, key: str) -> float:
        """The leading number of field `key`, e.g. number("inference ms")."""
        try:
            return float(self.fields[key].split()[0])
        except (KeyError, IndexError, ValueError):
            raise ConsoleError(f"tzinfer-run printed no number for {key!r}:\n{self.output}") from None


    def load_parts_ms(self) -> tuple[float, float]:
        """(transfer, verify) of the first load: "load ms: T (transfer X, verify Y)"."""
        m = _LOAD_PARTS.search(self.fields.get("load ms", ""))
        if not m:
            raise ConsoleError(f"tzinfer-run printed no load breakdown:\n{self.output}")
        return float(m[1]), float(m[2])


def parse(exit_code: int, output: str) -> RunReport:
    """Split tzinfer-run's output into fields and predictions."""
    fields: dict[str, str] = {}
    top: list[Prediction] = []
    for line in output.splitlines():
        if m := _TOP_LINE.match(line):
            top.append(Prediction(int(m[1]), int(m[2]), float(m[3]), m[4] or ""))
        elif m := _FIELD_LINE.match(line):
            fields[m[1]] = m[2]
    return RunReport(exit_code, output, fields, top)


def command(model: str, input_path: str, *, top: int = 5, labels: str | None = TARGET.labels,
            output: str | None = None, repeat: int = 1, world: str = "secure",
            reload_each_run: bool = False, env: dict[str, str] | None = None) -> str:
    """The shell command line for one tzinfer-run invocation on the target; `env`: variables
    set for it alone (e.g. LD_PRELOAD)."""
    args = [TARGET.client, model, input_path, "--top", str(top), "--repeat", str(repeat), "--world", world]
    if labels:
        args += ["--labels", labels]
    if output:
        args += ["--output", output]
    if reload_each_run:
        args.append("--reload-each-run")
    # Assignments before the command: only the value may be quoted, or sh takes it for a command.
    assignments = "".join(f"{name}={shlex.quote(value)} " for name, value in (env or {}).items())
    return assignments + shlex.join(args) + " 2>&1"


def run(console: Console, cmdline: str, timeout: float = 300.0) -> RunReport:
    """Run a `command()` line on the target and parse what tzinfer-run printed."""
    code, output = console.run(cmdline, timeout=timeout)
    return parse(code, output)


def fetch_bytes(console: Console, path: str, timeout: float = 60.0) -> bytes:
    """The contents of a file on the target, sent back as base64 over the console."""
    text = console.check(f"base64 {shlex.quote(path)}", timeout=timeout)
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error as err:
        raise ConsoleError(f"garbled base64 from the target for {path}: {err}") from err


def fetch_npy(console: Console, path: str) -> np.ndarray:
    """A .npy file on the target, loaded on the host."""
    return np.load(io.BytesIO(fetch_bytes(console, path)), allow_pickle=False)
