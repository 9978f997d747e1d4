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

WARMUP_RUNS = 5


class BenchError(ValueError):
    """The model pair cannot be benchmarked (mismatched inputs)."""


def bench(tzm_path: Path, onnx_path: Path, runs: int = 50) -> dict[str, Any]:
    """Time both engines; returns the JSON-able result of `tzinfer bench`."""
    data = tzm_path.read_bytes()
    engine = native.load(data)
    model = tzm.read(data)
    shape = model.tensors[model.input].dims
    if not onnx_path.is_file():
        raise BenchError(f"{onnx_path}: no such file")
    try:
        session = reference_session(onnx_path)
    except Exception as e:  # onnxruntime's pybind errors share no useful base class
        raise BenchError(f"ONNX Runtime cannot load {onnx_path}: {str(e).strip().splitlines()[0]}") from None
    ort_input = session.get_inputs()[0]
    if len(ort_input.shape) != len(shape) or any(isinstance(d, int) and d != s
                                                for d, s in zip(ort_input.shape, shape, strict=True)):
        raise BenchError(f"{onnx_path} takes {ort_input.shape} but {tzm_path} takes {list(shape)}; "
                         "pass the ONNX model the .tzm was converted from")
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    feed = {ort_input.name: x}
    for _ in range(WARMUP_RUNS):
        engine.run(x)
        session.run(None, feed)
    engine_s, ort_s = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        engine.run(x)
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
