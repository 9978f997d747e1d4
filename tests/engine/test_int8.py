"""Statically quantised models (onnxruntime.quantization.quantize_static) against ONNX Runtime's own
int8 execution: the fixture MobileNetV2 in QDQ and QOperator format, and small graphs that cover each
quantised kernel's geometry (depthwise, grouped, strided, padded, dilated; uint8 and int8
activations; per-tensor and per-channel weights). The engine is written to give ORT's x86-64 bytes,
so the small graphs must match exactly; the acceptance bar for whole models is 1 quantisation step
on 99.9% of the outputs and the same top-1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from tests.engine.int8_models import CONVS, MAXPOOLS, conv_model, maxpool_concat_model, quantised
from tests.engine.test_ops import make_model, rand
from tzinfer import native, tzm
from tzinfer.convert import Blocked, convert
from tzinfer.fixtures import FixturePaths
from tzinfer.ort import reference_session, run_reference
from tzinfer.tzm import DType, OpType


def output_step(path: Path) -> float:
    """The scale of the model's last DequantizeLinear: one quantisation step of its output."""
    model = onnx.load(path)
    last = [n for n in model.graph.node if n.op_type == "DequantizeLinear"][-1]
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return float(inits[last.input[1]])


def steps_apart(path: Path, x: np.ndarray) -> np.ndarray:
    """|engine − ORT| in output quantisation steps, for input x."""
    y = native.load(tzm.write(convert(path).model)).run(x)
    ref = run_reference(reference_session(path), x)
    assert y.shape == ref.shape
    return np.rint(np.abs(y - ref) / output_step(path))


def test_mobilenetv2_int8_matches_onnx_runtime(fixtures: FixturePaths) -> None:
    """The fixture (QDQ, uint8 activations, per-channel int8 weights) gives ORT's output within one
    step on >= 99.9% of the logits (it is exact today) and ORT's top-1 on every bundled image."""
    path = fixtures.onnx("mobilenetv2_int8")
    model = convert(path).model
    assert tzm.read(tzm.write(model)).tensors[1].dtype != DType.F32
    engine = native.load(tzm.write(model))
    step = output_step(path)
    for name in fixtures.images:
        y = engine.run(np.load(fixtures.image(name)))
        ref = np.load(fixtures.reference("mobilenetv2_int8", name))
        apart = np.rint(np.abs(y - ref) / step)
        assert (apart <= 1).mean() >= 0.999, name
        assert int(y.argmax()) == fixtures.top1("mobilenetv2_int8", name), name


def test_mobilenetv2_int8_is_small(fixtures: FixturePaths) -> None:
    """int8 is what fits OP-TEE's default TA pool: weights a quarter of the float model's, and
    the arena too; every conv runs as QCONV (nothing fell back to float)."""
    q = convert(fixtures.onnx("mobilenetv2_int8"))
    f = convert(fixtures.onnx("mobilenetv2"))
    assert q.weights_bytes < 0.3 * f.weights_bytes
    assert q.model.arena_size < 0.3 * f.model.arena_size
    types = [op.type for op in q.model.ops]
    assert OpType.CONV not in types and types.count(OpType.QCONV) == 52
    assert types[0] == OpType.QUANTIZE and types[-1] == OpType.DEQUANTIZE


def test_mobilenetv2_qoperator_format_matches_onnx_runtime(fixtures: FixturePaths, tmp_path: Path) -> None:
    """The QOperator format (QLinearConv, onnxruntime's QLinearAdd, QLinearGlobalAveragePool, QGemm)."""
    images = [np.load(fixtures.image(name)) for name in fixtures.images]
    path = quantised(fixtures.onnx("mobilenetv2"), tmp_path / "qop.onnx", images, fmt="QOperator")
    assert "QLinearConv" in {n.op_type for n in onnx.load(path).graph.node}
    for x in images[:2]:
        assert (steps_apart(path, x) <= 1).mean() >= 0.999


@pytest.mark.parametrize("activations", ["QUInt8", "QInt8"])
@pytest.mark.parametrize("per_channel", [True, False], ids=["per_channel", "per_tensor"])
@pytest.mark.parametrize("geometry", sorted(CONVS))
def test_qconv_is_onnx_runtimes_bytes(tmp_path: Path, geometry: str, per_channel: bool,
                                      activations: str) -> None:
    spec = CONVS[geometry]
    onnx.save(conv_model(**spec), tmp_path / "f.onnx")
    shape = (1, spec["c"], spec["hw"], spec["hw"])
    calibration = [rand(s, *shape) for s in range(3)]
    path = quantised(tmp_path / "f.onnx", tmp_path / "q.onnx", calibration, activations=activations,
                     per_channel=per_channel)
    assert [op.type for op in convert(path).model.ops] == [OpType.QUANTIZE, OpType.QCONV, OpType.DEQUANTIZE]
    assert steps_apart(path, rand(7, *shape)).max() == 0


@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
@pytest.mark.parametrize("activations", ["QUInt8", "QInt8"])
def test_residual_pool_and_classifier_are_onnx_runtimes_bytes(tmp_path: Path, fmt: str,
                                                               activations: str) -> None:
    """QADD (two scales), QGLOBAL_AVGPOOL, a Flatten on the integers and QGEMM with its bias."""
    n = helper.make_node
    nodes = [n("Conv", ["x", "w1"], ["a"], kernel_shape=[1, 1]),
             n("Conv", ["x", "w2"], ["b"], kernel_shape=[1, 1]),
             n("Add", ["a", "b"], ["s"]), n("GlobalAveragePool", ["s"], ["g"]), n("Flatten", ["g"], ["f"]),
             n("Gemm", ["f", "wg", "bg"], ["y"], transB=1)]
    consts = {"w1": rand(1, 8, 4, 1, 1), "w2": 3 * rand(2, 8, 4, 1, 1), "wg": rand(3, 10, 8),
              "bg": rand(4, 10)}
    onnx.save(make_model(nodes, (1, 4, 6, 6), consts, 13), tmp_path / "f.onnx")
    calibration = [rand(s, 1, 4, 6, 6) for s in range(3)]
    path = quantised(tmp_path / "f.onnx", tmp_path / "q.onnx", calibration, fmt=fmt,
                     activations=activations)
    types = [op.type for op in convert(path).model.ops]
    assert {OpType.QADD, OpType.QGLOBAL_AVGPOOL, OpType.RESHAPE, OpType.QGEMM} <= set(types)
    for seed in (8, 9):
        assert steps_apart(path, rand(seed, 1, 4, 6, 6)).max() == 0


@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
@pytest.mark.parametrize("activations", ["QUInt8", "QInt8"])
@pytest.mark.parametrize("pool", sorted(MAXPOOLS))
def test_maxpool_and_concat_stay_int8_and_are_onnx_runtimes_bytes(tmp_path: Path, pool: str, fmt: str,
                                                                   activations: str) -> None:
    """MaxPool on the integers and Concat of two scales (one input requantised) as QLinearConcat:
    no DEQUANTIZE before the model's output, and ORT's bytes."""
    onnx.save(maxpool_concat_model(pool, 13, 11), tmp_path / "f.onnx")
    path = quantised(tmp_path / "f.onnx", tmp_path / "q.onnx", [rand(s, 1, 4, 13, 11) for s in range(3)],
                     fmt=fmt, activations=activations)
    types = [op.type for op in convert(path).model.ops]
    assert types.count(OpType.MAXPOOL) == 2 and OpType.CONCAT in types
    assert types.count(OpType.DEQUANTIZE) == 1 and types[-1] == OpType.DEQUANTIZE
    for seed in (7, 8):
        assert steps_apart(path, rand(seed, 1, 4, 13, 11)).max() == 0


#: Resize in nearest mode with several coordinate transformations and rounding modes (on the
#: integers). A linear Resize stays in float between DequantizeLinear and QuantizeLinear, which ONNX
#: Runtime runs on uint8 with its own rounding: not compared here.
RESIZES = {
    "nearest_asymmetric_floor": (dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                                      nearest_mode="floor"), [1, 1, 2, 2]),
    "nearest_half_pixel_round_prefer_floor": (dict(mode="nearest", nearest_mode="round_prefer_floor"),
                                              [1, 1, 1.5, 2.5]),
    "nearest_align_corners_ceil": (dict(mode="nearest", coordinate_transformation_mode="align_corners",
                                        nearest_mode="ceil"), [1, 1, 0.6, 1.7]),
}


@pytest.mark.parametrize("activations", ["QUInt8", "QInt8"])
@pytest.mark.parametrize("resize", sorted(RESIZES))
def test_nearest_resize_stays_int8_and_is_onnx_runtimes_bytes(tmp_path: Path, resize: str,
                                                               activations: str) -> None:
    attrs, scales = RESIZES[resize]
    n = helper.make_node
    nodes = [n("Conv", ["x", "w1"], ["a"], kernel_shape=[1, 1]), n("Resize", ["a", "", "s"], ["r"], **attrs),
             n("Conv", ["r", "w2"], ["y"], kernel_shape=[1, 1])]
    consts = {"w1": rand(1, 6, 4, 1, 1), "w2": rand(2, 3, 6, 1, 1), "s": np.array(scales, np.float32)}
    onnx.save(make_model(nodes, (1, 4, 7, 9), consts, 13), tmp_path / "f.onnx")
    path = quantised(tmp_path / "f.onnx", tmp_path / "q.onnx", [rand(s, 1, 4, 7, 9) for s in range(3)],
                     activations=activations)
    types = [op.type for op in convert(path).model.ops]
    assert OpType.RESIZE in types
    assert types.count(OpType.DEQUANTIZE) == 1 and types[-1] == OpType.DEQUANTIZE
    assert steps_apart(path, rand(7, 1, 4, 7, 9)).max() == 0


def test_ops_without_an_int8_kernel_run_in_float_between_dq_and_q(tmp_path: Path) -> None:
    """A QDQ Sigmoid has no int8 kernel: DEQUANTIZE, the float op, QUANTIZE, as the format means."""
    n = helper.make_node
    nodes = [n("Conv", ["x", "w"], ["c"], kernel_shape=[1, 1]), n("Sigmoid", ["c"], ["y"])]
    onnx.save(make_model(nodes, (1, 4, 5, 5), {"w": rand(1, 4, 4, 1, 1)}, 13), tmp_path / "f.onnx")
    path = quantised(tmp_path / "f.onnx", tmp_path / "q.onnx", [rand(s, 1, 4, 5, 5) for s in range(3)],
                     weights="QInt8")
    types = [op.type for op in convert(path).model.ops]
    assert OpType.QCONV in types and OpType.UNARY in types
    assert (steps_apart(path, rand(5, 1, 4, 5, 5)) <= 1).mean() >= 0.999


def test_uint8_weights_are_refused_with_the_fix(tmp_path: Path) -> None:
    onnx.save(conv_model(4, 4, 5, 3, pad=1), tmp_path / "f.onnx")
    path = quantised(tmp_path / "f.onnx", tmp_path / "q.onnx", [rand(s, 1, 4, 5, 5) for s in range(2)],
                     fmt="QOperator", weights="QUInt8", per_channel=False)
    with pytest.raises(Blocked) as info:
        convert(path)
    (blocker,) = info.value.blockers
    assert blocker.op_type == "QLinearConv" and "uint8 weights" in blocker.reason
    assert "weight_type=QuantType.QInt8" in blocker.fix


def test_float_models_stay_format_2_0_and_int8_ones_are_2_1(fixtures: FixturePaths) -> None:
    """The compatibility rule: only a model with a non-F32 tensor needs a 2.1 loader."""
    float_file = tzm.write(convert(fixtures.onnx("lenet5")).model)
    int8_file = tzm.write(convert(fixtures.onnx("mobilenetv2_int8")).model)
    minor = tzm.HEADER_FIELDS["version_minor"][0]
    assert (float_file[minor], int8_file[minor]) == (0, 1)


# --- the loader's dtype rules (format 2.1) ------------------------------------------------------------

@pytest.fixture(scope="module")
def small_int8(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp = tmp_path_factory.mktemp("int8")
    onnx.save(conv_model(4, 6, 6, 3, pad=1), tmp / "f.onnx")
    path = quantised(tmp / "f.onnx", tmp / "q.onnx", [rand(s, 1, 4, 6, 6) for s in range(2)])
    return tzm.write(convert(path).model)


def _refusal(data: bytes) -> tuple[str, str]:
    with pytest.raises(native.EngineError) as info:
        native.load(data)
    return info.value.status, info.value.reason


def _edited(data: bytes, change) -> bytes:  # noqa: ANN001 - a callable on the parsed model
    model = tzm.read(data)
    change(model)
    return tzm.write(model)


def _qconv(model: tzm.TzmModel) -> tzm.OpRecord:
    return next(op for op in model.ops if op.type == OpType.QCONV)


def test_a_2_0_file_holds_no_quantised_tensor(small_int8: bytes) -> None:
    """The compatibility rule, enforced: a 2.0 loader's view of the file is refused, not misread."""
    data = bytearray(small_int8)
    data[tzm.HEADER_FIELDS["version_minor"][0]] = 0
    data[56:88] = __import__("hashlib").sha256(bytes(data[tzm.HEADER_SIZE:])).digest()
    assert _refusal(bytes(data)) == ("STL_E_TENSOR", "tensor dtype is not F32 (the only 2.0 dtype; quantised "
                                                     "models are 2.1 files)")
    with pytest.raises(tzm.TzmError, match="in a 2.0 file"):
        tzm.read(bytes(data))


def test_quantised_tensor_needs_a_positive_scale(small_int8: bytes) -> None:
    def zero_scale(model: tzm.TzmModel) -> None:
        model.tensors[_qconv(model).output].scale = float("nan")
    assert _refusal(_edited(small_int8, zero_scale))[0] == "STL_E_TENSOR"


def test_float_op_on_a_quantised_tensor_is_refused(small_int8: bytes) -> None:
    """A CONV record over QCONV's operands would read int8 bytes as floats: refused at load."""
    def as_float_conv(model: tzm.TzmModel) -> None:
        op = _qconv(model)
        op.type, op.inputs, op.scratch = OpType.CONV, op.inputs[:2], None
    status, reason = _refusal(_edited(small_int8, as_float_conv))
    assert status == "STL_E_OP" and "not F32" in reason


def test_qconv_multipliers_and_scratch_are_checked(small_int8: bytes) -> None:
    def bad_multiplier(model: tzm.TzmModel) -> None:
        mult = model.tensors[_qconv(model).inputs[2]]
        weights = bytearray(model.weights)
        weights[mult.offset:mult.offset + 4] = np.float32(np.inf).tobytes()
        model.weights = bytes(weights)

    def small_scratch(model: tzm.TzmModel) -> None:  # one word short of an output plane's accumulators
        op = _qconv(model)
        scratch, plane = model.tensors[op.scratch], int(np.prod(model.tensors[op.output].dims[2:]))  # type: ignore[index]
        scratch.dims, scratch.size = (plane - 1,), 4 * (plane - 1)

    assert _refusal(_edited(small_int8, bad_multiplier)) == (
        "STL_E_OP", "QCONV/QGEMM multiplier is not finite and positive")
    assert _refusal(_edited(small_int8, small_scratch))[0] == "STL_E_SHAPE"
    assert native.load(small_int8).run(rand(3, 1, 4, 6, 6)).shape == (1, 6, 6, 6)
