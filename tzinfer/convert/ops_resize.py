"""Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9): nearest and (bi)linear resizing of the
last two dims, with every coordinate transformation and nearest rounding mode ONNX defines except
tf_crop_and_resize. Cubic interpolation and antialiased linear downsampling are refused.

The output size and the scales the coordinate transformation divides by are resolved here as ONNX
Runtime does: from scales, out = floor(in · scale) in float32; from sizes, scale = out / in (after
keep_aspect_ratio_policy)."""

from __future__ import annotations

import math

import numpy as np

from tzinfer.convert.context import Context, Node
from tzinfer.convert.errors import ConvertError
from tzinfer.convert.registry import OpSpec
from tzinfer.tzm import OpType, ResizeCoord, ResizeMode, ResizeRound

_COORDS = {"half_pixel": ResizeCoord.HALF_PIXEL, "pytorch_half_pixel": ResizeCoord.PYTORCH_HALF_PIXEL,
           "align_corners": ResizeCoord.ALIGN_CORNERS, "asymmetric": ResizeCoord.ASYMMETRIC,
           "tf_half_pixel_for_nn": ResizeCoord.TF_HALF_PIXEL_FOR_NN,
           "half_pixel_symmetric": ResizeCoord.HALF_PIXEL_SYMMETRIC}
_ROUNDING = {"round_prefer_floor": ResizeRound.PREFER_FLOOR,
             "round_prefer_ceil": ResizeRound.PREFER_CEIL, "floor": ResizeRound.FLOOR,
             "ceil": ResizeRound.CEIL}
_MODES = {"nearest": ResizeMode.NEAREST, "linear": ResizeMode.LINEAR, "bilinear": ResizeMode.LINEAR}


def _floats(ctx: Context, node: Node, i: int) -> list[float] | None:
    """Optional constant input i as floats; None when omitted or empty."""
    if not node.input(i):
        return None
    data = ctx.const(node, i, "scales" if i != 3 else "sizes").reshape(-1)
    return [float(v) for v in data] if data.size else None


def _resolve(ctx: Context, node: Node, shape: tuple[int, ...], scales: list[float] | None,
             sizes: list[float] | None) -> tuple[list[int], list[float]]:
    """Output dims and per-dim scales from the node's scales or sizes (axes and
    keep_aspect_ratio_policy from opset 18)."""
    rank = len(shape)
    axes = [node.axis(a, rank) for a in node.attr("axes", range(rank))]
    given = sizes if sizes is not None else scales
    if given is None or len(given) != len(axes) or (scales is not None and sizes is not None):
        raise ConvertError(f"{node.op_type} node '{node.name}': give exactly one of scales and sizes, with "
                           f"one value per axis ({len(axes)})")
    out, scale = list(shape), [1.0] * rank
    if sizes is None:
        for a, s in zip(axes, given, strict=True):
            if not s > 0 or not math.isfinite(s):
                raise ConvertError(f"{node.op_type} node '{node.name}': scale {s} must be positive")
            scale[a] = float(np.float32(s))
            out[a] = int(np.floor(np.float32(s) * np.float32(shape[a])))
        return out, scale
    policy = node.attr("keep_aspect_ratio_policy", "stretch")
    wanted = [int(v) for v in given]
    if min(wanted) < 1:
        raise ConvertError(f"{node.op_type} node '{node.name}': sizes {wanted} must be positive")
    if policy == "stretch":
        for a, n in zip(axes, wanted, strict=True):
            out[a], scale[a] = n, float(np.float32(n) / np.float32(shape[a]))
        return out, scale
    if policy not in ("not_larger", "not_smaller"):
        raise ConvertError(f"{node.op_type} node '{node.name}': unknown keep_aspect_ratio_policy "
                           f"{policy!r}")
    ratios = [np.float32(n) / np.float32(shape[a]) for a, n in zip(axes, wanted, strict=True)]
    common = min(ratios) if policy == "not_larger" else max(ratios)
    for a in axes:
        out[a], scale[a] = int(np.floor(common * np.float32(shape[a]) + np.float32(0.5))), float(common)
    return out, scale


def _emit(ctx: Context, node: Node, mode: ResizeMode, coord: ResizeCoord, rounding: ResizeRound,
          out: list[int], scale: list[float]) -> None:
    shape = ctx.shape(node.input(0))
    rank = len(shape)
    if tuple(out) == shape:  # ONNX Runtime copies the input whenever the shape stays, whatever the scales
        ctx.alias(node, node.outputs[0], node.input(0))
        return
    moved = [i for i in range(rank) if out[i] != shape[i] or scale[i] != 1.0]
    if any(i < rank - 2 for i in moved):
        raise node.unsupported(f"resizing axes {moved} of a rank-{rank} input: only the last two axes "
                               "(H and W) can be resized")
    if min(out) < 1:
        raise ConvertError(f"{node.op_type} node '{node.name}': output shape {out} is empty")
    x = ctx.tensor(node.input(0))
    attrs = [int(mode), int(coord), int(rounding) if mode == ResizeMode.NEAREST else 0]
    if rank >= 2:
        ctx.emit(node, OpType.RESIZE, [x], tuple(out), attrs, fattr=(0.0, 0.0, scale[-2], scale[-1]))
        return
    row = ctx.emit(node, OpType.RESHAPE, [x], (1, shape[0]), output=f"{node.name}:row").output
    resized = ctx.emit(node, OpType.RESIZE, [row], (1, out[0]), attrs, fattr=(0.0, 0.0, 1.0, scale[0]),
                       output=f"{node.name}:resized").output
    ctx.emit(node, OpType.RESHAPE, [resized], tuple(out))


def _mode(node: Node) -> ResizeMode:
    mode = node.attr("mode", "nearest")
    if mode == "cubic":
        raise node.unsupported("mode='cubic' is not supported; export with mode 'linear' or 'nearest' "
                               "(e.g. F.interpolate(mode='bilinear'))")
    if mode not in _MODES:
        raise ConvertError(f"{node.op_type} node '{node.name}': unknown mode {mode!r}")
    return _MODES[mode]


def resize(ctx: Context, node: Node) -> None:
    shape = ctx.shape(node.input(0))
    if ctx.opset < 11:  # Resize-10: (X, scales), asymmetric coordinates, Upsample's rounding
        out, scale = _resolve(ctx, node, shape, _floats(ctx, node, 1), None)
        _emit(ctx, node, _mode(node), ResizeCoord.ASYMMETRIC, ResizeRound.SIMPLE, out, scale)
        return
    mode = _mode(node)
    coord_name = node.attr("coordinate_transformation_mode", "half_pixel")
    if coord_name == "tf_crop_and_resize":
        raise node.unsupported("coordinate_transformation_mode='tf_crop_and_resize' is not supported")
    if coord_name not in _COORDS or (coord_name == "half_pixel_symmetric" and ctx.opset < 19):
        raise ConvertError(f"Resize node '{node.name}': unknown coordinate_transformation_mode "
                           f"{coord_name!r} at opset {ctx.opset}")
    rounding_name = node.attr("nearest_mode", "round_prefer_floor")
    if rounding_name not in _ROUNDING:
        raise ConvertError(f"Resize node '{node.name}': unknown nearest_mode {rounding_name!r}")
    out, scale = _resolve(ctx, node, shape, _floats(ctx, node, 2), _floats(ctx, node, 3))
    if node.attr("antialias", 0) and mode == ResizeMode.LINEAR and min(scale) < 1.0:
        raise node.unsupported("antialias=1 when downsampling (linear) is not supported; export with "
                               "antialias=False")
    _emit(ctx, node, mode, _COORDS[coord_name], _ROUNDING[rounding_name], out, scale)


def upsample(ctx: Context, node: Node) -> None:
    """Upsample-7 (scales attribute) and -9 (scales input): asymmetric coordinates; nearest
    truncates."""
    shape = ctx.shape(node.input(0))
    scales = [float(s) for s in node.required("scales")] if ctx.opset < 9 else _floats(ctx, node, 1)
    out, scale = _resolve(ctx, node, shape, scales, None)
    _emit(ctx, node, _mode(node), ResizeCoord.ASYMMETRIC, ResizeRound.SIMPLE, out, scale)


OPS = (
    OpSpec("Resize", resize, {"coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside",
                              "extrapolation_value", "mode", "nearest_mode", "antialias", "axes",
                              "keep_aspect_ratio_policy"}, since=10,
           notes="nearest (every nearest_mode) and linear over the last two axes, scales or sizes, every "
                 "coordinate_transformation_mode but tf_crop_and_resize, axes, keep_aspect_ratio_policy; "
                 "cubic and antialiased downsampling refused; nearest also of uint8/int8 (quantised, "
                 "on the integers)"),
    OpSpec("Upsample", upsample, {"mode", "scales"}, notes="nearest and linear over the last two axes"),
)
