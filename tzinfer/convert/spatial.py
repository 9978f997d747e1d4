"""Window geometry shared by Conv and the pools: kernel, strides, dilations and pads resolved to the
explicit (top, left, bottom, right) pads and output size the engine takes. The engine dilates
convolutions only; pools must have dilation 1."""

from __future__ import annotations

from dataclasses import dataclass

from tzinfer.convert.context import Node
from tzinfer.convert.errors import ConvertError


@dataclass(frozen=True)
class Window:
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    pads: tuple[int, int, int, int]  # top, left, bottom, right
    oh: int
    ow: int

    def iattr(self) -> list[int]:
        """iattr[0..7] of CONV, MAXPOOL and AVGPOOL."""
        return [self.kh, self.kw, self.sh, self.sw, *self.pads]


def _pair(node: Node, name: str, default: int) -> tuple[int, int]:
    values = node.attr(name, [default, default])
    if len(values) != 2:
        raise node.unsupported(f"{name}={list(values)}: only 2-D windows (4-D NCHW tensors) are supported")
    return int(values[0]), int(values[1])


def _out_size(size: int, k: int, s: int, begin: int, end: int, ceil_mode: bool) -> int:
    """k is the (dilated) kernel extent."""
    span = size + begin + end - k
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    # The last window must start inside the input or its left padding (PyTorch and ONNX Runtime rule).
    return out - 1 if (out - 1) * s >= size + begin else out


def resolve(node: Node, in_hw: tuple[int, int], kernel: tuple[int, int], ceil_mode: bool = False,
            dilated: bool = False, extra_pads: tuple[int, int, int, int] | None = None) -> Window:
    """Geometry of a 2-D window op over an input of spatial size in_hw; `dilated` allows dilation.
    extra_pads (top, left, bottom, right) are added to the node's explicit pads, for a folded Pad
    (only with auto_pad NOTSET: SAME refers to the size after the Pad)."""
    dh, dw = _pair(node, "dilations", 1)
    if min(dh, dw) < 1 or (not dilated and (dh, dw) != (1, 1)):
        raise node.unsupported(f"dilations={node.attr('dilations')}: only dilation 1 is supported here")
    kh, kw = kernel
    if min(kh, kw) < 1 or min(_pair(node, "strides", 1)) < 1:
        raise ConvertError(f"{node.op_type} node '{node.name}': kernel {kh}x{kw} and strides "
                           f"{list(_pair(node, 'strides', 1))} must be positive")
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1  # extent of the dilated kernel
    sh, sw = _pair(node, "strides", 1)
    h, w = in_hw
    auto_pad = node.attr("auto_pad", "NOTSET")
    if auto_pad == "NOTSET":
        pads = node.attr("pads", [0, 0, 0, 0])
        if len(pads) != 4:
            raise node.unsupported(f"pads={list(pads)}: only 2-D windows are supported")
        top, left, bottom, right = (int(p) for p in pads)
        if min(top, left, bottom, right) < 0:
            raise node.unsupported(f"negative pads {list(pads)} are not supported")
    elif auto_pad == "VALID":
        top = left = bottom = right = 0
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        totals = [max(0, (-(-n // s) - 1) * s + k - n) for n, s, k in ((h, sh, eh), (w, sw, ew))]
        small = [t // 2 for t in totals]
        big = [t - t // 2 for t in totals]
        (top, left), (bottom, right) = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
        ceil_mode = False
    else:
        raise node.unsupported(f"auto_pad={auto_pad!r} is not supported")
    if extra_pads is not None:
        assert auto_pad == "NOTSET", "a Pad folds only into explicitly padded windows"
        pads = (p + q for p, q in zip((top, left, bottom, right), extra_pads, strict=True))
        top, left, bottom, right = pads
    if eh > h + top + bottom or ew > w + left + right:
        raise node.unsupported(f"kernel {kh}x{kw} is larger than the padded input {h}x{w}")
    oh = _out_size(h, eh, sh, top, bottom, ceil_mode)
    ow = _out_size(w, ew, sw, left, right, ceil_mode)
    return Window(kh, kw, sh, sw, dh, dw, (top, left, bottom, right), oh, ow)
