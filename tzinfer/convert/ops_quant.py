"""Statically quantised models (onnxruntime.quantization.quantize_static): QuantizeLinear and
DequantizeLinear at the edges of the int8 part, and the QLinear ops, which QDQ groups become first
(qdq.py). Activations are quantised per tensor (uint8 or int8), weights int8 per tensor or per
output channel with zero points of 0 (quantize_static's default symmetric weights), biases int32.

The engine requantises a QCONV/QGEMM output with one float multiplier per output channel,
x_scale * w_scale / y_scale, computed here in float32 in ONNX Runtime's order so that both round
the same values."""

from __future__ import annotations

import numpy as np

from tzinfer.convert import spatial
from tzinfer.convert.context import Context, Node, QConst
from tzinfer.convert.errors import ConvertError
from tzinfer.convert.graph import Quant
from tzinfer.convert.ops_linear import conv_group
from tzinfer.convert.registry import OpSpec
from tzinfer.tzm import DType, OpType

_DTYPES = {np.dtype(np.uint8): DType.U8, np.dtype(np.int8): DType.I8}
_PER_TENSOR_FIX = "quantize activations per tensor (quantize_static does unless told otherwise)"


def _quant(ctx: Context, node: Node, scale_i: int, zp_i: int) -> Quant:
    """The per-tensor quantisation of an activation given by node's inputs scale_i and zp_i."""
    scale = ctx.const(node, scale_i, "the scale")
    zp = ctx.const(node, zp_i, "the zero point") if node.input(zp_i) else np.zeros((), np.uint8)
    if zp.dtype not in _DTYPES:
        raise node.unsupported(f"{zp.dtype} quantisation; tzinfer's quantised tensors are uint8 or int8",
                               "quantize with activation_type QUInt8 or QInt8")
    if scale.size != 1 or zp.size != 1:
        raise node.unsupported("an activation quantised per channel", _PER_TENSOR_FIX)
    s = np.float32(scale.reshape(-1)[0])
    if not (np.isfinite(s) and s > 0):
        raise ConvertError(f"{node.op_type} node '{node.name}': scale {s} is not finite and positive")
    return Quant(_DTYPES[zp.dtype], float(s), int(zp.reshape(-1)[0]))


def _quantised_input(ctx: Context, node: Node, i: int, scale_i: int, zp_i: int) -> str:
    """Input i, a quantised activation whose scale and zero point are the node's."""
    value = node.input(i)
    if ctx.is_const(value):
        raise node.unsupported(f"input {i} ('{value}') is a constant; tzinfer quantises activations "
                               "only here")
    tensor = ctx.tensor(value)
    have, want = ctx.graph.tensors[tensor].quant, _quant(ctx, node, scale_i, zp_i)
    if have != want:
        raise node.unsupported(f"input '{value}' is {have or 'float'}, the node reads it as {want}",
                               "quantize the model with quantize_static, which gives every reader of a "
                               "tensor its producer's scale and zero point")
    return tensor


def _weights(ctx: Context, node: Node, w_i: int, channels_axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Constant int8 weights (input w_i, scale w_i+1, zero point w_i+2) and one float32 scale per
    output channel (along channels_axis)."""
    w = ctx.const(node, w_i, "the weights")
    scale = ctx.const(node, w_i + 1, "the weight scale").astype(np.float32).reshape(-1)
    zp = ctx.const(node, w_i + 2, "the weight zero point") if node.input(w_i + 2) else np.zeros(1, np.int8)
    if w.dtype != np.int8:
        raise node.unsupported(f"{w.dtype} weights; tzinfer takes int8 weights",
                               "quantize with weight_type=QuantType.QInt8 (quantize_static's default)")
    if np.any(zp != 0):
        raise node.unsupported("weights with a nonzero zero point", "quantize weights symmetrically "
                               "(quantize_static's default for QInt8 weights)")
    channels = w.shape[channels_axis]
    if scale.size not in (1, channels):
        raise node.unsupported(f"{scale.size} weight scales for {channels} output channels",
                               "quantize weights per tensor or per output channel (per_channel=True)")
    return w, np.broadcast_to(scale, (channels,)).astype(np.float32)


def _multipliers(x: Quant, w_scale: np.ndarray, y: Quant) -> np.ndarray:
    """x_scale * w_scale / y_scale in float32, in ONNX Runtime's order of operations."""
    return (np.float32(x.scale) * w_scale) / np.float32(y.scale)


def _bias(ctx: Context, node: Node, i: int, channels: int) -> np.ndarray | None:
    if not node.input(i):
        return None
    bias = ctx.const(node, i, "the bias")
    if bias.dtype != np.int32 or bias.size not in (1, channels):
        raise node.unsupported(f"a {bias.dtype} bias of {bias.size} values; QLinear biases are int32, "
                               "one per output channel")
    return np.broadcast_to(bias.reshape(-1), (channels,)).astype(np.int32)


def _emit_linear(ctx: Context, node: Node, op_type: OpType, x: str, w: np.ndarray, mult: np.ndarray,
                 bias: np.ndarray | None, shape: tuple[int, ...], y: Quant,
                 iattr: list[int] | None = None) -> None:
    g = ctx.graph
    inputs = [x, g.add_const(w, f"{node.name}:weights"), g.add_const(mult, f"{node.name}:multipliers")]
    if bias is not None:
        inputs.append(g.add_const(bias, f"{node.name}:bias"))
    ctx.emit(node, op_type, inputs, shape, iattr or (), quant=y)


def qlinear_conv(ctx: Context, node: Node) -> None:
    """QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B)."""
    x = _quantised_input(ctx, node, 0, 1, 2)
    x_shape = ctx.graph.shape(x)
    w, w_scale = _weights(ctx, node, 3, 0)
    group = conv_group(node, x_shape, w.shape)
    n, _, h, wd = x_shape
    m, _, kh, kw = w.shape
    win = spatial.resolve(node, (h, wd), (kh, kw), dilated=True)
    y = _quant(ctx, node, 6, 7)
    mult = _multipliers(ctx.graph.tensors[x].quant, w_scale, y)  # type: ignore[arg-type]
    _emit_linear(ctx, node, OpType.QCONV, x, w, mult, _bias(ctx, node, 8, m), (n, m, win.oh, win.ow), y,
                 [*win.iattr(), group, win.dh, win.dw])


def _matmul_like(ctx: Context, node: Node, a_i: int, b_i: int, bias_i: int | None, y_i: int,
                 trans_b: bool) -> None:
    x = _quantised_input(ctx, node, a_i, a_i + 1, a_i + 2)
    if len(ctx.graph.shape(x)) != 2:
        raise node.unsupported("a left operand that is not 2-D",
                               "quantize models whose MatMul/Gemm inputs are 2-D (e.g. after Flatten)")
    w, w_scale = _weights(ctx, node, b_i, 0 if trans_b else 1)
    if w.ndim != 2:
        raise node.unsupported("a right operand that is not 2-D")
    if trans_b:
        w = np.ascontiguousarray(w.T)
    rows, depth = ctx.graph.shape(x)
    if w.shape[0] != depth:
        raise ConvertError(f"{node.op_type} node '{node.name}': operands {ctx.graph.shape(x)} and "
                           f"{w.shape} do not multiply")
    y = _quant(ctx, node, y_i, y_i + 1)
    mult = _multipliers(ctx.graph.tensors[x].quant, w_scale, y)  # type: ignore[arg-type]
    bias = _bias(ctx, node, bias_i, w.shape[1]) if bias_i is not None else None
    _emit_linear(ctx, node, OpType.QGEMM, x, w, mult, bias, (rows, w.shape[1]), y)


def qlinear_matmul(ctx: Context, node: Node) -> None:
    """QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp) with constant b."""
    _matmul_like(ctx, node, 0, 3, None, 6, trans_b=False)


def qgemm(ctx: Context, node: Node) -> None:
    """onnxruntime's QGemm(A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp)."""
    if node.attr("transA", 0) or float(node.attr("alpha", 1.0)) != 1.0:
        raise node.unsupported("transA=1 or alpha != 1",
                               "quantize a Gemm with alpha 1 over an untransposed A")
    if not node.input(7):
        raise node.unsupported("a float output (no y_scale)", "quantize the Gemm's output too")
    _matmul_like(ctx, node, 0, 3, 6, 7, trans_b=bool(node.attr("transB", 0)))


def qlinear_add(ctx: Context, node: Node) -> None:
    """onnxruntime's QLinearAdd(A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp), same shapes."""
    a, b = _quantised_input(ctx, node, 0, 1, 2), _quantised_input(ctx, node, 3, 4, 5)
    y = _quant(ctx, node, 6, 7)
    a_quant = ctx.graph.tensors[a].quant
    if ctx.graph.shape(a) != ctx.graph.shape(b) or a_quant is None or a_quant.dtype != y.dtype:
        raise node.unsupported("operands of different shapes or types (broadcasting)",
                               "quantize in QDQ format, where a broadcasting Add runs in float")
    ctx.emit(node, OpType.QADD, [a, b], ctx.graph.shape(a), quant=y)


def qlinear_concat(ctx: Context, node: Node) -> None:
    """onnxruntime's QLinearConcat(Y_scale, Y_zp, X0, X0_scale, X0_zp, ...): CONCAT of the
    quantised inputs, each requantised to the output's scale and zero point by the engine."""
    y = _quant(ctx, node, 0, 1)
    if (len(node.inputs) - 2) % 3 or len(node.inputs) < 5:
        raise ConvertError(f"QLinearConcat node '{node.name}': inputs must be Y_scale, Y_zero_point and "
                           "(X, X_scale, X_zero_point) triples")
    xs = [_quantised_input(ctx, node, i, i + 1, i + 2) for i in range(2, len(node.inputs), 3)]
    if any(ctx.graph.tensors[x].quant.dtype != y.dtype for x in xs):  # type: ignore[union-attr]
        raise node.unsupported("inputs of another type than the output's")
    shapes = [ctx.graph.shape(x) for x in xs]
    if node.attr("axis") is None:
        raise ConvertError(f"QLinearConcat node '{node.name}' has no axis attribute (it is required)")
    rank = len(shapes[0])
    axis = node.axis(node.attr("axis"), rank)

    def outside(s: tuple[int, ...]) -> tuple[int, ...]:
        return s[:axis] + s[axis + 1:]

    if any(len(s) != rank or outside(s) != outside(shapes[0]) for s in shapes):
        raise ConvertError(f"QLinearConcat node '{node.name}': input shapes {shapes} do not match outside "
                           f"axis {axis}")
    out = list(shapes[0])
    out[axis] = sum(s[axis] for s in shapes)
    ctx.emit(node, OpType.CONCAT, xs, tuple(out), [axis], quant=y)


def qlinear_global_average_pool(ctx: Context, node: Node) -> None:
    """onnxruntime's QLinearGlobalAveragePool(X, x_scale, x_zp, y_scale, y_zp), NCHW."""
    if node.attr("channels_last", 0):
        raise node.unsupported("channels_last=1", "tzinfer runs NCHW models")
    x = _quantised_input(ctx, node, 0, 1, 2)
    shape = ctx.graph.shape(x)
    if len(shape) != 4:
        raise node.unsupported(f"an input of rank {len(shape)}; only 4-D NCHW is supported")
    y = _quant(ctx, node, 3, 4)
    if y.dtype != ctx.graph.tensors[x].quant.dtype:  # type: ignore[union-attr]
        raise node.unsupported("an output type other than the input's")
    ctx.emit(node, OpType.QGLOBAL_AVGPOOL, [x], (shape[0], shape[1], 1, 1), quant=y)


def quantize_linear(ctx: Context, node: Node) -> None:
    """QuantizeLinear(x, y_scale, y_zero_point) of a float activation (or of a constant, folded)."""
    value = node.input(0)
    if ctx.is_const(value):  # a quantised constant, dequantised again by a DequantizeLinear
        scale, zp = ctx.const(node, 1, "the scale"), ctx.const(node, 2, "the zero point")
        info = np.iinfo(zp.dtype)
        axis_shape = _axis_shape(node, ctx.consts[value].ndim, scale.size)
        q = np.rint(ctx.consts[value] / scale.reshape(axis_shape)) + zp.reshape(axis_shape).astype(np.float32)
        ctx.set_const(node.outputs[0], np.clip(q, info.min, info.max).astype(zp.dtype))
        return
    y = _quant(ctx, node, 1, 2)
    ctx.emit(node, OpType.QUANTIZE, [ctx.tensor(value)], ctx.shape(value), quant=y)


def _axis_shape(node: Node, rank: int, size: int) -> tuple[int, ...]:
    """The shape that broadcasts a per-axis scale of `size` values along the node's axis."""
    if size == 1:
        return ()
    axis = node.axis(node.attr("axis", 1), rank)
    return tuple(size if d == axis else 1 for d in range(rank))


def dequantize_linear(ctx: Context, node: Node) -> None:
    """DequantizeLinear(x, x_scale, x_zero_point): of constants (weights, biases) a float constant,
    whose integers the QLinear ops read; of a quantised activation a DEQUANTIZE op."""
    value = node.input(0)
    if ctx.is_const(value):
        data = ctx.consts[value]
        scale = ctx.const(node, 1, "the scale").astype(np.float32)
        zp = ctx.const(node, 2, "the zero point") if node.input(2) else np.zeros((), data.dtype)
        shape = _axis_shape(node, data.ndim, scale.size)
        centred = data.astype(np.int64) - zp.reshape(shape).astype(np.int64)
        real = centred.astype(np.float32) * scale.reshape(shape)
        ctx.set_const(node.outputs[0], real.astype(np.float32))
        ctx.qconsts[node.outputs[0]] = QConst(data, scale, zp, int(node.attr("axis", 1)))
        return
    x = _quantised_input(ctx, node, 0, 1, 2)
    ctx.emit(node, OpType.DEQUANTIZE, [x], ctx.graph.shape(x))


_QDQ_NOTE = ("QDQ groups around Conv/Gemm/MatMul/Add/GlobalAveragePool/Concat become the QLinear op, and "
             "around MaxPool, nearest Resize and layout ops of one scale the op on the integers (qdq.py)")
OPS = (
    OpSpec("QuantizeLinear", quantize_linear, {"axis", "saturate"}, since=10,
           notes="float32 to uint8/int8, per tensor; of a constant, folded"),
    OpSpec("DequantizeLinear", dequantize_linear, {"axis"}, since=10,
           notes="uint8/int8 to float32 per tensor; of constants (int8/uint8/int32, per axis) folded for the "
                 "QLinear op reading them"),
    OpSpec("QLinearConv", qlinear_conv, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"},
           since=10, notes="2-D NCHW, uint8/int8 activations, int8 weights per tensor or per output channel "
                           f"(zero point 0), int32 bias; {_QDQ_NOTE}"),
    OpSpec("QLinearMatMul", qlinear_matmul, since=10,
           notes="a 2-D uint8/int8 activation times 2-D constant int8 weights"),
    OpSpec("QGemm", qgemm, {"alpha", "transA", "transB"}, domain="com.microsoft",
           notes="alpha 1, transA 0, quantised output; int32 bias"),
    OpSpec("QLinearAdd", qlinear_add, domain="com.microsoft", notes="two activations of one shape and type"),
    OpSpec("QLinearConcat", qlinear_concat, {"axis"}, domain="com.microsoft",
           notes="activations of one type; each requantised to the output's scale and zero point"),
    OpSpec("QLinearGlobalAveragePool", qlinear_global_average_pool, {"channels_last"}, domain="com.microsoft",
           notes="NCHW (channels_last 0)"),
)
