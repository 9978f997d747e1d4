"""Seed corpus for the S-Tinylib fuzz harness: tiny ONNX graphs with seeded random weights,
converted by `tzinfer convert` into .tzm files (no pretrained weights, a few KB each).

Together the graphs make the converter emit every op type, every fused activation, every BINARY
kind, the conv variants (im2col with scratch, depthwise, grouped, dilated, strided, padded), pools
in floor and ceil mode with and without count_include_pad, in-place plans, and a model with several
inputs and outputs. The window geometry varies per axis: strides and dilations that differ
between height and width, pads larger than the kernel, 1xK and Kx1 windows, grouped and
depthwise convs that are strided and dilated at once. Shapes are kept
tiny so that one fuzz execution (load, hash, two runs) stays in the tens of microseconds.

    .venv/bin/python fuzz/seeds.py fuzz/corpus     (or: invoke fuzz-corpus)
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tzinfer import tzm
from tzinfer.convert import convert

OPSET = 14  # HardSwish exists from opset 14 on


class Graph:
    """A graph under construction: nodes and seeded random initialisers."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def weight(self, name: str, *shape: int) -> str:
        self.inits.append(numpy_helper.from_array(self.rng.standard_normal(shape).astype(np.float32), name))
        return name

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs: object) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def model(self, x_shape: list[int], y: str, opset: int = OPSET) -> onnx.ModelProto:
        return self.model_io({"x": x_shape}, [y], opset)

    def model_io(self, inputs: dict[str, list[int]], outputs: list[str],
                 opset: int = OPSET) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, "seed",
                                  [helper.make_tensor_value_info(x, TensorProto.FLOAT, shape)
                                   for x, shape in inputs.items()],
                                  [helper.make_tensor_value_info(y, TensorProto.FLOAT, None)
                                   for y in outputs],
                                  self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def conv_pool_gemm() -> onnx.ModelProto:
    """im2col conv with scratch and ReLU, floor-mode max pool, 1x1 conv with a residual Add,
    global average pool, flatten, GEMM, softmax."""
    g = Graph(1)
    h = g.node("Conv", ["x", g.weight("w1", 4, 2, 3, 3), g.weight("b1", 4)], "c1", kernel_shape=[3, 3],
               pads=[1, 1, 1, 1])
    h = g.node("Relu", [h], "r1")
    p = g.node("MaxPool", [h], "p1", kernel_shape=[2, 2], strides=[2, 2])
    h = g.node("Conv", [p, g.weight("w2", 4, 4, 1, 1), g.weight("b2", 4)], "c2", kernel_shape=[1, 1])
    h = g.node("Add", [h, p], "a1")
    h = g.node("GlobalAveragePool", [h], "g1")
    h = g.node("Flatten", [h], "f1")
    h = g.node("Gemm", [h, g.weight("w3", 3, 4), g.weight("b3", 3)], "l1", transB=1)
    return g.model([1, 2, 6, 6], g.node("Softmax", [h], "y", axis=1))


def depthwise_strided() -> onnx.ModelProto:
    """Depthwise 3x3 stride 2 (direct kernel) with Clip (ReLU6), dilated im2col conv with
    HardSwish, ceil-mode average pool counting the padding."""
    g = Graph(2)
    h = g.node("Conv", ["x", g.weight("w1", 3, 1, 3, 3), g.weight("b1", 3)], "c1", kernel_shape=[3, 3],
               pads=[1, 1, 1, 1], strides=[2, 2], group=3)
    lo, hi = g.const("lo", np.array(0.0, np.float32)), g.const("hi", np.array(6.0, np.float32))
    h = g.node("Clip", [h, lo, hi], "k1")
    h = g.node("Conv", [h, g.weight("w2", 2, 3, 2, 2)], "c2", kernel_shape=[2, 2], dilations=[2, 2],
               pads=[1, 0, 1, 2])
    h = g.node("HardSwish", [h], "s1")
    return g.model([1, 3, 7, 7], g.node("AveragePool", [h], "y", kernel_shape=[2, 2], strides=[2, 2],
                                        pads=[1, 1, 0, 0], ceil_mode=1, count_include_pad=1))


def grouped_acts() -> onnx.ModelProto:
    """Grouped conv (2 channels per group) with LeakyRelu, depthwise conv with a channel
    multiplier, then HardSigmoid, Sigmoid and Tanh as standalone activations."""
    g = Graph(3)
    h = g.node("Conv", ["x", g.weight("w1", 4, 2, 3, 1), g.weight("b1", 4)], "c1", kernel_shape=[3, 1],
               pads=[1, 0, 1, 0], group=2)
    h = g.node("LeakyRelu", [h], "l1", alpha=0.1)
    h = g.node("MaxPool", [h], "m1", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
    h = g.node("Conv", [h, g.weight("w2", 8, 1, 2, 2)], "c2", kernel_shape=[2, 2], group=4)
    h = g.node("HardSigmoid", [h], "h1", alpha=0.3, beta=0.4)
    h = g.node("Sigmoid", [h], "s1")
    return g.model([1, 4, 5, 4], g.node("Tanh", [h], "y"))


def broadcast_layout() -> onnx.ModelProto:
    """BINARY SUB, MUL, DIV and PRELU with broadcasting, TRANSPOSE, PAD, CONCAT with a constant
    input, RESHAPE, and a softmax along a middle axis."""
    g = Graph(4)
    h = g.node("Sub", ["x", g.weight("b0", 3, 1)], "s1")
    h = g.node("Mul", [h, g.weight("b1", 4)], "m1")
    h = g.node("Div", [h, g.const("d", np.array([[[2.0]]], np.float32))], "d1")
    h = g.node("PRelu", [h, g.weight("slope", 1, 4)], "p1")
    h = g.node("Transpose", [h], "t1", perm=[2, 0, 1])
    h = g.node("Pad", [h, g.const("pads", np.array([0, 1, 0, 1, 0, 2], np.int64)),
                       g.const("pv", np.array(0.5, np.float32))], "pd1")
    h = g.node("Concat", [h, g.weight("cat", 5, 2, 5)], "cc1", axis=1)
    h = g.node("Reshape", [h, g.const("shape", np.array([5, 1, 25], np.int64))], "rs1")
    return g.model([2, 3, 4], g.node("Softmax", [h], "y", axis=2))


def matmul_tanh() -> onnx.ModelProto:
    """MatMul + bias (GEMM with a fused TANH) twice, with an elementwise Add of two activations."""
    g = Graph(5)
    a = g.node("Tanh", [g.node("Add", [g.node("MatMul", ["x", g.weight("w1", 6, 5)], "mm1"),
                                       g.weight("b1", 5)], "ab1")], "t1")
    b = g.node("Relu", [g.node("MatMul", ["x", g.weight("w2", 6, 5)], "mm2")], "r2")
    return g.model([3, 6], g.node("Add", [a, b], "y"))


def multi_io() -> onnx.ModelProto:
    """Two inputs and three outputs: a conv map through a sigmoid, a GEMM head over the pooled map
    and the second input, and that input's ReLU, which the head reads too (an output read by a
    later op, so the plan keeps it live to the end)."""
    g = Graph(6)
    h = g.node("Conv", ["x", g.weight("w1", 3, 2, 3, 3), g.weight("b1", 3)], "c1", kernel_shape=[3, 3],
               pads=[1, 1, 1, 1])
    maps = g.node("Sigmoid", [h], "maps")
    pooled = g.node("Flatten", [g.node("GlobalAveragePool", [h], "g1")], "f1")
    side = g.node("Relu", ["s"], "side")
    h = g.node("Concat", [pooled, side], "cat", axis=1)
    head = g.node("Gemm", [h, g.weight("w2", 4, 5), g.weight("b2", 4)], "head", transB=1)
    return g.model_io({"x": [1, 2, 4, 4], "s": [1, 2]}, [head, maps, side])


def _pair(v: int | tuple[int, int]) -> list[int]:
    """A per-axis attribute (height, width) from one value or two."""
    return [v, v] if isinstance(v, int) else list(v)


def conv(c: int, m: int, group: int, k: tuple[int, int], stride: int | tuple[int, int], pads: list[int],
         dilation: int | tuple[int, int], hw: tuple[int, int]) -> Callable[[], onnx.ModelProto]:
    """One conv with bias and ReLU: the kernel paths and the edges of the window geometry."""
    def build() -> onnx.ModelProto:
        g = Graph(10 + c * m + k[0] * sum(_pair(stride)) // 2 + sum(_pair(dilation)) // 2)
        w, b = g.weight("w", m, c // group, *k), g.weight("b", m)
        h = g.node("Conv", ["x", w, b], "c", kernel_shape=list(k), strides=_pair(stride), pads=pads,
                   dilations=_pair(dilation), group=group)
        return g.model([1, c, *hw], g.node("Relu", [h], "y"))
    return build


def pool(op: str, k: tuple[int, int], stride: int | tuple[int, int], pads: list[int], ceil: int,
         count_pad: int, hw: tuple[int, int]) -> Callable[[], onnx.ModelProto]:
    """One pool between two UNARY ops, so the pool's input and output are planned in the arena."""
    def build() -> onnx.ModelProto:
        g = Graph(20)
        extra = {"count_include_pad": count_pad} if op == "AveragePool" else {}
        h = g.node(op, [g.node("Sigmoid", ["x"], "s")], "p", kernel_shape=list(k), strides=_pair(stride),
                   pads=pads, ceil_mode=ceil, **extra)
        return g.model([2, 3, *hw], g.node("Tanh", [h], "y"))
    return build


def gemm(rows: int, k: int, n: int) -> Callable[[], onnx.ModelProto]:
    """GEMM shapes around the 4x16 register tile (partial rows and columns)."""
    def build() -> onnx.ModelProto:
        g = Graph(30 + rows + n)
        h = g.node("Gemm", ["x", g.weight("w", n, k), g.weight("b", n)], "l", transB=1)
        return g.model([rows, k], g.node("Sigmoid", [h], "y"))
    return build


def high_rank() -> onnx.ModelProto:
    """6-D broadcasting, transpose and pad, and a softmax over the first axis."""
    g = Graph(40)
    h = g.node("Add", ["x", g.weight("b", 2, 1, 3, 1, 1)], "a")
    h = g.node("Transpose", [h], "t", perm=[5, 3, 0, 1, 4, 2])
    h = g.node("Pad", [h, g.const("pads", np.array([0, 1, 0, 0, 0, 1, 1, 0, 0, 2, 0, 0], np.int64))], "p")
    return g.model([1, 2, 1, 3, 2, 2], g.node("Softmax", [h], "y", axis=0))


def ints(*values: int) -> np.ndarray:
    return np.array(values, np.int64)


def resize_slice() -> onnx.ModelProto:
    """RESIZE nearest (half_pixel, round_prefer_ceil) and linear (align_corners, from sizes), SLICE
    with negative and strided steps, a Split into two SLICEs and their CONCAT, PAD_EDGE."""
    g = Graph(50)
    h = g.node("Resize", ["x", "", g.const("sc", np.array([1, 1, 2, 1.5], np.float32))], "r1",
               mode="nearest", nearest_mode="round_prefer_ceil")
    h = g.node("Slice", [h, g.const("st", ints(-1, 0)), g.const("en", ints(-100, 9)),
                         g.const("ax", ints(3, 2)), g.const("sp", ints(-2, 2))], "s1")
    h = g.node("Resize", [h, "", "", g.const("sz", ints(1, 2, 3, 7))], "r2", mode="linear",
               coordinate_transformation_mode="align_corners")
    a, b = "sa", "sb"
    g.nodes.append(helper.make_node("Split", [h, g.const("split", ints(1, 1))], [a, b], axis=1))
    h = g.node("Concat", [b, a], "cc", axis=1)
    return g.model([1, 2, 5, 6], g.node("Pad", [h, g.const("pads", ints(0, 0, 1, 2, 0, 1, 0, 1))], "y",
                                        mode="edge"))


def reduce_norm() -> onnx.ModelProto:
    """NORMALIZE (LayerNormalization with scale and bias, InstanceNormalization), REDUCE of two
    kinds over non-adjacent axes, and the math activations (GELU, MISH, SOFTPLUS, ERF, EXP, ...)."""
    g = Graph(51)
    h = g.node("LayerNormalization", ["x", g.weight("ls", 4, 5), g.weight("lb", 4, 5)], "ln", axis=-2)
    h = g.node("Gelu", [h], "ge")
    h = g.node("InstanceNormalization", [h, g.weight("is", 3), g.weight("ib", 3)], "in", epsilon=1e-3)
    h = g.node("Mish", [g.node("Softplus", [g.node("Erf", [h], "er")], "sp")], "mi")
    r = g.node("ReduceLogSumExp", [h, g.const("ax", ints(1, 3))], "rl")
    h = g.node("Sub", [h, g.node("ReduceL2", [h, g.const("ax2", ints(0, 2))], "r2")], "d")
    h = g.node("Add", [g.node("Exp", [g.node("Neg", [g.node("Abs", [h], "ab")], "ng")], "ex"), r], "a")
    h = g.node("Sqrt", [g.node("Reciprocal", [h], "rc")], "sq")
    return g.model([2, 3, 4, 5], g.node("Log", [h], "y"), opset=20)


def matmul_where_tile() -> onnx.ModelProto:
    """MATMUL of two activations with broadcast batch dims, comparisons and logic into WHERE, NOT,
    Cast to bool, POW, MAX/MIN, TILE (Tile and Expand), and a LogSoftmax."""
    g = Graph(52)
    t = g.node("Transpose", ["x"], "t", perm=[0, 2, 1])
    m = g.node("MatMul", [g.node("Slice", ["x", g.const("s0", ints(0)), g.const("e0", ints(1)),
                                             g.const("a0", ints(0))], "x0"), t], "mm")
    c = g.node("Greater", [m, g.const("zero", np.array(0, np.float32))], "gt")
    c = g.node("Xor", [g.node("And", [c, g.node("Not", [g.node("Less", [m, g.weight("k", 3)], "lt")], "nt")],
                              "an"), g.node("Cast", [m], "cb", to=TensorProto.BOOL)], "xo")
    c = g.node("Or", [c, g.node("Equal", [m, m], "eq")], "or")
    h = g.node("Where", [c, g.node("Pow", [g.node("Abs", [m], "am"), g.const("p", np.array(1.5, np.float32))],
                                   "pw"), g.node("Max", [m, g.weight("mx", 1, 3)], "mx1")], "w")
    h = g.node("Min", [h, g.node("Pow", [m, g.const("p3", np.array(3.0, np.float32))], "p3o")], "mn")
    h = g.node("Expand", [g.node("Tile", [h, g.const("rep", ints(1, 2, 1))], "ti"),
                          g.const("shape", ints(2, 1, 6, 3))], "ep")
    return g.model([2, 3, 3], g.node("LogSoftmax", [h], "y", axis=1))


def conv_transpose_pads() -> onnx.ModelProto:
    """CONV_TRANSPOSE with groups, strides, dilation, asymmetric pads and output_padding (and one
    with a fused ReLU), PAD_REFLECT, and DepthToSpace / SpaceToDepth as reshape and transpose."""
    g = Graph(53)
    h = g.node("ConvTranspose", ["x", g.weight("w1", 4, 3, 3, 2), g.weight("b1", 6)], "ct1", group=2,
               strides=[2, 3], dilations=[2, 1], pads=[1, 0, 2, 1], output_padding=[1, 2])
    h = g.node("Relu", [g.node("ConvTranspose", [h, g.weight("w2", 6, 2, 1, 1)], "ct2")], "r")
    h = g.node("Pad", [h, g.const("pads", ints(0, 0, 2, 1, 0, 0, 1, 2))], "pr", mode="reflect")
    h = g.node("SpaceToDepth", [g.node("Slice", [h, g.const("s", ints(0, 0)), g.const("e", ints(8, 8)),
                                                 g.const("a", ints(2, 3))], "crop")], "sd", blocksize=2)
    return g.model([1, 4, 3, 3], g.node("DepthToSpace", [h], "y", blocksize=2, mode="CRD"))


SEEDS: dict[str, Callable[[], onnx.ModelProto]] = {
    "resize_slice": resize_slice,
    "reduce_norm": reduce_norm,
    "matmul_where_tile": matmul_where_tile,
    "conv_transpose_pads": conv_transpose_pads,
    "conv_pool_gemm": conv_pool_gemm,
    "depthwise_strided": depthwise_strided,
    "grouped_acts": grouped_acts,
    "broadcast_layout": broadcast_layout,
    "matmul_tanh": matmul_tanh,
    "multi_io": multi_io,
    "high_rank": high_rank,
    # name: C, M, group, kernel, stride, pads (t, l, b, r), dilation, input H x W
    "conv_1x1_stride2": conv(3, 5, 1, (1, 1), 2, [0, 0, 0, 0], 1, (5, 6)),
    "conv_kernel_over_input": conv(2, 3, 1, (5, 4), 1, [2, 1, 2, 2], 1, (3, 3)),
    "conv_stride3_asym_pads": conv(2, 4, 1, (3, 2), 3, [0, 2, 1, 0], 1, (8, 7)),
    "conv_dilated3": conv(2, 2, 1, (2, 3), 1, [1, 1, 1, 1], 3, (7, 8)),
    "conv_grouped3": conv(6, 3, 3, (3, 3), 2, [1, 1, 1, 1], 1, (6, 5)),
    "conv_depthwise_mult": conv(2, 6, 2, (3, 3), 1, [1, 1, 1, 1], 1, (5, 5)),
    "conv_depthwise_s2_nopad": conv(3, 3, 3, (3, 3), 2, [0, 0, 0, 0], 1, (7, 6)),
    "conv_depthwise_s3_dilated": conv(2, 2, 2, (2, 2), 3, [2, 0, 1, 2], 2, (9, 7)),
    "conv_single_channel": conv(1, 3, 1, (3, 3), 1, [0, 1, 0, 1], 1, (4, 5)),
    "conv_wide_k": conv(40, 2, 1, (3, 3), 1, [1, 1, 1, 1], 1, (2, 40)),
    # per-axis geometry: (stride h, w), (dilation h, w)
    "conv_stride_2x1": conv(2, 3, 1, (3, 3), (2, 1), [1, 0, 1, 0], 1, (6, 5)),
    "conv_stride_1x3_dilation_2x1": conv(3, 4, 1, (2, 3), (1, 3), [0, 1, 1, 2], (2, 1), (7, 9)),
    "conv_grouped_dilated_strided": conv(4, 4, 2, (3, 3), 2, [2, 1, 0, 2], 2, (9, 8)),
    "conv_depthwise_5x5_pad2": conv(4, 4, 4, (5, 5), 1, [2, 2, 2, 2], 1, (6, 6)),
    "conv_depthwise_stride_2x3": conv(3, 3, 3, (3, 3), (2, 3), [1, 1, 1, 1], 1, (7, 8)),
    "conv_depthwise_dilation_1x3": conv(2, 2, 2, (3, 3), 1, [0, 3, 0, 3], (1, 3), (4, 9)),
    "conv_pads_over_kernel": conv(2, 2, 1, (2, 2), 1, [3, 0, 0, 3], 1, (3, 3)),
    "conv_1x5": conv(2, 3, 1, (1, 5), 1, [0, 2, 0, 2], 1, (3, 8)),
    "conv_5x1_stride_3x1": conv(3, 2, 1, (5, 1), (3, 1), [2, 0, 2, 0], 1, (10, 3)),
    "maxpool_ceil_pads": pool("MaxPool", (3, 3), 2, [1, 2, 2, 1], 1, 0, (6, 7)),
    "maxpool_1x3_s1": pool("MaxPool", (1, 3), 1, [0, 1, 0, 1], 0, 0, (3, 4)),
    "avgpool_ceil_count_pad": pool("AveragePool", (2, 3), 2, [1, 1, 1, 0], 1, 1, (5, 6)),
    "avgpool_floor_no_count": pool("AveragePool", (3, 3), 1, [1, 1, 1, 1], 0, 0, (4, 4)),
    "maxpool_stride_2x1": pool("MaxPool", (2, 2), (2, 1), [0, 0, 0, 0], 0, 0, (5, 4)),
    "avgpool_3x1_stride_1x2": pool("AveragePool", (3, 1), (1, 2), [1, 0, 1, 0], 1, 0, (4, 7)),
    "maxpool_pads_over_half_kernel": pool("MaxPool", (3, 2), (1, 3), [1, 1, 1, 1], 1, 0, (3, 8)),
    "gemm_5x7x17": gemm(5, 7, 17),
    "gemm_1x33x1": gemm(1, 33, 1),
    "gemm_4x2x32": gemm(4, 2, 32),
}


def write_corpus(out_dir: Path) -> list[Path]:
    """Convert every seed graph into out_dir/<name>.tzm; returns the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in SEEDS.items():
            onnx_path = Path(tmp) / f"{name}.onnx"
            onnx.save(build(), onnx_path)
            path = out_dir / f"{name}.tzm"
            path.write_bytes(tzm.write(convert(onnx_path).model))
            written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: seeds.py OUT_DIR (e.g. fuzz/corpus)")
    for p in write_corpus(Path(sys.argv[1])):
        print(f"{p}: {p.stat().st_size} bytes")
