"""The S-Tinylib loader refuses malformed .tzm files with the right status, and the run-time
argument checks refuse bad buffers. Every bad file is a mutation of one valid converted model;
where the check under test comes after the body hash, the mutated body is re-hashed so that the
hash check does not mask it."""

from __future__ import annotations

import ctypes
import hashlib
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from tzinfer import native, tzm
from tzinfer.convert import convert

HEADER = tzm.HEADER_SIZE


def _off(field: str) -> int:
    """Offset of a header field (tzm reads them from tzm_format.h)."""
    return tzm.HEADER_FIELDS[field][0]


def _small_onnx(path: Path) -> None:
    """Conv3x3+Relu, MaxPool, Conv1x1 + residual Add, GlobalAveragePool, Flatten, Gemm, Softmax."""
    rng = np.random.default_rng(1)

    def init(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], kernel_shape=[1, 1]),
        helper.make_node("Add", ["c2", "p1"], ["a1"]),
        helper.make_node("GlobalAveragePool", ["a1"], ["g1"]),
        helper.make_node("Flatten", ["g1"], ["f1"]),
        helper.make_node("Gemm", ["f1", "w3", "b3"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["y"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
        [init("w1", 8, 3, 3, 3), init("b1", 8), init("w2", 8, 8, 1, 1), init("b2", 8), init("w3", 5, 8),
         init("b3", 5)],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def _converted(tmp_path_factory: pytest.TempPathFactory, write_onnx: Callable[[Path], None]) -> bytes:
    path = tmp_path_factory.mktemp("loader") / "model.onnx"
    write_onnx(path)
    return tzm.write(convert(path).model)


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return _converted(tmp_path_factory, _small_onnx)


def _status(data: bytes) -> str:
    try:
        native.load(data)
    except native.EngineError as e:
        assert e.reason, "a refusal must carry a reason"
        return e.status
    return "STL_OK"


def _rehash(data: bytearray) -> bytes:
    data[56:88] = hashlib.sha256(bytes(data[HEADER:])).digest()
    return bytes(data)


def _u32(data: bytes, off: int) -> int:
    return struct.unpack_from("<I", data, off)[0]


def _patched(data: bytes, off: int, fmt: str, value: int, rehash: bool = True) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, off, value)
    return _rehash(out) if rehash else bytes(out)


def _tensor_off(i: int) -> int:
    return HEADER + i * tzm.TENSOR_RECORD_SIZE


def _op_off(data: bytes, s: int) -> int:
    return HEADER + _u32(data, _off("n_tensors")) * tzm.TENSOR_RECORD_SIZE + s * tzm.OP_RECORD_SIZE


def _bindings_off(data: bytes) -> int:
    """Where the input/output records start: after the io table and the source digest."""
    return _io_table(data) + 4 * _u32(data, _off("n_io")) + tzm.SOURCE_DIGEST_SIZE


def _tables_end(data: bytes) -> int:
    n_bindings = _u32(data, _off("n_inputs")) + _u32(data, _off("n_outputs"))
    return _bindings_off(data) + n_bindings * tzm.BINDING_RECORD_SIZE + _u32(data, _off("names_size"))


def _remodel(data: bytes, change: Callable[[tzm.TzmModel], None]) -> bytes:
    """Edit the parsed model and write it again (the writer re-hashes)."""
    model = tzm.read(data)
    change(model)
    return tzm.write(model)


def _first_op(model: tzm.TzmModel, op_type: tzm.OpType) -> tzm.OpRecord:
    return next(op for op in model.ops if op.type == op_type)


def test_valid_model_loads_and_runs(valid: bytes) -> None:
    m = native.load(valid)
    assert [(d.name, d.shape) for d in m.inputs] == [("x", (1, 3, 8, 8))]
    assert [(d.name, d.shape) for d in m.outputs] == [("y", (1, 5))]
    y = m.run(np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32))
    assert np.isclose(y.sum(), 1.0, atol=1e-5) and (y > 0).all()


@pytest.mark.parametrize("cut_fraction", [i / 23 for i in range(23)])
def test_truncated(valid: bytes, cut_fraction: float) -> None:
    for cut in {int(cut_fraction * len(valid)), 0, 7, HEADER - 1, HEADER, HEADER + 1, len(valid) - 1}:
        assert _status(valid[:cut]) == "STL_E_TRUNCATED", f"cut at {cut}"


def test_trailing_bytes(valid: bytes) -> None:
    assert _status(valid + bytes(16)) == "STL_E_TRUNCATED"


@pytest.mark.parametrize(("field", "fmt", "value", "status"), [
    ("magic", "<B", ord("X"), "STL_E_MAGIC"),
    ("version_major", "<H", 3, "STL_E_VERSION"),
    ("version_minor", "<H", 2, "STL_E_VERSION"),
    ("header_size", "<I", 132, "STL_E_VERSION"),
    ("flags", "<I", 1, "STL_E_FLAGS"),
    ("flags", "<I", 1 << 31, "STL_E_FLAGS"),
    ("nonce", "<B", 1, "STL_E_RESERVED"),
    ("tag", "<B", 1, "STL_E_RESERVED"),
    ("key_id", "<I", 7, "STL_E_RESERVED"),
    ("reserved", "<I", 1 << 24, "STL_E_RESERVED"),
    ("n_tensors", "<I", 0, "STL_E_TENSOR"),
    ("n_tensors", "<I", 65536, "STL_E_TENSOR"),
    ("n_ops", "<I", 0, "STL_E_OP"),
    ("n_inputs", "<I", 0, "STL_E_TENSOR"),
    ("n_inputs", "<I", 256, "STL_E_TENSOR"),
    ("n_outputs", "<I", 0, "STL_E_TENSOR"),
    ("n_outputs", "<I", 0xFFFFFFFF, "STL_E_TENSOR"),
    ("n_io", "<I", 0xFFFFFFFF, "STL_E_TRUNCATED"),  # io table far past the end
    ("names_size", "<I", 0xFFFFFFFF, "STL_E_TRUNCATED"),  # names far past the end
    ("weights_offset", "<I", 0xFFFFFFF0, "STL_E_TRUNCATED"),  # past the end
    ("weights_offset", "<I", 8, "STL_E_TRUNCATED"),           # inside the tables
    ("weights_size", "<I", 16, "STL_E_TRUNCATED"),            # inconsistent
    ("body_size", "<I", 0xFFFFFFFF, "STL_E_TRUNCATED"),
])
def test_header_fields(valid: bytes, field: str, fmt: str, value: int, status: str) -> None:
    assert _status(_patched(valid, _off(field), fmt, value, rehash=False)) == status


def test_magic_last_byte(valid: bytes) -> None:
    assert _status(_patched(valid, 7, "<B", 1, rehash=False)) == "STL_E_MAGIC"


def test_version_1_is_refused_with_the_fix(valid: bytes) -> None:
    """A v1 file (one unnamed input and output) is not loaded: both readers say to convert again."""
    v1 = _patched(valid, _off("version_major"), "<H", 1, rehash=False)
    status, reason = _refusal(v1)
    assert status == "STL_E_VERSION" and "version 1" in reason and "convert the ONNX model again" in reason
    with pytest.raises(tzm.TzmError, match="version 1 .* convert the ONNX model again"):
        tzm.read(v1)


def test_bad_hash(valid: bytes) -> None:
    flipped_weight = bytearray(valid)
    flipped_weight[-1] ^= 1
    assert _status(bytes(flipped_weight)) == "STL_E_INTEGRITY"
    flipped_digest = bytearray(valid)
    flipped_digest[_off("body_sha256") + 4] ^= 0x80
    assert _status(bytes(flipped_digest)) == "STL_E_INTEGRITY"


def test_nonzero_padding_before_weights(valid: bytes) -> None:
    def rename(model: tzm.TzmModel) -> None:  # one more name byte: the tables no longer end 16-aligned
        model.inputs[0].name += "1" if _tables_end(valid) % 16 == 0 else ""
    padded = _remodel(valid, rename)
    tables_end = _tables_end(padded)
    assert tables_end < _u32(padded, _off("weights_offset")), "no padding to corrupt"
    assert native.load(padded).inputs[0].name in ("x", "x1")
    assert _status(_patched(padded, tables_end, "<B", 1)) == "STL_E_RESERVED"


def _const_index(data: bytes) -> int:
    """Index of the first CONST tensor (byte 0 of a tensor record is its kind)."""
    return next(i for i in range(_u32(data, _off("n_tensors")))
                if data[_tensor_off(i)] == tzm.TensorKind.CONST)


@pytest.mark.parametrize(("field_off", "fmt", "value", "status"), [
    (0, "<B", 2, "STL_E_TENSOR"),            # kind
    (1, "<B", 1, "STL_E_TENSOR"),            # dtype
    (2, "<B", 7, "STL_E_TENSOR"),            # ndim
    (3, "<B", 1, "STL_E_RESERVED"),
    (36, "<I", 1, "STL_E_RESERVED"),
    (4, "<I", 0, "STL_E_TENSOR"),            # zero dim
    (4 + 4 * 5, "<I", 3, "STL_E_TENSOR"),    # dim beyond ndim
    (28, "<I", 8, "STL_E_TENSOR"),           # misaligned offset
    (28, "<I", 0xFFFFFFF0, "STL_E_TENSOR"),  # CONST far outside the weights
    (32, "<I", 12, "STL_E_TENSOR"),          # size not 4 * product(dims)
])
def test_tensor_records(valid: bytes, field_off: int, fmt: str, value: int, status: str) -> None:
    rec = _tensor_off(_const_index(valid))
    assert _status(_patched(valid, rec + field_off, fmt, value)) == status


def test_absurd_dims(valid: bytes) -> None:
    """dims whose product overflows 32 (and 64) bits, with a size field that wrapped to match."""
    def huge(model: tzm.TzmModel) -> None:
        t = model.tensors[model.inputs[0].tensor]
        t.dims, t.size = (65536, 65536, 65536, 65536, 65536, 65536), 0
    assert _status(_remodel(valid, huge)) == "STL_E_TENSOR"

    def just_over(model: tzm.TzmModel) -> None:
        t = model.tensors[model.inputs[0].tensor]
        t.dims, t.size = (1 << 30,), 0
    assert _status(_remodel(valid, just_over)) == "STL_E_TENSOR"


def test_io_index_out_of_range(valid: bytes) -> None:
    n_tensors = _u32(valid, _off("n_tensors"))
    assert _status(_patched(valid, _io_table(valid), "<I", n_tensors)) == "STL_E_OP"
    assert _refusal(_patched(valid, _bindings_off(valid), "<I", n_tensors)) == (
        "STL_E_TENSOR", "an input or output refers to a tensor past the tensor table")


def _io_table(data: bytes) -> int:
    return _op_off(data, _u32(data, _off("n_ops")))


def _layout_refusal(data: bytes) -> tuple[str, str]:
    """The engine's refusal of a second encoding of a model (tables, padding or weights not laid out
    as the writer lays them out); the host reader must refuse it too."""
    with pytest.raises(tzm.TzmError):
        tzm.read(data)
    return _refusal(data)


def test_n_io_over_declared(valid: bytes) -> None:
    """The hostile sweep's n_io low-bit flip: one more io entry than the ops use, taken out of the
    zero padding before the weights. Nothing reads it, so the file is the valid model encoded twice."""
    model = tzm.read(valid)
    n_io = _u32(valid, _off("n_io"))
    io_end = _io_table(valid) + 4 * n_io
    # One more io entry (the first of the source digest's bytes, zeroed) shifts every later section by 4.
    out = bytearray(valid[:io_end] + bytes(4) + valid[io_end:_tables_end(valid)])
    out += bytes(tzm.align(len(out)) - len(out))
    struct.pack_into("<I", out, _off("n_io"), n_io + 1)
    struct.pack_into("<I", out, _off("weights_offset"), len(out))
    out += model.weights
    struct.pack_into("<I", out, _off("body_size"), len(out) - HEADER)
    assert _layout_refusal(_rehash(out)) == ("STL_E_OP", "n_io is larger than the io entries the ops use")


def test_io_table_out_of_op_order(valid: bytes) -> None:
    """The last two ops with the same number of io entries swap their runs of the table (and their
    io_first): every op still reads and writes the same tensors, but from a second encoding."""
    records = (struct.unpack_from("<BBIB", valid, _op_off(valid, s) + 2)
               for s in range(_u32(valid, _off("n_ops"))))
    runs = [(io_first, n_in + n_out + n_scratch) for n_in, n_out, io_first, n_scratch in records]
    a, b = next((a, b) for b in reversed(range(len(runs))) for a in reversed(range(b))
                if runs[a][1] == runs[b][1])
    out = bytearray(valid)
    (first_a, n), (first_b, _) = runs[a], runs[b]
    ta, tb = _io_table(valid) + 4 * first_a, _io_table(valid) + 4 * first_b
    out[ta:ta + 4 * n], out[tb:tb + 4 * n] = valid[tb:tb + 4 * n], valid[ta:ta + 4 * n]
    struct.pack_into("<I", out, _op_off(valid, a) + 4, first_b)
    struct.pack_into("<I", out, _op_off(valid, b) + 4, first_a)
    assert _layout_refusal(_rehash(out)) == ("STL_E_OP",
                                             "op io_first is not where the previous op's io entries end")


def test_extra_padding_before_weights(valid: bytes) -> None:
    """16 more zero bytes before the weights, with weights_offset and body_size moved to match."""
    weights_offset = _u32(valid, _off("weights_offset"))
    out = bytearray(valid[:weights_offset] + bytes(16) + valid[weights_offset:])
    struct.pack_into("<I", out, _off("weights_offset"), weights_offset + 16)
    struct.pack_into("<I", out, _off("body_size"), len(out) - HEADER)
    status, reason = _layout_refusal(_rehash(out))
    assert status == "STL_E_TRUNCATED" and reason.startswith("weights_offset is not the names section's end")


def _repeated_const_onnx(path: Path) -> None:
    """y = (x + c) * a - a2 with a2 equal to a: the writer stores a once and points a2 at it, and c
    (12 bytes) leaves 4 bytes of padding before a."""
    a = np.array([1, 2, 3, 4], np.float32)
    nodes = [helper.make_node("Add", ["x", "c"], ["s"]), helper.make_node("Mul", ["s", "a"], ["m"]),
             helper.make_node("Sub", ["m", "a2"], ["y"])]
    graph = helper.make_graph(
        nodes, "repeated",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])],
        [numpy_helper.from_array(np.array([[1], [2], [3]], np.float32), "c"), numpy_helper.from_array(a, "a"),
         numpy_helper.from_array(a.copy(), "a2")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


@pytest.fixture(scope="module")
def repeated(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return _converted(tmp_path_factory, _repeated_const_onnx)


def _consts(model: tzm.TzmModel) -> list[tzm.TensorRecord]:
    return [t for t in model.tensors if t.kind == tzm.TensorKind.CONST]


def test_repeated_constant_loads(repeated: bytes) -> None:
    """The writer's one sharing of weight bytes: an identical constant repeats the stored one's
    offset and size."""
    c, a, a2 = _consts(tzm.read(repeated))
    assert (a2.offset, a2.size) == (a.offset, a.size) and a.offset == tzm.align(c.size) > c.size
    x = np.random.default_rng(4).standard_normal((3, 4)).astype(np.float32)
    c, a = np.array([[1], [2], [3]], np.float32), np.arange(1, 5, dtype=np.float32)
    assert np.allclose(native.load(repeated).run(x), (x + c) * a - a, atol=1e-5)


def test_weight_bytes_no_constant_covers(valid: bytes) -> None:
    """16 zero bytes appended to the weights, with weights_size and body_size raised to match."""
    out = bytearray(valid + bytes(16))
    struct.pack_into("<I", out, _off("weights_size"), _u32(valid, _off("weights_size")) + 16)
    struct.pack_into("<I", out, _off("body_size"), len(out) - HEADER)
    assert _layout_refusal(_rehash(out)) == (
        "STL_E_TRUNCATED", "weights_size is not the last constant's end rounded up to 16")


def test_nonzero_weights_padding(valid: bytes, repeated: bytes) -> None:
    last = max(_consts(tzm.read(valid)), key=lambda t: t.offset)
    assert last.size % 16, "the last constant must leave padding to corrupt"
    assert _layout_refusal(_patched(valid, len(valid) - 1, "<B", 1)) == (
        "STL_E_RESERVED", "padding after the last constant is not zero")
    c = _consts(tzm.read(repeated))[0]
    assert (c.offset, c.size) == (0, 12)
    assert _layout_refusal(_patched(repeated, _u32(repeated, _off("weights_offset")) + 12, "<B", 1)) == (
        "STL_E_RESERVED", "padding between constants is not zero")


def test_constants_out_of_tensor_order(valid: bytes) -> None:
    """The two conv biases swap places in the weights (bytes and offsets): every op reads the same
    values, from a second encoding of the model."""
    def swap(model: tzm.TzmModel) -> None:
        b1, b2 = _consts(model)[1], _consts(model)[3]
        assert b1.size == b2.size and b1.offset < b2.offset
        one, two = slice(b1.offset, b1.offset + b1.size), slice(b2.offset, b2.offset + b2.size)
        w = bytearray(model.weights)
        w[one], w[two] = w[two], w[one]
        model.weights, (b1.offset, b2.offset) = bytes(w), (b2.offset, b1.offset)
    assert _layout_refusal(_remodel(valid, swap)) == (
        "STL_E_TENSOR", "constant is not at the previous constant's end rounded up to 16")


def test_constant_overlapping_another(repeated: bytes) -> None:
    """a2 moved onto c's bytes and the padding after them: inside the weights, but no constant the
    writer stored."""
    def onto_c(model: tzm.TzmModel) -> None:
        _consts(model)[2].offset = 0
    assert _layout_refusal(_remodel(repeated, onto_c)) == (
        "STL_E_TENSOR", "constant overlaps another without repeating its offset and size")


def test_unread_constant(valid: bytes) -> None:
    """A CONST record no op reads, with its 16 bytes stored after the other constants."""
    def extra(model: tzm.TzmModel) -> None:
        model.tensors.append(tzm.TensorRecord(tzm.TensorKind.CONST, (4,), len(model.weights), 16))
        model.weights += np.ones(4, "<f4").tobytes()
    assert _refusal(_remodel(valid, extra)) == ("STL_E_PLAN", "no op reads this CONST tensor")


@pytest.mark.parametrize(("field_off", "fmt", "value", "status"), [
    (0, "<H", 0, "STL_E_OP"),              # type
    (0, "<H", max(tzm.OpType) + 1, "STL_E_OP"),
    (2, "<B", 1, "STL_E_OP"),              # n_in: CONV takes 2 or 3
    (2, "<B", 4, "STL_E_OP"),
    (3, "<B", 2, "STL_E_OP"),              # n_out
    (4, "<I", 0xFFFFFFFF, "STL_E_OP"),     # io_first past the io table
    (8, "<B", 0, "STL_E_OP"),              # n_scratch disagrees with the formula
    (9, "<B", max(tzm.Act) + 1, "STL_E_OP"),  # unknown act
    (10, "<H", 1, "STL_E_RESERVED"),
    (76, "<I", 1, "STL_E_RESERVED"),
    (12 + 4 * 2, "<i", 0, "STL_E_OP"),     # stride 0
    (12 + 4 * 4, "<i", -1, "STL_E_OP"),    # negative pad
    (12 + 4 * 0, "<i", 5, "STL_E_OP"),     # kernel differs from the weights
    (12 + 4 * 8, "<i", 2, "STL_E_SHAPE"),  # group does not divide the 3 input channels
    (12 + 4 * 11, "<i", 1, "STL_E_OP"),    # unused iattr
    (12 + 4 * 4, "<i", 3, "STL_E_SHAPE"),  # pad changes the output size
    (60 + 4 * 3, "<f", 1.0, "STL_E_OP"),   # unused fattr
])
def test_conv_op_record(valid: bytes, field_off: int, fmt: str, value: float, status: str) -> None:
    op = _op_off(valid, 0)
    assert _u32(valid, op) & 0xFFFF == tzm.OpType.CONV
    out = bytearray(valid)
    struct.pack_into(fmt, out, op + field_off, value)
    assert _status(_rehash(out)) == status


def test_op_semantics(valid: bytes) -> None:
    def act_on_maxpool(model: tzm.TzmModel) -> None:
        _first_op(model, tzm.OpType.MAXPOOL).act = tzm.Act.RELU
    assert _status(_remodel(valid, act_on_maxpool)) == "STL_E_OP"

    def gemm_output_dims(model: tzm.TzmModel) -> None:
        out = model.tensors[_first_op(model, tzm.OpType.GEMM).output]
        out.dims, out.size = (1, 6), 24
    assert _status(_remodel(valid, gemm_output_dims)) == "STL_E_SHAPE"

    def softmax_axis(model: tzm.TzmModel) -> None:
        _first_op(model, tzm.OpType.SOFTMAX).iattr[0] = 2
    assert _status(_remodel(valid, softmax_axis)) == "STL_E_OP"

    def pool_window_outside(model: tzm.TzmModel) -> None:
        _first_op(model, tzm.OpType.MAXPOOL).iattr[4] = 2  # pad_top == kernel
    assert _status(_remodel(valid, pool_window_outside)) == "STL_E_SHAPE"

    def binary_kind(model: tzm.TzmModel) -> None:
        _first_op(model, tzm.OpType.BINARY).iattr[0] = max(tzm.BinaryKind) + 1
    assert _status(_remodel(valid, binary_kind)) == "STL_E_OP"


def test_arena_overflow(valid: bytes) -> None:
    def shrink(model: tzm.TzmModel) -> None:
        model.arena_size -= 16
    assert _status(_remodel(valid, shrink)) == "STL_E_PLAN"

    def unaligned(model: tzm.TzmModel) -> None:
        model.arena_size += 4
    assert _status(_remodel(valid, unaligned)) == "STL_E_PLAN"

    def far_offset(model: tzm.TzmModel) -> None:
        model.tensors[model.outputs[0].tensor].offset = 0xFFFFFFF0
    assert _status(_remodel(valid, far_offset)) == "STL_E_PLAN"


def test_overlapping_plan(valid: bytes) -> None:
    """The first conv's output placed on its own input, which is no in-place op."""
    def overlap(model: tzm.TzmModel) -> None:
        conv = model.ops[0]
        model.tensors[conv.output].offset = model.tensors[conv.inputs[0]].offset
    assert _status(_remodel(valid, overlap)) == "STL_E_PLAN"

    def scratch_on_output(model: tzm.TzmModel) -> None:
        conv = model.ops[0]
        assert conv.scratch is not None
        model.tensors[conv.scratch].offset = model.tensors[conv.output].offset
    assert _status(_remodel(valid, scratch_on_output)) == "STL_E_PLAN"


def _refusal(data: bytes) -> tuple[str, str]:
    with pytest.raises(native.EngineError) as info:
        native.load(data)
    return info.value.status, info.value.reason


def test_dataflow_rules(valid: bytes) -> None:
    def input_is_written(model: tzm.TzmModel) -> None:
        old_input = model.tensors[model.inputs[0].tensor]
        old_input.kind, old_input.offset = tzm.TensorKind.CONST, 0  # so that only the new rule breaks
        model.inputs[0].tensor = model.ops[0].output
    assert _refusal(_remodel(valid, input_is_written)) == ("STL_E_PLAN", "an op writes a model input")

    def read_before_def(model: tzm.TzmModel) -> None:
        model.ops[0], model.ops[1] = model.ops[1], model.ops[0]
    status, reason = _refusal(_remodel(valid, read_before_def))
    assert status == "STL_E_PLAN" and "before" in reason

    def const_is_written(model: tzm.TzmModel) -> None:
        pooled = model.tensors[_first_op(model, tzm.OpType.GLOBAL_AVGPOOL).output]
        pooled.kind, pooled.offset = tzm.TensorKind.CONST, 0
    assert _refusal(_remodel(valid, const_is_written)) == ("STL_E_PLAN", "an op writes a CONST tensor")

    def scratch_is_read(model: tzm.TzmModel) -> None:
        scratch = model.ops[0].scratch
        assert scratch is not None
        model.ops[2].scratch, model.ops[2].inputs = None, (scratch, *model.ops[2].inputs[1:])
    assert _refusal(_remodel(valid, scratch_is_read))[0] in ("STL_E_SHAPE", "STL_E_OP", "STL_E_PLAN")


def test_valid_model_still_loads(valid: bytes) -> None:
    """The refusals above left no state behind."""
    assert native.load(valid).outputs[0].shape == (1, 5)


def _buffers(arrays: list[np.ndarray]) -> ctypes.Array:
    return (native._Buffer * max(1, len(arrays)))(*(native._Buffer(a.ctypes.data, a.nbytes) for a in arrays))


def raw_run(m: native.Model, arena: np.ndarray, arena_len: int, xs: list[np.ndarray],
            ys: list[np.ndarray]) -> str:
    """Call stl_run directly, bypassing Model.run_all's own checks, to reach the C argument checks."""
    lib = native.library()
    status = lib.stl_run(ctypes.byref(m._m), ctypes.c_void_p(arena.ctypes.data), arena_len, _buffers(xs),
                         len(xs), _buffers(ys), len(ys))
    return lib.stl_status_name(status).decode()


def test_run_argument_checks(valid: bytes) -> None:
    m = native.load(valid)
    x = np.zeros(m.inputs[0].shape, np.float32)
    y = np.zeros(m.outputs[0].shape, np.float32)
    arena = np.zeros(m.arena_bytes + 64, np.uint8)
    base = -arena.ctypes.data % 16
    aligned = arena[base:]
    assert raw_run(m, aligned, m.arena_bytes, [x], [y]) == "STL_OK"
    assert raw_run(m, aligned, m.arena_bytes - 16, [x], [y]) == "STL_E_ARG"
    assert raw_run(m, arena[base + 4:], m.arena_bytes, [x], [y]) == "STL_E_ARG"
    assert raw_run(m, aligned, m.arena_bytes, [x.ravel()[1:]], [y]) == "STL_E_ARG"
    assert raw_run(m, aligned, m.arena_bytes, [x], [np.zeros(6, np.float32)]) == "STL_E_ARG"
    assert raw_run(m, aligned, m.arena_bytes, [], [y]) == "STL_E_ARG"
    assert raw_run(m, aligned, m.arena_bytes, [x, x], [y]) == "STL_E_ARG"
    assert raw_run(m, aligned, m.arena_bytes, [x], [y, y]) == "STL_E_ARG"
    with pytest.raises(native.EngineError, match="STL_E_ARG: input 'x' has shape"):
        m.run(np.zeros((1, 3, 8, 9), np.float32))


def test_unaligned_model_buffer(valid: bytes) -> None:
    buf = np.zeros(len(valid) + 32, np.uint8)
    start = -buf.ctypes.data % 16 + 4
    buf[start:start + len(valid)] = np.frombuffer(valid, np.uint8)
    lib, model = native.library(), native._Model()
    status = lib.stl_load(ctypes.byref(model), ctypes.c_void_p(buf.ctypes.data + start), len(valid))
    assert lib.stl_status_name(status).decode() == "STL_E_ARG"


def _zoo_onnx(path: Path) -> None:
    """One graph with every op type and conv path the engine has: implicit-GEMM, depthwise (stride
    2), grouped im2col and pointwise convs, pools with padding and ceil mode, a squeeze-excite
    broadcast, in-place residual, concat, pad, transpose, gemm and softmax, several activations."""
    rng = np.random.default_rng(2)

    def init(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.3, name)

    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w1", "b1"], ["a"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        n("Relu", ["a"], ["a_r"]),
        n("Conv", ["a_r", "w2"], ["b"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2], group=8),
        n("Clip", ["b", "lo", "hi"], ["b_c"]),
        n("Conv", ["b_c", "w3", "b3"], ["c"], kernel_shape=[1, 1]),
        n("MaxPool", ["a_r"], ["e"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1),
        n("Add", ["c", "e"], ["g"]),
        n("GlobalAveragePool", ["g"], ["g_pool"]),
        n("Sigmoid", ["g_pool"], ["g_gate"]),
        n("Mul", ["g", "g_gate"], ["g_se"]),
        n("Conv", ["a_r", "w4"], ["d"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], group=2),
        n("HardSwish", ["d"], ["d_h"]),
        n("Concat", ["g_se", "d_h"], ["cat"], axis=1),
        n("AveragePool", ["cat"], ["avg"], kernel_shape=[2, 2], pads=[0, 0, 1, 1], count_include_pad=1),
        n("Pad", ["avg", "pads"], ["padded"]),
        n("Transpose", ["padded"], ["t"], perm=[0, 2, 3, 1]),
        n("Tanh", ["t"], ["t_t"]),
        n("Flatten", ["t_t"], ["f"]),
        n("Gemm", ["f", "w5", "b5"], ["logits"], transB=1),
        n("Softmax", ["logits"], ["y"], axis=1),
    ]
    consts = [init("w1", 8, 4, 3, 3), init("b1", 8), init("w2", 8, 1, 3, 3), init("w3", 8, 8, 1, 1),
              init("b3", 8), init("w4", 8, 4, 3, 3), init("w5", 10, 16 * 6 * 6), init("b5", 10),
              numpy_helper.from_array(np.array(0.0, np.float32), "lo"),
              numpy_helper.from_array(np.array(6.0, np.float32), "hi"),
              numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 0, 0, 1], np.int64), "pads")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 9, 9])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])
    graph = helper.make_graph(nodes, "zoo", [x], [y], consts)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)


def test_zoo_matches_onnxruntime(tmp_path: Path) -> None:
    """A graph with every op type and conv path is computed right end to end."""
    _zoo_onnx(tmp_path / "zoo.onnx")
    m = native.load(tzm.write(convert(tmp_path / "zoo.onnx").model))
    x = np.random.default_rng(3).standard_normal((1, 4, 9, 9)).astype(np.float32)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    ref = ort.InferenceSession(str(tmp_path / "zoo.onnx"), options, providers=["CPUExecutionProvider"]).run(
        None, {"x": x})[0]
    assert np.abs(m.run(x) - ref).max() <= 1e-4 * max(1.0, float(np.abs(ref).max()))


def test_plan_work_cap() -> None:
    """A file whose tensor and op counts would make the O(n_tensors × (n_ops + n_io + n_inputs +
    n_outputs)) plan check slow is refused before any record is looked at."""
    n_tensors, n_ops, n_io = 65535, 2100, 2  # 65535 × (2102 + 2) > 2^27; the tables end 16-aligned
    tables = bytes(n_tensors * tzm.TENSOR_RECORD_SIZE + n_ops * tzm.OP_RECORD_SIZE + 4 * n_io
                   + tzm.SOURCE_DIGEST_SIZE + 2 * tzm.BINDING_RECORD_SIZE)
    assert len(tables) % 16 == 0
    header = tzm.pack_header({"magic": tzm.MAGIC, "version_major": tzm.VERSION_MAJOR, "header_size": HEADER,
                              "n_tensors": n_tensors, "n_ops": n_ops, "n_io": n_io, "n_inputs": 1,
                              "n_outputs": 1, "arena_size": 16, "weights_offset": HEADER + len(tables),
                              "body_size": len(tables)})
    status, reason = _refusal(_rehash(bytearray(header + tables)))
    assert status == "STL_E_TENSOR" and "2^27" in reason
