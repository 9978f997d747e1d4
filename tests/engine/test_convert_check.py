"""What the converter refuses, and how: every blocker of a model at once (`tzinfer convert --check`
and conversion alike), quantised graphs with the way to a float export, ops outside the opsets
that define them, and docs/supported-ops.md generated from the same registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnx.defs
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.engine.test_cli import assert_one_line_error, tzinfer
from tzinfer.convert import Blocked, convert, registry
from tzinfer.tasks.docs import SUPPORTED_OPS


def _model(path: Path, nodes: list[onnx.NodeProto], opset: int = 13,
           inits: dict[str, np.ndarray] | None = None, outputs: tuple[str, ...] = ("y",),
           x_type: int = TensorProto.FLOAT, domains: tuple[str, ...] = ()) -> Path:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", x_type, [1, 4, 8, 8])],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
                              [numpy_helper.from_array(v, k) for k, v in (inits or {}).items()])
    opsets = [helper.make_opsetid("", opset), *(helper.make_opsetid(d, 1) for d in domains)]
    onnx.save(helper.make_model(graph, opset_imports=opsets), path)
    return path


def _blockers(path: Path) -> list[tuple[str, str, str]]:
    with pytest.raises(Blocked) as info:
        convert(path)
    return [(b.op_type, b.node, b.reason) for b in info.value.blockers]


def _many_blockers(path: Path) -> Path:
    """Four kinds of blocker, one after another, each downstream of the previous ones."""
    n = helper.make_node
    nodes = [
        n("Relu", ["x"], ["r"], name="relu"),
        n("Softsign", ["r"], ["s1"], name="softsign_a"),
        n("Elu", ["s1"], ["e"], name="elu"),
        n("Softsign", ["e"], ["s2"], name="softsign_b"),
        n("Shape", ["s2"], ["shape"]),
        n("Reshape", ["s2", "shape"], ["rs"], name="reshape"),
        n("Pad", ["rs", "pads"], ["p"], name="wrap_pad", mode="wrap"),
        n("LeakyRelu", ["p"], ["y"], name="leaky", slope=0.2),
    ]
    consts = {"pads": np.zeros(8, np.int64)}
    return _model(path, nodes, inits=consts)


def test_conversion_reports_every_blocker_at_once(tmp_path: Path) -> None:
    """Nodes after a blocked one are still checked (their shapes come from ONNX shape inference):
    both Softsigns, the Elu, the wrap Pad and the LeakyRelu's bad attribute are reported; the Shape
    and Reshape in between, which are supported, are not."""
    found = _blockers(_many_blockers(tmp_path / "m.onnx"))
    assert [(op, node) for op, node, _ in found] == [
        ("Softsign", "softsign_a"), ("Elu", "elu"), ("Softsign", "softsign_b"), ("Pad", "wrap_pad"),
        ("LeakyRelu", "leaky")]
    reasons = dict(((op, node), reason) for op, node, reason in found)
    assert reasons["Softsign", "softsign_a"].startswith("Softsign of an activation is not supported")
    assert "mode='wrap'" in reasons["Pad", "wrap_pad"]
    assert "attribute 'slope'" in reasons["LeakyRelu", "leaky"]


def test_check_lists_every_blocker_with_counts_names_and_fixes(tmp_path: Path) -> None:
    path = _many_blockers(tmp_path / "m.onnx")
    result = tzinfer("convert", path, "--check")
    assert result.returncode == 2, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"{path}: cannot be converted: 5 unsupported nodes or values (4 kinds):"
    softsigns = next(line for line in lines if line.strip().startswith("Softsign × 2"))
    assert "nodes 'softsign_a', 'softsign_b'" in softsigns and "see docs/supported-ops.md" in softsigns
    assert any("Elu × 1 (node 'elu')" in line for line in lines)
    assert not list(tmp_path.glob("*.tzm"))
    # Conversion stops at the same report: a summary line and one line per kind, no traceback.
    result = tzinfer("convert", path, "-o", tmp_path / "m.tzm")
    assert result.returncode == 2 and not (tmp_path / "m.tzm").exists()
    err = result.stderr.strip().splitlines()
    assert err[0].startswith("tzinfer: error: 5 things in the model are not supported (4 kinds)")
    assert len(err) == 5 and all(line.startswith("  ") for line in err[1:])


def test_check_of_a_supported_model(tmp_path: Path) -> None:
    path = _model(tmp_path / "ok.onnx", [helper.make_node("Relu", ["x"], ["y"])])
    result = tzinfer("convert", path, "--check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{path}: converts: 1 ops, input x 1x4x8x8; output y 1x4x8x8")
    assert not list(tmp_path.glob("*.tzm"))
    assert_one_line_error(tzinfer("convert", path), 1, "-o", "--check")


QUANTISED = [
    ("DynamicQuantizeLinear", lambda: [
        helper.make_node("DynamicQuantizeLinear", ["x"], ["q", "s", "z"], name="dq"),
        helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="deq")]),
    ("ConvInteger", lambda: [helper.make_node("Cast", ["x"], ["xi"], to=TensorProto.UINT8),
                             helper.make_node("ConvInteger", ["xi", "wq"], ["ci"], name="conv_int"),
                             helper.make_node("Cast", ["ci"], ["y"], to=TensorProto.FLOAT)]),
    ("MatMulInteger", lambda: [helper.make_node("Cast", ["x"], ["xi"], to=TensorProto.UINT8),
                               helper.make_node("MatMulInteger", ["xi", "mq"], ["mi"], name="mm_int"),
                               helper.make_node("Cast", ["mi"], ["y"], to=TensorProto.FLOAT)]),
    ("QuantizeLinear", lambda: [helper.make_node("QuantizeLinear", ["x", "scale"], ["q"], name="quant"),
                                helper.make_node("DequantizeLinear", ["q", "scale"], ["y"], name="dequant")]),
]


@pytest.mark.parametrize(("op", "nodes"), QUANTISED, ids=[q[0] for q in QUANTISED])
def test_quantised_models_are_refused_with_the_way_to_a_float_one(tmp_path: Path, op: str, nodes) -> None:  # noqa: ANN001
    consts = {"wq": np.ones((2, 4, 1, 1), np.uint8), "mq": np.ones((8, 3), np.uint8),
              "scale": np.array(0.1, np.float32)}
    found = _blockers(_model(tmp_path / "q.onnx", nodes(), inits=consts))
    quantised = [(o, r) for o, _, r in found if "quantised" in r]
    assert op in {o for o, _ in quantised}
    result = tzinfer("convert", tmp_path / "q.onnx", "--check")
    assert result.returncode == 2
    assert ("the model is quantised: tzinfer runs float32 models; export the float model instead"
            in result.stdout)


def test_onnxruntime_quantised_ops_of_its_own_domain(tmp_path: Path) -> None:
    nodes = [helper.make_node("QLinearAdd", ["x", "s", "z", "x", "s", "z", "s", "z"], ["y"], name="qadd",
                              domain="com.microsoft")]
    consts = {"s": np.array(0.1, np.float32), "z": np.array(0, np.uint8)}
    found = _blockers(_model(tmp_path / "ms.onnx", nodes, inits=consts, domains=("com.microsoft",)))
    assert found == [("QLinearAdd", "qadd", "the model is quantised: tzinfer runs float32 models")]


def test_dequantized_constant_weights_are_refused_too(tmp_path: Path) -> None:
    """int8 weights with a DequantizeLinear: quantised, though constant (nothing folds QDQ yet)."""
    nodes = [helper.make_node("DequantizeLinear", ["wq", "scale"], ["w"], name="dq_w"),
             helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[1, 1])]
    wq = np.arange(-8, 8, dtype=np.int8).reshape(4, 4, 1, 1)
    consts = {"wq": wq, "scale": np.array(0.5, np.float32)}
    found = _blockers(_model(tmp_path / "w8.onnx", nodes, inits=consts))
    assert found == [("DequantizeLinear", "dq_w", "the model is quantised: tzinfer runs float32 models")]


@pytest.mark.parametrize("opset", [13, 14])
def test_hardswish_exists_from_opset_14(tmp_path: Path, opset: int) -> None:
    path = _model(tmp_path / "hs.onnx", [helper.make_node("HardSwish", ["x"], ["y"], name="hs")], opset=opset)
    if opset == 14:
        assert len(convert(path).model.ops) == 1
        return
    assert _blockers(path) == [("HardSwish", "hs", "HardSwish does not exist at opset 13 (it was added in "
                                                    "opset 14), so the model is not valid ONNX")]
    result = tzinfer("convert", path, "--check")
    assert result.returncode == 2
    assert "re-export the model at an opset where HardSwish exists" in result.stdout


def test_an_attribute_the_handler_does_not_read_is_reported(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """An ONNX attribute a handler leaves out of its OpSpec is refused, not ignored (no op of the
    registry leaves one out today: take alpha away from LeakyRelu's)."""
    spec = registry.registry()["LeakyRelu"]
    monkeypatch.setitem(registry.registry(), "LeakyRelu", registry.OpSpec("LeakyRelu", spec.handler))
    path = _model(tmp_path / "l.onnx", [helper.make_node("LeakyRelu", ["x"], ["y"], name="l", alpha=0.3)])
    with pytest.raises(Blocked) as info:
        convert(path)
    assert str(info.value) == ("LeakyRelu node 'l': attribute 'alpha' of LeakyRelu is not supported; "
                               "supported attributes: none")


def test_a_registry_range_narrower_than_onnx_is_reported(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    spec = registry.registry()["Relu"]
    monkeypatch.setitem(registry.registry(), "Relu", registry.OpSpec("Relu", spec.handler, since=14))
    path = _model(tmp_path / "r.onnx", [helper.make_node("Relu", ["x"], ["y"], name="r")])
    reason = f"Relu is supported at opsets 14..{registry.MAX_OPSET} only, the model is at 13"
    assert _blockers(path) == [("Relu", "r", reason)]


def test_non_float_inputs_and_custom_domains_are_blockers_too(tmp_path: Path) -> None:
    nodes = [helper.make_node("Cast", ["x"], ["f"], to=TensorProto.FLOAT),
             helper.make_node("Gelu", ["f"], ["y"], name="gelu", domain="com.microsoft")]
    found = _blockers(_model(tmp_path / "i.onnx", nodes, x_type=TensorProto.INT64,
                             domains=("com.microsoft",)))
    assert found == [("", "input 'x'", "the input is INT64"),
                     ("Gelu", "gelu", "ops of the custom domain 'com.microsoft' are not supported")]


def test_registry_agrees_with_the_onnx_spec() -> None:
    """Every registered op exists at every opset of its range, with every attribute it names."""
    for op, spec in registry.registry().items():
        assert spec.since >= (registry.first_opset(op) or 99), op
        schemas = [onnx.defs.get_schema(op, opset, "") for opset in range(spec.since, spec.until + 1)]
        defined = set().union(*(schema.attributes for schema in schemas))
        assert set(spec.attrs) <= defined, (op, set(spec.attrs) - defined)


def test_supported_ops_doc_is_current() -> None:
    assert SUPPORTED_OPS.read_text() == registry.supported_ops_markdown(), \
        "docs/supported-ops.md is stale: run `invoke docs-ops` and commit it"
