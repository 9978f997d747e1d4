"""The `.tzm` model format, version 2 (docs/model-format.md): record layouts, the enums the engine
and the converter share, a byte writer and a reader.

The layout numbers (magic, record sizes, header field offsets, caps, the version) are read from
the format's public C header, stinylib/include/tzm_format.h, so each is written once; the enums
here are checked against its enums (tests/test_format_constants.py). The reader is for `tzinfer inspect`,
`tzinfer run`/`bench` and the tests; the engine has its own strict loader in C. Both reject what
the spec rejects, so a file `read()` accepts is one the engine must accept too."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cache

from tzinfer.sources import c_defines

FORMAT_H = "stinylib/include/tzm_format.h"


@cache
def format_constants() -> dict[str, int]:
    """The numeric `#define STL_...` constants of tzm_format.h."""
    return {name: value for name, value in c_defines(FORMAT_H).items()
            if name.startswith("STL_") and isinstance(value, int)}


_C = format_constants()
#: The magic, with the C string's NUL: STL_MAGIC_BYTES bytes.
MAGIC = str(c_defines(FORMAT_H)["STL_MAGIC"]).encode() + b"\0"
VERSION_MAJOR = _C["STL_VERSION_MAJOR"]
VERSION_MINOR = _C["STL_VERSION_MINOR"]
#: The minor version of a model without quantised tensors (readable by every 2.x loader).
VERSION_MINOR_FLOAT = _C["STL_VERSION_MINOR_FLOAT"]
HEADER_SIZE = _C["STL_HEADER_SIZE"]
TENSOR_RECORD_SIZE = _C["STL_TENSOR_RECORD"]
OP_RECORD_SIZE = _C["STL_OP_RECORD"]
BINDING_RECORD_SIZE = _C["STL_BINDING_RECORD"]
SOURCE_DIGEST_SIZE = _C["STL_SOURCE_DIGEST"]
ALIGN = _C["STL_ALIGN"]
MAX_GRAPH_IO = _C["STL_MAX_GRAPH_IO"]
MAX_NAME = _C["STL_MAX_NAME"]
MAX_DIMS = 6
N_IATTR = _C["STL_N_IATTR"]
N_FATTR = _C["STL_N_FATTR"]


def _header_fields() -> dict[str, tuple[int, int]]:
    """Header field name (lower case, as in the docs) -> (offset, size): each STL_HDR_* offset of
    tzm_format.h runs to the next one, the last to the end of the header."""
    offsets = sorted((off, name[len("STL_HDR_"):].lower()) for name, off in _C.items()
                     if name.startswith("STL_HDR_"))
    ends = [off for off, _ in offsets[1:]] + [HEADER_SIZE]
    return {name: (off, end - off) for (off, name), end in zip(offsets, ends, strict=True)}


#: Header field -> (offset, size), e.g. HEADER_FIELDS["n_inputs"] == (32, 4).
HEADER_FIELDS = _header_fields()

_TENSOR = struct.Struct("<BBBB6IIIf")
_OP = struct.Struct("<HBBIBBH12i4fI")
_BINDING = struct.Struct("<IIII")
assert (_TENSOR.size, _OP.size, _BINDING.size) == (TENSOR_RECORD_SIZE, OP_RECORD_SIZE, BINDING_RECORD_SIZE)


class OpType(IntEnum):
    CONV = 1
    GEMM = 2
    MAXPOOL = 3
    AVGPOOL = 4
    GLOBAL_AVGPOOL = 5
    BINARY = 6
    UNARY = 7
    CONCAT = 8
    SOFTMAX = 9
    TRANSPOSE = 10
    PAD = 11
    RESHAPE = 12
    SLICE = 13
    RESIZE = 14
    REDUCE = 15
    MATMUL = 16
    TILE = 17
    WHERE = 18
    NORMALIZE = 19
    CONV_TRANSPOSE = 20
    PAD_EDGE = 21
    PAD_REFLECT = 22
    QUANTIZE = 23
    DEQUANTIZE = 24
    QCONV = 25
    QGEMM = 26
    QADD = 27
    QGLOBAL_AVGPOOL = 28


class Act(IntEnum):
    """Fused activation applied to an op's output."""

    NONE = 0
    RELU = 1
    CLIP = 2
    LEAKY_RELU = 3
    SIGMOID = 4
    HARD_SIGMOID = 5
    HARD_SWISH = 6
    TANH = 7
    EXP = 8
    LOG = 9
    SQRT = 10
    ABS = 11
    NEG = 12
    RECIPROCAL = 13
    ERF = 14
    GELU = 15
    GELU_TANH = 16
    SOFTPLUS = 17
    MISH = 18
    NOT = 19
    NONZERO = 20
    SILU = 21


class BinaryKind(IntEnum):
    """iattr[0] of a BINARY op."""

    ADD = 0
    SUB = 1
    MUL = 2
    DIV = 3
    PRELU = 4
    POW = 5
    MAX = 6
    MIN = 7
    EQUAL = 8
    LESS = 9
    LESS_EQUAL = 10
    GREATER = 11
    GREATER_EQUAL = 12
    AND = 13
    OR = 14
    XOR = 15


class ReduceKind(IntEnum):
    """iattr[0] of a REDUCE op."""

    MEAN = 0
    SUM = 1
    MAX = 2
    MIN = 3
    L2 = 4
    PROD = 5
    L1 = 6
    LOG_SUM_EXP = 7
    SUM_SQUARE = 8
    LOG_SUM = 9


class ResizeMode(IntEnum):
    """iattr[0] of a RESIZE op."""

    NEAREST = 0
    LINEAR = 1


class ResizeCoord(IntEnum):
    """iattr[1] of a RESIZE op: ONNX's coordinate_transformation_mode."""

    HALF_PIXEL = 0
    PYTORCH_HALF_PIXEL = 1
    ALIGN_CORNERS = 2
    ASYMMETRIC = 3
    TF_HALF_PIXEL_FOR_NN = 4
    HALF_PIXEL_SYMMETRIC = 5


class ResizeRound(IntEnum):
    """iattr[2] of a RESIZE op: ONNX's nearest_mode, and SIMPLE for Upsample and Resize-10."""

    PREFER_FLOOR = 0
    PREFER_CEIL = 1
    FLOOR = 2
    CEIL = 3
    SIMPLE = 4


class TensorKind(IntEnum):
    ACT = 0
    CONST = 1


class DType(IntEnum):
    """A tensor's element type (stinylib.h enum stl_dtype); all but F32 need format 2.1."""

    F32 = 0
    U8 = 1
    I8 = 2
    I32 = 3

    @property
    def itemsize(self) -> int:
        return 4 if self in (DType.F32, DType.I32) else 1

    @property
    def numpy(self) -> str:
        return {DType.F32: "<f4", DType.U8: "u1", DType.I8: "i1", DType.I32: "<i4"}[self]

    @property
    def quantised(self) -> bool:
        """U8 and I8 activations carry a scale and zero point."""
        return self in (DType.U8, DType.I8)


#: Ops that may carry a fused activation (`act` must be NONE on the others).
ACT_OPS = frozenset({OpType.CONV, OpType.GEMM, OpType.BINARY, OpType.UNARY, OpType.MATMUL,
                     OpType.CONV_TRANSPOSE})


class TzmError(ValueError):
    """A .tzm file that is not well-formed; the message says what is wrong."""


@dataclass
class TensorRecord:
    kind: TensorKind
    dims: tuple[int, ...]
    offset: int
    size: int
    dtype: DType = DType.F32
    #: Quantised (U8/I8) ACT tensors: real = scale * (q - zero_point); zero for the others.
    zero_point: int = 0
    scale: float = 0.0

    @property
    def nbytes(self) -> int:
        return self.dtype.itemsize * numel(self.dims)


@dataclass
class OpRecord:
    type: OpType
    inputs: tuple[int, ...]
    output: int
    scratch: int | None = None
    act: Act = Act.NONE
    iattr: list[int] = field(default_factory=lambda: [0] * N_IATTR)
    fattr: list[float] = field(default_factory=lambda: [0.0] * N_FATTR)


@dataclass
class Binding:
    """A model input or output: its name (the ONNX value's) and its tensor."""

    name: str
    tensor: int


@dataclass
class TzmModel:
    """A whole model: what the writer takes and the reader returns."""

    tensors: list[TensorRecord]
    ops: list[OpRecord]
    inputs: list[Binding]
    outputs: list[Binding]
    arena_size: int
    weights: bytes
    #: SHA-256 of the ONNX file it was converted from; all zero when none was recorded.
    source_sha256: bytes = bytes(SOURCE_DIGEST_SIZE)


def numel(dims: tuple[int, ...]) -> int:
    """Number of elements of a tensor of these dims."""
    n = 1
    for d in dims:
        n *= d
    return n


def stored_weights_bytes(model: TzmModel) -> int:
    """Bytes of constants stored in the weights section, each stored constant counted once
    (tensors sharing bytes share an offset); alignment padding is not counted."""
    spans = {t.offset: t.size for t in model.tensors if t.kind == TensorKind.CONST}
    return sum(spans.values())


def align(n: int) -> int:
    """n rounded up to the format's 16-byte alignment."""
    return (n + ALIGN - 1) // ALIGN * ALIGN


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a model input or output (None when it can): 1 ... 255 bytes of UTF-8
    without control characters (C0, DEL, C1), the engine's rule (stinylib/src/graph_io.c)."""
    size = len(name.encode("utf-8", "surrogatepass"))
    if not 1 <= size <= MAX_NAME:
        return f"is {size} bytes long; names are 1 to {MAX_NAME} bytes"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        return "is not valid UTF-8 (it holds a surrogate)"
    bad = [c for c in name if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F]
    if bad:
        return f"holds the control character {bad[0]!r}"
    return None


def pack_header(values: dict[str, int | bytes]) -> bytes:
    """A header with these fields (by HEADER_FIELDS name; the others zero)."""
    header = bytearray(HEADER_SIZE)
    for name, (offset, size) in HEADER_FIELDS.items():
        value = values.get(name, 0)
        if isinstance(value, int):
            header[offset:offset + size] = value.to_bytes(size, "little")
        else:
            assert len(value) == size, name
            header[offset:offset + size] = value
    return bytes(header)


def _unpack_header(data: bytes) -> dict[str, int | bytes]:
    """Every header field: integers for the 2- and 4-byte fields, bytes for the others."""
    fields = {name: bytes(data[off:off + size]) for name, (off, size) in HEADER_FIELDS.items()}
    return {name: int.from_bytes(raw, "little") if len(raw) in (2, 4) else raw
            for name, raw in fields.items()}


def write(model: TzmModel) -> bytes:
    """Serialise a model. Offsets, sizes and the plan must already be final."""
    io: list[int] = []
    op_bytes = bytearray()
    for op in model.ops:
        io_first = len(io)
        io.extend(op.inputs)
        io.append(op.output)
        if op.scratch is not None:
            io.append(op.scratch)
        op_bytes += _OP.pack(int(op.type), len(op.inputs), 1, io_first, 0 if op.scratch is None else 1,
                             int(op.act), 0, *op.iattr, *op.fattr, 0)
    tensor_bytes = bytearray()
    for t in model.tensors:
        dims = list(t.dims) + [0] * (MAX_DIMS - len(t.dims))
        tensor_bytes += _TENSOR.pack(int(t.kind), int(t.dtype), len(t.dims), t.zero_point & 0xFF, *dims,
                                     t.offset, t.size, t.scale)
    binding_bytes, names = bytearray(), bytearray()
    for b in [*model.inputs, *model.outputs]:
        encoded = b.name.encode()
        binding_bytes += _BINDING.pack(b.tensor, len(names), len(encoded), 0)
        names += encoded + b"\0"
    assert len(model.source_sha256) == SOURCE_DIGEST_SIZE
    tables = (bytes(tensor_bytes) + bytes(op_bytes) + struct.pack(f"<{len(io)}I", *io) + model.source_sha256
              + bytes(binding_bytes) + bytes(names))
    weights_offset = align(HEADER_SIZE + len(tables))
    body = tables + bytes(weights_offset - HEADER_SIZE - len(tables)) + model.weights
    header = pack_header({
        "magic": MAGIC, "version_major": VERSION_MAJOR, "version_minor": version_minor(model),
        "header_size": HEADER_SIZE, "n_tensors": len(model.tensors), "n_ops": len(model.ops), "n_io": len(io),
        "n_inputs": len(model.inputs), "n_outputs": len(model.outputs), "arena_size": model.arena_size,
        "weights_offset": weights_offset, "weights_size": len(model.weights), "body_size": len(body),
        "body_sha256": hashlib.sha256(body).digest(), "names_size": len(names)})
    return header + body


def version_minor(model: TzmModel) -> int:
    """The minor version a model is written with: 2.1 when a tensor is not F32 (the compatibility
    rule of docs/model-format.md), so float models stay readable by 2.0 loaders."""
    return VERSION_MINOR if any(t.dtype != DType.F32 for t in model.tensors) else VERSION_MINOR_FLOAT


def _check_weights(tensors: list[TensorRecord], weights: bytes) -> None:
    """The loader's weights rule (docs/model-format.md, "Weights"): in tensor order each constant is
    stored at the previous stored one's end rounded up to 16 or repeats an earlier one's offset and
    size, the gaps are zero, and the section ends at the last end rounded up to 16."""
    end, stored = 0, set()
    for i, t in enumerate(tensors):
        if t.kind != TensorKind.CONST:
            continue
        if t.offset < end:
            if (t.offset, t.size) not in stored:
                raise TzmError(f"tensor {i}: constant overlaps stored ones without repeating one of them")
            continue
        if t.offset != align(end) or any(weights[end:t.offset]):
            raise TzmError(f"tensor {i}: constant is not stored at the previous one's end rounded up to 16, "
                           "after zero padding")
        stored.add((t.offset, t.size))
        end = t.offset + t.size
    if len(weights) != align(end) or any(weights[end:]):
        raise TzmError("the weights section is not its constants and their zero padding")


def _check_dtype(i: int, t: TensorRecord, minor: int) -> None:
    """The engine's dtype rule (stinylib/src/load.c): 2.0 files are all F32 with zero reserved
    fields; in 2.1 a quantised ACT has a finite positive scale, the others neither scale nor zero point."""
    if minor < VERSION_MINOR and t.dtype != DType.F32:
        raise TzmError(f"tensor {i}: dtype {t.dtype.name} in a 2.0 file (quantised models are 2.1)")
    if t.dtype.quantised and t.kind == TensorKind.ACT:
        if not 0 < t.scale < float("inf"):
            raise TzmError(f"tensor {i}: quantised tensor scale {t.scale} is not finite and positive")
    elif t.zero_point or t.scale != 0.0 or struct.pack("<f", t.scale) != bytes(4):
        raise TzmError(f"tensor {i}: zero point or scale set on a tensor that is not a quantised ACT")
    if t.size != t.nbytes:
        raise TzmError(f"tensor {i}: size is not the element size times the element count")


def _check_header(h: dict[str, int | bytes], size: int) -> None:
    if h["magic"] != MAGIC:
        raise TzmError("bad magic: not a .tzm file")
    if h["version_major"] == 1:
        raise TzmError("format version 1 (one unnamed input and output) is no longer read: convert the ONNX "
                       "model again with this tzinfer (`tzinfer convert`)")
    if h["version_major"] != VERSION_MAJOR or not isinstance(h["version_minor"], int) or \
            h["version_minor"] > VERSION_MINOR:
        raise TzmError(f"format version {h['version_major']}.{h['version_minor']} is not supported (this "
                       f"reader knows {VERSION_MAJOR}.{VERSION_MINOR_FLOAT} and "
                       f"{VERSION_MAJOR}.{VERSION_MINOR})")
    if h["flags"]:
        raise TzmError(f"flags 0x{h['flags']:x} are not supported by a plaintext reader (a sealed package?)")
    if h["header_size"] != HEADER_SIZE or any(h["nonce"] + h["tag"]) or h["key_id"] or h["reserved"]:
        raise TzmError("reserved header fields are not zero")
    if h["body_size"] != size - HEADER_SIZE:
        raise TzmError(f"header says the body is {h['body_size']} bytes, the file has {size - HEADER_SIZE} "
                       "(truncated?)")
    if not (1 <= h["n_inputs"] <= MAX_GRAPH_IO and 1 <= h["n_outputs"] <= MAX_GRAPH_IO):
        raise TzmError(f"n_inputs and n_outputs must be in 1..{MAX_GRAPH_IO}")


def _read_bindings(data: bytes, at: int, count: int, names: bytes) -> list[Binding]:
    """The input/output records: names back to back in record order, each followed by a NUL."""
    out, next_name = [], 0
    for i in range(count):
        tensor, name_offset, name_len, reserved = _BINDING.unpack_from(data, at + i * BINDING_RECORD_SIZE)
        raw = names[name_offset:name_offset + name_len]
        terminator = names[name_offset + name_len:name_offset + name_len + 1]
        if reserved or name_offset != next_name or terminator != b"\0":
            raise TzmError(f"input/output record {i}: name not where the previous one ends, not "
                           "NUL-terminated, or a reserved field is set")
        try:
            name = raw.decode()
        except UnicodeDecodeError:
            raise TzmError(f"input/output record {i}: the name is not UTF-8") from None
        problem = name_problem(name)
        if problem:
            raise TzmError(f"input/output record {i}: the name {name!r} {problem}")
        next_name += name_len + 1
        out.append(Binding(name, tensor))
    if next_name != len(names):
        raise TzmError("names_size is not the sum of the names and their NULs")
    return out


def _check_bindings(inputs: list[Binding], outputs: list[Binding], tensors: list[TensorRecord]) -> None:
    for kind, group in (("input", inputs), ("output", outputs)):
        if any(b.tensor >= len(tensors) or tensors[b.tensor].kind != TensorKind.ACT for b in group):
            raise TzmError(f"a model {kind} is not an ACT tensor of the tensor table")
        if len({b.tensor for b in group}) != len(group) or len({b.name for b in group}) != len(group):
            raise TzmError(f"two model {kind}s are the same tensor or have the same name")
    if {b.tensor for b in inputs} & {b.tensor for b in outputs}:
        raise TzmError("a model output is a model input (outputs are written by ops)")


def read(data: bytes) -> TzmModel:
    """Parse and check a .tzm file's structure (header, tables, names, bounds, SHA-256). Raises TzmError."""
    if len(data) < HEADER_SIZE:
        raise TzmError(f"file is {len(data)} bytes, shorter than the {HEADER_SIZE}-byte header (truncated?)")
    h = _unpack_header(data)
    _check_header(h, len(data))
    if hashlib.sha256(data[HEADER_SIZE:]).digest() != h["body_sha256"]:
        raise TzmError("body SHA-256 mismatch: the file is corrupt")
    n_tensors, n_ops, n_io = int(h["n_tensors"]), int(h["n_ops"]), int(h["n_io"])
    n_inputs, n_outputs = int(h["n_inputs"]), int(h["n_outputs"])
    io_at = HEADER_SIZE + n_tensors * TENSOR_RECORD_SIZE + n_ops * OP_RECORD_SIZE
    source_at = io_at + 4 * n_io
    bindings_at = source_at + SOURCE_DIGEST_SIZE
    names_at = bindings_at + (n_inputs + n_outputs) * BINDING_RECORD_SIZE
    tables_end = names_at + int(h["names_size"])
    weights_offset = int(h["weights_offset"])
    # Exactly where the writer puts them, as the engine's loader demands: one encoding per model.
    if tables_end > len(data) or weights_offset != align(tables_end) or \
            weights_offset + h["weights_size"] != len(data):
        raise TzmError("section offsets are inconsistent with the file size")
    if any(data[tables_end:weights_offset]):
        raise TzmError("the padding before the weights is not zero")
    tensors = []
    for i in range(n_tensors):
        kind, dtype, ndim, zero_point, *rest = _TENSOR.unpack_from(data, HEADER_SIZE + i * TENSOR_RECORD_SIZE)
        dims, (offset, size, scale) = tuple(rest[:MAX_DIMS]), rest[MAX_DIMS:]
        if kind not in (0, 1) or dtype not in DType._value2member_map_ or ndim > MAX_DIMS:
            raise TzmError(f"tensor {i}: bad kind, dtype or ndim")
        signed_zp = zero_point - 256 if dtype == DType.I8 and zero_point > 127 else zero_point
        record = TensorRecord(TensorKind(kind), dims[:ndim], offset, size, DType(dtype), signed_zp, scale)
        _check_dtype(i, record, int(h["version_minor"]))
        tensors.append(record)
    io = struct.unpack_from(f"<{n_io}I", data, io_at)
    ops = []
    io_next = 0
    for i in range(n_ops):
        fields = _OP.unpack_from(data, HEADER_SIZE + n_tensors * TENSOR_RECORD_SIZE + i * OP_RECORD_SIZE)
        type_, n_in, n_out, io_first, n_scratch, act, res0 = fields[:7]
        iattr, fattr = list(fields[7:19]), list(fields[19:23])
        n_io_op = n_in + n_out + n_scratch
        if type_ not in OpType._value2member_map_ or act not in Act._value2member_map_ or n_out != 1:
            raise TzmError(f"op {i}: unknown type {type_} or activation {act}")
        if io_first != io_next:
            raise TzmError(f"op {i}: io_first is not where the previous op's io entries end")
        io_next += n_io_op
        if io_next > n_io or any(j >= n_tensors for j in io[io_first:io_next]):
            raise TzmError(f"op {i}: io indices out of range")
        ins = tuple(io[io_first:io_first + n_in])
        ops.append(OpRecord(OpType(type_), ins, io[io_first + n_in],
                            io[io_first + n_in + 1] if n_scratch else None, Act(act), iattr, fattr))
    if io_next != n_io:
        raise TzmError("n_io is larger than the io entries the ops use")
    bindings = _read_bindings(data, bindings_at, n_inputs + n_outputs, data[names_at:tables_end])
    inputs, outputs = bindings[:n_inputs], bindings[n_inputs:]
    _check_bindings(inputs, outputs, tensors)
    weights = bytes(data[weights_offset:])
    _check_weights(tensors, weights)
    return TzmModel(tensors, ops, inputs, outputs, int(h["arena_size"]), weights,
                    bytes(data[source_at:bindings_at]))
