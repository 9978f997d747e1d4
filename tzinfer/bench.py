"""Latency of the host engine against ONNX Runtime on the same input, in one process.

Both run single-threaded, after a warm-up, alternating run by run so that frequency changes and
background load hit both alike, in several rounds. Each run is timed twice: the thread's CPU time
(time.thread_time_ns; both engines compute in the calling thread), which leaves out the time the
thread waits for a core on a shared machine, and wall time. Reported: the minimum and the median
over all runs of each, their ratios, and the median ratio of every round, whose spread shows how
far to trust the figures. ORT's session is the one every reference output comes from
(tzinfer.ort): one intra-op and one inter-op thread, and ORT's default sequential
execution mode."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from tzinfer import native, report, tzm
from tzinfer.extras import MissingExtra
from tzinfer.hashing import sha256_file
from tzinfer.ort import reference_session

WARMUP_RUNS = 5


class BenchError(ValueError):
    """The model pair cannot be benchmarked (the ONNX file is not the .tzm's source)."""


def check_source(engine: native.Model, tzm_path: Path, onnx_path: Path) -> None:
    """Refuse an ONNX file other than the one the .tzm was converted from (the SHA-256 the
    converter recorded), so that the comparison is of one model."""
    if not onnx_path.is_file():
        raise BenchError(f"{onnx_path}: no such file")
    recorded, actual = engine.source_sha256.hex(), sha256_file(onnx_path)
    if not any(engine.source_sha256):
        raise BenchError(f"{tzm_path} records no source model: convert it again with `tzinfer convert` to "
                         "compare it with an ONNX file")
    if actual != recorded:
        raise BenchError(f"{onnx_path} is not the model {tzm_path} was converted from (its SHA-256 is "
                         f"{actual[:16]}…, the .tzm records {recorded[:16]}…): pass the ONNX file given to "
                         "`tzinfer convert`")


def ort_session(onnx_path: Path, profile_prefix: Path | None = None) -> Any:  # noqa: ANN401 - ORT's session
    """ORT's reference session on the model (tzinfer.ort), its load errors as BenchError."""
    try:
        return reference_session(onnx_path, profile_prefix)
    except MissingExtra:
        raise
    except Exception as e:  # onnxruntime's pybind errors share no useful base class
        raise BenchError(f"ONNX Runtime cannot load {onnx_path}: {str(e).strip().splitlines()[0]}") from None


def _timed(fn: Any) -> tuple[float, float]:  # noqa: ANN401 - any callable
    """(CPU seconds of this thread, wall seconds) of one call."""
    c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
    fn()
    return (time.thread_time_ns() - c0) * 1e-9, (time.perf_counter_ns() - w0) * 1e-9


#: The CPU flags that decide which vector code the engine (built -march=native) and ORT run.
VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "asimd", "asimddp")


def cpu_description() -> tuple[str, list[str]]:
    """The CPU's model name and which of VECTOR_FLAGS it has (from /proc/cpuinfo)."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() in ("flags", "Features"):
                flags |= set(value.split())
    except OSError:
        pass
    return model, [f for f in VECTOR_FLAGS if f in flags]


def load_pair(tzm_path: Path, onnx_path: Path) -> tuple[native.Model, tzm.TzmModel, dict[str, np.ndarray]]:
    """The engine's model (checked to come from `onnx_path`), its parsed .tzm, and one fixed random
    input per model input, so that every bench feeds both engines the same data."""
    data = tzm_path.read_bytes()
    engine = native.load(data)
    check_source(engine, tzm_path, onnx_path)
    rng = np.random.default_rng(0)
    feed = {d.name: rng.standard_normal(d.shape).astype(np.float32) for d in engine.inputs}
    return engine, tzm.read(data), feed


def bench(tzm_path: Path, onnx_path: Path, runs: int = 50, rounds: int = 3) -> dict[str, Any]:
    """Time both engines, `runs` alternating runs in each of `rounds` rounds; returns the JSON-able
    result of `tzinfer bench`."""
    engine, model, feed = load_pair(tzm_path, onnx_path)
    session = ort_session(onnx_path)
    for _ in range(WARMUP_RUNS):
        engine.run_all(feed)
        session.run(None, feed)
    times: dict[str, list[tuple[float, float]]] = {"engine": [], "ort": []}
    round_ratios = []
    for _ in range(rounds):
        first = len(times["engine"])
        for _ in range(runs):
            times["engine"].append(_timed(lambda: engine.run_all(feed)))
            times["ort"].append(_timed(lambda: session.run(None, feed)))
        round_ratios.append(round(statistics.median(t[0] for t in times["engine"][first:])
                                  / statistics.median(t[0] for t in times["ort"][first:]), 3))
    result: dict[str, Any] = {}
    for clock, index in (("cpu", 0), ("wall", 1)):
        for stat, fn in (("min", min), ("median", statistics.median)):
            engine_ms = 1e3 * fn(t[index] for t in times["engine"])
            ort_ms = 1e3 * fn(t[index] for t in times["ort"])
            result[f"{clock}_{stat}"] = {"engine_ms": round(engine_ms, 3), "ort_ms": round(ort_ms, 3),
                                         "ratio": round(engine_ms / ort_ms, 3)}
    memory = report.memory_numbers(model)
    cpu, vector_flags = cpu_description()
    return {"engine_ms": result["cpu_median"]["engine_ms"], "ort_ms": result["cpu_median"]["ort_ms"],
            "ratio": result["cpu_median"]["ratio"], **result, "round_ratios": round_ratios,
            "runs": runs, "rounds": rounds, "cpu": cpu, "vector_flags": vector_flags,
            "load_average": round(os.getloadavg()[0], 2),
            "peak_arena_bytes": memory.peak_arena_bytes, "liveness_bound_bytes": memory.liveness_bound_bytes,
            "activations_sum_bytes": memory.activations_sum_bytes, "weights_bytes": memory.weights_bytes}
