"""Slice, Split and Gather of an activation: each becomes SLICE ops (a start and a step per dim),
with CONCAT and RESHAPE where Gather's indices need them. Indices must be constants."""

from __future__ import annotations

import numpy as np

from tzinfer.convert.context import Context, Node
from tzinfer.convert.errors import ConvertError
from tzinfer.convert.registry import OpSpec
from tzinfer.tzm import MAX_DIMS, OpType

#: Most pieces a Gather of scattered indices is split into (CONCAT takes at most 255 inputs).
_MAX_PIECES = 255


def _slice(ctx: Context, node: Node, x: str, starts: list[int], steps: list[int], shape: tuple[int, ...],
           output: str | None = None) -> str:
    """Emit SLICE of graph tensor x; starts and steps per dim. Returns the output tensor."""
    if len(shape) > MAX_DIMS:
        raise node.unsupported(f"input of rank {len(shape)}; at most {MAX_DIMS} dims are supported")
    if list(shape) == list(ctx.graph.shape(x)) and all(s == 1 for s in steps) and output is None:
        ctx.alias(node, node.outputs[0], node.input(0))
        return ctx.tensor(node.input(0))
    pad = [0] * (MAX_DIMS - len(shape))
    return ctx.emit(node, OpType.SLICE, [x], shape, [*starts, *pad, *steps, *pad], output=output).output


def _ints(ctx: Context, node: Node, i: int, what: str) -> list[int]:
    return [int(v) for v in ctx.const(node, i, what).reshape(-1)]


def slice_(ctx: Context, node: Node) -> None:
    """Slice: starts/ends/axes attributes before opset 10, inputs (with steps) from 10 on; the
    ONNX clamping rules for out-of-range and negative starts and ends."""
    shape = ctx.shape(node.input(0))
    rank = len(shape)
    if ctx.opset < 10:
        begins, ends = [int(v) for v in node.required("starts")], [int(v) for v in node.required("ends")]
        axes = [int(v) for v in node.attr("axes", range(len(begins)))]
        steps = [1] * len(begins)
    else:
        begins, ends = _ints(ctx, node, 1, "starts"), _ints(ctx, node, 2, "ends")
        axes = _ints(ctx, node, 3, "axes") if node.input(3) else list(range(len(begins)))
        steps = _ints(ctx, node, 4, "steps") if node.input(4) else [1] * len(begins)
    if not len(begins) == len(ends) == len(axes) == len(steps):
        raise ConvertError(f"Slice node '{node.name}': starts, ends, axes and steps differ in length")
    start_of, step_of, out = [0] * rank, [1] * rank, list(shape)
    seen = set()
    for begin, end, axis, step in zip(begins, ends, axes, steps, strict=True):
        a = node.axis(axis, rank)
        if a in seen or step == 0:
            raise ConvertError(f"Slice node '{node.name}': repeated axis {axis} or zero step")
        seen.add(a)
        n = shape[a]
        begin, end = begin + n if begin < 0 else begin, end + n if end < 0 else end
        if step > 0:
            begin, end = min(max(begin, 0), n), min(max(end, 0), n)
        else:
            begin, end = min(max(begin, 0), n - 1), min(max(end, -1), n - 1)
        out[a] = max(0, -(-(end - begin) // step))
        start_of[a], step_of[a] = begin, step
    _slice(ctx, node, ctx.tensor(node.input(0)), start_of, step_of, tuple(out))


def split(ctx: Context, node: Node) -> None:
    """Split: sizes from the `split` attribute (before opset 13) or input, equal parts, or
    num_outputs (opset 18, the last part smaller)."""
    shape = ctx.shape(node.input(0))
    axis = node.axis(node.attr("axis", 0), len(shape))
    outputs = node.outputs
    if ctx.opset >= 13 and node.input(1):
        sizes = _ints(ctx, node, 1, "split")
    elif ctx.opset < 13 and node.attr("split") is not None:
        sizes = [int(v) for v in node.attr("split")]
    elif node.attr("num_outputs") is not None:
        count = int(node.attr("num_outputs"))
        if count != len(outputs) or count < 1:
            raise ConvertError(f"Split node '{node.name}': num_outputs={count} but {len(outputs)} outputs")
        part = -(-shape[axis] // count)
        sizes = [min(part, shape[axis] - i * part) for i in range(count)]
    else:
        if shape[axis] % len(outputs):
            raise ConvertError(f"Split node '{node.name}': dim {shape[axis]} does not split into "
                               f"{len(outputs)} equal parts")
        sizes = [shape[axis] // len(outputs)] * len(outputs)
    if len(sizes) != len(outputs) or sum(sizes) != shape[axis] or min(sizes) < 0:
        raise ConvertError(f"Split node '{node.name}': sizes {sizes} do not split dim {shape[axis]} into "
                           f"{len(outputs)} outputs")
    x = ctx.tensor(node.input(0))
    offset = 0
    for value, size in zip(outputs, sizes, strict=True):
        starts = [0] * len(shape)
        starts[axis] = offset
        out = list(shape)
        out[axis] = size
        offset += size
        if value:
            part = Node(node.op_type, node.name, node.inputs, [value], node.attrs)
            _slice(ctx, part, x, starts, [1] * len(shape), tuple(out))


def _runs(indices: list[int]) -> list[tuple[int, int, int]]:
    """indices as (start, step, count) runs of arithmetic progressions, greedily from the left."""
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(indices):
        if i + 1 == len(indices):
            runs.append((indices[i], 1, 1))
            break
        step = indices[i + 1] - indices[i]
        j = i + 1
        while j + 1 < len(indices) and indices[j + 1] - indices[j] == step and step != 0:
            j += 1
        if step == 0:
            runs.append((indices[i], 1, 1))
            i += 1
            continue
        runs.append((indices[i], step, j - i + 1))
        i = j + 1
    return runs


def gather(ctx: Context, node: Node) -> None:
    """Gather of an activation with constant indices: one SLICE per arithmetic run of the
    (flattened) indices, a CONCAT when there are several, and a RESHAPE to the ONNX shape."""
    shape = ctx.shape(node.input(0))
    axis = node.axis(node.attr("axis", 0), len(shape))
    if not ctx.is_const(node.input(1)):
        raise node.unsupported("indices computed from the input: only constant indices are supported")
    raw = np.asarray(ctx.consts[node.input(1)])
    flat = [int(i) for i in raw.reshape(-1)]
    if any(not -shape[axis] <= i < shape[axis] for i in flat) or not flat:
        raise ConvertError(f"Gather node '{node.name}': indices {flat[:8]} are empty or out of range for "
                           f"dim {shape[axis]}")
    flat = [i % shape[axis] for i in flat]
    runs = _runs(flat)
    if len(runs) > _MAX_PIECES:
        raise node.unsupported(f"{len(flat)} scattered indices need {len(runs)} pieces; at most "
                               f"{_MAX_PIECES} are supported")
    final = shape[:axis] + raw.shape + shape[axis + 1:]
    gathered = shape[:axis] + (len(flat),) + shape[axis + 1:]
    x = ctx.tensor(node.input(0))
    reshape = final != gathered
    pieces = []
    for k, (start, step, count) in enumerate(runs):
        starts, steps = [0] * len(shape), [1] * len(shape)
        starts[axis], steps[axis] = start, step
        out = list(shape)
        out[axis] = count
        single = len(runs) == 1
        name = None if single and not reshape else f"{node.name}:piece{k}"
        pieces.append(_slice(ctx, node, x, starts, steps, tuple(out), output=name))
    if len(pieces) > 1:
        name = f"{node.name}:gathered" if reshape else None
        joined = ctx.emit(node, OpType.CONCAT, pieces, gathered, [axis], output=name).output
    else:
        joined = pieces[0]
    if reshape:
        ctx.emit(node, OpType.RESHAPE, [joined], final)


OPS = (
    OpSpec("Slice", slice_, {"starts", "ends", "axes"},
           notes="any axes, negative and out-of-range starts and ends, any steps; constant "
                 "starts/ends/axes/steps"),
    OpSpec("Split", split, {"axis", "split", "num_outputs"}, notes="any axis; sizes from the attribute or a "
           "constant input, equal parts, or num_outputs"),
    OpSpec("Gather", gather, {"axis"}, notes="any axis, constant indices of any shape (negative allowed)"),
)
