"""Expand and Tile (one TILE op), and DepthToSpace and SpaceToDepth (a 6-D RESHAPE, TRANSPOSE,
RESHAPE, as the ONNX spec defines them)."""

from __future__ import annotations

from tzinfer.convert.context import Context, Node
from tzinfer.convert.errors import ConvertError
from tzinfer.convert.registry import OpSpec
from tzinfer.tzm import MAX_DIMS, OpType


def _tile(ctx: Context, node: Node, out: tuple[int, ...]) -> None:
    """TILE of node's input to `out`, after a RESHAPE that adds leading 1s for a lower rank."""
    shape = ctx.shape(node.input(0))
    if len(out) > MAX_DIMS:
        raise node.unsupported(f"result of rank {len(out)}; at most {MAX_DIMS} dims are supported")
    if out == shape:
        ctx.alias(node, node.outputs[0], node.input(0))
        return
    x = ctx.tensor(node.input(0))
    if len(out) > len(shape):
        shape = (1,) * (len(out) - len(shape)) + shape
        x = ctx.emit(node, OpType.RESHAPE, [x], shape, output=f"{node.name}:ranked").output
    ctx.emit(node, OpType.TILE, [x], out)


def expand(ctx: Context, node: Node) -> None:
    target = tuple(int(d) for d in ctx.const(node, 1, "shape").reshape(-1))
    _tile(ctx, node, node.broadcast(ctx.shape(node.input(0)), target))


def tile(ctx: Context, node: Node) -> None:
    shape = ctx.shape(node.input(0))
    repeats = [int(r) for r in ctx.const(node, 1, "repeats").reshape(-1)]
    if len(repeats) != len(shape) or min(repeats, default=1) < 1:
        raise ConvertError(f"Tile node '{node.name}': repeats {repeats} must be >= 1, one per dim of {shape}")
    _tile(ctx, node, tuple(d * r for d, r in zip(shape, repeats, strict=True)))


def _rearrange(ctx: Context, node: Node, split: tuple[int, ...], perm: list[int],
               out: tuple[int, ...]) -> None:
    x = ctx.tensor(node.input(0))
    six = ctx.emit(node, OpType.RESHAPE, [x], split, output=f"{node.name}:split").output
    moved = ctx.emit(node, OpType.TRANSPOSE, [six], tuple(split[p] for p in perm), perm,
                     output=f"{node.name}:moved").output
    ctx.emit(node, OpType.RESHAPE, [moved], out)


def _nchw_block(ctx: Context, node: Node) -> tuple[int, int, int, int, int]:
    shape = ctx.shape(node.input(0))
    b = int(node.attr("blocksize", 0))
    if len(shape) != 4 or b < 1:
        raise ConvertError(f"{node.op_type} node '{node.name}': needs a 4-D input and blocksize >= 1")
    return (*shape, b)  # type: ignore[return-value]


def depth_to_space(ctx: Context, node: Node) -> None:
    n, c, h, w, b = _nchw_block(ctx, node)
    mode = node.attr("mode", "DCR")
    if c % (b * b) or mode not in ("DCR", "CRD"):
        raise ConvertError(f"DepthToSpace node '{node.name}': {c} channels, blocksize {b}, mode {mode!r}")
    out = (n, c // (b * b), h * b, w * b)
    if mode == "DCR":
        _rearrange(ctx, node, (n, b, b, c // (b * b), h, w), [0, 3, 4, 1, 5, 2], out)
    else:
        _rearrange(ctx, node, (n, c // (b * b), b, b, h, w), [0, 1, 4, 2, 5, 3], out)


def space_to_depth(ctx: Context, node: Node) -> None:
    n, c, h, w, b = _nchw_block(ctx, node)
    if h % b or w % b:
        raise ConvertError(f"SpaceToDepth node '{node.name}': {h}x{w} is not a multiple of blocksize {b}")
    _rearrange(ctx, node, (n, c, h // b, b, w // b, b), [0, 3, 5, 1, 2, 4], (n, c * b * b, h // b, w // b))


OPS = (
    OpSpec("Expand", expand, since=8, notes="constant shape, numpy broadcasting to a higher rank"),
    OpSpec("Tile", tile, notes="constant repeats"),
    OpSpec("DepthToSpace", depth_to_space, {"blocksize", "mode"}, notes="DCR and CRD, 4-D"),
    OpSpec("SpaceToDepth", space_to_depth, {"blocksize"}, notes="4-D"),
)
