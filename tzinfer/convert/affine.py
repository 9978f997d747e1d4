"""Folding a per-channel affine map y = scale * x + shift into the CONV, CONV_TRANSPOSE or GEMM
producing x.

BatchNormalization is such a map, and so is an Add/Sub/Mul by a per-channel constant right after
a convolution or a fully connected layer (a bias or scale exported as a separate node). Folding
rewrites the weights and bias once at convert time instead of running a pass over the activation."""

from __future__ import annotations

import numpy as np

from tzinfer.convert.context import Context, Node
from tzinfer.convert.graph import Op
from tzinfer.tzm import Act, OpType


def per_channel(value: np.ndarray | float, shape: tuple[int, ...]) -> np.ndarray | None:
    """value as a vector over axis 1 of a tensor of `shape` when it broadcasts along that axis
    only (NCHW channels, or the features of a 2-D GEMM output); None otherwise."""
    array = np.asarray(value, dtype=np.float64)
    if len(shape) < 2 or array.ndim > len(shape):
        return None
    padded = (1,) * (len(shape) - array.ndim) + array.shape
    if any(d != 1 for i, d in enumerate(padded) if i != 1) or padded[1] not in (1, shape[1]):
        return None
    return np.broadcast_to(array.reshape(-1), (shape[1],)).copy()


def try_fold(ctx: Context, node: Node, value: str, scale: np.ndarray | float,
             shift: np.ndarray | float) -> bool:
    """Fold y = scale * value + shift into value's producer when it is a CONV or GEMM that nothing
    else reads and that has no activation yet. On success node's output aliases the producer's."""
    op = ctx.fusable_producer(value)
    if op is not None and op.type == OpType.RESHAPE:
        return _fold_through_rows(ctx, node, value, op, scale, shift)
    if op is None or op.act != Act.NONE or op.type not in (OpType.CONV, OpType.GEMM, OpType.CONV_TRANSPOSE):
        return False
    out_shape = ctx.graph.shape(op.output)
    return _fold(ctx, node, value, op, per_channel(scale, out_shape), per_channel(shift, out_shape))


def _fold_through_rows(ctx: Context, node: Node, value: str, reshape: Op, scale: np.ndarray | float,
                       shift: np.ndarray | float) -> bool:
    """A GEMM over flattened rows reshaped back to [..., N] (MatMul of a 3-D activation, as every
    transformer Linear exports): a map along the last axis folds into the GEMM's columns."""
    gemm = ctx.graph.producer(reshape.inputs[0])
    if gemm is None or gemm.type != OpType.GEMM or gemm.act != Act.NONE or ctx.readers(gemm.output) != 1:
        return False
    shape = ctx.graph.shape(value)
    n = ctx.graph.shape(gemm.output)[1]
    if not shape or shape[-1] != n:
        return False
    return _fold(ctx, node, value, gemm, along_last_axis(scale, shape), along_last_axis(shift, shape))


def along_last_axis(value: np.ndarray | float, shape: tuple[int, ...]) -> np.ndarray | None:
    """value as a vector over the last axis of a tensor of `shape` when it varies along no other."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim > len(shape) or any(d != 1 for d in array.shape[:-1]) or \
            (array.ndim and array.shape[-1] not in (1, shape[-1])):
        return None
    return np.broadcast_to(array.reshape(-1), (shape[-1],)).copy()


def _fold(ctx: Context, node: Node, value: str, op: Op, a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Rewrite op's weights and bias so that it computes a * (its output) + b per output channel,
    and make node's output value's alias; False (nothing changed) when a or b is None."""
    if a is None or b is None:
        return False
    graph = ctx.graph
    if not np.all(a == 1.0):
        w = graph.tensors[op.inputs[1]].data.astype(np.float64)
        if op.type == OpType.CONV_TRANSPOSE:  # W[C, M/g, kh, kw]: output channel g·(M/g) + m
            group = op.iattr[8]
            c, mg = w.shape[:2]
            w = (w.reshape(group, c // group, mg, *w.shape[2:]) *
                 a.reshape(group, 1, mg, 1, 1)).reshape(w.shape)
        else:
            w = w * (a[:, None, None, None] if op.type == OpType.CONV else a[None, :])
        op.inputs[1] = graph.add_const(w, f"{node.name}:folded_weights")
    bias = graph.tensors[op.inputs[2]].data.astype(np.float64) if len(op.inputs) > 2 else 0.0
    bias_name = graph.add_const(bias * a + b, f"{node.name}:folded_bias")
    op.inputs[2:] = [bias_name]
    ctx.alias(node, node.outputs[0], value)
    return True
