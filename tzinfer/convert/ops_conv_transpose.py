"""ConvTranspose over NCHW: groups, strides, dilations, explicit pads, auto_pad, output_padding
and output_shape resolved (ONNX's formulas) to the explicit pads and output size CONV_TRANSPOSE
takes; the output_padding is what the output size has beyond the last input pixel's reach."""

from __future__ import annotations

from tzinfer.convert.context import Context, Node
from tzinfer.convert.errors import ConvertError
from tzinfer.convert.ops_linear import float_const
from tzinfer.convert.registry import OpSpec
from tzinfer.tzm import OpType


def _pair(node: Node, name: str, default: int) -> list[int]:
    values = [int(v) for v in node.attr(name, [default, default])]
    if len(values) != 2:
        raise node.unsupported(f"{name}={values}: only 2-D transposed convolution (NCHW) is supported")
    return values


def conv_transpose(ctx: Context, node: Node) -> None:
    shape = ctx.shape(node.input(0))
    w = float_const(ctx, node, 1, "weights")
    if len(shape) != 4 or w.ndim != 4:
        raise node.unsupported(f"input of rank {len(shape)}: only 2-D transposed convolution over NCHW is "
                               "supported")
    n, c, h, wd = shape
    group = int(node.attr("group", 1))
    if group < 1 or w.shape[0] != c or c % group:
        raise ConvertError(f"ConvTranspose node '{node.name}': input channels {c}, weights {w.shape} "
                           f"and group {group} do not fit together")
    kh, kw = w.shape[2:]
    if list(node.attr("kernel_shape", [kh, kw])) != [kh, kw]:
        raise ConvertError(f"ConvTranspose node '{node.name}': kernel_shape differs from the weights "
                           f"{w.shape}")
    strides, dilations = _pair(node, "strides", 1), _pair(node, "dilations", 1)
    out_pad = _pair(node, "output_padding", 0)
    if min(strides + dilations) < 1 or min(out_pad) < 0:
        raise ConvertError(f"ConvTranspose node '{node.name}': strides and dilations must be >= 1, "
                           "output_padding >= 0")
    extent = [d * (k - 1) + 1 for d, k in zip(dilations, (kh, kw), strict=True)]
    natural = [s * (i - 1) + p + e for s, i, p, e in zip(strides, (h, wd), out_pad, extent, strict=True)]
    auto_pad = node.attr("auto_pad", "NOTSET")
    output_shape = node.attr("output_shape")
    if output_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        wanted = ([int(v) for v in output_shape][-2:] if output_shape is not None else
                  [i * s for i, s in zip((h, wd), strides, strict=True)])
        totals = [nat - want for nat, want in zip(natural, wanted, strict=True)]
        if min(totals) < 0:
            raise node.unsupported(f"output_shape {wanted} is larger than the {natural} the kernel reaches; "
                                   "raise output_padding instead")
        if auto_pad == "SAME_UPPER":
            begin, end = [t // 2 for t in totals], [t - t // 2 for t in totals]
        else:
            begin, end = [t - t // 2 for t in totals], [t // 2 for t in totals]
    elif auto_pad == "VALID":
        begin, end = [0, 0], [0, 0]
    elif auto_pad == "NOTSET":
        pads = [int(p) for p in node.attr("pads", [0, 0, 0, 0])]
        if len(pads) != 4:
            raise node.unsupported(f"pads={pads}: only 2-D transposed convolution is supported")
        begin, end = pads[:2], pads[2:]
    else:
        raise ConvertError(f"ConvTranspose node '{node.name}': unknown auto_pad {auto_pad!r}")
    if min(begin + end) < 0:
        raise node.unsupported(f"negative pads {begin + end} are not supported")
    out = [nat - b - e for nat, b, e in zip(natural, begin, end, strict=True)]
    if min(out) < 1:
        raise ConvertError(f"ConvTranspose node '{node.name}': pads leave an empty output {out}")
    extra = [o - (s * (i - 1) + e - b - en) for o, s, i, e, b, en in
             zip(out, strides, (h, wd), extent, begin, end, strict=True)]
    if any(x >= max(s, d) for x, s, d in zip(extra, strides, dilations, strict=True)):
        raise node.unsupported(f"output_padding {extra} must be below the stride or the dilation")
    inputs = [ctx.tensor(node.input(0)), ctx.graph.add_const(w, f"{node.name}:weights")]
    if node.input(2):
        bias = float_const(ctx, node, 2, "bias").reshape(-1)
        if bias.size != w.shape[1] * group:
            raise ConvertError(f"ConvTranspose node '{node.name}': bias has {bias.size} values for "
                               f"{w.shape[1] * group} output channels")
        inputs.append(ctx.graph.add_const(bias, f"{node.name}:bias"))
    attrs = [kh, kw, *strides, begin[0], begin[1], end[0], end[1], group, *dilations]
    ctx.emit(node, OpType.CONV_TRANSPOSE, inputs, (n, w.shape[1] * group, *out), attrs)


OPS = (
    OpSpec("ConvTranspose", conv_transpose, {"auto_pad", "dilations", "group", "kernel_shape",
                                             "output_padding", "output_shape", "pads", "strides"},
           notes="2-D over NCHW, constant weights; groups, strides, dilations, pads, output_padding, "
                 "output_shape, auto_pad; a following BatchNormalization or activation is fused"),
)
