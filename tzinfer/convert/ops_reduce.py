"""Reductions (ReduceMean/Sum/Max/Min/L2/L1/Prod/LogSumExp/SumSquare/LogSum) over any axes, and
the normalisations LayerNormalization and InstanceNormalization (NORMALIZE, then the scale and
bias as in-place BINARY ops).

The REDUCE op keeps reduced dims as 1; keepdims=0 adds a RESHAPE, which the plan runs in place.
A ReduceMean over H and W of NCHW stays a GLOBAL_AVGPOOL (the faster kernel)."""

from __future__ import annotations

import numpy as np

from tzinfer.convert.context import Context, Node
from tzinfer.convert.errors import ConvertError
from tzinfer.convert.ops_elementwise import activation
from tzinfer.convert.registry import OpSpec
from tzinfer.tzm import Act, BinaryKind, OpType, ReduceKind

_KINDS = {"ReduceMean": ReduceKind.MEAN, "ReduceSum": ReduceKind.SUM, "ReduceMax": ReduceKind.MAX,
          "ReduceMin": ReduceKind.MIN, "ReduceL2": ReduceKind.L2, "ReduceProd": ReduceKind.PROD,
          "ReduceL1": ReduceKind.L1, "ReduceLogSumExp": ReduceKind.LOG_SUM_EXP,
          "ReduceSumSquare": ReduceKind.SUM_SQUARE, "ReduceLogSum": ReduceKind.LOG_SUM}


def _axes_from_input(ctx: Context, node: Node) -> bool:
    """ReduceSum takes axes as an input from opset 13, the other reductions from 18."""
    return ctx.opset >= (13 if node.op_type == "ReduceSum" else 18)


def reduce(ctx: Context, node: Node) -> None:
    from_input = _axes_from_input(ctx, node)
    shape = ctx.shape(node.input(0))
    if from_input:
        given = [int(a) for a in ctx.const(node, 1, "axes").reshape(-1)] if node.input(1) else []
    else:
        given = [int(a) for a in node.attr("axes", [])]
    keep = bool(node.attr("keepdims", 1))
    if not given and node.attr("noop_with_empty_axes", 0):  # a reduction of each element alone
        _reduce_nothing(ctx, node)
        return
    axes = sorted({node.axis(a, len(shape)) for a in given} if given else set(range(len(shape))))
    if len(axes) != len(given) and given:
        raise ConvertError(f"{node.op_type} node '{node.name}': repeated axes {given}")
    kept = tuple(1 if i in axes else d for i, d in enumerate(shape))
    final = kept if keep else tuple(d for i, d in enumerate(shape) if i not in axes)
    x = ctx.tensor(node.input(0))
    kind = _KINDS[node.op_type]
    if kind == ReduceKind.MEAN and len(shape) == 4 and axes == [2, 3]:  # a global average pool
        op, attrs = OpType.GLOBAL_AVGPOOL, []
    else:
        if len(shape) == 0:
            ctx.alias(node, node.outputs[0], node.input(0))
            return
        op, attrs = OpType.REDUCE, [kind, sum(1 << a for a in axes)]
    if final == kept:
        ctx.emit(node, op, [x], kept, attrs)
        return
    reduced = ctx.emit(node, op, [x], kept, attrs, output=f"{node.name}:reduced").output
    ctx.emit(node, OpType.RESHAPE, [reduced], final)


def _reduce_nothing(ctx: Context, node: Node) -> None:
    """A reduction over no axes (noop_with_empty_axes): each element reduced on its own, which is
    the element itself except for the reductions that transform it (as ONNX Runtime computes)."""
    kind = _KINDS[node.op_type]
    if kind == ReduceKind.SUM_SQUARE:
        x = ctx.tensor(node.input(0))
        ctx.emit(node, OpType.BINARY, [x, x], ctx.shape(node.input(0)), [BinaryKind.MUL])
    elif kind in (ReduceKind.L1, ReduceKind.L2):
        activation(ctx, node, Act.ABS)
    elif kind == ReduceKind.LOG_SUM:
        activation(ctx, node, Act.LOG)
    else:
        ctx.alias(node, node.outputs[0], node.input(0))


def _normalize(ctx: Context, node: Node, axis: int, epsilon: float, scale: str, bias: str,
               affine_shape: tuple[int, ...]) -> None:
    """NORMALIZE over dims [axis, rank), then y·scale + bias, both broadcast like affine_shape."""
    shape = ctx.shape(node.input(0))
    if not (epsilon >= 0 and np.isfinite(epsilon)):
        raise ConvertError(f"{node.op_type} node '{node.name}': epsilon {epsilon} must be >= 0")
    steps = [(k, v) for k, v in ((BinaryKind.MUL, scale), (BinaryKind.ADD, bias)) if v]
    y = ctx.emit(node, OpType.NORMALIZE, [ctx.tensor(node.input(0))], shape, [axis],
                 fattr=(0.0, 0.0, epsilon), output=f"{node.name}:normalized" if steps else None).output
    for i, (kind, value) in enumerate(steps):
        if ctx.is_const(value):
            data = ctx.consts[value].astype(np.float32)
            operand = ctx.graph.add_const(data.reshape(affine_shape) if data.size == np.prod(affine_shape)
                                          else data, f"{node.name}:{kind.name.lower()}")
        else:
            operand = ctx.tensor(value)
        if node.broadcast(shape, ctx.graph.shape(operand)) != shape:
            raise ConvertError(f"{node.op_type} node '{node.name}': {ctx.graph.shape(operand)} does not "
                               f"broadcast to {shape}")
        last = i == len(steps) - 1
        y = ctx.emit(node, OpType.BINARY, [y, operand], shape, [kind],
                     output=None if last else f"{node.name}:scaled").output


def layer_norm(ctx: Context, node: Node) -> None:
    if any(node.outputs[1:]):
        raise node.unsupported("the Mean and InvStdDev outputs (training) are not supported")
    shape = ctx.shape(node.input(0))
    axis = node.axis(node.attr("axis", -1), len(shape))
    _normalize(ctx, node, axis, float(node.attr("epsilon", 1e-5)), node.input(1), node.input(2), shape[axis:])


def instance_norm(ctx: Context, node: Node) -> None:
    shape = ctx.shape(node.input(0))
    if len(shape) < 3:
        raise ConvertError(f"InstanceNormalization node '{node.name}': input of rank {len(shape)}; needs "
                           "[N, C, spatial...]")
    per_channel = (shape[1],) + (1,) * (len(shape) - 2)
    _normalize(ctx, node, 2, float(node.attr("epsilon", 1e-5)), node.input(1), node.input(2), per_channel)


OPS = (
    *(OpSpec(op, reduce, {"axes", "keepdims", "noop_with_empty_axes"}, notes="any axes (attribute, or input "
             "from opset 13 for ReduceSum and 18 for the others), keepdims, noop_with_empty_axes")
      for op in _KINDS),
    OpSpec("LayerNormalization", layer_norm, {"axis", "epsilon", "stash_type"}, since=17,
           notes="any axis; not the Mean and InvStdDev outputs; the decomposed form exporters write before "
                 "opset 17 is recognised and fused"),
    OpSpec("InstanceNormalization", instance_norm, {"epsilon"}, notes="[N, C, spatial...]"),
)
