"""Frames per second in the TA, three ways (invoke qemu.bench): an application that keeps one
libtzinfer session (`tzinfer-run --frames`: the model loaded once), the same through the Python
session (tzinfer.runtime), and one that starts tzinfer-run again for every frame (the model sent
and verified again each time: what applications had to do before libtzinfer).

Each way runs `frames` frames of one input. The resident ways report frames per second of their
runs (the load is timed apart); re-exec is timed on the target around the whole loop
(/proc/uptime, 10 ms), so each of its frames pays a process start, a session and a load.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from tzinfer.stack import python_root
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console, ConsoleError
from tzinfer.target.layout import TARGET

RUN_TIMEOUT_S = 3600.0


def _args(inputs: Mapping[str, str]) -> list[str]:
    return [arg for name, path in inputs.items() for arg in ("--input", f"{name}={path}")]


#: The list file of resident(), on the target's tmpfs.
FRAME_LIST = "/tmp/tzinfer-bench-frames.txt"


def resident(console: Console, model: str, inputs: Mapping[str, str], frames: int) -> dict[str, float]:
    """One tzinfer-run process over a list of `frames` frames."""
    line = shlex.quote(" ".join(f"{name}={path}" for name, path in inputs.items()))
    console.check(f"rm -f {FRAME_LIST}; for i in $(seq {frames}); do echo {line} >> {FRAME_LIST}; done")
    report = tzinfer_run.run(console, f"{TARGET.client} {model} --frames {FRAME_LIST} 2>&1",
                             timeout=RUN_TIMEOUT_S)
    if not report.ok:
        raise ConsoleError(f"tzinfer-run --frames failed:\n{report.output}")
    return {"fps": report.number("frames per second"), "load_ms": report.number("load ms")}


def python_session(console: Console, model: str, inputs: Mapping[str, str],
                   frames: int) -> dict[str, float]:
    """One tzinfer.runtime.InferenceSession, `frames` runs."""
    specs = [f"{name}={path}" for name, path in inputs.items()]
    cmd = shlex.join([python_root.interpreter(), python_root.example(python_root.BENCH_SCRIPT), model,
                      str(frames), *specs])
    report = tzinfer_run.run(console, cmd + " 2>&1", timeout=RUN_TIMEOUT_S)
    if not report.ok or report.fields.get("provider") != "TrustZoneExecutionProvider":
        raise ConsoleError(f"the Python session benchmark failed:\n{report.output}")
    return {"fps": report.number("frames per second"), "load_ms": report.number("load ms")}


def reexec(console: Console, model: str, inputs: Mapping[str, str], frames: int) -> dict[str, float]:
    """tzinfer-run started again for every frame."""
    one = shlex.join([TARGET.client, model, *_args(inputs), "--top", "1"]) + " >/dev/null 2>&1 || exit 1"
    script = (f"read a _ < /proc/uptime; for i in $(seq {frames}); do {one}; done; read b _ < /proc/uptime; "
              "echo \"elapsed s: $(echo \"$b $a\" | awk '{print $1 - $2}')\"")
    code, output = console.run(f"sh -c {shlex.quote(script)}", timeout=RUN_TIMEOUT_S)
    report = tzinfer_run.parse(code, output)
    if not report.ok:
        raise ConsoleError(f"re-exec of tzinfer-run failed:\n{output}")
    return {"fps": frames / report.number("elapsed s")}
