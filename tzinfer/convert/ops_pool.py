"""MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool."""

from __future__ import annotations

from tzinfer.convert import spatial
from tzinfer.convert.context import Context, Node
from tzinfer.convert.registry import OpSpec
from tzinfer.tzm import OpType


def _nchw(ctx: Context, node: Node) -> tuple[int, int, int, int]:
    shape = ctx.shape(node.input(0))
    if len(shape) != 4:
        raise node.unsupported(f"input of rank {len(shape)}: only 2-D pooling over NCHW is supported")
    return shape  # type: ignore[return-value]


def _pool(ctx: Context, node: Node, op_type: OpType, extra: list[int]) -> None:
    n, c, h, w = _nchw(ctx, node)
    kernel = node.attr("kernel_shape")
    if kernel is None or len(kernel) != 2:
        raise node.unsupported(f"kernel_shape={kernel}: a 2-D kernel_shape is required")
    win = spatial.resolve(node, (h, w), (int(kernel[0]), int(kernel[1])), bool(node.attr("ceil_mode", 0)))
    top, left, bottom, right = win.pads
    if max(top, bottom) >= win.kh or max(left, right) >= win.kw:
        raise node.unsupported(f"pads {list(win.pads)} must be smaller than the kernel {win.kh}x{win.kw}")
    ctx.emit(node, op_type, [ctx.tensor(node.input(0))], (n, c, win.oh, win.ow), win.iattr() + extra)


def max_pool(ctx: Context, node: Node) -> None:
    if len(node.outputs) > 1 and node.outputs[1]:
        raise node.unsupported("the Indices output is not supported")
    _pool(ctx, node, OpType.MAXPOOL, [])


def average_pool(ctx: Context, node: Node) -> None:
    _pool(ctx, node, OpType.AVGPOOL, [int(node.attr("count_include_pad", 0))])


def global_average_pool(ctx: Context, node: Node) -> None:
    n, c, _, _ = _nchw(ctx, node)
    ctx.emit(node, OpType.GLOBAL_AVGPOOL, [ctx.tensor(node.input(0))], (n, c, 1, 1))


def global_max_pool(ctx: Context, node: Node) -> None:
    """A max pool whose one window is the whole feature map."""
    n, c, h, w = _nchw(ctx, node)
    ctx.emit(node, OpType.MAXPOOL, [ctx.tensor(node.input(0))], (n, c, 1, 1), [h, w, 1, 1, 0, 0, 0, 0])


def reduce_mean(ctx: Context, node: Node) -> None:
    """ReduceMean over the spatial axes of a 4-D tensor is a global average pool (tf2onnx writes
    one for Keras' GlobalAveragePooling2D): over H, W of NCHW directly, over H, W of NHWC after a
    transpose to NCHW."""
    shape = ctx.shape(node.input(0))
    given = ctx.const(node, 1, "axes").reshape(-1) if node.input(1) else node.attr("axes", [])
    axes = sorted(node.axis(a, len(shape)) for a in given)
    keep = bool(node.attr("keepdims", 1))
    if len(shape) != 4 or axes not in ([2, 3], [1, 2]):
        raise node.unsupported(f"axes {list(given)} of a rank-{len(shape)} input: only the spatial axes of "
                               "a 4-D tensor (a global average pool) are supported")
    x = ctx.tensor(node.input(0))
    n, c = (shape[0], shape[1]) if axes == [2, 3] else (shape[0], shape[3])
    if axes == [1, 2]:
        x = ctx.emit(node, OpType.TRANSPOSE, [x], (n, c, shape[1], shape[2]), [0, 3, 1, 2],
                     output=f"{node.name}:nchw").output
    out = (n, c, 1, 1) if axes == [2, 3] else (n, 1, 1, c)
    if keep and axes == [2, 3]:
        ctx.emit(node, OpType.GLOBAL_AVGPOOL, [x], out)
        return
    pooled = ctx.emit(node, OpType.GLOBAL_AVGPOOL, [x], (n, c, 1, 1), output=f"{node.name}:pooled").output
    ctx.emit(node, OpType.RESHAPE, [pooled], out if keep else (n, c))


_WINDOW = {"auto_pad", "ceil_mode", "kernel_shape", "pads", "strides"}
OPS = (
    OpSpec("MaxPool", max_pool, _WINDOW | {"dilations", "storage_order"},
           notes="2-D over NCHW, dilation 1, pads smaller than the kernel, ceil_mode; not the Indices "
                 "output"),
    OpSpec("AveragePool", average_pool, _WINDOW | {"count_include_pad"},
           notes="2-D over NCHW, dilation 1, pads smaller than the kernel, ceil_mode, count_include_pad"),
    OpSpec("GlobalAveragePool", global_average_pool, notes="4-D NCHW"),
    OpSpec("GlobalMaxPool", global_max_pool, notes="4-D NCHW"),
    OpSpec("ReduceMean", reduce_mean, {"axes", "keepdims", "noop_with_empty_axes"},
           notes="over the spatial axes of a 4-D tensor (H, W of NCHW or NHWC) only"),
)
