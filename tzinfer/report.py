"""What `tzinfer inspect` shows about a .tzm model: its inputs and outputs, the layer table, the
memory numbers and a PNG timeline of live arena bytes per op."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tzinfer import planner
from tzinfer.extras import require
from tzinfer.tzm import (
    Act,
    BinaryKind,
    OpType,
    ReduceKind,
    ResizeMode,
    TensorKind,
    TzmModel,
    numel,
    stored_weights_bytes,
)


@dataclass(frozen=True)
class MemoryNumbers:
    peak_arena_bytes: int
    liveness_bound_bytes: int
    activations_sum_bytes: int
    weights_bytes: int


def memory_numbers(model: TzmModel) -> MemoryNumbers:
    plan = planner.analyse_model(model)
    return MemoryNumbers(model.arena_size, plan.liveness_bound, plan.activations_sum,
                         stored_weights_bytes(model))


def op_name(model: TzmModel, index: int) -> str:
    op = model.ops[index]
    name = op.type.name
    if op.type == OpType.BINARY:
        name += f".{BinaryKind(op.iattr[0]).name}"
    elif op.type == OpType.REDUCE:
        name += f".{ReduceKind(op.iattr[0]).name}"
    elif op.type == OpType.RESIZE:
        name += f".{ResizeMode(op.iattr[0]).name}"
    elif op.type == OpType.SOFTMAX and op.iattr[1]:
        name = "LOG_SOFTMAX"
    if op.act != Act.NONE and op.type != OpType.UNARY:
        name += f"+{op.act.name}"
    elif op.type == OpType.UNARY:
        name = op.act.name
    return name


def _dims(dims: tuple[int, ...]) -> str:
    return "x".join(map(str, dims)) or "scalar"


def _columns(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def io_table(model: TzmModel) -> str:
    """The model's inputs and outputs in order (name, dtype, shape, bytes, arena offset), and the
    SHA-256 of the ONNX file it was converted from."""
    rows = [("", "#", "name", "dtype", "shape", "bytes", "offset")]
    for kind, bindings in (("input", model.inputs), ("output", model.outputs)):
        for i, b in enumerate(bindings):
            t = model.tensors[b.tensor]
            rows.append((kind, str(i), b.name, "float32", _dims(t.dims), str(t.size), str(t.offset)))
    source = model.source_sha256.hex() if any(model.source_sha256) else "not recorded"
    return f"{_columns(rows)}\nconverted from:  ONNX file with SHA-256 {source}"


def layer_table(model: TzmModel) -> str:
    """One row per op: type, activation input shapes -> output shape, parameters, and where the
    output (and scratch) live in the arena; "=in" marks an output written over its input."""
    t = model.tensors
    rows = [("#", "op", "inputs", "output", "params", "offset", "bytes", "scratch")]
    for i, op in enumerate(model.ops):
        acts = [j for j in op.inputs if t[j].kind == TensorKind.ACT]
        params = sum(numel(t[j].dims) for j in op.inputs if t[j].kind == TensorKind.CONST)
        out = t[op.output]
        in_place = any(t[j].offset == out.offset for j in acts) and op.type in planner.IN_PLACE_OPS
        scratch = str(t[op.scratch].size) if op.scratch is not None else "-"
        rows.append((str(i), op_name(model, i), ", ".join(_dims(t[j].dims) for j in acts), _dims(out.dims),
                     str(params), f"{out.offset}{' =in' if in_place else ''}", str(out.size), scratch))
    return _columns(rows)


def plot_timeline(model: TzmModel, path: Path) -> None:
    """Live arena bytes at every step (the input step, then each op), with the arena size and the
    liveness bound as reference lines."""
    matplotlib = require("matplotlib", "plot", "inspect --plot")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plan = planner.analyse_model(model)
    steps = list(range(-1, len(model.ops) + 1))
    unit, scale = ("MiB", 1 / (1 << 20)) if model.arena_size >= 1 << 20 else ("KiB", 1 / (1 << 10))
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.step(steps, [b * scale for b in plan.live_bytes], where="mid", label="live activations")
    ax.axhline(model.arena_size * scale, color="tab:red", linestyle="--", label="arena (peak)")
    ax.axhline(plan.liveness_bound * scale, color="tab:green", linestyle=":", label="liveness bound")
    ax.set_xlabel(f"op index (-1: inputs copied in, {len(model.ops)}: outputs copied out)")
    ax.set_ylabel(unit)
    ax.set_title("Arena memory per step")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)
