"""Where the time goes: each op of the host engine against ONNX Runtime's profile of the same model
(`tzinfer bench --per-op`), to find the op types and shapes that lose.

The engine runs one op at a time through the chunk API (native.Model.op_times, the calling thread's
CPU time per op); ORT runs with its profiler on (SessionOptions.enable_profiling: each node's
kernel time, wall clock). Both are single-threaded and run alternately; the median over the runs
of each op is kept. The two graphs are not op for op the same (each fuses differently), so ops
are grouped by a key both can compute: a convolution by its kernel size, depthwise or not, stride
and output size, every other op by its type and output size (ORT pads channel counts); ops that
only one side has (ORT's layout reorders, the engine's unfused Adds) show a time on one side.
A profile, not the bench: the per-op calls and ORT's profiler cost time of their own, so compare
the totals with `tzinfer bench`, not with each other.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from tzinfer import tzm
from tzinfer.bench import WARMUP_RUNS, load_pair, ort_session
from tzinfer.report import op_name

#: The engine's op names (report.op_name, activation suffix dropped) under ORT's op types.
_ORT_NAMES = {"FusedConv": "CONV", "Conv": "CONV", "Gemm": "GEMM", "FusedGemm": "GEMM", "MatMul": "GEMM",
              "Add": "BINARY.ADD", "Mul": "BINARY.MUL", "GlobalAveragePool": "GLOBAL_AVGPOOL",
              "MaxPool": "MAXPOOL", "AveragePool": "AVGPOOL", "Concat": "CONCAT", "Flatten": "RESHAPE",
              "Reshape": "RESHAPE"}


def _dims(dims: Any) -> str:  # noqa: ANN401 - a sequence of ints
    return "x".join(str(int(d)) for d in dims)


def _key(kind: str, x: Any, weight: Any, out: Any) -> str:  # noqa: ANN401 - sequences of ints
    """What both profiles can name of an op: ORT pads channel counts (its NCHWc layout), so a 4-D
    output is named by its spatial size, a convolution by kernel, depthwise or not, and stride."""
    where = _dims(out[2:] if len(out) == 4 else out)
    if kind != "CONV" or weight is None or len(weight) != 4 or len(x) != 4:
        return f"{kind} -> {where}"
    depthwise = "dw " if weight[1] == 1 and x[1] > 1 else ""
    stride = max(1, round(x[2] / out[2])) if out[2] else 1
    return f"CONV {depthwise}{weight[2]}x{weight[3]} s{stride} -> {where}"


def _engine_keys(model: tzm.TzmModel) -> list[str]:
    keys = []
    for i, op in enumerate(model.ops):
        kind = op_name(model, i).split("+")[0]
        dims = [model.tensors[j].dims for j in op.inputs]
        keys.append(_key(kind, dims[0], dims[1] if len(dims) > 1 else None, model.tensors[op.output].dims))
    return keys


def _ort_nodes(trace: Path) -> list[tuple[str, str, float]]:
    """(node name, key, µs) of every node kernel event in ORT's profile trace."""
    nodes = []
    for event in json.loads(trace.read_text()):
        args = event.get("args", {})
        if event.get("cat") != "Node" or not event.get("name", "").endswith("_kernel_time"):
            continue
        shapes = [next(iter(s.values())) for s in args.get("input_type_shape", [])]
        out = next(iter(args["output_type_shape"][0].values())) if args.get("output_type_shape") else []
        kind = _ORT_NAMES.get(args.get("op_name", "?"), args.get("op_name", "?"))
        key = _key(kind, shapes[0] if shapes else [], shapes[1] if len(shapes) > 1 else None, out)
        nodes.append((event["name"][:-len("_kernel_time")], key, float(event["dur"])))
    return nodes


def profile(tzm_path: Path, onnx_path: Path, runs: int = 20) -> dict[str, Any]:
    """Median time per op of both engines over `runs` alternating runs, grouped by key (see the
    module doc): {"rows": [{key, count, engine_us, ort_us}...] slowest engine first, "engine_us",
    "ort_us" (sums)}."""
    engine, model, feed = load_pair(tzm_path, onnx_path)
    keys = _engine_keys(model)
    with tempfile.TemporaryDirectory() as tmp:
        session = ort_session(onnx_path, Path(tmp) / "ort")
        for _ in range(WARMUP_RUNS):
            engine.op_times(feed)
        engine_ns: list[list[int]] = [[] for _ in keys]
        for _ in range(runs):
            for i, ns in enumerate(engine.op_times(feed)):
                engine_ns[i].append(ns)
            session.run(None, feed)
        ort_nodes = _ort_nodes(Path(session.end_profiling()))
    # ORT's trace holds WARMUP_RUNS fewer runs than the engine's; every node appears once a run
    ort_us: dict[str, list[float]] = defaultdict(list)
    for name, key, us in ort_nodes:
        ort_us[f"{key}\0{name}"].append(us)
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "engine_us": 0.0, "ort_count": 0,
                                                           "ort_us": 0.0})
    for key, ns in zip(keys, engine_ns, strict=True):
        rows[key]["count"] += 1
        rows[key]["engine_us"] += statistics.median(ns) / 1e3
    for node, us in ort_us.items():
        key = node.split("\0")[0]
        rows[key]["ort_count"] += 1
        rows[key]["ort_us"] += statistics.median(us)
    table = [{"key": k, **{f: round(v, 1) if isinstance(v, float) else v for f, v in r.items()}}
             for k, r in rows.items()]
    table.sort(key=lambda r: -max(r["engine_us"], r["ort_us"]))
    return {"rows": table, "engine_us": round(sum(r["engine_us"] for r in rows.values()), 1),
            "ort_us": round(sum(r["ort_us"] for r in rows.values()), 1), "runs": runs}


def format_profile(result: dict[str, Any]) -> str:
    """The profile as a table: key, op counts, median µs of each engine, ratio."""
    lines = [f"{'ops (engine/ORT)':>16} {'engine us':>10} {'ORT us':>10} {'ratio':>6}  key"]
    for r in result["rows"]:
        ratio = f"{r['engine_us'] / r['ort_us']:6.2f}" if r["ort_us"] else "     -"
        counts = f"{r['count']:>7}/{r['ort_count']:<8}"
        lines.append(f"{counts} {r['engine_us']:10.1f} {r['ort_us']:10.1f} {ratio}  {r['key']}")
    lines.append(f"{'total':>16} {result['engine_us']:10.1f} {result['ort_us']:10.1f} "
                 f"{result['engine_us'] / result['ort_us']:6.2f}  (medians per op, {result['runs']} runs; "
                 "engine: CPU time, ORT: its profiler's wall time)")
    return "\n".join(lines)
