"""Element-wise math beyond the fused activations: Exp, Log, Sqrt, Abs, Neg, Reciprocal, Erf, Gelu,
Softplus, Mish (UNARY activations), Pow, variadic Max/Min/Sum/Mean, the comparisons and logic ops
(BINARY kinds), Not, Where, and Cast.

Booleans are stored as float 0.0 / 1.0 (the format has one dtype). Comparisons and And/Or/Xor/Not
write exactly 0 or 1, Where treats any nonzero condition as true, Cast to bool writes x != 0, and
Cast from bool to float (or to an integer type, whose 0/1 values floats hold exactly) is free. A
Cast of a float activation to an integer type is refused: integer activations are not supported."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from tzinfer.convert.context import Context, Handler, Node
from tzinfer.convert.errors import ConvertError
from tzinfer.convert.ops_elementwise import activation
from tzinfer.convert.registry import OpSpec
from tzinfer.tzm import Act, BinaryKind, OpType

_UNARY = {"Exp": Act.EXP, "Log": Act.LOG, "Sqrt": Act.SQRT, "Abs": Act.ABS, "Neg": Act.NEG,
          "Reciprocal": Act.RECIPROCAL, "Erf": Act.ERF, "Softplus": Act.SOFTPLUS, "Mish": Act.MISH}
_COMPARE = {"Equal": BinaryKind.EQUAL, "Less": BinaryKind.LESS, "LessOrEqual": BinaryKind.LESS_EQUAL,
            "Greater": BinaryKind.GREATER, "GreaterOrEqual": BinaryKind.GREATER_EQUAL,
            "And": BinaryKind.AND, "Or": BinaryKind.OR, "Xor": BinaryKind.XOR}
_INTEGER_TYPES = {getattr(onnx.TensorProto, t) for t in ("INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16",
                                                         "UINT32", "UINT64")}


def _unary(act: Act) -> Handler:
    def handler(ctx: Context, node: Node) -> None:
        activation(ctx, node, act)
    return handler


def gelu(ctx: Context, node: Node) -> None:
    """Gelu (opset 20): the exact form with erf, or approximate="tanh"."""
    approximate = node.attr("approximate", "none")
    if approximate not in ("none", "tanh"):
        raise ConvertError(f"Gelu node '{node.name}': approximate={approximate!r} is not 'none' or 'tanh'")
    activation(ctx, node, Act.GELU if approximate == "none" else Act.GELU_TANH)


def _binary(ctx: Context, node: Node, kind: BinaryKind, a: int = 0, b: int = 1,
            output: str | None = None) -> str:
    shape = node.broadcast(ctx.shape(node.input(a)), ctx.shape(node.input(b)))
    return ctx.emit(node, OpType.BINARY, [ctx.operand(node, a), ctx.operand(node, b)], shape, [kind],
                    output=output).output


def compare(ctx: Context, node: Node) -> None:
    _binary(ctx, node, _COMPARE[node.op_type])
    ctx.booleans.add(node.outputs[0])


def not_(ctx: Context, node: Node) -> None:
    activation(ctx, node, Act.NOT)
    ctx.booleans.add(node.outputs[0])


_VARIADIC = {"Max": BinaryKind.MAX, "Min": BinaryKind.MIN, "Sum": BinaryKind.ADD, "Mean": BinaryKind.ADD}


def variadic(ctx: Context, node: Node) -> None:
    """Max, Min, Sum and Mean of any number of broadcast inputs: a chain of BINARY ops (Mean then
    scales by 1/n)."""
    kind = _VARIADIC[node.op_type]
    count = len(node.inputs)
    if count == 1:
        ctx.alias(node, node.outputs[0], node.input(0))
        return
    acc, acc_shape = ctx.operand(node, 0), ctx.shape(node.input(0))
    for i in range(1, count):
        acc_shape = node.broadcast(acc_shape, ctx.shape(node.input(i)))
        last = i == count - 1 and node.op_type != "Mean"
        acc = ctx.emit(node, OpType.BINARY, [acc, ctx.operand(node, i)], acc_shape, [kind],
                       output=None if last else f"{node.name}:{i}").output
    if node.op_type == "Mean":
        inverse = ctx.graph.add_const(np.array(1.0 / count, np.float32), f"{node.name}:1/n")
        ctx.emit(node, OpType.BINARY, [acc, inverse], acc_shape, [BinaryKind.MUL])


def power(ctx: Context, node: Node) -> None:
    """Pow. A constant scalar exponent becomes what exporters mean by it: 1 the identity, 2 a
    product x·x (LayerNorm's variance), 0.5 Sqrt, -1 Reciprocal; any other exponent is a BINARY POW
    (repeated squaring for integers, e^(y ln x) otherwise)."""
    base, exponent = node.input(0), node.input(1)
    if ctx.is_const(exponent) and ctx.consts[exponent].size == 1 and not ctx.is_const(base):
        e = float(ctx.consts[exponent].reshape(-1)[0])
        shape = node.broadcast(ctx.shape(base), ctx.consts[exponent].shape)
        if shape == ctx.shape(base):
            if e == 1.0:
                ctx.alias(node, node.outputs[0], base)
                return
            if e == 2.0:
                x = ctx.tensor(base)
                ctx.emit(node, OpType.BINARY, [x, x], shape, [BinaryKind.MUL])
                return
            if e in (0.5, -1.0):
                activation(ctx, node, Act.SQRT if e == 0.5 else Act.RECIPROCAL)
                return
    _binary(ctx, node, BinaryKind.POW)


def where(ctx: Context, node: Node) -> None:
    shape = node.broadcast(*(ctx.shape(v) for v in node.inputs[:3]))
    ctx.emit(node, OpType.WHERE, [ctx.operand(node, i) for i in range(3)], shape)


def cast(ctx: Context, node: Node) -> None:
    """Cast (and CastLike, whose target is its second input's type) of an activation."""
    x = node.input(0)
    if node.op_type == "Cast":
        to = node.attr("to")
    elif ctx.is_const(node.input(1)):
        to = helper.np_dtype_to_tensor_dtype(ctx.consts[node.input(1)].dtype)
    else:
        to = onnx.TensorProto.BOOL if node.input(1) in ctx.booleans else onnx.TensorProto.FLOAT
    boolean = x in ctx.booleans
    if to == onnx.TensorProto.BOOL:
        if boolean:
            ctx.alias(node, node.outputs[0], x)
        else:
            activation(ctx, node, Act.NONZERO)
        ctx.booleans.add(node.outputs[0])
        return
    if to in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE) or (boolean and to in _INTEGER_TYPES):
        ctx.alias(node, node.outputs[0], x)
        if boolean and to in _INTEGER_TYPES:
            ctx.booleans.add(node.outputs[0])
        return
    name = onnx.TensorProto.DataType.Name(to) if to in onnx.TensorProto.DataType.values() else str(to)
    raise node.unsupported(f"cast of a float activation to {name}; only float32 (and boolean 0/1) "
                           "activations are supported")


_UNARY_SINCE = {"Erf": 9, "Mish": 18}
_COMPARE_SINCE = {"LessOrEqual": 12, "GreaterOrEqual": 12}
_BOOL = "booleans are stored as float 0/1 (docs/model-format.md)"
OPS = (
    *(OpSpec(op, _unary(act), since=_UNARY_SINCE.get(op, 7), notes="element-wise (tinylibm); fused into the "
             "producing op when it can be") for op, act in _UNARY.items()),
    OpSpec("Gelu", gelu, {"approximate"}, since=20, notes="exact (erf) and tanh forms; the decomposed form "
           "exporters write before opset 20 is recognised and fused"),
    *(OpSpec(op, compare, since=_COMPARE_SINCE.get(op, 7), notes=f"numpy broadcasting; {_BOOL}")
      for op in _COMPARE),
    OpSpec("Not", not_, notes=_BOOL),
    *(OpSpec(op, variadic, notes="any number of inputs, numpy broadcasting") for op in _VARIADIC),
    OpSpec("Pow", power, notes="numpy broadcasting; constant exponents 1, 2, 0.5, -1 become x, x*x, Sqrt, "
           "Reciprocal"),
    OpSpec("Where", where, since=9, notes=f"numpy broadcasting; {_BOOL}"),
    OpSpec("Cast", cast, {"to", "saturate"}, notes=f"to float (vanishes) or bool (x != 0); {_BOOL}; to an "
           "integer type only from a boolean"),
    OpSpec("CastLike", cast, {"saturate"}, since=15, notes="as Cast"),
)
