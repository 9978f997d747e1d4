"""Running `tzinfer-run` on a booted target through its serial Console, and reading its report.

tzinfer-run prints "key: value" lines (client/main.c), one line per model input and output, and
a top-k block of the first output:

    input 0 'image': float32 [1, 3, 224, 224]
    output 0 'scores': float32 [1, 1000]
    top-5:
      #1 class 285 score 9.8 Egyptian cat

Files come back over the console as base64 (busybox has `base64`), e.g. the outputs written with
`--output` (.npy or .npz). Used by tests/qemu/test_ta.py and `invoke demo` / `invoke qemu.bench`.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from tzinfer.target.console import Console, ConsoleError
from tzinfer.target.layout import TARGET

_TOP_LINE = re.compile(r"^\s+#(\d+) class (\d+) score (\S+)(?: (.*))?$")
_FIELD_LINE = re.compile(r"^([a-z][a-z -]*): (.*)$")
_LOAD_PARTS = re.compile(r"\(transfer ([\d.]+), verify ([\d.]+)\)")
_TENSOR_LINE = re.compile(r"^(input|output) (\d+) '(.*)': float32 \[([\d, ]*)\]$")


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
    #: The model's inputs and outputs as it printed them: (name, shape) in order.
    inputs: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    outputs: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)

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
    tensors: dict[str, list[tuple[str, tuple[int, ...]]]] = {"input": [], "output": []}
    for line in output.splitlines():
        if m := _TOP_LINE.match(line):
            top.append(Prediction(int(m[1]), int(m[2]), float(m[3]), m[4] or ""))
        elif m := _TENSOR_LINE.match(line):
            tensors[m[1]].append((m[3], tuple(int(d) for d in m[4].split(",") if d.strip())))
        elif m := _FIELD_LINE.match(line):
            fields[m[1]] = m[2]
    return RunReport(exit_code, output, fields, top, tensors["input"], tensors["output"])


def command(model: str, inputs: str | Mapping[str, str], *, top: int = 5, labels: str | None = TARGET.labels,
            output: str | None = None, repeat: int = 1, world: str = "secure",
            reload_each_run: bool = False, key_id: int | None = None,
            env: dict[str, str] | None = None, threads: int = 1) -> str:
    """The shell command line for one tzinfer-run invocation on the target: `inputs` is the input
    file of a model with one input, or input name -> file; `env`: variables set for it alone (e.g.
    LD_PRELOAD); `key_id`: the key the model must be sealed for; `threads`: cores per inference
    (--threads, given only when not 1)."""
    given = [inputs] if isinstance(inputs, str) else \
        [arg for name, path in inputs.items() for arg in ("--input", f"{name}={path}")]
    args = [TARGET.client, model, *given, "--top", str(top), "--repeat", str(repeat), "--world", world]
    if labels:
        args += ["--labels", labels]
    if output:
        args += ["--output", output]
    if reload_each_run:
        args.append("--reload-each-run")
    if key_id:
        args += ["--key-id", str(key_id)]
    if threads != 1:
        args += ["--threads", str(threads)]
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


def fetch_npz(console: Console, path: str) -> dict[str, np.ndarray]:
    """An .npz file on the target (tzinfer-run --output OUT.npz), loaded on the host, in order."""
    with np.load(io.BytesIO(fetch_bytes(console, path)), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def describe(console: Console, model: str, timeout: float = 120.0) -> RunReport:
    """`tzinfer-run MODEL --describe`: the model's inputs and outputs, as the TA reports them."""
    return run(console, shlex.join([TARGET.client, model, "--describe"]) + " 2>&1", timeout=timeout)


#: Where provision_key() puts the key file on the target, for the moment of provisioning.
KEY_ON_TARGET = "/tmp/model-test.key"


def provision_key(console: Console, key: bytes, key_id: int, replace: bool = True) -> RunReport:
    """Write `key` to the target, provision it under key_id with tzinfer-run as root (replacing the
    key the id has, unless replace is False), remove the file."""
    console.check(f"echo {base64.b64encode(key).decode()} | base64 -d > {KEY_ON_TARGET}")
    flag = " --replace" if replace else ""
    code, output = console.run(f"{TARGET.client} --provision-key {KEY_ON_TARGET} --key-id {key_id}{flag} "
                               f"2>&1; rc=$?; rm -f {KEY_ON_TARGET}; [ $rc -eq 0 ]", timeout=60)
    return parse(code, output)
