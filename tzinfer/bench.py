"""Latency of the host engine against ONNX Runtime on the same input, in one process.

Both run single-threaded, after a warm-up, alternating run by run so that frequency changes and
background load hit both alike; the medians are reported. ORT's session is the one every reference
output comes from (tzinfer.fixtures.ort): one intra-op and one inter-op thread, and ORT's default
sequential execution mode."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from tzinfer import native, report, tzm
from tzinfer.fixtures.ort import reference_session
from tzinfer.hashing import sha256_file

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


def bench(tzm_path: Path, onnx_path: Path, runs: int = 50) -> dict[str, Any]:
    """Time both engines; returns the JSON-able result of `tzinfer bench`."""
    data = tzm_path.read_bytes()
    engine = native.load(data)
    check_source(engine, tzm_path, onnx_path)
    model = tzm.read(data)
    try:
        session = reference_session(onnx_path)
    except Exception as e:  # onnxruntime's pybind errors share no useful base class
        raise BenchError(f"ONNX Runtime cannot load {onnx_path}: {str(e).strip().splitlines()[0]}") from None
    rng = np.random.default_rng(0)
    feed = {d.name: rng.standard_normal(d.shape).astype(np.float32) for d in engine.inputs}
    for _ in range(WARMUP_RUNS):
        engine.run_all(feed)
        session.run(None, feed)
    engine_s, ort_s = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        engine.run_all(feed)
        t1 = time.perf_counter()
        session.run(None, feed)
        t2 = time.perf_counter()
        engine_s.append(t1 - t0)
        ort_s.append(t2 - t1)
    engine_ms, ort_ms = 1e3 * statistics.median(engine_s), 1e3 * statistics.median(ort_s)
    memory = report.memory_numbers(model)
    return {"engine_ms": round(engine_ms, 3), "ort_ms": round(ort_ms, 3),
            "ratio": round(engine_ms / ort_ms, 3),
            "peak_arena_bytes": memory.peak_arena_bytes, "liveness_bound_bytes": memory.liveness_bound_bytes,
            "activations_sum_bytes": memory.activations_sum_bytes, "weights_bytes": memory.weights_bytes}
