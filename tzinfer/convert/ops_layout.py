"""Layout and bookkeeping ops: Reshape/Flatten/Squeeze/Unsqueeze (RESHAPE), Transpose, Concat,
Pad, Softmax/LogSoftmax, and the ones that vanish at inference (Identity, Dropout)."""

from __future__ import annotations

import numpy as np

from tzinfer.convert.context import Context, Node
from tzinfer.convert.errors import ConvertError
from tzinfer.convert.registry import OpSpec
from tzinfer.tzm import MAX_DIMS, OpType


def _axes(node: Node, ctx: Context, input_index: int) -> list[int] | None:
    """Axes given as an attribute (older opsets) or as an optional constant input (newer)."""
    if node.input(input_index):
        return [int(a) for a in ctx.const(node, input_index, "axes").reshape(-1)]
    axes = node.attr("axes")
    return None if axes is None else [int(a) for a in axes]


def _reshape_to(ctx: Context, node: Node, shape: tuple[int, ...]) -> None:
    x = node.input(0)
    if len(shape) > MAX_DIMS:
        raise node.unsupported(f"result of rank {len(shape)}; at most {MAX_DIMS} dims are supported")
    if int(np.prod(shape)) != int(np.prod(ctx.shape(x))):
        raise ConvertError(f"{node.op_type} node '{node.name}': cannot reshape {ctx.shape(x)} to {shape}")
    if shape == ctx.shape(x):
        ctx.alias(node, node.outputs[0], x)
    else:
        ctx.emit(node, OpType.RESHAPE, [ctx.tensor(x)], shape)


def reshape(ctx: Context, node: Node) -> None:
    src = ctx.shape(node.input(0))
    target = [int(d) for d in ctx.const(node, 1, "shape").reshape(-1)]
    if not node.attr("allowzero", 0):  # 0 copies the input's dim at the same index
        if any(d == 0 and i >= len(src) for i, d in enumerate(target)):
            raise ConvertError(f"Reshape node '{node.name}': target {target} copies a dim the input {src} "
                               "does not have")
        target = [src[i] if d == 0 else d for i, d in enumerate(target)]
    if target.count(-1) > 1 or any(d < -1 or d == 0 for d in target):
        raise ConvertError(f"Reshape node '{node.name}': invalid target shape {target} for input {src}")
    if -1 in target:
        known = int(np.prod([d for d in target if d != -1]))
        target[target.index(-1)] = int(np.prod(src)) // known if known else 0
    _reshape_to(ctx, node, tuple(target))


def flatten(ctx: Context, node: Node) -> None:
    shape = ctx.shape(node.input(0))
    axis = node.axis(node.attr("axis", 1), len(shape) + 1)  # axis = rank is allowed: [N..., 1]
    _reshape_to(ctx, node, (int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))))


def squeeze(ctx: Context, node: Node) -> None:
    shape = ctx.shape(node.input(0))
    axes = _axes(node, ctx, 1)
    if axes is None:
        drop = {i for i, d in enumerate(shape) if d == 1}
    else:
        drop = {node.axis(a, len(shape)) for a in axes}
    if any(shape[a] != 1 for a in drop):
        raise ConvertError(f"Squeeze node '{node.name}': axes {axes} of {shape} are not all 1")
    _reshape_to(ctx, node, tuple(d for i, d in enumerate(shape) if i not in drop))


def unsqueeze(ctx: Context, node: Node) -> None:
    shape = list(ctx.shape(node.input(0)))
    axes = _axes(node, ctx, 1)
    if axes is None:
        raise ConvertError(f"Unsqueeze node '{node.name}': no axes given")
    rank = len(shape) + len(axes)
    for a in sorted(node.axis(a, rank) for a in axes):
        shape.insert(a, 1)
    _reshape_to(ctx, node, tuple(shape))


def transpose(ctx: Context, node: Node) -> None:
    """A transpose that only moves size-1 dims keeps the bytes in order: it becomes a reshape."""
    shape = ctx.shape(node.input(0))
    perm = [int(p) for p in node.attr("perm", list(range(len(shape)))[::-1])]
    if sorted(perm) != list(range(len(shape))):
        raise ConvertError(f"Transpose node '{node.name}': perm {perm} is not a permutation of "
                           f"{len(shape)} dims")
    out = tuple(shape[p] for p in perm)
    if [p for p in perm if shape[p] != 1] == [i for i, d in enumerate(shape) if d != 1]:
        _reshape_to(ctx, node, out)
        return
    ctx.emit(node, OpType.TRANSPOSE, [ctx.tensor(node.input(0))], out, perm)


def concat(ctx: Context, node: Node) -> None:
    shapes = [ctx.shape(v) for v in node.inputs]
    rank = len(shapes[0])
    axis = node.axis(node.attr("axis", 1), rank)

    def outside(s: tuple[int, ...]) -> tuple[int, ...]:
        return s[:axis] + s[axis + 1:]

    if any(len(s) != rank or outside(s) != outside(shapes[0]) for s in shapes):
        raise ConvertError(f"Concat node '{node.name}': input shapes {shapes} do not match outside "
                           f"axis {axis}")
    parts = [i for i, s in enumerate(shapes) if s[axis] > 0]  # ONNX allows empty inputs; they add nothing
    out = list(shapes[0])
    out[axis] = sum(shapes[i][axis] for i in parts)
    if len(parts) == 1 and not ctx.is_const(node.inputs[parts[0]]):
        ctx.alias(node, node.outputs[0], node.inputs[parts[0]])
        return
    ctx.emit(node, OpType.CONCAT, [ctx.operand(node, i) for i in parts], tuple(out), [axis])


def pad(ctx: Context, node: Node) -> None:
    """Pad in constant, reflect or edge mode; pads and value are attributes before opset 11 and
    inputs from 11 on (axes from 18). Negative pads crop: a SLICE first."""
    mode = node.attr("mode", "constant")
    op_type = {"constant": OpType.PAD, "edge": OpType.PAD_EDGE, "reflect": OpType.PAD_REFLECT}.get(mode)
    if op_type is None:
        raise node.unsupported(f"mode={mode!r}: only constant, reflect and edge padding are supported")
    shape = ctx.shape(node.input(0))
    rank = len(shape)
    if ctx.opset >= 11:
        pads = [int(p) for p in ctx.const(node, 1, "pads").reshape(-1)]
        value = float(ctx.const(node, 2, "constant_value").reshape(-1)[0]) if node.input(2) else 0.0
        axes = list(range(rank))
        if node.input(3):
            axes = [node.axis(a, rank) for a in ctx.const(node, 3, "axes").reshape(-1)]
    else:
        pads, value = [int(p) for p in node.required("pads")], float(node.attr("value", 0.0))
        axes = list(range(rank))
    if len(pads) != 2 * len(axes):
        raise ConvertError(f"Pad node '{node.name}': {len(pads)} pads for {len(axes)} axes")
    if rank > MAX_DIMS:
        raise node.unsupported(f"input of rank {rank}; at most {MAX_DIMS} dims are supported")
    begin, end = [0] * MAX_DIMS, [0] * MAX_DIMS
    for i, a in enumerate(axes):
        begin[a], end[a] = pads[i], pads[i + len(axes)]
    x = ctx.tensor(node.input(0))
    if min(begin + end) < 0:  # crop first, then pad what is positive
        kept = tuple(d + min(begin[i], 0) + min(end[i], 0) for i, d in enumerate(shape))
        if min(kept, default=1) < 1:
            raise ConvertError(f"Pad node '{node.name}': pads {pads} crop {shape} to nothing")
        starts = [-min(b, 0) for b in begin]
        x = ctx.emit(node, OpType.SLICE, [x], kept, [*starts, *[1] * rank, *[0] * (MAX_DIMS - rank)],
                     output=f"{node.name}:cropped").output
        shape, begin, end = kept, [max(b, 0) for b in begin], [max(e, 0) for e in end]
        if not any(begin + end):
            ctx.bind(node.outputs[0], x)
            return
    if not any(begin + end):
        ctx.alias(node, node.outputs[0], node.input(0))
        return
    if op_type == OpType.PAD_REFLECT and any(max(begin[i], end[i]) >= d for i, d in enumerate(shape)):
        raise node.unsupported(f"reflect pads {pads} reach past the edge of {shape}; pads must be below "
                               "the padded dims")
    out = tuple(d + begin[i] + end[i] for i, d in enumerate(shape))
    fattr = (0.0, 0.0, value) if op_type == OpType.PAD else ()
    ctx.emit(node, op_type, [x], out, begin + end, fattr=fattr)


def softmax(ctx: Context, node: Node) -> None:
    """Softmax and LogSoftmax. Before opset 13 they flatten to 2-D at `axis` (default 1) and
    normalise the trailing block; that is a single-axis softmax only when axis is the last dim, so
    other axes go through a reshape. From 13 on it is single-axis (default -1)."""
    x = node.input(0)
    shape = ctx.shape(x)
    log = int(node.op_type == "LogSoftmax")
    axis = node.axis(node.attr("axis", 1 if ctx.opset < 13 else -1), len(shape))
    if ctx.opset >= 13 or axis == len(shape) - 1:
        ctx.emit(node, OpType.SOFTMAX, [ctx.tensor(x)], shape, [axis, log])
        return
    flat = (int(np.prod(shape[:axis])), int(np.prod(shape[axis:])))
    rows = ctx.emit(node, OpType.RESHAPE, [ctx.tensor(x)], flat, output=f"{node.name}:rows").output
    soft = ctx.emit(node, OpType.SOFTMAX, [rows], flat, [1, log], output=f"{node.name}:softmax").output
    ctx.emit(node, OpType.RESHAPE, [soft], shape)


def identity(ctx: Context, node: Node) -> None:
    ctx.alias(node, node.outputs[0], node.input(0))


def dropout(ctx: Context, node: Node) -> None:
    """Inference-mode Dropout is the identity."""
    if node.input(2) and bool(ctx.const(node, 2, "training_mode").reshape(-1)[0]):
        raise node.unsupported("training_mode=true is not supported")
    if len(node.outputs) > 1 and node.outputs[1]:
        raise node.unsupported("the mask output is not supported")
    ctx.alias(node, node.outputs[0], node.input(0))


OPS = (
    OpSpec("Reshape", reshape, {"allowzero"}, notes="constant target shape"),
    OpSpec("Flatten", flatten, {"axis"}, notes="any axis"),
    OpSpec("Squeeze", squeeze, {"axes"}, notes="constant axes"),
    OpSpec("Unsqueeze", unsqueeze, {"axes"}, notes="constant axes"),
    OpSpec("Transpose", transpose, {"perm"}, notes="up to 6 dims; moving only size-1 dims is a reshape"),
    OpSpec("Concat", concat, {"axis"}, notes="any axis; constant operands allowed"),
    OpSpec("Pad", pad, {"mode", "pads", "value"},
           notes="modes constant, edge and reflect (wrap refused); constant pads and axes; negative pads "
                 "crop"),
    OpSpec("Softmax", softmax, {"axis"}, notes="any axis (opset < 13 semantics are rewritten)"),
    OpSpec("LogSoftmax", softmax, {"axis"}, notes="any axis (opset < 13 semantics are rewritten)"),
    OpSpec("Identity", identity, notes="vanishes"),
    OpSpec("Dropout", dropout, {"ratio", "seed"}, notes="inference mode, no mask output; vanishes"),
)
