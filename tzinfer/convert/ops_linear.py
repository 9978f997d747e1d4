"""Conv, Gemm, MatMul and BatchNormalization: the ops with weights."""

from __future__ import annotations

import numpy as np

from tzinfer.convert import affine, spatial
from tzinfer.convert.context import Context, Node
from tzinfer.convert.errors import ConvertError
from tzinfer.convert.graph import Op
from tzinfer.convert.registry import OpSpec
from tzinfer.tzm import MAX_DIMS, BinaryKind, OpType


def float_const(ctx: Context, node: Node, i: int, what: str) -> np.ndarray:
    data = ctx.const(node, i, what)
    if not np.issubdtype(data.dtype, np.floating):
        raise node.unsupported(f"{what} is {data.dtype}; only float weights are supported")
    return data


def conv(ctx: Context, node: Node) -> None:
    x_shape = ctx.shape(node.input(0))
    if len(x_shape) != 4:
        raise node.unsupported(f"input of rank {len(x_shape)}: only 2-D convolution over NCHW is supported")
    w = float_const(ctx, node, 1, "weights")
    if w.ndim != 4:
        raise node.unsupported(f"weights of rank {w.ndim}: only 2-D convolution is supported")
    n, c, h, wd = x_shape
    m, cg, kh, kw = w.shape
    group = int(node.attr("group", 1))
    if group < 1 or c != cg * group or m % group:
        raise ConvertError(f"Conv node '{node.name}': input channels {c}, weights {w.shape} and "
                           f"group {group} "
                           "do not fit together")
    if list(node.attr("kernel_shape", [kh, kw])) != [kh, kw]:
        raise ConvertError(f"Conv node '{node.name}': kernel_shape {node.attr('kernel_shape')} differs from "
                           f"the weights {w.shape}")
    x = ctx.tensor(node.input(0))
    pad = _zero_spatial_pad(ctx, node.input(0)) if node.attr("auto_pad", "NOTSET") == "NOTSET" else None
    extra_pads = None
    if pad is not None:  # an explicit zero Pad before the conv (tf2onnx, Paddle) becomes conv padding
        x = pad.inputs[0]
        h, wd = ctx.graph.shape(x)[2:]
        extra_pads = (pad.iattr[2], pad.iattr[3], pad.iattr[8], pad.iattr[9])
    win = spatial.resolve(node, (h, wd), (kh, kw), dilated=True, extra_pads=extra_pads)
    inputs = [x, ctx.graph.add_const(w, f"{node.name}:weights")]
    if node.input(2):
        bias = float_const(ctx, node, 2, "bias")
        if bias.shape != (m,):
            raise ConvertError(f"Conv node '{node.name}': bias shape {bias.shape} is not ({m},)")
        inputs.append(ctx.graph.add_const(bias, f"{node.name}:bias"))
    ctx.emit(node, OpType.CONV, inputs, (n, m, win.oh, win.ow), [*win.iattr(), group, win.dh, win.dw])


def _zero_spatial_pad(ctx: Context, value: str) -> Op | None:
    """The PAD op producing value when it only pads H and W of an NCHW tensor with zeros and
    nothing else reads its output, so a following conv can take the padding over."""
    op = ctx.fusable_producer(value)
    if op is None or op.type != OpType.PAD or op.fattr[2] != 0.0 or len(ctx.shape(value)) != 4:
        return None
    begin, end = op.iattr[:6], op.iattr[6:]
    return op if begin[0] == begin[1] == end[0] == end[1] == 0 else None


def _gemm(ctx: Context, node: Node, x: str, weights: np.ndarray, bias: np.ndarray | None,
          out: str | None = None) -> str:
    """Emit GEMM x[M,K] @ weights[K,N] (+ bias[N]); returns the output tensor."""
    inputs = [x, ctx.graph.add_const(weights, f"{node.name}:weights")]
    if bias is not None:
        inputs.append(ctx.graph.add_const(bias, f"{node.name}:bias"))
    shape = (ctx.graph.shape(x)[0], weights.shape[1])
    return ctx.emit(node, OpType.GEMM, inputs, shape, output=out).output


def gemm(ctx: Context, node: Node) -> None:
    a_shape = ctx.shape(node.input(0))
    if ctx.is_const(node.input(0)) or len(a_shape) != 2:
        raise node.unsupported("the left operand must be a 2-D activation")
    b = float_const(ctx, node, 1, "right operand B")
    if b.ndim != 2:
        raise ConvertError(f"Gemm node '{node.name}': B has rank {b.ndim}, expected 2")
    weights = (b.T if node.attr("transB", 0) else b).astype(np.float64) * float(node.attr("alpha", 1.0))
    x = ctx.tensor(node.input(0))
    if node.attr("transA", 0):
        x = ctx.emit(node, OpType.TRANSPOSE, [x], a_shape[::-1], [1, 0],
                     output=f"{node.name}:transposed_A").output
    m, k = ctx.graph.shape(x)
    if k != weights.shape[0]:
        raise ConvertError(f"Gemm node '{node.name}': A is {m}x{k} but B gives {weights.shape[0]} rows")
    beta = float(node.attr("beta", 1.0))
    c_value = node.input(2)
    bias = None
    if c_value and ctx.is_const(c_value):
        c = float_const(ctx, node, 2, "C").astype(np.float64) * beta
        bias = affine.per_channel(c, (m, weights.shape[1]))
        if bias is None:  # a full [M,N] or [M,1] addend is not a bias: add it after the product
            if node.broadcast(c.shape, (m, weights.shape[1])) != (m, weights.shape[1]):
                raise ConvertError(f"Gemm node '{node.name}': C of shape {c.shape} is larger than the "
                                   f"{m}x{weights.shape[1]} product")
            y = _gemm(ctx, node, x, weights, None, out=f"{node.name}:product")
            addend = ctx.graph.add_const(c, f"{node.name}:C")
            ctx.emit(node, OpType.BINARY, [y, addend], (m, weights.shape[1]), [BinaryKind.ADD])
            return
    elif c_value:
        if beta != 1.0:
            raise node.unsupported("beta != 1 with a non-constant C")
        y = _gemm(ctx, node, x, weights, None, out=f"{node.name}:product")
        ctx.emit(node, OpType.BINARY, [y, ctx.tensor(c_value)], (m, weights.shape[1]), [BinaryKind.ADD])
        return
    _gemm(ctx, node, x, weights, bias)


def matmul(ctx: Context, node: Node) -> None:
    """MatMul: an activation times a 2-D constant is a GEMM over the flattened rows; anything else
    (two activations as in attention, a constant left operand, batched constants) is MATMUL, with
    numpy's rules: batch dims broadcast, a 1-D operand is a row (left) or column (right) vector."""
    a_value, b_value = node.input(0), node.input(1)
    a_shape, b_shape = ctx.shape(a_value), ctx.shape(b_value)
    if not a_shape or not b_shape or a_shape[-1] != b_shape[-2 if len(b_shape) > 1 else 0]:
        raise ConvertError(f"MatMul node '{node.name}': shapes {a_shape} and {b_shape} do not multiply")
    if ctx.is_const(b_value) and not ctx.is_const(a_value) and len(b_shape) == 2 and len(a_shape) >= 2:
        b = float_const(ctx, node, 1, "right operand")
        x = ctx.tensor(a_value)
        if len(a_shape) == 2:
            _gemm(ctx, node, x, b, None)
            return
        rows = int(np.prod(a_shape[:-1]))
        flat = ctx.emit(node, OpType.RESHAPE, [x], (rows, a_shape[-1]), output=f"{node.name}:rows").output
        y = _gemm(ctx, node, flat, b, None, out=f"{node.name}:product")
        ctx.emit(node, OpType.RESHAPE, [y], (*a_shape[:-1], b.shape[1]))
        return
    a, b = ctx.operand(node, 0), ctx.operand(node, 1)
    a2 = a_shape if len(a_shape) > 1 else (1, a_shape[0])
    b2 = b_shape if len(b_shape) > 1 else (b_shape[0], 1)
    if a2 != a_shape:
        a = ctx.emit(node, OpType.RESHAPE, [a], a2, output=f"{node.name}:row").output
    if b2 != b_shape:
        b = ctx.emit(node, OpType.RESHAPE, [b], b2, output=f"{node.name}:column").output
    batch = node.broadcast(a2[:-2], b2[:-2])
    out = (*batch, a2[-2], b2[-1])
    final = (*batch, *a_shape[-2:-1], *(b_shape[-1:] if len(b_shape) > 1 else ()))
    if len(out) > MAX_DIMS:
        raise node.unsupported(f"result of rank {len(out)}; at most {MAX_DIMS} dims are supported")
    if final == out:
        ctx.emit(node, OpType.MATMUL, [a, b], out)
        return
    y = ctx.emit(node, OpType.MATMUL, [a, b], out, output=f"{node.name}:product").output
    ctx.emit(node, OpType.RESHAPE, [y], final)


def batch_norm(ctx: Context, node: Node) -> None:
    if node.attr("training_mode", 0) or node.attr("spatial", 1) != 1:
        raise node.unsupported("only inference-mode, spatial batch normalization is supported")
    if len([o for o in node.outputs if o]) > 1:
        raise node.unsupported("training outputs (running mean/var) are not supported")
    x = node.input(0)
    shape = ctx.shape(x)
    gamma, beta, mean, var = (float_const(ctx, node, i, what).astype(np.float64)
                              for i, what in enumerate(("scale", "B", "mean", "var"), start=1))
    scale = gamma / np.sqrt(var + float(node.attr("epsilon", 1e-5)))
    shift = beta - mean * scale
    channel_shape = (shape[1],) + (1,) * (len(shape) - 2)  # broadcasts along axis 1
    scale, shift = scale.reshape(channel_shape), shift.reshape(channel_shape)
    if affine.try_fold(ctx, node, x, scale, shift):
        return
    scale_name = ctx.graph.add_const(scale, f"{node.name}:scale")
    scaled = ctx.emit(node, OpType.BINARY, [ctx.tensor(x), scale_name], shape, [BinaryKind.MUL],
                      output=f"{node.name}:scaled").output
    shift_name = ctx.graph.add_const(shift, f"{node.name}:shift")
    ctx.emit(node, OpType.BINARY, [scaled, shift_name], shape, [BinaryKind.ADD])


OPS = (
    OpSpec("Conv", conv, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"},
           notes="2-D over NCHW with constant weights: groups, depthwise, dilation, strides, "
                 "explicit/SAME/VALID pads; a zero Pad before it becomes its padding; BatchNormalization, "
                 "per-channel Add/Sub/Mul and an activation after it are fused"),
    OpSpec("Gemm", gemm, {"alpha", "beta", "transA", "transB"},
           notes="A a 2-D activation, B constant; C constant or an activation (beta 1)"),
    OpSpec("MatMul", matmul, notes="any operands (two activations as in attention), batch dims broadcast, "
           "1-D operands; an activation times a 2-D constant is a GEMM"),
    OpSpec("BatchNormalization", batch_norm, {"epsilon", "momentum", "training_mode", "spatial"},
           notes="inference mode; folded into the preceding Conv/Gemm, else a scale and shift"),
)
