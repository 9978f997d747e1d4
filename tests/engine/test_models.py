"""Whole reference models through converter + host engine: outputs against the ONNX Runtime
references, ImageNet top-1 agreement, LeNet-5 accuracy on held-out MNIST digits, and the memory
plan's numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import numpy_helper

from tzinfer import native, planner, tzm
from tzinfer.convert import convert
from tzinfer.convert.build import Emitted
from tzinfer.convert.onnx_import import import_onnx
from tzinfer.fixtures import FixturePaths
from tzinfer.tzm import OpType

MODELS = ("mobilenetv2", "squeezenet1_1", "lenet5")
IMAGENET_MODELS = ("mobilenetv2", "squeezenet1_1")
#: Acceptance targets (issue 2).
MAX_PEAK_OVER_BOUND = 1.05
MIN_LENET5_ACCURACY = 0.95


@dataclass
class Converted:
    emitted: Emitted
    data: bytes
    engine: native.Model


@pytest.fixture(scope="module")
def converted(fixtures: FixturePaths) -> dict[str, Converted]:
    result = {}
    for name in MODELS:
        emitted = convert(fixtures.onnx(name))
        data = tzm.write(emitted.model)
        result[name] = Converted(emitted, data, native.load(data))
    return result


def _close(y: np.ndarray, ref: np.ndarray) -> float:
    """max|diff| relative to the acceptance tolerance (<= 1 passes)."""
    return float(np.abs(y - ref).max()) / (1e-4 * max(1.0, float(np.abs(ref).max())))


@pytest.mark.parametrize("model", MODELS)
def test_outputs_match_onnx_runtime(converted: dict[str, Converted], fixtures: FixturePaths,
                                    model: str) -> None:
    for name in fixtures.inputs(model):
        y = converted[model].engine.run(np.load(fixtures.input(model, name)))
        ref = np.load(fixtures.reference(model, name))
        assert y.shape == ref.shape
        assert _close(y, ref) <= 1.0, f"{model} on {name}"


@pytest.mark.parametrize("model", IMAGENET_MODELS)
def test_imagenet_top1_matches_onnx_runtime(converted: dict[str, Converted], fixtures: FixturePaths,
                                            model: str) -> None:
    for image in fixtures.images:
        y = converted[model].engine.run(np.load(fixtures.image(image)))
        assert int(y.argmax()) == fixtures.top1(model, image), f"{model} on {image}"


def test_mobilenetv2_recognises_the_cat(converted: dict[str, Converted], fixtures: FixturePaths) -> None:
    """The pretrained weights survive conversion: scikit-image's chelsea is a cat (classes 281-285)."""
    y = converted["mobilenetv2"].engine.run(np.load(fixtures.image("chelsea")))
    assert 281 <= int(y.argmax()) <= 285, fixtures.labels[int(y.argmax())]


def test_lenet5_accuracy_on_held_out_digits(converted: dict[str, Converted], fixtures: FixturePaths) -> None:
    holdout = np.load(fixtures.mnist_holdout)
    x, labels = holdout["x"], holdout["y"]
    engine = converted["lenet5"].engine
    predicted = np.array([int(engine.run(x[i:i + 1]).argmax()) for i in range(len(x))])
    accuracy = float((predicted == labels).mean())
    assert len(x) >= 1000
    assert accuracy >= MIN_LENET5_ACCURACY, f"LeNet-5 accuracy {accuracy:.4f}"


@pytest.mark.parametrize("model", MODELS)
def test_memory_plan(converted: dict[str, Converted], model: str) -> None:
    """Peak arena within 5% of the liveness bound, a valid plan in the file as written, and the
    numbers the reader recomputes from the file equal to the converter's."""
    plan = converted[model].emitted.plan
    assert plan.liveness_bound <= plan.arena_size <= MAX_PEAK_OVER_BOUND * plan.liveness_bound
    assert plan.arena_size < plan.activations_sum
    stored = tzm.read(converted[model].data)
    assert planner.check_model(stored) == []
    again = planner.analyse_model(stored)
    assert (again.liveness_bound, again.activations_sum) == (plan.liveness_bound, plan.activations_sum)


@pytest.mark.parametrize("model", MODELS)
def test_weights_are_the_model_constants_once(converted: dict[str, Converted], fixtures: FixturePaths,
                                              model: str) -> None:
    """These exports have no batch norm left to fold, so the stored weights are exactly the ONNX
    float initializers, each once; the weights section adds only 16-byte alignment padding."""
    initializers = [numpy_helper.to_array(t) for t in onnx.load(fixtures.onnx(model)).graph.initializer]
    expected = sum(a.nbytes for a in initializers if a.dtype == np.float32)
    emitted = converted[model].emitted
    assert emitted.weights_bytes == expected
    stored = tzm.read(converted[model].data)
    assert tzm.stored_weights_bytes(stored) == expected
    n_consts = sum(t.kind == tzm.TensorKind.CONST for t in stored.tensors)
    assert expected <= len(stored.weights) < expected + tzm.ALIGN * n_consts


@dataclass
class Program:
    """A random op sequence for the planner, with its model inputs and outputs."""

    steps: list[planner.Step]
    sizes: dict[int, int]
    inputs: list[int]
    outputs: list[int]


@st.composite
def random_programs(draw: st.DrawFn) -> Program:
    """A random op sequence over ACT tensors: element-wise ops (in-place candidates), reshapes,
    convs with scratch and multi-input ops reading any earlier tensor, over one to three model
    inputs (some maybe unread), with one to three model outputs among the tensors written (some
    maybe read again later)."""
    n_inputs = draw(st.integers(1, 3))
    shapes: dict[int, tuple[int, ...]] = {i: (draw(st.integers(1, 64)),) for i in range(n_inputs)}
    steps = []
    for _ in range(draw(st.integers(1, 25))):
        op_type = draw(st.sampled_from([OpType.UNARY, OpType.BINARY, OpType.RESHAPE, OpType.CONV,
                                        OpType.CONCAT]))
        arity = 1 if op_type == OpType.UNARY else 2
        reads = draw(st.lists(st.sampled_from(sorted(shapes)), min_size=1, max_size=arity))
        out = len(shapes) + 1
        same = op_type in (OpType.UNARY, OpType.BINARY, OpType.RESHAPE) and draw(st.booleans())
        shapes[out] = shapes[reads[0]] if same else (draw(st.integers(1, 64)),)
        scratch = None
        if op_type == OpType.CONV and draw(st.booleans()):
            scratch = out + 1
            shapes[scratch] = (draw(st.integers(1, 32)),)
        steps.append(planner.make_step(op_type, reads, [shapes[r] for r in reads], out, shapes[out], scratch))
    written = [s.writes for s in steps]
    outputs = draw(st.lists(st.sampled_from(written), min_size=0, max_size=2, unique=True))
    outputs = [o for o in outputs if o != written[-1]] + [written[-1]]
    return Program(steps, {t: 4 * s[0] for t, s in shapes.items()}, list(range(n_inputs)), outputs)


@settings(max_examples=200, deadline=None)
@given(random_programs())
def test_planner_invariants(program: Program) -> None:
    """On any op sequence the greedy plan is valid (no two live tensors share bytes unless they are
    an allowed in-place pair), at least the liveness bound, and no worse than no reuse at all; every
    output stays live to the end, so no two outputs share a byte."""
    p = program
    plan = planner.plan(p.steps, p.sizes, p.inputs, p.outputs)
    assert planner.check(p.steps, p.sizes, plan.offsets, p.inputs, p.outputs, plan.arena_size) == []
    assert plan.liveness_bound <= plan.arena_size <= sum(tzm.align(s) for s in p.sizes.values())
    assert max(plan.live_bytes) == plan.liveness_bound
    ranges = planner.live_ranges(p.steps, p.inputs, p.outputs)
    assert all(ranges[o][1] == len(p.steps) for o in p.outputs)
    spans = sorted((plan.offsets[o], plan.offsets[o] + p.sizes[o]) for o in p.outputs)
    assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False))


def test_planner_check_catches_overlap() -> None:
    """Two tensors live together at the same offset are reported (the checker can fail), and so
    are two outputs, or an output and a tensor written after it, sharing bytes."""
    steps = [planner.make_step(OpType.CONV, [0], [(4,)], 1, (8,), None),
             planner.make_step(OpType.BINARY, [0, 1], [(4,), (8,)], 2, (8,), None)]
    sizes = {0: 16, 1: 32, 2: 32}
    assert planner.check(steps, sizes, {0: 0, 1: 0, 2: 48}, [0], [2], 80)
    assert planner.check(steps, sizes, {0: 0, 1: 16, 2: 16}, [0], [2], 48) == []  # 1 -> 2 in place
    assert planner.check(steps, sizes, {0: 0, 1: 16, 2: 16}, [0], [1, 2], 48)  # no longer: 1 is an output


@pytest.mark.parametrize("model", MODELS)
def test_activation_shapes_agree_with_onnx_shape_inference(fixtures: FixturePaths, model: str) -> None:
    """The converter propagates shapes itself; ONNX's own shape inference must agree on every
    activation the two have in common (by ONNX value name)."""
    inferred = onnx.shape_inference.infer_shapes(onnx.load(fixtures.onnx(model)))
    declared = {v.name: tuple(d.dim_value for d in v.type.tensor_type.shape.dim)
                for v in [*inferred.graph.value_info, *inferred.graph.output]}
    graph = import_onnx(fixtures.onnx(model))
    common = [name for name, t in graph.tensors.items() if not t.is_const and name in declared]
    assert len(common) >= len(graph.ops) // 2
    assert {name: graph.shape(name) for name in common} == {name: declared[name] for name in common}
