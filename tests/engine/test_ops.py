"""Per-op checks of converter + host engine against ONNX Runtime on tiny ONNX graphs with
randomised shapes and attributes (hypothesis). Each graph is converted to .tzm, run through
tzinfer.native and compared with ORT: max|diff| <= 1e-4 * max(1, max|ref|)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from tests.exported import exported
from tzinfer import native, tzm
from tzinfer.convert import ConvertError, UnsupportedError, convert
from tzinfer.ort import reference_session, run_reference
from tzinfer.tzm import Act, OpType

#: Examples per property; CI keeps the default, a soak run raises it (TZINFER_OP_EXAMPLES=500).
EXAMPLES = settings(max_examples=int(os.environ.get("TZINFER_OP_EXAMPLES", "25")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# --- helpers -------------------------------------------------------------------------------------


def make_model(nodes: list[onnx.NodeProto], input_shape: tuple[int | str, ...] | None,
               consts: dict[str, np.ndarray] | None = None, opset: int = 14) -> onnx.ModelProto:
    """A one-input ("x"), one-output ("y") float model; consts become initializers."""
    inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in (consts or {}).items()]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "t", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


@contextmanager
def saved(model: onnx.ModelProto) -> Iterator[Path]:
    """The model as a temporary .onnx file (convert and the ORT reference both read files)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.onnx"
        onnx.save(model, path)
        yield path


def convert_model(model: onnx.ModelProto, input_shape: tuple[int, ...] | None = None) -> tzm.TzmModel:
    with saved(model) as path:
        return convert(path, input_shape).model


def check(model: onnx.ModelProto, x: np.ndarray, input_shape: tuple[int, ...] | None = None) -> tzm.TzmModel:
    """Convert, run on the engine, compare with ORT; returns the converted model for extra checks."""
    with saved(model) as path:
        converted = convert(path, input_shape).model
        ref = run_reference(reference_session(path), x)
    y = native.load(tzm.write(converted)).run(x)
    assert y.shape == ref.shape
    tolerance = 1e-4 * max(1.0, float(np.abs(ref).max()))
    assert float(np.abs(y - ref).max()) <= tolerance
    return converted


def rand(seed: int, *shape: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def op_types(model: tzm.TzmModel) -> list[OpType]:
    return [op.type for op in model.ops]


seeds = st.integers(0, 2**32 - 1)

# Activations as (ONNX node factory, expected fused act); inputs named "a" -> "y".
ACTIVATIONS = {
    "Relu": (lambda i, o: helper.make_node("Relu", [i], [o]), Act.RELU),
    "Relu6": (lambda i, o: helper.make_node("Clip", [i, "lo", "hi"], [o]), Act.CLIP),
    "LeakyRelu": (lambda i, o: helper.make_node("LeakyRelu", [i], [o], alpha=0.3), Act.LEAKY_RELU),
    "Sigmoid": (lambda i, o: helper.make_node("Sigmoid", [i], [o]), Act.SIGMOID),
    "HardSigmoid": (lambda i, o: helper.make_node("HardSigmoid", [i], [o], alpha=0.25, beta=0.4),
                    Act.HARD_SIGMOID),
    "HardSwish": (lambda i, o: helper.make_node("HardSwish", [i], [o]), Act.HARD_SWISH),
    "Tanh": (lambda i, o: helper.make_node("Tanh", [i], [o]), Act.TANH),
}
CLIP_BOUNDS = {"lo": np.array(0.0, np.float32), "hi": np.array(6.0, np.float32)}

# --- convolution ---------------------------------------------------------------------------------


@st.composite
def conv_cases(draw: st.DrawFn) -> dict:
    kind = draw(st.sampled_from(["dense", "depthwise", "grouped"]))
    group = 1 if kind == "dense" else draw(st.integers(2, 4))
    cg = 1 if kind == "depthwise" else draw(st.integers(1, 4))
    m = group * (1 if kind == "depthwise" else draw(st.integers(1, 3)))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = draw(st.sampled_from([(1, 1), (1, 1), (2, 2), (1, 2)]))
    pads = [draw(st.integers(0, 2)) for _ in range(4)]
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    h = draw(st.integers(max(1, eh - pads[0] - pads[2]), eh + 7))
    w = draw(st.integers(max(1, ew - pads[1] - pads[3]), ew + 7))
    return {"n": draw(st.integers(1, 2)), "c": cg * group, "m": m, "h": h, "w": w, "group": group,
            "kernel": (kh, kw), "strides": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
            "dilations": (dh, dw), "pads": pads, "bias": draw(st.booleans()), "seed": draw(seeds),
            "act": draw(st.sampled_from([None, *ACTIVATIONS]))}


@EXAMPLES
@given(conv_cases())
def test_conv(case: dict) -> None:
    """Dense, grouped and depthwise conv with asymmetric pads, strides, dilation, bias and every
    fusable activation; the activation must end up fused into the CONV."""
    kh, kw = case["kernel"]
    weights = rand(case["seed"], case["m"], case["c"] // case["group"], kh, kw)
    consts = {"w": weights, **CLIP_BOUNDS}
    inputs = ["x", "w"]
    if case["bias"]:
        consts["b"] = rand(case["seed"] + 1, case["m"])
        inputs.append("b")
    conv_out = "c" if case["act"] else "y"
    nodes = [helper.make_node("Conv", inputs, [conv_out], group=case["group"], kernel_shape=[kh, kw],
                              strides=list(case["strides"]), dilations=list(case["dilations"]),
                              pads=case["pads"])]
    if case["act"]:
        nodes.append(ACTIVATIONS[case["act"]][0]("c", "y"))
    x = rand(case["seed"] + 2, case["n"], case["c"], case["h"], case["w"])
    converted = check(make_model(nodes, x.shape, consts), x)
    assert op_types(converted) == [OpType.CONV]
    assert converted.ops[0].act == (ACTIVATIONS[case["act"]][1] if case["act"] else Act.NONE)


#: Depthwise convs (channels, multiplier, input HxW, kernel, stride, dilation, pads) that reach the
#: kernel's splits, stride phases and tap tables; the aarch64 test runs them too.
DEPTHWISE_GEOMETRIES = [
    (5, 1, (7, 7), 3, 1, 1, [1, 1, 1, 1]),         # rows of a single partial vector
    (3, 1, (14, 14), 3, 2, 1, [1, 1, 1, 1]),       # MobileNet stride 2
    (3, 1, (57, 75), 3, 2, 1, [0, 1, 1, 0]),       # stride 2, odd sizes, several vectors per row
    (2, 1, (40, 130), 3, 1, 1, [1, 1, 1, 1]),      # several vectors per row, last one partial
    (4, 1, (28, 28), 5, 1, 1, [2, 2, 2, 2]),       # EfficientNet 5x5
    (4, 1, (29, 31), 5, 2, 1, [2, 1, 2, 2]),       # 5x5 stride 2
    (2, 1, (20, 20), 7, 1, 1, [3, 3, 3, 3]),       # 49 taps: the whole offset table
    (2, 1, (21, 19), 9, 1, 1, [4, 4, 0, 4]),       # 81 taps: offsets computed per chunk of taps
    (3, 2, (16, 18), 3, 1, 2, [2, 2, 2, 2]),       # channel multiplier 2, dilation 2
    (2, 1, (23, 22), 3, 3, 1, [1, 2, 1, 0]),       # stride 3: gathered phases
    # rows of at most two vectors in blocks of four rows (the last block overlapping)
    (3, 1, (14, 14), 5, 1, 1, [2, 2, 2, 2]),       # EfficientNet 5x5 on 14x14
    (2, 1, (8, 30), 3, 2, 1, [1, 1, 1, 1]),        # exactly one block of rows, 15 wide
    (3, 2, (9, 9), 5, 1, 1, [2, 2, 2, 2]),         # channel multiplier 2
    (2, 1, (6, 12), 3, 1, 1, [0, 1, 0, 1]),        # no padding above or below
    (2, 1, (13, 11), 5, 2, 1, [1, 2, 2, 1]),       # 5x5 stride 2, odd sizes, asymmetric pads
    (2, 1, (3, 9), 3, 1, 1, [1, 1, 1, 1]),         # fewer rows than a block
]
#: Pointwise convs (channels, outputs, input HxW) whose planes end in the GEMM's narrower tiles, read
#: in place: 7x7 (a 48-column tile and one column), 10x8 (32 + 48), 14x14 (four columns past the
#: last tile, over depths past the gathered 256), 28x28 (23 tiles of 32, one of 48).
POINTWISE_GEOMETRIES = [(12, 20, (7, 7)), (5, 9, (10, 8)), (300, 10, (14, 14)), (3, 17, (28, 28))]
#: Dense convs (channels, outputs, input HxW, kernel, stride) for the implicit GEMM's stride phases.
TAPS_GEOMETRIES = [(3, 32, (64, 66), 3, 2), (8, 20, (31, 29), 5, 2), (4, 9, (40, 40), 3, 1)]


def depthwise_model(c: int, mult: int, hw: tuple[int, int], k: int, stride: int, dilation: int,
                    pads: list[int]) -> onnx.ModelProto:
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], group=c, kernel_shape=[k, k],
                            strides=[stride, stride], dilations=[dilation, dilation], pads=pads)
    return make_model([node], (1, c, *hw), {"w": rand(1, c * mult, 1, k, k), "b": rand(2, c * mult)})


def taps_model(c: int, m: int, hw: tuple[int, int], k: int, stride: int) -> onnx.ModelProto:
    node = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[k, k], strides=[stride, stride],
                            pads=[k // 2] * 4)
    return make_model([node], (1, c, *hw), {"w": rand(3, m, c, k, k)})


@pytest.mark.parametrize("c, mult, hw, k, stride, dilation, pads", DEPTHWISE_GEOMETRIES)
def test_depthwise_geometries(c: int, mult: int, hw: tuple[int, int], k: int, stride: int, dilation: int,
                              pads: list[int]) -> None:
    """The depthwise kernel's splits (rows of whole and partial vectors), stride phases and tap tables
    on sizes the random cases above do not reach."""
    check(depthwise_model(c, mult, hw, k, stride, dilation, pads), rand(c * k, 1, c, *hw))


@pytest.mark.parametrize("c, m, hw", POINTWISE_GEOMETRIES)
def test_pointwise_geometries(c: int, m: int, hw: tuple[int, int]) -> None:
    """Pointwise convs read in place up to their planes' last columns, with a Relu6 in the tiles."""
    node = helper.make_node("Conv", ["x", "w", "b"], ["c"])
    clip = helper.make_node("Clip", ["c", "lo", "hi"], ["y"])
    consts = {"w": rand(4, m, c, 1, 1), "b": rand(5, m), **CLIP_BOUNDS}
    check(make_model([node, clip], (1, c, *hw), consts), rand(6, 1, c, *hw))


@pytest.mark.parametrize("c, m, hw, k, stride", TAPS_GEOMETRIES)
def test_conv_taps_geometries(c: int, m: int, hw: tuple[int, int], k: int, stride: int) -> None:
    """The implicit GEMM over stride phases on planes wider than a register tile."""
    check(taps_model(c, m, hw, k, stride), rand(m, 1, c, *hw))


@EXAMPLES
@given(st.sampled_from(["SAME_UPPER", "SAME_LOWER", "VALID"]), st.integers(1, 3), st.integers(1, 5), seeds)
def test_conv_auto_pad(auto_pad: str, stride: int, k: int, seed: int) -> None:
    x = rand(seed, 1, 3, 9, 8)
    node = helper.make_node("Conv", ["x", "w"], ["y"], auto_pad=auto_pad, strides=[stride, stride])
    check(make_model([node], x.shape, {"w": rand(seed + 1, 4, 3, k, k)}), x)


@EXAMPLES
@given(st.booleans(), seeds)
def test_batchnorm_folds_into_conv(with_bias: bool, seed: int) -> None:
    consts = {"w": rand(seed, 6, 3, 3, 3), "s": rand(seed + 1, 6), "bb": rand(seed + 2, 6),
              "mean": rand(seed + 3, 6), "var": np.abs(rand(seed + 4, 6)) + 0.1, "b": rand(seed + 5, 6)}
    conv_inputs = ["x", "w", "b"] if with_bias else ["x", "w"]
    nodes = [helper.make_node("Conv", conv_inputs, ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "s", "bb", "mean", "var"], ["bn"], epsilon=1e-3),
             helper.make_node("Relu", ["bn"], ["y"])]
    x = rand(seed + 6, 1, 3, 7, 7)
    converted = check(make_model(nodes, x.shape, consts), x)
    assert op_types(converted) == [OpType.CONV] and converted.ops[0].act == Act.RELU


@EXAMPLES
@given(st.integers(1, 6), st.integers(0, 2), seeds)
def test_batchnorm_without_conv(c: int, extra_dims: int, seed: int) -> None:
    """A BatchNormalization with no conv before it becomes a per-channel MUL and ADD."""
    consts = {"s": rand(seed, c), "bb": rand(seed + 1, c), "mean": rand(seed + 2, c),
              "var": np.abs(rand(seed + 3, c)) + 0.1}
    x = rand(seed + 4, 2, c, *([3] * extra_dims))
    node = helper.make_node("BatchNormalization", ["x", "s", "bb", "mean", "var"], ["y"])
    converted = check(make_model([node], x.shape, consts), x)
    assert op_types(converted) == [OpType.BINARY, OpType.BINARY]


@EXAMPLES
@given(st.sampled_from(["Add", "Sub", "Mul"]), st.sampled_from([(5, 1, 1), (1, 5, 1, 1), (1,), ()]),
       st.booleans(), seeds)
def test_per_channel_constant_folds_into_conv(op: str, const_shape: tuple[int, ...], const_first: bool,
                                              seed: int) -> None:
    consts = {"w": rand(seed, 5, 2, 3, 3), "k": rand(seed + 1, *const_shape)}
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"]),
             helper.make_node(op, ["k", "c"] if const_first else ["c", "k"], ["y"])]
    x = rand(seed + 2, 1, 2, 6, 6)
    assert op_types(check(make_model(nodes, x.shape, consts), x)) == [OpType.CONV]


# --- activations and element-wise ----------------------------------------------------------------


@EXAMPLES
@given(st.sampled_from(list(ACTIVATIONS)), st.lists(st.integers(1, 5), min_size=1, max_size=4), seeds)
def test_activation_alone(name: str, shape: list[int], seed: int) -> None:
    """An activation with no producer to fuse into (it reads the model input) is a UNARY op."""
    x = 4 * rand(seed, *shape)
    converted = check(make_model([ACTIVATIONS[name][0]("x", "y")], x.shape, CLIP_BOUNDS), x)
    assert op_types(converted) == [OpType.UNARY] and converted.ops[0].act == ACTIVATIONS[name][1]


@EXAMPLES
@given(st.sampled_from(["attributes", "both", "min only", "max only"]), st.floats(-2, 0), st.floats(0.1, 3),
       seeds)
def test_clip_bounds(form: str, low: float, high: float, seed: int) -> None:
    """Clip bounds as attributes (opset 10) or as optional inputs (opset 11+), either may be absent."""
    x = 3 * rand(seed, 2, 3, 4)
    if form == "attributes":
        model = make_model([helper.make_node("Clip", ["x"], ["y"], min=low, max=high)], x.shape, opset=10)
    else:
        inputs = {"both": ["x", "lo", "hi"], "min only": ["x", "lo"], "max only": ["x", "", "hi"]}[form]
        model = make_model([helper.make_node("Clip", inputs, ["y"])], x.shape,
                           {"lo": np.array(low, np.float32), "hi": np.array(high, np.float32)}, opset=11)
    check(model, x)


@st.composite
def broadcast_pairs(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast: right-aligned dims equal or 1, ranks may differ."""
    out = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    a = [d if draw(st.booleans()) else 1 for d in out]
    b = [d if draw(st.booleans()) else 1 for d in out]
    b = b[draw(st.integers(0, len(b))):]
    return tuple(a), tuple(b)


@EXAMPLES
@given(st.sampled_from(["Add", "Sub", "Mul", "Div"]), broadcast_pairs(), st.booleans(), seeds)
def test_binary_broadcast_with_constant(op: str, shapes: tuple, const_first: bool, seed: int) -> None:
    a_shape, b_shape = shapes
    k = rand(seed, *b_shape)
    if op == "Div":
        k = np.sign(k) * (np.abs(k) + 0.5)
    x = rand(seed + 1, *a_shape)
    if op == "Div" and const_first:
        x = np.sign(x) * (np.abs(x) + 0.5)
    node = helper.make_node(op, ["k", "x"] if const_first else ["x", "k"], ["y"])
    check(make_model([node], x.shape, {"k": k}), x)


@EXAMPLES
@given(st.sampled_from(["Add", "Sub", "Mul", "Div"]), st.sampled_from([None, "Relu", "Sigmoid"]),
       st.integers(1, 2), st.integers(1, 6), st.integers(1, 5), seeds)
def test_binary_of_two_activations(op: str, act: str | None, n: int, c: int, hw: int, seed: int) -> None:
    """Squeeze-excite style: x (op) GlobalAveragePool(x) broadcast over H, W, plus a fused activation."""
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["g"]),
             helper.make_node("Sigmoid", ["g"], ["s"]),
             helper.make_node(op, ["x", "s"], ["b" if act else "y"])]
    if act:
        nodes.append(helper.make_node(act, ["b"], ["y"]))
    x = rand(seed, n, c, hw, hw + 1)
    converted = check(make_model(nodes, x.shape), x)
    binary = [o for o in converted.ops if o.type == OpType.BINARY]
    assert len(binary) == 1 and binary[0].act == (Act[act.upper()] if act else Act.NONE)


@EXAMPLES
@given(st.sampled_from(["channel", "scalar", "full", "activation"]), seeds)
def test_prelu(slope_kind: str, seed: int) -> None:
    x = rand(seed, 1, 4, 3, 5)
    if slope_kind == "activation":  # slope computed from the input: Sigmoid(x)
        nodes = [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("PRelu", ["x", "s"], ["y"])]
        model = make_model(nodes, x.shape)
    else:
        shape = {"channel": (4, 1, 1), "scalar": (1,), "full": (4, 3, 5)}[slope_kind]
        slope = {"k": rand(seed + 1, *shape)}
        model = make_model([helper.make_node("PRelu", ["x", "k"], ["y"])], x.shape, slope)
    check(model, x)


# --- pooling ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
@pytest.mark.parametrize("kernel", [[3, 3], [2, 2], [3, 2], [2, 3]])
@pytest.mark.parametrize("w", [27, 33, 40, 55, 75])
def test_pool_stride_2_wide_rows(op: str, kernel: list[int], w: int) -> None:
    """Stride 2 with 2 or 3 window columns over rows wide enough for whole vectors (16 lanes on
    AVX-512), whose last cells are left to partial vectors (one at a time on NEON; pool.c's
    direct_2); 27 and 55 are SqueezeNet's."""
    node = helper.make_node(op, ["x"], ["y"], kernel_shape=kernel, strides=[2, 2], pads=[1, 0, 0, 1])
    x = rand(w, 1, 3, 9, w)
    check(make_model([node], x.shape), x)


@st.composite
def pool_cases(draw: st.DrawFn) -> dict:
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    pads = [draw(st.integers(0, kh - 1)), draw(st.integers(0, kw - 1)), draw(st.integers(0, kh - 1)),
            draw(st.integers(0, kw - 1))]
    strides = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    return {"kernel": [kh, kw], "strides": strides, "pads": pads,
            "h": draw(st.integers(max(1, kh - pads[0] - pads[2]), 10)),
            "w": draw(st.integers(max(1, kw - pads[1] - pads[3]), 10)),
            "ceil_mode": draw(st.integers(0, 1)), "count_include_pad": draw(st.integers(0, 1)),
            "seed": draw(seeds)}


@EXAMPLES
@given(pool_cases())
def test_maxpool(case: dict) -> None:
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=case["kernel"], strides=case["strides"],
                            pads=case["pads"], ceil_mode=case["ceil_mode"])
    x = rand(case["seed"], 1, 3, case["h"], case["w"])
    assert op_types(check(make_model([node], x.shape), x)) == [OpType.MAXPOOL]


@EXAMPLES
@given(pool_cases())
def test_avgpool(case: dict) -> None:
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=case["kernel"], strides=case["strides"],
                            pads=case["pads"], ceil_mode=case["ceil_mode"],
                            count_include_pad=case["count_include_pad"])
    x = rand(case["seed"], 2, 2, case["h"], case["w"])
    assert op_types(check(make_model([node], x.shape), x)) == [OpType.AVGPOOL]


@EXAMPLES
@given(st.sampled_from(["MaxPool", "AveragePool"]), st.sampled_from(["SAME_UPPER", "SAME_LOWER", "VALID"]),
       st.integers(1, 3), st.integers(1, 3), st.integers(3, 9), seeds)
def test_pool_auto_pad(op: str, auto_pad: str, k: int, stride: int, hw: int, seed: int) -> None:
    stride = min(stride, k)  # ORT refuses SAME pooling with stride > kernel (negative pads)
    x = rand(seed, 1, 2, hw, hw + 1)
    node = helper.make_node(op, ["x"], ["y"], kernel_shape=[k, k], strides=[stride, stride],
                            auto_pad=auto_pad)
    check(make_model([node], x.shape), x)


@EXAMPLES
@given(st.sampled_from(["GlobalAveragePool", "GlobalMaxPool"]), st.integers(1, 5), st.integers(1, 9), seeds)
def test_global_pools(op: str, c: int, hw: int, seed: int) -> None:
    x = rand(seed, 1, c, hw, hw + 2)
    check(make_model([helper.make_node(op, ["x"], ["y"])], x.shape), x)


@EXAMPLES
@given(st.sampled_from([[2, 3], [-1, -2], [1, 2]]), st.integers(0, 1), st.sampled_from([13, 18]), seeds)
def test_reduce_mean_over_spatial_axes(axes: list[int], keepdims: int, opset: int, seed: int) -> None:
    """ReduceMean over H, W (NCHW) or over H, W of an NHWC tensor, as tf2onnx exports global pooling."""
    x = rand(seed, 2, 3, 4, 5)
    if opset == 18:
        node = helper.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=keepdims)
    else:
        node = helper.make_node("ReduceMean", ["x"], ["y"], axes=axes, keepdims=keepdims)
    check(make_model([node], x.shape, {"axes": np.array(axes, np.int64)}, opset=opset), x)


# --- fully connected -------------------------------------------------------------------------------


@EXAMPLES
@given(st.integers(1, 3), st.integers(1, 9), st.integers(1, 7), st.booleans(), st.booleans(),
       st.sampled_from([None, "vector", "row", "scalar", "matrix"]), st.floats(0.25, 2), st.floats(-1, 2),
       st.sampled_from([None, "Relu", "Tanh"]), seeds)
def test_gemm(m: int, k: int, n: int, trans_a: bool, trans_b: bool, c_kind: str | None, alpha: float,
              beta: float, act: str | None, seed: int) -> None:
    """Gemm with transA/transB, alpha, beta and every C shape, plus a fused activation."""
    b = rand(seed, *((n, k) if trans_b else (k, n)))
    consts = {"b": b}
    inputs = ["x", "b"]
    if c_kind:
        consts["c"] = rand(seed + 1, *{"vector": (n,), "row": (1, n), "scalar": (), "matrix": (m, n)}[c_kind])
        inputs.append("c")
    nodes = [helper.make_node("Gemm", inputs, ["g" if act else "y"], alpha=alpha, beta=beta,
                              transA=int(trans_a), transB=int(trans_b))]
    if act:
        nodes.append(helper.make_node(act, ["g"], ["y"]))
    x = rand(seed + 2, *((k, m) if trans_a else (m, k)))
    check(make_model(nodes, x.shape, consts), x)


@EXAMPLES
@given(st.lists(st.integers(1, 4), min_size=0, max_size=2), st.integers(1, 8), st.integers(1, 6),
       st.booleans(), seeds)
def test_matmul_with_constant_right_operand(batch: list[int], k: int, n: int, bias: bool, seed: int) -> None:
    """MatMul (rank 2 or more on the left) and a following bias Add, as PyTorch exports Linear."""
    x = rand(seed, *batch, 3, k)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["mm" if bias else "y"])]
    if bias:
        nodes.append(helper.make_node("Add", ["mm", "b"], ["y"]))
    check(make_model(nodes, x.shape, {"w": rand(seed + 1, k, n), "b": rand(seed + 2, n)}), x)


# --- layout ----------------------------------------------------------------------------------------


@EXAMPLES
@given(st.integers(0, 3), st.integers(1, 3), st.integers(0, 3), seeds)
def test_concat_with_constant_zero_channels(axis: int, parts: int, zero_channels: int, seed: int) -> None:
    """Concat of activations and a constant block of zeros (channel padding), on any axis, negative
    axes included."""
    x = rand(seed, 1, 2, 3, 4)
    nodes = [helper.make_node("Relu", ["x"], [f"r{i}"]) for i in range(parts)]
    zero_shape = list(x.shape)
    zero_shape[axis] = zero_channels
    names = ["x"] + [f"r{i}" for i in range(parts)] + (["z"] if zero_channels else [])
    nodes.append(helper.make_node("Concat", names, ["y"], axis=axis - 4 if seed % 2 else axis))
    check(make_model(nodes, x.shape, {"z": np.zeros(zero_shape, np.float32)}), x)


@EXAMPLES
@given(st.integers(11, 13), st.integers(1, 4), st.data())
def test_softmax_axes(opset: int, rank: int, data: st.DataObject) -> None:
    """Softmax before opset 13 normalises the flattened trailing block; from 13 one axis."""
    shape = data.draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank))
    axis = data.draw(st.integers(-rank, rank - 1))
    x = 3 * rand(data.draw(seeds), *shape)
    check(make_model([helper.make_node("Softmax", ["x"], ["y"], axis=axis)], x.shape, opset=opset), x)


@EXAMPLES
@given(st.lists(st.integers(1, 4), min_size=2, max_size=5), st.randoms(use_true_random=False), seeds)
def test_transpose(shape: list[int], random: object, seed: int) -> None:
    perm = list(range(len(shape)))
    random.shuffle(perm)  # type: ignore[attr-defined]
    x = rand(seed, *shape)
    check(make_model([helper.make_node("Transpose", ["x"], ["y"], perm=perm)], x.shape), x)


@EXAMPLES
@given(st.integers(1, 4), st.integers(3, 9), seeds)
def test_nhwc_input_transpose(c: int, hw: int, seed: int) -> None:
    """tf2onnx keeps TensorFlow's NHWC input and transposes it to NCHW before the first conv."""
    x = rand(seed, 1, hw, hw + 1, c)
    nodes = [helper.make_node("Transpose", ["x"], ["nchw"], perm=[0, 3, 1, 2]),
             helper.make_node("Conv", ["nchw", "w"], ["conv"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["conv"], ["r"]),
             helper.make_node("Transpose", ["r"], ["y"], perm=[0, 2, 3, 1])]
    converted = check(make_model(nodes, x.shape, {"w": rand(seed + 1, 5, c, 3, 3)}), x)
    assert converted.tensors[converted.inputs[0].tensor].dims == x.shape


@EXAMPLES
@given(st.sampled_from([10, 11, 18]), st.lists(st.integers(0, 3), min_size=8, max_size=8),
       st.floats(-2, 2), seeds)
def test_pad_constant(opset: int, pads: list[int], value: float, seed: int) -> None:
    """Constant Pad: pads/value attributes (opset 10), inputs (11), and inputs with axes (18)."""
    x = rand(seed, 1, 2, 3, 4)
    if opset == 10:
        model = make_model([helper.make_node("Pad", ["x"], ["y"], pads=pads, value=value)], x.shape, opset=10)
    elif opset == 11:
        model = make_model([helper.make_node("Pad", ["x", "p", "v"], ["y"])], x.shape,
                           {"p": np.array(pads, np.int64), "v": np.array(value, np.float32)}, opset=11)
    else:  # only the spatial axes, as "axes" allows from opset 18
        model = make_model([helper.make_node("Pad", ["x", "p", "v", "axes"], ["y"])], x.shape,
                           {"p": np.array(pads[:4], np.int64), "v": np.array(value, np.float32),
                            "axes": np.array([-2, 3], np.int64)}, opset=18)
    check(model, x)


@EXAMPLES
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 5), seeds)
def test_reshape_family(c: int, h: int, w: int, seed: int) -> None:
    """Flatten, Squeeze, Unsqueeze (axes as inputs at opset 13) and Reshape with 0 and -1."""
    x = rand(seed, 1, c, h, w)
    consts = {"sq": np.array([0], np.int64), "un": np.array([1, -1], np.int64),
              "shape": np.array([0, -1, 1], np.int64)}
    nodes = [helper.make_node("Flatten", ["x"], ["f"], axis=1),
             helper.make_node("Squeeze", ["f", "sq"], ["s"]),
             helper.make_node("Unsqueeze", ["s", "un"], ["u"]),
             helper.make_node("Relu", ["u"], ["r"]),
             helper.make_node("Reshape", ["r", "shape"], ["y"])]
    check(make_model(nodes, x.shape, consts), x)


@EXAMPLES
@given(st.integers(11, 12), st.integers(1, 3), seeds)
def test_squeeze_unsqueeze_axes_attribute(opset: int, c: int, seed: int) -> None:
    x = rand(seed, 1, c, 1, 3)
    nodes = [helper.make_node("Squeeze", ["x"], ["s"], axes=[0, 2]),
             helper.make_node("Sigmoid", ["s"], ["t"]),
             helper.make_node("Unsqueeze", ["t"], ["y"], axes=[-1])]
    check(make_model(nodes, x.shape, opset=opset), x)


@EXAMPLES
@given(st.sampled_from([11, 13, 18]), st.integers(1, 4), st.integers(2, 6), seeds)
def test_folded_dynamic_shape_chain(opset: int, c: int, hw: int, seed: int) -> None:
    """The shape arithmetic exporters emit for dynamic batch: Shape -> Gather -> Unsqueeze ->
    Concat -> Reshape, with Cast, Slice, ConstantOfShape and Identity in between. All of it must
    fold away, leaving conv, reshape and gemm."""
    axes = {"axes": [0]} if opset < 13 else {}
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["conv"]),
        helper.make_node("Shape", ["conv"], ["shape"]),
        helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0, np.int64))),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "ax0"] if opset >= 13 else ["batch"], ["batch1"], **axes),
        helper.make_node("Slice", ["shape", "start", "end"], ["chw"]),
        helper.make_node("Cast", ["chw"], ["chw_f"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["chw_f"], ["chw_i"], to=TensorProto.INT64),
        helper.make_node("ReduceProd", ["chw_i"], ["features"], keepdims=1),
        helper.make_node("ConstantOfShape", ["one"], ["minus"],
                         value=numpy_helper.from_array(np.array([-1], np.int64))),
        helper.make_node("Identity", ["features"], ["features_id"]),
        helper.make_node("Concat", ["batch1", "features_id"], ["target"], axis=0),
        helper.make_node("Reshape", ["conv", "target"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc"], ["y"], transB=1),
    ]
    consts = {"w": rand(seed, c, 2, 1, 1), "ax0": np.array([0], np.int64),
              "start": np.array([1], np.int64), "end": np.array([4], np.int64),
              "one": np.array([1], np.int64),
              "fc": rand(seed + 1, 3, c * hw * hw)}
    x = rand(seed + 2, 1, 2, hw, hw)
    model = make_model(nodes, ("N", 2, hw, hw), consts, opset=opset)
    converted = check(model, x)
    assert op_types(converted) == [OpType.CONV, OpType.RESHAPE, OpType.GEMM]


def test_dropout_and_identity_vanish() -> None:
    x = rand(0, 1, 8)
    nodes = [helper.make_node("Identity", ["x"], ["i"]), helper.make_node("Dropout", ["i"], ["d"]),
             helper.make_node("Relu", ["d"], ["y"])]
    assert op_types(check(make_model(nodes, x.shape), x)) == [OpType.UNARY]


# --- input shapes and refusals ---------------------------------------------------------------------


def test_input_shape_fixes_symbolic_dims_and_is_checked() -> None:
    model = make_model([helper.make_node("Relu", ["x"], ["y"])], ("N", 3, "H", "W"))
    x = rand(0, 2, 3, 5, 6)
    check(model, x, input_shape=(2, 3, 5, 6))
    with pytest.raises(ConvertError, match="symbolic dims"):
        convert_model(model)
    fixed = make_model([helper.make_node("Relu", ["x"], ["y"])], (1, 3, 4, 4))
    assert convert_model(fixed, (1, 3, 4, 4)).tensors[0].dims == (1, 3, 4, 4)
    with pytest.raises(ConvertError, match="disagrees with input 'x'"):
        convert_model(fixed, (1, 3, 8, 8))
    unranked = make_model([helper.make_node("Relu", ["x"], ["y"])], None)
    with pytest.raises(ConvertError, match="declares no shape"):
        convert_model(unranked)
    check(unranked, x, input_shape=(2, 3, 5, 6))


@pytest.mark.parametrize("node, message", [
    (helper.make_node("Elu", ["x"], ["y"], name="elu_1"),
     "Elu node 'elu_1': Elu of an activation is not supported"),
    (helper.make_node("Relu", ["x"], ["y"], name="r", extra=1),
     "Relu node 'r': attribute 'extra' is not an attribute of Relu at opset 14"),
    (helper.make_node("Pad", ["x", "p"], ["y"], name="pad", mode="wrap"),
     "Pad node 'pad': mode='wrap'"),
    (helper.make_node("MaxPool", ["x"], ["y"], name="mp", kernel_shape=[2, 2], dilations=[2, 2]),
     "MaxPool node 'mp': dilations"),
    (helper.make_node("GRU", ["x", "p", "p"], ["y"], name="gru", hidden_size=2),
     "GRU node 'gru': recurrent layers are not supported"),
])
def test_unsupported_is_named(node: onnx.NodeProto, message: str) -> None:
    model = make_model([node], (1, 2, 4, 4), {"p": np.zeros(8, np.int64)})
    with pytest.raises(UnsupportedError) as info:
        convert_model(model)
    assert message in str(info.value)


# --- real exporter output (committed torch exports) ----------------------------------------------


@pytest.mark.parametrize("opset", [11, 13, 17, 18])
def test_pytorch_export_with_dynamic_batch(opset: int) -> None:
    """torch.onnx.export without constant folding keeps BatchNormalization nodes and emits the
    Shape/Gather/Unsqueeze/Concat chain for view(x.size(0), -1); both must fold at convert time
    (tests/exported/recipes.py: mobile_block_net)."""
    model = onnx.load(exported(f"mobile_block_net_opset{opset}"))
    assert {"BatchNormalization", "Shape", "Gather"} <= {n.op_type for n in model.graph.node}
    x = rand(opset, 2, 3, 16, 16)
    converted = check(model, x, input_shape=(2, 3, 16, 16))
    assert OpType.RESHAPE in op_types(converted)
    assert not any(op.type == OpType.BINARY and op.iattr[0] == 0 for op in converted.ops)  # BN folded, no ADD


def test_pytorch_block_zoo() -> None:
    """ResNet, ShuffleNet, EfficientNet and SqueezeNet building blocks in one export
    (tests/exported/recipes.py: block_zoo_net)."""
    x = rand(7, 1, 3, 9, 9)
    converted = check(onnx.load(exported("block_zoo_opset13")), x)
    assert OpType.TRANSPOSE in op_types(converted)  # the 5-D shuffle
    assert any(op.type == OpType.BINARY and op.act == Act.RELU for op in converted.ops)  # residual + ReLU


# --- cross-node fusions ------------------------------------------------------------------------------


@EXAMPLES
@given(st.lists(st.integers(0, 2), min_size=4, max_size=4), st.sampled_from([0.0, 0.0, 1.5]),
       st.integers(1, 2), seeds)
def test_zero_pad_folds_into_conv(spatial_pads: list[int], value: float, stride: int, seed: int) -> None:
    """tf2onnx writes explicit Pad nodes before strided convs; a zero pad of H and W becomes conv
    padding."""
    top, left, bottom, right = spatial_pads
    pads = np.array([0, 0, top, left, 0, 0, bottom, right], np.int64)
    nodes = [helper.make_node("Pad", ["x", "p", "v"], ["padded"]),
             helper.make_node("Conv", ["padded", "w"], ["y"], pads=[1, 0, 0, 1], strides=[stride, stride])]
    x = rand(seed, 1, 3, 6, 7)
    consts = {"p": pads, "v": np.array(value, np.float32), "w": rand(seed + 1, 4, 3, 3, 3)}
    converted = check(make_model(nodes, x.shape, consts), x)
    folded = value == 0.0 or not any(spatial_pads)
    assert op_types(converted) == ([OpType.CONV] if folded else [OpType.PAD, OpType.CONV])


@EXAMPLES
@given(st.booleans(), st.sampled_from([1 / 6, 0.2]), seeds)
def test_hard_swish_written_as_mul(after_conv: bool, alpha: float, seed: int) -> None:
    """x * HardSigmoid(x) with alpha 1/6 (HardSwish before opset 14) is one activation."""
    nodes = [helper.make_node("HardSigmoid", ["a"], ["gate"], alpha=alpha, beta=0.5),
             helper.make_node("Mul", ["a", "gate"], ["y"])]
    if after_conv:
        nodes.insert(0, helper.make_node("Conv", ["x", "w"], ["a"]))
    else:
        nodes.insert(0, helper.make_node("Identity", ["x"], ["a"]))
    x = 4 * rand(seed, 1, 2, 5, 5)
    converted = check(make_model(nodes, x.shape, {"w": rand(seed + 1, 3, 2, 1, 1)}, opset=13), x)
    if alpha != 0.2:
        assert len(converted.ops) == 1 and converted.ops[0].act == Act.HARD_SWISH
    else:
        assert op_types(converted)[-2:] == [OpType.UNARY, OpType.BINARY]


@EXAMPLES
@given(st.sampled_from(["conv", "conv read twice", "input"]), st.booleans(), seeds)
def test_silu_written_as_mul(producer: str, gate_first: bool, seed: int) -> None:
    """x * Sigmoid(x) (how torch exports SiLU) is the SILU activation: of the Conv when nothing else
    reads its output, else of the Sigmoid's UNARY op."""
    nodes = [helper.make_node("Sigmoid", ["a"], ["gate"]),
             helper.make_node("Mul", ["gate", "a"] if gate_first else ["a", "gate"], ["s"])]
    if producer == "input":
        nodes.insert(0, helper.make_node("Identity", ["x"], ["a"]))
    else:
        nodes.insert(0, helper.make_node("Conv", ["x", "w", "b"], ["a"], pads=[1, 1, 1, 1]))
    if producer == "conv read twice":
        nodes.append(helper.make_node("Add", ["s", "a"], ["y"]))
    else:
        nodes.append(helper.make_node("Identity", ["s"], ["y"]))
    x = 8 * rand(seed, 1, 3, 9, 11)
    consts = {"w": rand(seed + 1, 4, 3, 3, 3), "b": rand(seed + 2, 4)}
    converted = check(make_model(nodes, x.shape, consts, opset=13), x)
    silu = [op for op in converted.ops if op.act == Act.SILU]
    assert len(silu) == 1 and op_types(converted).count(OpType.BINARY) == (producer == "conv read twice")
    assert silu[0].type == (OpType.CONV if producer == "conv" else OpType.UNARY)


@EXAMPLES
@given(st.sampled_from(["Add", "Sub", "Mul", "Div"]), st.booleans(), seeds)
def test_binary_in_place_on_either_operand(op: str, dying_first: bool, seed: int) -> None:
    """The plan may write a BINARY's output over whichever same-shaped input dies there, the second
    one included; the engine must compute the same numbers as ORT either way."""
    x = rand(seed, 1, 3, 4, 5)
    nodes = [helper.make_node("Tanh", ["x"], ["s"]),  # x * Sigmoid(x) would be one SILU
             helper.make_node(op, ["s", "x"] if dying_first else ["x", "s"], ["y"])]
    converted = check(make_model(nodes, x.shape), x)
    unary, binary = converted.ops
    assert converted.tensors[binary.output].offset == converted.tensors[unary.output].offset


@EXAMPLES
@given(st.integers(1, 4), st.integers(5, 12), seeds)
def test_tf2onnx_style_graph(c: int, hw: int, seed: int) -> None:
    """The shape of a tf2onnx export of a small Keras net: NHWC input with an unknown batch, a
    Transpose to NCHW, an explicit Pad before a strided conv, ReLU6 as Clip with initializer
    bounds, a depthwise conv, ReduceMean for global pooling, MatMul + Add for Dense, Softmax."""
    nodes = [
        helper.make_node("Transpose", ["x"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Pad", ["nchw", "pads"], ["padded"]),
        helper.make_node("Conv", ["padded", "w1", "b1"], ["c1"], strides=[2, 2]),
        helper.make_node("Clip", ["c1", "zero", "six"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], group=8, pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("ReduceMean", ["r2"], ["mean"], axes=[2, 3], keepdims=0),
        helper.make_node("MatMul", ["mean", "dense_w"], ["mm"]),
        helper.make_node("Add", ["mm", "dense_b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["y"], axis=-1),
    ]
    consts = {"pads": np.array([0, 0, 0, 0, 0, 0, 1, 1], np.int64), "w1": rand(seed, 8, c, 3, 3),
              "b1": rand(seed + 1, 8), "zero": np.array(0, np.float32), "six": np.array(6, np.float32),
              "w2": rand(seed + 2, 8, 1, 3, 3), "dense_w": rand(seed + 3, 8, 10),
              "dense_b": rand(seed + 4, 10)}
    model = make_model(nodes, ("unk__0", hw, hw, c), consts)
    x = rand(seed + 5, 1, hw, hw, c)
    converted = check(model, x)
    to_nchw = OpType.RESHAPE if c == 1 else OpType.TRANSPOSE  # one channel: the bytes keep their order
    assert op_types(converted) == [to_nchw, OpType.CONV, OpType.CONV, OpType.GLOBAL_AVGPOOL, OpType.RESHAPE,
                                   OpType.GEMM, OpType.SOFTMAX]
    assert [op.act for op in converted.ops[1:3]] == [Act.CLIP, Act.RELU]


# --- malformed models --------------------------------------------------------------------------------


@st.composite
def odd_nodes(draw: st.DrawFn) -> tuple[onnx.NodeProto, dict[str, np.ndarray]]:
    """One node with arbitrary (mostly invalid) attribute values and constant operands."""
    small = st.integers(-2, 4)
    pairs, quads = st.lists(small, min_size=2, max_size=2), st.lists(small, min_size=4, max_size=4)
    dims = st.lists(st.integers(1, 4), min_size=0, max_size=4)
    shape_vec = st.lists(small, min_size=1, max_size=5).map(lambda v: np.array(v, np.int64))
    op = draw(st.sampled_from(["Conv", "MaxPool", "AveragePool", "Concat", "Softmax", "Flatten", "Transpose",
                               "Reshape", "Squeeze", "Unsqueeze", "Pad", "Add", "MatMul", "ReduceMean",
                               "PRelu"]))
    consts: dict[str, np.ndarray] = {}
    inputs = ["x"]
    attrs: dict[str, object] = {}
    if op == "Conv":
        consts["k"] = rand(0, *draw(st.lists(st.integers(1, 4), min_size=4, max_size=4)))
        inputs.append("k")
        attrs = {"strides": draw(pairs), "pads": draw(quads), "dilations": draw(pairs), "group": draw(small)}
    elif op in ("MaxPool", "AveragePool"):
        attrs = {"kernel_shape": draw(pairs), "strides": draw(pairs), "pads": draw(quads),
                 "ceil_mode": draw(st.integers(0, 1))}
    elif op in ("Concat", "Softmax", "Flatten"):
        attrs = {"axis": draw(st.integers(-6, 6))}
        inputs += ["x"] if op == "Concat" else []
    elif op == "Transpose":
        attrs = {"perm": draw(st.lists(st.integers(-1, 4), min_size=1, max_size=5))}
    elif op == "ReduceMean":
        attrs = {"axes": draw(st.lists(st.integers(-5, 4), min_size=1, max_size=3))}
    elif op in ("Reshape", "Squeeze", "Unsqueeze", "Pad"):
        consts["k"] = draw(shape_vec)
        inputs.append("k")
    else:  # Add, MatMul, PRelu with a constant of any small shape
        consts["k"] = rand(0, *draw(dims))
        inputs.append("k")
    return helper.make_node(op, inputs, ["y"], **attrs), consts


@settings(max_examples=int(os.environ.get("TZINFER_OP_EXAMPLES", "25")) * 8, deadline=None)
@given(odd_nodes(), st.lists(st.integers(1, 5), min_size=4, max_size=4))
def test_malformed_nodes_are_refused_or_valid(case: tuple[onnx.NodeProto, dict], shape: list[int]) -> None:
    """Whatever the attributes, the converter either refuses with ConvertError or writes a model
    the engine loads and runs: never another exception, never a file the loader rejects."""
    node, consts = case
    try:
        converted = convert_model(make_model([node], tuple(shape), consts))
    except ConvertError:
        return
    native.load(tzm.write(converted)).run(np.zeros(shape, np.float32))
