"""Element-wise ops: broadcasting Add/Sub/Mul/Div/PRelu (BINARY) and the activations, which are
fused into the op producing their input when possible and become a UNARY op otherwise."""

from __future__ import annotations

import numpy as np

from tzinfer.convert import affine
from tzinfer.convert.context import Context, Handler, Node
from tzinfer.convert.errors import ConvertError
from tzinfer.convert.registry import OpSpec
from tzinfer.tzm import ACT_OPS, Act, BinaryKind, OpType

_KINDS = {"Add": BinaryKind.ADD, "Sub": BinaryKind.SUB, "Mul": BinaryKind.MUL, "Div": BinaryKind.DIV}
#: Largest finite float32: stands for an absent Clip bound.
_FLOAT_MAX = float(np.finfo(np.float32).max)


def _affine_form(kind: BinaryKind, const: np.ndarray,
                 const_first: bool) -> tuple[np.ndarray | float, ...] | None:
    """(scale, shift) such that the op computes scale * x + shift, for x the non-constant input."""
    if kind == BinaryKind.ADD:
        return 1.0, const
    if kind == BinaryKind.MUL:
        return const, 0.0
    if kind == BinaryKind.SUB:
        return (-1.0, const) if const_first else (1.0, -const)
    return None


def _hard_swish(ctx: Context, node: Node) -> bool:
    """x * HardSigmoid(x) with alpha 1/6 and beta 1/2 is HardSwish, as exporters write it before
    opset 14: the product becomes the activation of x's producer, or of the gate's UNARY op."""
    for gate_index in (0, 1):
        gate, x = node.input(gate_index), node.input(1 - gate_index)
        unary = ctx.fusable_producer(gate)
        if (unary is None or unary.type != OpType.UNARY or unary.act != Act.HARD_SIGMOID or ctx.is_const(x)
                or unary.inputs != [ctx.tensor(x)] or not np.isclose(unary.fattr[0], 1 / 6, rtol=1e-6)
                or unary.fattr[1] != 0.5):
            continue
        producer = ctx.fusable_producer(x, readers=2)  # read by the gate and by this Mul only
        if producer is not None and producer.type in ACT_OPS and producer.act == Act.NONE:
            producer.act = Act.HARD_SWISH  # the gate op is left without readers and pruned
            ctx.alias(node, node.outputs[0], x)
            ctx.dropped_read(x)
        else:
            unary.act, unary.fattr[0], unary.fattr[1] = Act.HARD_SWISH, 0.0, 0.0
            ctx.alias(node, node.outputs[0], gate)
        return True
    return False


def binary(ctx: Context, node: Node) -> None:
    kind = _KINDS[node.op_type]
    if kind == BinaryKind.MUL and _hard_swish(ctx, node):
        return
    a, b = node.input(0), node.input(1)
    shape = node.broadcast(ctx.shape(a), ctx.shape(b))
    if ctx.is_const(a) != ctx.is_const(b):
        const_first = ctx.is_const(a)
        x, const = (b, ctx.consts[a]) if const_first else (a, ctx.consts[b])
        form = _affine_form(kind, const.astype(np.float64), const_first)
        if form is not None and shape == ctx.shape(x) and affine.try_fold(ctx, node, x, *form):
            return
    ctx.emit(node, OpType.BINARY, [ctx.operand(node, 0), ctx.operand(node, 1)], shape, [kind])


def prelu(ctx: Context, node: Node) -> None:
    shape = ctx.shape(node.input(0))
    if node.broadcast(shape, ctx.shape(node.input(1))) != shape:
        raise ConvertError(f"PRelu node '{node.name}': slope {ctx.shape(node.input(1))} does not broadcast "
                           f"to the input {shape}")
    ctx.emit(node, OpType.BINARY, [ctx.operand(node, 0), ctx.operand(node, 1)], shape, [BinaryKind.PRELU])


def activation(ctx: Context, node: Node, act: Act, f0: float = 0.0, f1: float = 0.0) -> None:
    """Apply act to node's input: fused into its producer when possible, else a UNARY op."""
    x = node.input(0)
    producer = ctx.fusable_producer(x)
    if producer is not None and producer.type == OpType.RESHAPE:  # element-wise: it commutes
        inner = ctx.graph.producer(producer.inputs[0])
        if inner is not None and ctx.readers(inner.output) == 1:
            producer = inner
    if producer is not None and producer.type in ACT_OPS and producer.act == Act.NONE:
        producer.act, producer.fattr[0], producer.fattr[1] = act, f0, f1
        ctx.alias(node, node.outputs[0], x)
        return
    ctx.emit(node, OpType.UNARY, [ctx.tensor(x)], ctx.shape(x), act=act, fattr=(f0, f1))


def clip(ctx: Context, node: Node) -> None:
    """Clip's bounds are attributes before opset 11 and optional constant inputs from 11 on."""
    if ctx.opset < 11:
        low, high = float(node.attr("min", -_FLOAT_MAX)), float(node.attr("max", _FLOAT_MAX))
    else:
        low = float(ctx.const(node, 1, "min").reshape(-1)[0]) if node.input(1) else -_FLOAT_MAX
        high = float(ctx.const(node, 2, "max").reshape(-1)[0]) if node.input(2) else _FLOAT_MAX
    low, high = max(low, -_FLOAT_MAX), min(high, _FLOAT_MAX)
    if low == 0.0 and high == _FLOAT_MAX:
        activation(ctx, node, Act.RELU)
    else:
        activation(ctx, node, Act.CLIP, low, high)


def leaky_relu(ctx: Context, node: Node) -> None:
    activation(ctx, node, Act.LEAKY_RELU, float(node.attr("alpha", 0.01)))


def hard_sigmoid(ctx: Context, node: Node) -> None:
    activation(ctx, node, Act.HARD_SIGMOID, float(node.attr("alpha", 0.2)), float(node.attr("beta", 0.5)))


def _simple(act: Act) -> Handler:
    """The handler of an activation without attributes."""
    def handler(ctx: Context, node: Node) -> None:
        activation(ctx, node, act)
    return handler


_FUSED = ("fused into the producing Conv/ConvTranspose/Gemm/MatMul/binary op (also through a reshape) when "
          "nothing else reads its input")
OPS = (
    *(OpSpec(op, binary, notes="numpy broadcasting; a per-channel constant after a Conv/Gemm is folded "
             "into it") for op in _KINDS),
    OpSpec("PRelu", prelu, notes="slope broadcasting to the input"),
    OpSpec("Relu", _simple(Act.RELU), notes=_FUSED),
    OpSpec("Clip", clip, {"min", "max"}, notes=f"constant bounds; {_FUSED}"),
    OpSpec("LeakyRelu", leaky_relu, {"alpha"}, notes=_FUSED),
    OpSpec("HardSigmoid", hard_sigmoid, {"alpha", "beta"},
           notes=f"x * HardSigmoid(x) becomes HardSwish; {_FUSED}"),
    OpSpec("Sigmoid", _simple(Act.SIGMOID), notes=_FUSED),
    OpSpec("HardSwish", _simple(Act.HARD_SWISH), since=14, notes=_FUSED),
    OpSpec("Tanh", _simple(Act.TANH), notes=_FUSED),
)
