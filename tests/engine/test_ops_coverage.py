"""Per-op checks, against ONNX Runtime, of the ops real detectors, OCR, segmentation and vision
transformer exports need (issue 10): Resize/Upsample, Slice/Split/Gather, ConvTranspose, the
reductions and normalisations, element-wise math, comparisons and Where, MatMul of two activations,
Expand/Tile, Pad modes, DepthToSpace/SpaceToDepth. Shapes and attributes are randomised with
hypothesis over every opset each op exists in; each graph is converted, run on the host engine and
compared with ORT (tests/engine/test_ops.py: check)."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from tests.engine.test_ops import check, convert_model, make_model, op_types, rand, seeds
from tzinfer import native, tzm
from tzinfer.convert import ConvertError, UnsupportedError
from tzinfer.tzm import Act, OpType

#: Fewer examples than test_ops.py: there are many properties here, and CI's time is shared.
EXAMPLES = settings(max_examples=int(os.environ.get("TZINFER_OP_EXAMPLES", "25")) * 3 // 5, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

shapes = st.lists(st.integers(1, 5), min_size=1, max_size=4)


def ints(*values: int) -> np.ndarray:
    return np.array(values, np.int64)


def to_float(nodes: list[onnx.NodeProto], value: str) -> list[onnx.NodeProto]:
    """nodes, then a Cast of boolean `value` to the float output "y"."""
    return [*nodes, helper.make_node("Cast", [value], ["y"], to=TensorProto.FLOAT)]


# --- element-wise math -----------------------------------------------------------------------------

UNARY_INPUTS = {"Exp": lambda x: x, "Log": lambda x: np.abs(x) + 0.1, "Sqrt": np.abs, "Abs": lambda x: x,
                "Neg": lambda x: x, "Reciprocal": lambda x: np.sign(x) * (np.abs(x) + 0.5),
                "Erf": lambda x: x,
                "Softplus": lambda x: x, "Mish": lambda x: x}


@EXAMPLES
@given(st.sampled_from(sorted(UNARY_INPUTS)), shapes, st.booleans(), seeds)
def test_unary_math(op: str, shape: list[int], after_matmul: bool, seed: int) -> None:
    """Each math op alone (a UNARY op) or fused into the MatMul before it."""
    x = UNARY_INPUTS[op]((1 if after_matmul else 4) * rand(seed, *shape)).astype(np.float32)
    opset = 18 if op == "Mish" else 13
    if after_matmul and op not in ("Log", "Sqrt") and len(shape) >= 2:  # those need positive inputs
        perm = [*range(len(shape) - 2), len(shape) - 1, len(shape) - 2]
        nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=perm),
                 helper.make_node("MatMul", ["x", "xt"], ["m"]), helper.make_node(op, ["m"], ["y"])]
        converted = check(make_model(nodes, x.shape, opset=opset), x)
        assert converted.ops[-1].act != Act.NONE
    else:
        converted = check(make_model([helper.make_node(op, ["x"], ["y"])], x.shape, opset=opset), x)
        assert op_types(converted) == [OpType.UNARY]


@EXAMPLES
@given(st.sampled_from(["none", "tanh"]), shapes, seeds)
def test_gelu_opset20(approximate: str, shape: list[int], seed: int) -> None:
    x = 3 * rand(seed, *shape)
    node = helper.make_node("Gelu", ["x"], ["y"], approximate=approximate)
    converted = check(make_model([node], x.shape, opset=20), x)
    assert converted.ops[0].act == (Act.GELU if approximate == "none" else Act.GELU_TANH)


@EXAMPLES
@given(st.integers(1, 3), st.integers(2, 8), st.sampled_from(["torchscript", "dynamo", "unfusable"]), seeds)
def test_gelu_decomposed_export(n: int, d: int, form: str, seed: int) -> None:
    """GELU before opset 20: x * 0.5 * (1 + erf(x / sqrt 2)), with the products in TorchScript's
    or dynamo's order, after a MatMul: fused into one GELU activation of the MatMul. With the
    constant off (0.6 for 0.5) it is not GELU and must stay as written."""
    x = 3 * rand(seed, n, d)
    half = "six" if form == "unfusable" else "half"
    tail = ([helper.make_node("Mul", ["m", "p"], ["xp"]), helper.make_node("Mul", ["xp", half], ["y"])]
            if form != "dynamo" else
            [helper.make_node("Mul", [half, "p"], ["hp"]), helper.make_node("Mul", ["m", "hp"], ["y"])])
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Div", ["m", "sqrt2"], ["s"]),
             helper.make_node("Erf", ["s"], ["e"]), helper.make_node("Add", ["e", "one"], ["p"]), *tail]
    consts = {"sqrt2": np.array(np.sqrt(2), np.float32), "one": np.array(1, np.float32),
              "half": np.array(0.5, np.float32), "six": np.array(0.6, np.float32), "w": rand(seed + 1, d, d)}
    converted = check(make_model(nodes, x.shape, consts), x)
    fused = form != "unfusable"
    assert (op_types(converted) == [OpType.GEMM] and converted.ops[0].act == Act.GELU) == fused


@EXAMPLES
@given(st.sampled_from([2.0, 0.5, 1.0, -1.0, 3.0, 1.7, -2.0, "activation"]), shapes, seeds)
def test_pow(exponent: float | str, shape: list[int], seed: int) -> None:
    """Pow by the constants exporters write (2 for a variance, 3 in tanh-GELU, 0.5) and by an
    activation; a non-integer exponent needs a positive base."""
    x = 2 * rand(seed, *shape)
    if exponent == "activation":
        x = np.abs(x) + 0.2
        nodes = [helper.make_node("Sigmoid", ["x"], ["e"]), helper.make_node("Pow", ["x", "e"], ["y"])]
        check(make_model(nodes, x.shape), x)
        return
    if exponent != int(exponent) or exponent < 0:
        x = np.abs(x) + 0.2
    model = make_model([helper.make_node("Pow", ["x", "e"], ["y"])], x.shape,
                       {"e": np.array(exponent, np.float32)})
    converted = check(model, x)
    if exponent == 2.0:
        assert op_types(converted) == [OpType.BINARY]


@st.composite
def reduced_shapes(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """A shape and a subset of its axes (possibly empty)."""
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=5))
    axes = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
    return shape, axes


@EXAMPLES
@given(st.sampled_from(["Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"]), reduced_shapes(), st.booleans(),
       seeds)
def test_binary_of_broadcast_activations(op: str, case: tuple[list[int], list[int]], swap: bool,
                                         seed: int) -> None:
    """Two activations of different shapes (one reduced over some axes) broadcast against each
    other, in either order."""
    shape, axes = case
    x = rand(seed, *shape)
    if op in ("Div", "Pow"):
        x = np.abs(x) + 0.5
    reduced = helper.make_node("ReduceMax", ["x"], ["r"], axes=axes or list(range(len(shape))), keepdims=1)
    node = helper.make_node(op, ["r", "x"] if swap else ["x", "r"], ["y"])
    check(make_model([reduced, node], x.shape, opset=13), x)


@EXAMPLES
@given(st.sampled_from(["Max", "Min", "Sum", "Mean"]), st.integers(1, 4),
       st.lists(st.integers(1, 4), min_size=1, max_size=3), seeds)
def test_variadic(op: str, count: int, shape: list[int], seed: int) -> None:
    """Max, Min, Sum and Mean of one to four inputs, activations and a broadcast constant."""
    x = rand(seed, *shape)
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Neg", ["x"], ["n"]),
             helper.make_node(op, ["x", "r", "n", "k"][:count], ["y"])]
    check(make_model(nodes, x.shape, {"k": rand(seed + 1, shape[-1])}), x)


@EXAMPLES
@given(st.sampled_from(["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"]), shapes, st.booleans(),
       seeds)
def test_comparisons(op: str, shape: list[int], constant: bool, seed: int) -> None:
    """Comparisons give booleans, stored as float 0/1; values from a small integer set so that
    Equal is exercised on ties."""
    x = np.random.default_rng(seed).integers(-2, 3, shape).astype(np.float32)
    other = "k" if constant else "r"
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node(op, ["x", other], ["b"])]
    opset = 16 if op.endswith("OrEqual") else 13
    model = make_model(to_float(nodes, "b"), x.shape, {"k": np.array([1.0], np.float32)}, opset=opset)
    check(model, x)


@EXAMPLES
@given(reduced_shapes(), seeds)
def test_where_and_logic(case: tuple[list[int], list[int]], seed: int) -> None:
    """Where(cond, a, b) with a broadcast condition built from And/Or/Xor/Not of comparisons, as
    masks in attention and detection post-processing are."""
    shape, axes = case
    x = rand(seed, *shape)
    nodes = [helper.make_node("ReduceMean", ["x"], ["m"], axes=axes or [0], keepdims=1),
             helper.make_node("Greater", ["m", "zero"], ["g"]),
             helper.make_node("Less", ["x", "one"], ["l"]),
             helper.make_node("Not", ["l"], ["nl"]),
             helper.make_node("Or", ["g", "nl"], ["o"]),
             helper.make_node("Xor", ["o", "l"], ["xo"]),
             helper.make_node("And", ["xo", "g"], ["c"]),
             helper.make_node("Where", ["c", "x", "minus"], ["y"])]
    consts = {"zero": np.array(0, np.float32), "one": np.array(0.5, np.float32),
              "minus": np.array([-7.0], np.float32)}
    nodes[-1] = helper.make_node("Where", ["c", "ex", "minus"], ["y"])
    nodes.insert(-1, helper.make_node("Exp", ["x"], ["ex"]))
    converted = check(make_model(nodes, x.shape, consts, opset=13), x)
    where = converted.ops[-1]
    assert where.type == OpType.WHERE  # in place over the condition or exp(x), which both die there
    offsets = {converted.tensors[i].offset for i in where.inputs[:2]}
    assert converted.tensors[where.output].offset in offsets


def test_cast_to_bool_and_back() -> None:
    x = np.array([[0.0, 2.5, -1.0, 0.0]], np.float32)
    nodes = [helper.make_node("Cast", ["x"], ["b"], to=TensorProto.BOOL),
             helper.make_node("Cast", ["b"], ["i"], to=TensorProto.INT64),
             helper.make_node("Cast", ["i"], ["y"], to=TensorProto.FLOAT)]
    converted = check(make_model(nodes, x.shape), x)
    assert op_types(converted) == [OpType.UNARY] and converted.ops[0].act == Act.NONZERO


# --- slicing ---------------------------------------------------------------------------------------


@st.composite
def slice_cases(draw: st.DrawFn) -> dict:
    """Non-empty slices written the ways exporters write them: negative starts and ends, ends
    past the dim (INT64_MAX), negative axes and steps."""
    shape = draw(st.lists(st.integers(1, 6), min_size=1, max_size=5))
    axes = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape),
                         unique_by=lambda a: a % len(shape)))
    starts, ends, steps = [], [], []
    for a in axes:
        n = shape[a]
        step = draw(st.sampled_from([1, 1, 2, 3, -1, -2]))
        first = draw(st.integers(0, n - 1))
        if step > 0:
            end = draw(st.integers(first + 1, n + 2))
            end = 2**63 - 1 if end > n else end - (n if end < n and draw(st.booleans()) else 0)
        else:
            end = draw(st.integers(-1, first - 1))
            end = -(2**63) if end < 0 else end - (n if draw(st.booleans()) else 0)
        starts.append(first - (n if draw(st.booleans()) else 0))
        ends.append(end)
        steps.append(step)
    return {"shape": shape, "axes": axes, "starts": starts, "ends": ends, "steps": steps}


@EXAMPLES
@given(slice_cases(), st.sampled_from([9, 10, 13]), seeds)
def test_slice(case: dict, opset: int, seed: int) -> None:
    """Slice with negative and out-of-range starts/ends, negative axes and steps; attributes at
    opset 9 (step 1 only), inputs from 10."""
    if opset == 9:
        assume(all(s == 1 for s in case["steps"]))
        case["ends"] = [min(max(e, -(2**31)), 2**31 - 1) for e in case["ends"]]
        node = helper.make_node("Slice", ["x"], ["y"], starts=case["starts"], ends=case["ends"],
                                axes=case["axes"])
        consts = {}
    else:
        node = helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"])
        consts = {"s": ints(*case["starts"]), "e": ints(*case["ends"]), "a": ints(*case["axes"]),
                  "st": ints(*case["steps"])}
    x = rand(seed, *case["shape"])
    check(make_model([node], x.shape, consts, opset=opset), x)


@EXAMPLES
@given(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.data())
def test_split(shape: list[int], data: st.DataObject) -> None:
    """Split into sizes from the attribute (opset 11), the input (13), equal parts, or num_outputs
    (18); the outputs are concatenated in reverse so that every one is checked."""
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[axis]
    form = data.draw(st.sampled_from(["attribute", "input", "equal", "num_outputs"]))
    opset = {"attribute": 11, "input": 13, "equal": 13, "num_outputs": 18}[form]
    consts: dict[str, np.ndarray] = {}
    if form == "equal":
        count = data.draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
        attrs: dict = {}
        inputs = ["x"]
    elif form == "num_outputs":
        count = data.draw(st.integers(1, n))
        assume(-(-n // count) * (count - 1) < n)  # every part non-empty
        attrs, inputs = {"num_outputs": count}, ["x"]
    else:
        cuts = sorted(data.draw(st.lists(st.integers(1, n - 1), unique=True, max_size=3))) if n > 1 else []
        sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
        count = len(sizes)
        attrs, inputs = ({"split": sizes}, ["x"]) if form == "attribute" else ({}, ["x", "sizes"])
        consts["sizes"] = ints(*sizes)
    outs = [f"o{i}" for i in range(count)]
    nodes = [helper.make_node("Split", inputs, outs, axis=axis, **attrs),
             helper.make_node("Concat", outs[::-1], ["y"], axis=axis)]
    x = rand(data.draw(seeds), *shape)
    converted = check(make_model(nodes, x.shape, consts, opset=opset), x)
    assert OpType.SLICE in op_types(converted) or count == 1


@EXAMPLES
@given(st.lists(st.integers(1, 5), min_size=1, max_size=4), st.data())
def test_gather(shape: list[int], data: st.DataObject) -> None:
    """Gather of an activation with a scalar index, index lists (runs, repeats, reversed,
    negative) and a 2-D index array, on any axis."""
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[axis]
    index_shape = data.draw(st.sampled_from([(), (1,), (3,), (2, 2)]))
    indices = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(index_shape)),
                                          max_size=int(np.prod(index_shape)))), np.int64).reshape(index_shape)
    assume(len(shape) - 1 + indices.ndim <= 6)
    x = rand(data.draw(seeds), *shape)
    node = helper.make_node("Gather", ["x", "i"], ["y"], axis=axis)
    check(make_model([node], x.shape, {"i": indices}, opset=13), x)


# --- resizing --------------------------------------------------------------------------------------

COORDS = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"]
ROUNDINGS = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]


@st.composite
def resize_cases(draw: st.DrawFn) -> dict:
    opset = draw(st.sampled_from([10, 11, 13, 18, 19]))
    mode = draw(st.sampled_from(["nearest", "linear"]))
    coords = COORDS + (["half_pixel_symmetric"] if opset >= 19 else [])
    coord = draw(st.sampled_from(coords))
    if mode == "linear" and coord == "tf_half_pixel_for_nn":
        coord = "half_pixel"
    return {"opset": opset, "mode": mode, "coord": coord, "rounding": draw(st.sampled_from(ROUNDINGS)),
            "h": draw(st.integers(1, 7)), "w": draw(st.integers(1, 7)),
            "scales": (draw(st.sampled_from([0.5, 0.6, 0.75, 1.0, 1.5, 2.0, 3.0, 2.5])),
                       draw(st.sampled_from([0.5, 0.75, 1.0, 1.25, 2.0, 3.0]))),
            "by_sizes": draw(st.booleans()) and opset > 10, "seed": draw(seeds)}


@EXAMPLES
@given(resize_cases())
def test_resize(case: dict) -> None:
    """Resize at every opset with every coordinate transformation and nearest rounding mode,
    upsampling and downsampling, from scales or from sizes."""
    h, w = case["h"], case["w"]
    sh, sw = case["scales"]
    oh, ow = int(np.floor(np.float32(sh) * np.float32(h))), int(np.floor(np.float32(sw) * np.float32(w)))
    assume(oh >= 1 and ow >= 1)
    x = rand(case["seed"], 1, 2, h, w)
    consts = {"scales": np.array([1, 1, sh, sw], np.float32), "sizes": ints(1, 2, oh, ow),
              "roi": np.array([], np.float32)}
    if case["opset"] == 10:
        node = helper.make_node("Resize", ["x", "scales"], ["y"], mode=case["mode"])
    else:
        inputs = ["x", "roi", "", "sizes"] if case["by_sizes"] else ["x", "roi", "scales"]
        if case["opset"] == 11 and case["by_sizes"]:
            inputs[2] = "empty"
            consts["empty"] = np.array([], np.float32)
        node = helper.make_node("Resize", inputs, ["y"], mode=case["mode"],
                                coordinate_transformation_mode=case["coord"], nearest_mode=case["rounding"])
    converted = check(make_model([node], x.shape, consts, opset=case["opset"]), x)
    assert op_types(converted) == ([OpType.RESIZE] if (oh, ow) != (h, w) else [OpType.RESHAPE])


@pytest.mark.parametrize("opset", [10, 13])
@pytest.mark.parametrize("scale", [3.0, 2.5, 1.25, 1.1, 0.6, 0.5, 1.0])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_resize_asymmetric_scales(opset: int, scale: float, mode: str) -> None:
    """Resize-10 (asymmetric, Upsample's truncating rounding) and opset 13 with the same
    transformation, at the non-integer scales where rounding modes part ways, and 1.1 where one
    axis keeps its length under a scale that is not 1; every one checked, not sampled."""
    x = rand(11, 1, 2, 5, 7)
    scales = np.array([1, 1, scale, 2.0 if scale == 1.1 else scale], np.float32)
    if opset == 10:
        node = helper.make_node("Resize", ["x", "s"], ["y"], mode=mode)
    else:
        node = helper.make_node("Resize", ["x", "", "s"], ["y"], mode=mode,
                                coordinate_transformation_mode="asymmetric")
    check(make_model([node], x.shape, {"s": scales}, opset=opset), x)


@EXAMPLES
@given(st.sampled_from(["not_larger", "not_smaller", "stretch"]), st.integers(2, 6), st.integers(2, 6),
       st.integers(1, 9), st.integers(1, 9), st.sampled_from(["nearest", "linear"]), seeds)
def test_resize_opset18_axes_and_aspect_ratio(policy: str, h: int, w: int, oh: int, ow: int, mode: str,
                                              seed: int) -> None:
    ratios = [np.float32(oh) / np.float32(h), np.float32(ow) / np.float32(w)]
    common = {"not_larger": min(ratios), "not_smaller": max(ratios)}.get(policy)
    assume(common is None or min(np.floor(common * np.float32(n) + np.float32(0.5)) for n in (h, w)) >= 1)
    x = rand(seed, 1, 3, h, w)
    node = helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode=mode, axes=[2, 3],
                            keep_aspect_ratio_policy=policy)
    check(make_model([node], x.shape, {"sizes": ints(oh, ow)}, opset=18), x)


@EXAMPLES
@given(st.sampled_from([7, 9]), st.sampled_from(["nearest", "linear"]),
       st.sampled_from([(2, 2), (1, 3), (2.5, 1.5)]), st.integers(1, 5), seeds)
def test_upsample(opset: int, mode: str, scales: tuple[float, float], hw: int, seed: int) -> None:
    """Upsample (opset 7: scales attribute, 9: input), as older YOLO and UNet exports write it."""
    x = rand(seed, 1, 2, hw, hw + 1)
    full = [1.0, 1.0, *scales]
    if opset == 7:
        node = helper.make_node("Upsample", ["x"], ["y"], mode=mode, scales=full)
        model = make_model([node], x.shape, opset=7)
    else:
        model = make_model([helper.make_node("Upsample", ["x", "s"], ["y"], mode=mode)], x.shape,
                           {"s": np.array(full, np.float32)}, opset=9)
    check(model, x)


# --- transposed convolution ------------------------------------------------------------------------


@st.composite
def conv_transpose_cases(draw: st.DrawFn) -> dict:
    group = draw(st.integers(1, 3))
    strides = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    dilations = draw(st.sampled_from([[1, 1], [1, 1], [2, 2], [1, 2]]))
    kernel = [draw(st.integers(1, 4)), draw(st.integers(1, 4))]
    form = draw(st.sampled_from(["pads", "pads", "output_shape", "SAME_UPPER", "SAME_LOWER", "VALID"]))
    out_pad = [draw(st.integers(0, s - 1)) for s in strides]  # ORT wants output_padding < stride
    return {"group": group, "c": group * draw(st.integers(1, 3)), "mg": draw(st.integers(1, 3)),
            "h": draw(st.integers(1, 6)), "w": draw(st.integers(1, 6)), "strides": strides,
            "dilations": dilations, "kernel": kernel, "form": form, "out_pad": out_pad,
            "pads": [draw(st.integers(0, k - 1)) for k in kernel * 2], "bias": draw(st.booleans()),
            "relu": draw(st.booleans()), "seed": draw(seeds)}


@EXAMPLES
@given(conv_transpose_cases())
def test_conv_transpose(case: dict) -> None:
    """ConvTranspose with groups, strides, dilations, asymmetric pads, output_padding,
    output_shape and auto_pad, a bias, and a ReLU that fuses."""
    kh, kw = case["kernel"]
    attrs: dict = {"group": case["group"], "strides": case["strides"], "dilations": case["dilations"]}
    natural = [s * (i - 1) + p + d * (k - 1) + 1 for s, i, p, d, k in
               zip(case["strides"], (case["h"], case["w"]), case["out_pad"], case["dilations"],
                   case["kernel"], strict=True)]
    if case["form"] == "pads":
        attrs.update(pads=case["pads"], output_padding=case["out_pad"])
        top, left, bottom, right = case["pads"]
        assume(natural[0] - top - bottom >= 1 and natural[1] - left - right >= 1)
    elif case["form"] == "output_shape":
        attrs.update(output_shape=[max(1, n - p) for n, p in zip(natural, case["pads"][:2], strict=True)],
                     output_padding=case["out_pad"])
    else:  # SAME: the output is input * stride, which the kernel must reach without output_padding
        attrs["auto_pad"] = case["form"]
        reach = [n - p for n, p in zip(natural, case["out_pad"], strict=True)]
        sizes = zip(case["strides"], (case["h"], case["w"]), reach, strict=True)
        assume(case["form"] == "VALID" or all(s * i <= n for s, i, n in sizes))
    inputs = ["x", "w", "b"] if case["bias"] else ["x", "w"]
    nodes = [helper.make_node("ConvTranspose", inputs, ["c" if case["relu"] else "y"], **attrs)]
    if case["relu"]:
        nodes.append(helper.make_node("Relu", ["c"], ["y"]))
    m = case["mg"] * case["group"]
    consts = {"w": rand(case["seed"], case["c"], case["mg"], kh, kw), "b": rand(case["seed"] + 1, m)}
    x = rand(case["seed"] + 2, 1, case["c"], case["h"], case["w"])
    converted = check(make_model(nodes, x.shape, consts), x)
    assert op_types(converted) == [OpType.CONV_TRANSPOSE]
    assert converted.ops[0].act == (Act.RELU if case["relu"] else Act.NONE)


def test_conv_transpose_batchnorm_folds() -> None:
    """A BatchNormalization after a grouped ConvTranspose folds into its weights and bias."""
    consts = {"w": rand(1, 4, 3, 2, 2), "s": rand(2, 6), "bb": rand(3, 6), "mean": rand(4, 6),
              "var": np.abs(rand(5, 6)) + 0.1}
    nodes = [helper.make_node("ConvTranspose", ["x", "w"], ["c"], group=2, strides=[2, 2]),
             helper.make_node("BatchNormalization", ["c", "s", "bb", "mean", "var"], ["y"])]
    x = rand(6, 1, 4, 3, 5)
    assert op_types(check(make_model(nodes, x.shape, consts), x)) == [OpType.CONV_TRANSPOSE]


# --- reductions and normalisation ------------------------------------------------------------------

REDUCTIONS = ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceProd", "ReduceL1",
              "ReduceLogSumExp", "ReduceSumSquare", "ReduceLogSum"]


@EXAMPLES
@given(st.sampled_from(REDUCTIONS), reduced_shapes(), st.integers(0, 1), st.sampled_from([11, 13, 18]),
       st.integers(0, 1), seeds)
def test_reduce(op: str, case: tuple[list[int], list[int]], keepdims: int, opset: int, noop: int,
                seed: int) -> None:
    """Every reduction over any subset of axes (none: all, or nothing with noop_with_empty_axes),
    with keepdims, axes as attribute or input (ReduceSum from opset 13, the rest from 18)."""
    shape, axes = case
    x = rand(seed, *shape)
    if op == "ReduceLogSum":
        x = np.abs(x) + 0.1
    if op == "ReduceProd":
        x = (np.sign(x) * (0.6 + np.abs(x) / 4)).astype(np.float32)
    as_input = opset >= (13 if op == "ReduceSum" else 18)
    attrs: dict = {"keepdims": keepdims}
    inputs = ["x"]
    if as_input:
        attrs["noop_with_empty_axes"] = noop
        if axes:
            inputs.append("axes")
    elif axes:
        attrs["axes"] = axes
    model = make_model([helper.make_node(op, inputs, ["y"], **attrs)], x.shape, {"axes": ints(*axes)},
                       opset=opset)
    check(model, x)


@EXAMPLES
@given(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.data())
def test_layer_normalization(shape: list[int], data: st.DataObject) -> None:
    """LayerNormalization (opset 17) over the trailing dims from any axis: NORMALIZE, then the
    scale and bias in place."""
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    seed = data.draw(seeds)
    inner = shape[axis % len(shape):]
    with_bias = data.draw(st.booleans())
    consts = {"s": rand(seed, *inner), "b": rand(seed + 1, *inner)}
    node = helper.make_node("LayerNormalization", ["x", "s", "b"] if with_bias else ["x", "s"], ["y"],
                            axis=axis, epsilon=data.draw(st.sampled_from([1e-5, 1e-6, 0.1])))
    x = 3 * rand(seed + 2, *shape) + 1
    converted = check(make_model([node], x.shape, consts, opset=17), x)
    assert op_types(converted)[0] == OpType.NORMALIZE
    offsets = {converted.tensors[op.output].offset for op in converted.ops}
    assert len(offsets) == 1  # NORMALIZE, MUL and ADD all in place


@EXAMPLES
@given(st.integers(1, 2), st.integers(1, 4), st.integers(1, 5), st.integers(1, 5), seeds)
def test_instance_normalization(n: int, c: int, h: int, w: int, seed: int) -> None:
    consts = {"s": rand(seed, c), "b": rand(seed + 1, c)}
    x = 2 * rand(seed + 2, n, c, h, w)
    node = helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=1e-3)
    check(make_model([node], x.shape, consts), x)


@EXAMPLES
@given(st.integers(1, 3), st.integers(2, 16), st.sampled_from([13, 17, 18]), seeds)
def test_decomposed_layer_norm(tokens: int, d: int, opset: int, seed: int) -> None:
    """LayerNorm as torch exports it before opset 17: ReduceMean, Sub, Pow 2, ReduceMean, Add eps,
    Sqrt, Div, Mul, Add (axes as input at opset 18)."""
    def mean(src: str, dst: str) -> onnx.NodeProto:
        if opset >= 18:
            return helper.make_node("ReduceMean", [src, "last"], [dst])
        return helper.make_node("ReduceMean", [src], [dst], axes=[-1])
    nodes = [mean("x", "mu"), helper.make_node("Sub", ["x", "mu"], ["d"]),
             helper.make_node("Pow", ["d", "two"], ["sq"]), mean("sq", "var"),
             helper.make_node("Add", ["var", "eps"], ["ve"]), helper.make_node("Sqrt", ["ve"], ["sd"]),
             helper.make_node("Div", ["d", "sd"], ["nrm"]), helper.make_node("Mul", ["nrm", "g"], ["sc"]),
             helper.make_node("Add", ["sc", "b"], ["y"])]
    consts = {"last": ints(-1), "two": np.array(2, np.float32), "eps": np.array(1e-5, np.float32),
              "g": rand(seed, d), "b": rand(seed + 1, d)}
    x = 2 * rand(seed + 2, 1, tokens, d) + 0.5
    converted = check(make_model(nodes, x.shape, consts, opset=opset), x)
    assert op_types(converted)[0] == OpType.NORMALIZE  # recognised and fused


# --- products and softmax ------------------------------------------------------------------------


@st.composite
def matmul_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Operand shapes numpy's matmul accepts: 1-D vectors, and batch dims that broadcast."""
    m, k, n = draw(st.integers(1, 5)), draw(st.integers(1, 6)), draw(st.integers(1, 5))
    batch = draw(st.lists(st.integers(1, 3), max_size=2))
    a_batch = [d if draw(st.booleans()) else 1 for d in batch]
    b_batch = [d if draw(st.booleans()) else 1 for d in batch][draw(st.integers(0, len(batch))):]
    a = (k,) if draw(st.integers(0, 5)) == 0 else (*a_batch, m, k)
    b = (k,) if draw(st.integers(0, 5)) == 0 else (*b_batch, k, n)
    return a, b


@EXAMPLES
@given(matmul_shapes(), st.booleans(), seeds)
def test_matmul_of_two_activations(shapes_: tuple, constant_left: bool, seed: int) -> None:
    """MatMul where both operands are activations (attention's Q·Kᵀ), or the left one is a
    constant, with broadcast batch dims and 1-D operands."""
    a_shape, b_shape = shapes_
    x = rand(seed, *b_shape)
    if constant_left:
        model = make_model([helper.make_node("MatMul", ["a", "x"], ["y"])], x.shape,
                           {"a": rand(seed + 1, *a_shape)})
    else:  # the left operand computed from the input: a slice of x reshaped, or a constant-shaped Expand
        nodes = [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
                 helper.make_node("Mul", ["a", "s"], ["left"]),
                 helper.make_node("MatMul", ["left", "x"], ["y"])]
        model = make_model(nodes, x.shape, {"a": rand(seed + 1, *a_shape)})
    converted = check(model, x)
    assert OpType.MATMUL in op_types(converted) or OpType.GEMM in op_types(converted)


@EXAMPLES
@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 6), st.integers(2, 8), seeds)
def test_attention(batch: int, heads: int, tokens: int, d: int, seed: int) -> None:
    """Scaled dot-product attention as exporters write it: Q·Kᵀ (Transpose, MatMul), scale,
    Softmax on the last axis, ·V."""
    x = rand(seed, batch, heads, tokens, d)
    nodes = [helper.make_node("MatMul", ["x", "wq"], ["q"]), helper.make_node("MatMul", ["x", "wk"], ["k"]),
             helper.make_node("MatMul", ["x", "wv"], ["v"]),
             helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["q", "kt"], ["s"]), helper.make_node("Mul", ["s", "scale"], ["ss"]),
             helper.make_node("Softmax", ["ss"], ["p"], axis=-1),
             helper.make_node("MatMul", ["p", "v"], ["y"])]
    consts = {"wq": rand(seed + 1, d, d), "wk": rand(seed + 2, d, d), "wv": rand(seed + 3, d, d),
              "scale": np.array(d ** -0.5, np.float32)}
    converted = check(make_model(nodes, x.shape, consts), x)
    assert op_types(converted).count(OpType.MATMUL) == 2


@EXAMPLES
@given(st.sampled_from(["Softmax", "LogSoftmax"]), st.integers(11, 13), st.integers(1, 4), st.data())
def test_softmax_and_log_softmax_axes(op: str, opset: int, rank: int, data: st.DataObject) -> None:
    """Softmax and LogSoftmax on any axis, with the flattening semantics before opset 13."""
    shape = data.draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank))
    axis = data.draw(st.integers(-rank, rank - 1))
    x = 3 * rand(data.draw(seeds), *shape)
    check(make_model([helper.make_node(op, ["x"], ["y"], axis=axis)], x.shape, opset=opset), x)


# --- shape and layout ----------------------------------------------------------------------------


@EXAMPLES
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_expand_and_tile(shape: list[int], data: st.DataObject) -> None:
    """Expand to a broadcast shape of higher rank, and Tile by per-dim repeats."""
    x = rand(data.draw(seeds), *shape)
    if data.draw(st.booleans()):
        extra = data.draw(st.lists(st.integers(1, 3), max_size=6 - len(shape)))
        target = [*extra, *[d if d != 1 else data.draw(st.integers(1, 3)) for d in shape]]
        target = [1 if data.draw(st.integers(0, 4)) == 0 else t for t in target]  # a 1 broadcasts too
        model = make_model([helper.make_node("Expand", ["x", "t"], ["y"])], x.shape, {"t": ints(*target)})
    else:
        repeats = [data.draw(st.integers(1, 3)) for _ in shape]
        model = make_model([helper.make_node("Tile", ["x", "r"], ["y"])], x.shape, {"r": ints(*repeats)})
    check(model, x)


@EXAMPLES
@given(st.sampled_from(["reflect", "edge", "constant"]), st.sampled_from([11, 13, 18]),
       st.lists(st.integers(-1, 3), min_size=8, max_size=8), seeds)
def test_pad_modes(mode: str, opset: int, pads: list[int], seed: int) -> None:
    """Reflect, edge and constant Pad on any axes, negative pads cropping, axes input at opset 18."""
    x = rand(seed, 3, 3, 4, 5)
    if mode == "reflect":  # reflect pads must stay below the dim (cropping first is edge or constant only)
        pads = [max(0, min(p, d - 1)) for p, d in zip(pads, [*x.shape, *x.shape], strict=True)]
    consts = {"p": ints(*pads), "axes": ints(1, -1, 2, 0)}
    inputs = ["x", "p", "", "axes"] if opset == 18 else ["x", "p"]
    if opset == 18:
        consts["p"] = ints(pads[1], pads[3], pads[2], pads[0], pads[5], pads[7], pads[6], pads[4])
    check(make_model([helper.make_node("Pad", inputs, ["y"], mode=mode)], x.shape, consts, opset=opset), x)


@EXAMPLES
@given(st.sampled_from(["DCR", "CRD", "space_to_depth"]), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), seeds)
def test_depth_space(mode: str, block: int, c: int, hw: int, seed: int) -> None:
    if mode == "space_to_depth":
        x = rand(seed, 1, c, block * hw, block * (hw + 1))
        node = helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=block)
    else:
        x = rand(seed, 1, c * block * block, hw, hw + 1)
        node = helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=block, mode=mode)
    check(make_model([node], x.shape, opset=13), x)


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("nodes, consts, opset, message", [
    ([helper.make_node("LSTM", ["x", "w", "r"], ["y"], name="lstm", hidden_size=2)],
     {"w": np.zeros((1, 8, 4), np.float32), "r": np.zeros((1, 8, 2), np.float32)}, 13,
     "LSTM node 'lstm': recurrent layers are not supported"),
    ([helper.make_node("Resize", ["x", "", "s"], ["y"], name="rc", mode="cubic")],
     {"s": np.array([1, 1, 2, 2], np.float32)}, 13, "Resize node 'rc': mode='cubic' is not supported"),
    ([helper.make_node("Resize", ["x", "r", "s"], ["y"], name="crop",
                       coordinate_transformation_mode="tf_crop_and_resize")],
     {"s": np.array([1, 1, 2, 2], np.float32), "r": np.zeros(8, np.float32)}, 13, "tf_crop_and_resize"),
    ([helper.make_node("Resize", ["x", "", "s"], ["y"], name="aa", mode="linear", antialias=1)],
     {"s": np.array([1, 1, 0.5, 0.5], np.float32)}, 18, "antialias=1 when downsampling"),
    ([helper.make_node("Resize", ["x", "", "s"], ["y"], name="rn")],
     {"s": np.array([2, 1, 1, 1], np.float32)}, 13, "only the last two axes"),
    ([helper.make_node("Cast", ["x"], ["y"], name="ci", to=TensorProto.INT64)], {}, 13,
     "Cast node 'ci': cast of a float activation to INT64"),
    ([helper.make_node("Gather", ["x", "i"], ["y"], name="gi"), ], {}, 13, "Gather node 'gi': indices"),
    ([helper.make_node("Pad", ["x", "p"], ["y"], name="pw", mode="wrap")], {"p": np.zeros(8, np.int64)}, 19,
     "Pad node 'pw': mode='wrap'"),
])
def test_refused_with_a_reason(nodes: list, consts: dict, opset: int, message: str) -> None:
    model = make_model(nodes, (1, 2, 4, 4), consts, opset=opset)
    if message.startswith("Gather"):  # indices computed from the input
        model = make_model([helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Relu", ["x"], ["i"]),
                            helper.make_node("Gather", ["x", "i"], ["y"], name="gi")], (1, 2, 4, 4), opset=13)
    with pytest.raises(UnsupportedError) as info:
        convert_model(model)
    assert message in str(info.value)


def test_reflect_pad_past_the_edge_is_refused() -> None:
    model = make_model([helper.make_node("Pad", ["x", "p"], ["y"], mode="reflect")], (1, 1, 2, 2),
                       {"p": ints(0, 0, 2, 0, 0, 0, 0, 0)}, opset=13)
    with pytest.raises(ConvertError, match="reflect pads"):
        convert_model(model)


# --- the loader's checks of the new ops ------------------------------------------------------------


def _converted(nodes: list[onnx.NodeProto], shape: tuple[int, ...], consts: dict | None = None,
               opset: int = 18) -> bytes:
    return tzm.write(convert_model(make_model(nodes, shape, consts or {}, opset=opset)))


def _edit(data: bytes, op_type: OpType, change: Callable[[tzm.TzmModel, tzm.OpRecord], None]) -> str:
    """The loader's status for the model with its first op of op_type changed."""
    model = tzm.read(data)
    change(model, next(op for op in model.ops if op.type == op_type))
    try:
        native.load(tzm.write(model))
    except native.EngineError as e:
        assert e.reason
        return e.status
    return "STL_OK"


def _set(field: str, index: int, value: float) -> Callable[[tzm.TzmModel, tzm.OpRecord], None]:
    def change(_model: tzm.TzmModel, op: tzm.OpRecord) -> None:
        getattr(op, field)[index] = value
    return change


def _output_dims(dims: tuple[int, ...]) -> Callable[[tzm.TzmModel, tzm.OpRecord], None]:
    def change(model: tzm.TzmModel, op: tzm.OpRecord) -> None:
        out = model.tensors[op.output]
        out.dims, out.size = dims, 4 * int(np.prod(dims))
    return change


LOADER_CASES = {
    "slice": ([helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"])],
              {"s": ints(1), "e": ints(4), "a": ints(3), "st": ints(2)}, OpType.SLICE,
              [(_set("iattr", 3, 4), "STL_E_OP"), (_set("iattr", 9, 0), "STL_E_OP"),
               (_set("iattr", 9, 3), "STL_E_OP"), (_set("iattr", 4, 1), "STL_E_OP"),
               (_set("iattr", 3, -1), "STL_E_OP")]),
    "resize": ([helper.make_node("Resize", ["x", "", "sc"], ["y"], mode="linear")],
               {"sc": np.array([1, 1, 2, 2], np.float32)}, OpType.RESIZE,
               [(_set("iattr", 0, 2), "STL_E_OP"), (_set("iattr", 1, 6), "STL_E_OP"),
                (_set("iattr", 2, 5), "STL_E_OP"),
                (_set("fattr", 2, 0.0), "STL_E_OP"), (_set("fattr", 3, float("nan")), "STL_E_OP"),
                (_set("fattr", 2, float("inf")), "STL_E_OP"), (_output_dims((2, 1, 8, 8)), "STL_E_SHAPE")]),
    "reduce": ([helper.make_node("ReduceSum", ["x", "a"], ["y"])], {"a": ints(1, 3)}, OpType.REDUCE,
               [(_set("iattr", 0, 10), "STL_E_OP"), (_set("iattr", 1, 0), "STL_E_OP"),
                (_set("iattr", 1, 16), "STL_E_OP"), (_output_dims((1, 2, 4, 1)), "STL_E_SHAPE")]),
    "matmul": ([helper.make_node("Transpose", ["x"], ["t"], perm=[0, 1, 3, 2]),
                helper.make_node("MatMul", ["x", "t"], ["y"])], {}, OpType.MATMUL,
               [(_output_dims((1, 2, 2, 8)), "STL_E_SHAPE"), (_output_dims((2, 2, 4, 4)), "STL_E_SHAPE")]),
    "tile": ([helper.make_node("Tile", ["x", "r"], ["y"])], {"r": ints(1, 1, 2, 1)}, OpType.TILE,
             [(_output_dims((1, 2, 8, 6)), "STL_E_SHAPE"), (_output_dims((1, 2, 6, 4)), "STL_E_SHAPE")]),
    "where": ([helper.make_node("Greater", ["x", "z"], ["c"]),
               helper.make_node("Where", ["c", "x", "z"], ["y"])],
              {"z": np.zeros(4, np.float32)}, OpType.WHERE, [(_output_dims((1, 2, 2, 8)), "STL_E_SHAPE")]),
    "normalize": ([helper.make_node("LayerNormalization", ["x", "s"], ["y"], axis=2)],
                  {"s": np.ones((4, 4), np.float32)}, OpType.NORMALIZE,
                  [(_set("iattr", 0, 4), "STL_E_OP"), (_set("fattr", 2, -1.0), "STL_E_OP"),
                   (_set("fattr", 2, float("nan")), "STL_E_OP"), (_set("fattr", 3, 1.0), "STL_E_OP")]),
    "conv_transpose": ([helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2],
                                         output_padding=[1, 0])],
                       {"w": np.ones((2, 3, 3, 3), np.float32)}, OpType.CONV_TRANSPOSE,
                       [(_set("iattr", 2, 0), "STL_E_OP"), (_set("iattr", 8, 2), "STL_E_SHAPE"),
                        (_set("iattr", 0, 2), "STL_E_OP"), (_set("iattr", 4, -1), "STL_E_OP"),
                        (_output_dims((1, 3, 11, 9)), "STL_E_SHAPE"),
                        (_output_dims((1, 3, 8, 9)), "STL_E_SHAPE")]),
    "pad_reflect": ([helper.make_node("Pad", ["x", "p"], ["y"], mode="reflect")],
                    {"p": ints(0, 0, 3, 1, 0, 0, 3, 1)}, OpType.PAD_REFLECT,
                    [(lambda _m, op: op.iattr.__setitem__(slice(2, 9, 6), [4, 2]), "STL_E_OP"),
                     (_set("iattr", 8, -1), "STL_E_OP")]),
    "log_softmax": ([helper.make_node("LogSoftmax", ["x"], ["y"], axis=1)], {}, OpType.SOFTMAX,
                    [(_set("iattr", 1, 2), "STL_E_OP")]),
}


@pytest.mark.parametrize("name", sorted(LOADER_CASES))
def test_loader_refuses_malformed_new_ops(name: str) -> None:
    """Each new op's attributes and output dims out of their rules: the engine's loader refuses the
    file with the status that names the fault (so the TA never runs a kernel on them), and the
    unchanged file loads and runs."""
    nodes, consts, op_type, edits = LOADER_CASES[name]
    data = _converted(nodes, (1, 2, 4, 4), consts)
    native.load(data).run(rand(0, 1, 2, 4, 4))
    for change, status in edits:
        assert _edit(data, op_type, change) == status


@EXAMPLES
@given(st.integers(1, 3), st.integers(1, 6), st.integers(1, 8), st.sampled_from(["Relu", "Gelu", None]),
       seeds)
def test_linear_over_tokens_folds_bias_and_activation(batch: int, tokens: int, d: int, act: str | None,
                                                      seed: int) -> None:
    """A Linear on [B, T, D] exports as MatMul (a GEMM over flattened rows, reshaped back), Add of
    the bias and the activation: the bias folds into the GEMM and the activation fuses, through the
    reshape."""
    x = rand(seed, batch, tokens, d)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]),
             helper.make_node("Add", ["m", "b"], ["a" if act else "y"])]
    if act:
        nodes.append(helper.make_node(act, ["a"], ["y"]))
    consts = {"w": rand(seed + 1, d, 5), "b": rand(seed + 2, 5)}
    converted = check(make_model(nodes, x.shape, consts, opset=20), x)
    gemm = [op for op in converted.ops if op.type != OpType.RESHAPE]
    assert [op.type for op in gemm] == [OpType.GEMM] and len(gemm[0].inputs) == 3
    assert gemm[0].act == {"Relu": Act.RELU, "Gelu": Act.GELU, None: Act.NONE}[act]


@pytest.mark.parametrize("case", ["resize_nearest", "resize_linear", "conv_transpose_s2",
                                  "conv_transpose_s3_p"])
def test_rows_wider_than_a_chunk(case: str) -> None:
    """Output rows longer than the kernels' stack chunks (128 columns): RESIZE and CONV_TRANSPOSE
    map columns a chunk at a time, and the chunk edges must not show."""
    if case.startswith("resize"):
        x = rand(3, 1, 2, 3, 97)
        node = helper.make_node("Resize", ["x", "", "s"], ["y"], mode=case.split("_")[1],
                                coordinate_transformation_mode="half_pixel")
        consts = {"s": np.array([1, 1, 1.5, 2.9], np.float32)}
    else:
        x = rand(4, 1, 3, 2, 131)
        strides, pads = ([2, 2], [0, 0, 0, 0]) if case.endswith("s2") else ([1, 3], [1, 2, 0, 1])
        node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=strides, pads=pads)
        consts = {"w": rand(5, 3, 2, 2, 5)}
    converted = check(make_model([node], x.shape, consts), x)
    assert converted.tensors[converted.outputs[0].tensor].dims[-1] > 256


# --- malformed nodes of the new ops ------------------------------------------------------------------


@st.composite
def odd_new_nodes(draw: st.DrawFn) -> tuple[onnx.NodeProto, dict[str, np.ndarray], int]:
    """One node of the new ops with arbitrary (mostly invalid) attributes and constant operands."""
    small = st.integers(-3, 5)
    vec = st.lists(small, min_size=0, max_size=5).map(lambda v: np.array(v, np.int64))
    fvec = st.lists(st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, 3.5, float("inf"), float("nan")]), min_size=0,
                    max_size=5).map(lambda v: np.array(v, np.float32))
    op = draw(st.sampled_from(["Resize", "Upsample", "Slice", "Split", "Gather", "ConvTranspose", "ReduceSum",
                               "ReduceMax", "Pad", "Tile", "Expand", "DepthToSpace", "SpaceToDepth",
                               "LayerNormalization", "InstanceNormalization", "Where", "MatMul", "Pow"]))
    opset = draw(st.sampled_from([9, 11, 13, 18, 20]))
    consts: dict[str, np.ndarray] = {}
    inputs, attrs = ["x"], {}
    if op == "Resize":
        consts.update(s=draw(fvec), z=draw(vec))
        inputs = ["x", "", "s"] if draw(st.booleans()) else ["x", "", "", "z"]
        attrs = {"mode": draw(st.sampled_from(["nearest", "linear", "cubic", "bogus"])),
                 "coordinate_transformation_mode": draw(st.sampled_from(["half_pixel", "align_corners",
                                                                          "tf_crop_and_resize", "nope"])),
                 "nearest_mode": draw(st.sampled_from(["floor", "ceil", "odd"]))}
        if opset < 11:
            inputs, attrs = ["x", "s"], {"mode": attrs["mode"]}
    elif op == "Upsample":
        consts["s"] = draw(fvec)
        inputs, attrs = ["x", "s"], {"mode": draw(st.sampled_from(["nearest", "linear"]))}
        opset = 9
    elif op == "Slice":
        consts.update(a=draw(vec), b=draw(vec), c=draw(vec), d=draw(vec))
        inputs = ["x", "a", "b", "c", "d"][:draw(st.integers(3, 5))]
    elif op == "Split":
        attrs = {"axis": draw(small)}
        consts["s"] = draw(vec)
        if draw(st.booleans()) and opset >= 13:
            inputs = ["x", "s"]
        elif opset >= 18:
            attrs["num_outputs"] = draw(small)
    elif op == "Gather":
        consts["i"] = draw(vec)
        inputs, attrs = ["x", "i"], {"axis": draw(small)}
    elif op == "ConvTranspose":
        consts["w"] = rand(0, *draw(st.lists(st.integers(1, 3), min_size=4, max_size=4)))
        pair = st.lists(small, min_size=2, max_size=2)
        inputs = ["x", "w"]
        attrs = {"strides": draw(pair), "dilations": draw(pair), "output_padding": draw(pair),
                 "pads": draw(st.lists(small, min_size=4, max_size=4)), "group": draw(small)}
        if draw(st.booleans()):
            attrs["output_shape"] = draw(pair)
    elif op in ("ReduceSum", "ReduceMax"):
        consts["a"] = draw(vec)
        attrs = {"keepdims": draw(st.integers(0, 1))}
        if opset >= (13 if op == "ReduceSum" else 18):
            inputs = ["x", "a"]
        elif consts["a"].size:
            attrs["axes"] = [int(v) for v in consts["a"]]
    elif op == "Pad":
        consts["p"] = draw(vec)
        inputs, attrs = ["x", "p"], {"mode": draw(st.sampled_from(["constant", "reflect", "edge", "wrap"]))}
    elif op in ("Tile", "Expand"):
        consts["r"] = draw(vec)
        inputs = ["x", "r"]
    elif op in ("DepthToSpace", "SpaceToDepth"):
        attrs = {"blocksize": draw(small)}
        if op == "DepthToSpace":
            attrs["mode"] = draw(st.sampled_from(["DCR", "CRD", "XYZ"]))
    elif op in ("LayerNormalization", "InstanceNormalization"):
        consts["s"] = rand(0, *draw(st.lists(st.integers(1, 4), max_size=3)))
        inputs, attrs = ["x", "s", "s"], {"epsilon": draw(st.sampled_from([1e-5, 0.0, -1.0]))}
        if op == "LayerNormalization":
            attrs["axis"] = draw(small)
            opset = 17
    else:  # Where, MatMul, Pow with a constant of any small shape
        consts["k"] = rand(0, *draw(st.lists(st.integers(1, 4), max_size=4)))
        inputs = ["x", "x", "k"] if op == "Where" else ["x", "k"]
    outputs = [f"o{i}" for i in range(max(1, attrs.get("num_outputs", 2) if op == "Split" else 1))]
    if op == "Split" and attrs.get("num_outputs", 1) < 1:
        outputs = ["o0"]
    nodes = helper.make_node(op, inputs, outputs, **attrs)
    return nodes, consts, opset


@settings(max_examples=int(os.environ.get("TZINFER_OP_EXAMPLES", "25")) * 4, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(odd_new_nodes(), st.lists(st.integers(1, 5), min_size=4, max_size=4))
def test_malformed_new_nodes_are_refused_or_valid(case: tuple, shape: list[int]) -> None:
    """Whatever the attributes of the new ops, the converter either refuses with ConvertError or
    writes a model the engine loads and runs: never another exception, never a file the loader
    rejects."""
    node, consts, opset = case
    outputs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in node.output[:1]]
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              outputs, [numpy_helper.from_array(v, k) for k, v in consts.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    try:
        converted = convert_model(model)
    except ConvertError:
        return
    native.load(tzm.write(converted)).run(np.zeros(shape, np.float32))
