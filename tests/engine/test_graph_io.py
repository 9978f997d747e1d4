"""Models with several inputs and outputs, end to end on the host: every graph output is kept, in
order and by name (a reversed output list gives reversed outputs), the planner keeps them all
live to the end, the loader enforces the input/output records and names, stl_run takes and
checks one buffer per input and output, and torch exports match ONNX Runtime."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.engine.test_loader import raw_run
from tests.exported import exported
from tzinfer import native, planner, tzm
from tzinfer.convert import convert
from tzinfer.fixtures.ort import reference_session


def _save(path: Path, nodes: list[onnx.NodeProto], inputs: dict[str, list[int]], outputs: list[str],
          inits: dict[str, np.ndarray] | None = None, opset: int = 13) -> Path:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
                                           for n, s in inputs.items()],
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
                              [numpy_helper.from_array(v, k) for k, v in (inits or {}).items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), path)
    return path


def _feeds(model: native.Model, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {d.name: rng.standard_normal(d.shape).astype(np.float32) for d in model.inputs}


def _ort(path: Path, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    session = reference_session(path)
    return dict(zip((o.name for o in session.get_outputs()), session.run(None, feeds), strict=True))


def _assert_matches_ort(path: Path, model: native.Model, tol: float = 1e-4) -> dict[str, np.ndarray]:
    feeds = _feeds(model)
    ours, ref = model.run_all(feeds), _ort(path, feeds)
    assert list(ours) == list(ref)
    for name, y in ours.items():
        assert y.shape == ref[name].shape, name
        assert np.abs(y - ref[name]).max() <= tol * max(1.0, float(np.abs(ref[name]).max())), name
    return ours


def _odd_outputs(path: Path) -> Path:
    """Two inputs (one unread) and five outputs: a product, the sigmoid it reads (an output read
    again), a copy of an input, a constant, and the sigmoid again under another name."""
    n = helper.make_node
    nodes = [n("Relu", ["a"], ["ra"]), n("Add", ["ra", "b"], ["s"]), n("Sigmoid", ["s"], ["y1"]),
             n("Mul", ["ra", "y1"], ["y2"]), n("Identity", ["b"], ["b_copy"]),
             n("Identity", ["y1"], ["y1_again"])]
    return _save(path, nodes, {"a": [1, 4], "b": [1, 4], "unused": [2]},
                 ["y2", "y1", "b_copy", "k", "y1_again"], {"k": np.arange(3, dtype=np.float32)})


def test_every_output_is_kept_in_order_and_by_name(tmp_path: Path) -> None:
    path = _odd_outputs(tmp_path / "odd.onnx")
    emitted = convert(path)
    m = native.load(tzm.write(emitted.model))
    assert [d.name for d in m.inputs] == ["a", "b", "unused"]
    assert [d.name for d in m.outputs] == ["y2", "y1", "b_copy", "k", "y1_again"]
    # Each output is a tensor of its own: the input, the constant and the repeated sigmoid are copies.
    tensors = [b.tensor for b in emitted.model.outputs]
    assert len(set(tensors)) == 5 and not set(tensors) & {b.tensor for b in emitted.model.inputs}
    ours = _assert_matches_ort(path, m)
    assert np.array_equal(ours["k"], np.arange(3, dtype=np.float32))


def test_reversed_outputs_give_reversed_outputs(tmp_path: Path) -> None:
    """The same graph with its output list reversed: the same arrays, in reversed order."""
    forward = _odd_outputs(tmp_path / "forward.onnx")
    model = onnx.load(forward)
    reversed_outputs = list(model.graph.output)[::-1]
    del model.graph.output[:]
    model.graph.output.extend(reversed_outputs)
    backward = tmp_path / "backward.onnx"
    onnx.save(model, backward)
    a, b = (native.load(tzm.write(convert(p).model)) for p in (forward, backward))
    feeds = _feeds(a)
    ya, yb = a.run_all(feeds), b.run_all(feeds)
    assert list(yb) == list(ya)[::-1]
    for name in ya:
        assert np.array_equal(ya[name], yb[name])


@pytest.mark.parametrize("opset", [13, 17])
def test_two_head_torch_export_matches_onnxruntime(opset: int) -> None:
    """torch.onnx.export of a net with two inputs and three outputs (tests/exported/recipes.py)."""
    path = exported(f"two_head_net_opset{opset}")
    emitted = convert(path)
    m = native.load(tzm.write(emitted.model))
    assert [(d.name, d.shape) for d in m.inputs] == [("image", (1, 3, 16, 16)), ("side", (1, 4))]
    assert [(d.name, d.shape) for d in m.outputs] == [("scores", (1, 5)), ("boxes", (1, 4, 8, 8)),
                                                      ("features", (1, 8))]
    _assert_matches_ort(path, m)
    # The pooled features are an output the heads read too: live to the end, never overwritten.
    assert planner.check_model(emitted.model) == []
    assert emitted.plan.arena_size / emitted.plan.liveness_bound <= 1.05
    assert m.source_sha256 == hashlib.sha256(path.read_bytes()).digest()


# --- the loader's rules -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_head() -> bytes:
    return tzm.write(convert(exported("two_head_net_opset13")).model)


def _refusal(data: bytes) -> tuple[str, str]:
    with pytest.raises(native.EngineError) as info:
        native.load(data)
    return info.value.status, info.value.reason


def _remodel(data: bytes, change: Callable[[tzm.TzmModel], None]) -> bytes:
    model = tzm.read(data)
    change(model)
    return tzm.write(model)


def _both_refuse(data: bytes) -> tuple[str, str]:
    """The engine's refusal; the host reader must refuse the file too."""
    with pytest.raises(tzm.TzmError):
        tzm.read(data)
    return _refusal(data)


@pytest.mark.parametrize(("change", "status", "reason"), [
    (lambda m: setattr(m.inputs[1], "tensor", m.inputs[0].tensor), "STL_E_TENSOR",
     "two model inputs are the same tensor"),
    (lambda m: setattr(m.outputs[2], "tensor", m.outputs[0].tensor), "STL_E_TENSOR",
     "two model outputs are the same tensor"),
    (lambda m: setattr(m.outputs[0], "tensor", m.inputs[0].tensor), "STL_E_TENSOR",
     "a model output is a model input (outputs are written by ops)"),
    (lambda m: setattr(m.inputs[1], "name", "image"), "STL_E_TENSOR", "two model inputs have the same name"),
    (lambda m: setattr(m.outputs[1], "name", "scores"), "STL_E_TENSOR",
     "two model outputs have the same name"),
    (lambda m: setattr(m.inputs[0], "tensor", next(i for i, t in enumerate(m.tensors)
                                                   if t.kind == tzm.TensorKind.CONST)),
     "STL_E_TENSOR", "a model input or output is not an ACT tensor"),
])
def test_input_output_records(two_head: bytes, change: Callable[[tzm.TzmModel], None], status: str,
                              reason: str) -> None:
    assert _both_refuse(_remodel(two_head, change)) == (status, reason)


def _bindings_at(data: bytes) -> int:
    def field(name: str) -> int:
        return struct.unpack_from("<I", data, tzm.HEADER_FIELDS[name][0])[0]
    return (tzm.HEADER_SIZE + field("n_tensors") * tzm.TENSOR_RECORD_SIZE
            + field("n_ops") * tzm.OP_RECORD_SIZE + 4 * field("n_io") + tzm.SOURCE_DIGEST_SIZE)


def _rehashed(data: bytearray) -> bytes:
    off = tzm.HEADER_FIELDS["body_sha256"][0]
    data[off:off + 32] = hashlib.sha256(bytes(data[tzm.HEADER_SIZE:])).digest()
    return bytes(data)


def _with_names(data: bytes, raw: list[bytes]) -> bytes:
    """The model with its names section replaced by these raw names (each NUL-terminated, lengths
    and offsets in the records to match); the weights move to stay 16-aligned after the tables."""
    model = tzm.read(data)
    at = _bindings_at(data)
    n = len(model.inputs) + len(model.outputs)
    records, names, offset = bytearray(), bytearray(), 0
    for i in range(n):
        tensor = struct.unpack_from("<I", data, at + 16 * i)[0]
        records += struct.pack("<IIII", tensor, offset, len(raw[i]), 0)
        names += raw[i] + b"\0"
        offset += len(raw[i]) + 1
    out = bytearray(data[:at]) + records + names
    out += bytes(tzm.align(len(out)) - len(out))
    for name, value in (("names_size", len(names)), ("weights_offset", len(out)),
                        ("body_size", len(out) + len(model.weights) - tzm.HEADER_SIZE)):
        struct.pack_into("<I", out, tzm.HEADER_FIELDS[name][0], value)
    return _rehashed(out + model.weights)


GOOD_NAMES = [b"image", b"side", b"scores", b"boxes", b"features"]


@pytest.mark.parametrize("bad", [
    b"",                      # empty
    b"x" * 256,               # too long
    b"tab\there",             # C0 control
    b"del\x7f",               # DEL
    b"c1\xc2\x85",            # U+0085, a C1 control
    b"over\xc0\xaf",          # overlong '/'
    b"surrogate\xed\xa0\x80", # U+D800
    b"big\xf4\x90\x80\x80",   # above U+10FFFF
    b"cut\xe2\x82",           # truncated sequence
    b"nul\x00inside",
])
def test_bad_names_are_refused_by_both_readers(two_head: bytes, bad: bytes) -> None:
    data = _with_names(two_head, [bad, *GOOD_NAMES[1:]])
    status, reason = _both_refuse(data)
    assert status == "STL_E_TENSOR" and "name" in reason


@pytest.mark.parametrize("good", [b"x" * 255, "caf\u00e9/\u4e2d\u6587 \U0001F600".encode(), b"a=b:c"])
def test_unusual_names_load_in_both_readers(two_head: bytes, good: bytes) -> None:
    data = _with_names(two_head, [good, *GOOD_NAMES[1:]])
    assert native.load(data).inputs[0].name == good.decode() == tzm.read(data).inputs[0].name


def test_names_section_layout(two_head: bytes) -> None:
    at = _bindings_at(two_head)
    tensor, name_offset, name_len, _ = struct.unpack_from("<IIII", two_head, at + 16)
    wrong_offset = bytearray(two_head)
    struct.pack_into("<I", wrong_offset, at + 16 + 4, name_offset + 1)
    assert _both_refuse(_rehashed(wrong_offset)) == (
        "STL_E_TENSOR", "input/output name_offset is not where the previous name ends")
    reserved = bytearray(two_head)
    struct.pack_into("<I", reserved, at + 12, 1)
    assert _both_refuse(_rehashed(reserved)) == ("STL_E_RESERVED",
                                                 "input/output record reserved field is not zero")
    unterminated = bytearray(two_head)
    names_at = at + 5 * tzm.BINDING_RECORD_SIZE
    unterminated[names_at + len(b"image")] = ord("!")
    status, reason = _both_refuse(_rehashed(unterminated))
    assert status == "STL_E_TENSOR" and "NUL" in reason


def test_the_plan_keeps_inputs_and_outputs_apart(two_head: bytes) -> None:
    def inputs_overlap(m: tzm.TzmModel) -> None:
        m.tensors[m.inputs[1].tensor].offset = m.tensors[m.inputs[0].tensor].offset
    assert _refusal(_remodel(two_head, inputs_overlap)) == ("STL_E_PLAN",
                                                            "two model inputs share arena bytes")

    def outputs_overlap(m: tzm.TzmModel) -> None:
        m.tensors[m.outputs[2].tensor].offset = m.tensors[m.outputs[0].tensor].offset
    assert _refusal(_remodel(two_head, outputs_overlap)) == (
        "STL_E_PLAN", "two tensors live at the same time share arena bytes")

    def later_tensor_on_an_output(m: tzm.TzmModel) -> None:
        """The pooled features (an output, written early) under the boxes conv's output."""
        features = m.tensors[m.outputs[2].tensor]
        m.tensors[m.outputs[1].tensor].offset = features.offset
    assert _refusal(_remodel(two_head, later_tensor_on_an_output))[0] == "STL_E_PLAN"


def test_run_checks_every_buffer(two_head: bytes) -> None:
    m = native.load(two_head)
    xs = [np.zeros(d.shape, np.float32) for d in m.inputs]
    ys = [np.zeros(d.shape, np.float32) for d in m.outputs]
    arena = np.zeros(m.arena_bytes + 16, np.uint8)
    aligned = arena[-arena.ctypes.data % 16:]
    assert raw_run(m, aligned, m.arena_bytes, xs, ys) == "STL_OK"
    assert raw_run(m, aligned, m.arena_bytes, xs[:1], ys) == "STL_E_ARG"
    assert raw_run(m, aligned, m.arena_bytes, xs[::-1], ys) == "STL_E_ARG"  # sizes in the wrong order
    assert raw_run(m, aligned, m.arena_bytes, xs, ys[:2]) == "STL_E_ARG"
    assert raw_run(m, aligned, m.arena_bytes, xs, [ys[0], ys[1], ys[2][:, :4]]) == "STL_E_ARG"
    shared = np.zeros(max(y.size for y in ys) * 2, np.float32)
    overlapping = [shared[:ys[0].size], shared[:ys[1].size], shared[ys[1].size:ys[1].size + ys[2].size]]
    assert raw_run(m, aligned, m.arena_bytes, xs, overlapping) == "STL_E_ARG"
    # Inputs are only read: two may share memory.
    assert raw_run(m, aligned, m.arena_bytes, [xs[0], xs[0].ravel()[:4]], ys) == "STL_OK"
