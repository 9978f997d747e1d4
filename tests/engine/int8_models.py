"""Small float models and their static quantisation by onnxruntime.quantization.quantize_static,
for the int8 tests (host: test_int8.py; aarch64: test_aarch64.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import helper

from tests.engine.test_ops import make_model, rand


def quantised(src: Path, dst: Path, calibration: list[np.ndarray], fmt: str = "QDQ",
              activations: str = "QUInt8",
              weights: str = "QInt8", per_channel: bool = True) -> Path:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds = iter([{"x" if "x" in [i.name for i in onnx.load(src).graph.input] else "input": c}
                                for c in calibration])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._feeds, None)

    quantize_static(src, dst, Reader(), quant_format=QuantFormat[fmt], activation_type=QuantType[activations],
                    weight_type=QuantType[weights], per_channel=per_channel)
    return dst


def conv_model(c: int, m: int, hw: int, k: int, group: int = 1, stride: int = 1, pad: int = 0,
                dilation: int = 1) -> onnx.ModelProto:
    conv = helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[k, k], group=group,
                            strides=[stride, stride], pads=[pad] * 4, dilations=[dilation] * 2)
    relu = helper.make_node("Relu", ["c"], ["y"])
    return make_model([conv, relu], (1, c, hw, hw), {"w": rand(1, m, c // group, k, k), "b": rand(2, m)}, 13)


CONVS = {
    "pointwise": dict(c=16, m=24, hw=9, k=1),
    "3x3_pad": dict(c=8, m=8, hw=11, k=3, pad=1),
    "depthwise_s2": dict(c=12, m=12, hw=14, k=3, group=12, stride=2, pad=1),
    "depthwise_mult2": dict(c=6, m=12, hw=7, k=3, group=6, pad=1),
    "grouped_dilated": dict(c=8, m=4, hw=13, k=3, group=2, pad=2, dilation=2),
    "5x5_s3_nopad": dict(c=3, m=5, hw=17, k=5, stride=3),
}


#: MaxPool windows (every attribute the float MAXPOOL takes): SqueezeNet's 3×3/2 ceil_mode, 2×2/2,
#: padded 3×3/1, and an asymmetric padded 5×3/3 with ceil_mode.
MAXPOOLS = {
    "3x3_s2_ceil": dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
    "2x2_s2": dict(kernel_shape=[2, 2], strides=[2, 2]),
    "3x3_s1_pad": dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    "5x3_s3_asym_ceil": dict(kernel_shape=[5, 3], strides=[3, 3], pads=[2, 0, 1, 1], ceil_mode=1),
    "same_upper": dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
}


def maxpool_concat_model(pool: str, h: int, w: int) -> onnx.ModelProto:
    """Two 1×1 convolutions of a 4-channel h×w input, each max-pooled (MAXPOOLS[pool]), concatenated
    and mixed by a third: after quantisation, MaxPool on the integers and a QLinearConcat of two
    scales."""
    n = helper.make_node
    nodes = [n("Conv", ["x", "w1"], ["a"], kernel_shape=[1, 1]),
             n("Conv", ["x", "w2"], ["b"], kernel_shape=[1, 1]),
             n("MaxPool", ["a"], ["p"], **MAXPOOLS[pool]), n("MaxPool", ["b"], ["q"], **MAXPOOLS[pool]),
             n("Concat", ["p", "q"], ["c"], axis=1), n("Conv", ["c", "w3"], ["y"], kernel_shape=[1, 1])]
    consts = {"w1": rand(1, 6, 4, 1, 1), "w2": 3 * rand(2, 5, 4, 1, 1), "w3": rand(3, 4, 11, 1, 1)}
    return make_model(nodes, (1, 4, h, w), consts, 13)
