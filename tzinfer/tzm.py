"""The `.tzm` model format, version 1 (docs/model-format.md): record layouts, the enums the engine
and the converter share, a byte writer and a reader.

The reader is for `tzinfer inspect` and the tests; the engine has its own strict loader in C.
Both reject what the spec rejects, so a file `read()` accepts is one the engine must accept too."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from enum import IntEnum

MAGIC = b"TZMODEL\0"
VERSION_MAJOR = 1
VERSION_MINOR = 0
HEADER_SIZE = 128
TENSOR_RECORD_SIZE = 40
OP_RECORD_SIZE = 80
MAX_DIMS = 6
N_IATTR = 12
N_FATTR = 4
ALIGN = 16

_HEADER = struct.Struct("<8sHHIIIIIIIIIII32s12s16sI8s")
_TENSOR = struct.Struct("<BBBB6IIII")
_OP = struct.Struct("<HBBIBBH12i4fI")
assert _HEADER.size == HEADER_SIZE and _TENSOR.size == TENSOR_RECORD_SIZE and _OP.size == OP_RECORD_SIZE


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
    SILU = 8
    GELU = 9


class BinaryKind(IntEnum):
    """iattr[0] of a BINARY op."""

    ADD = 0
    SUB = 1
    MUL = 2
    DIV = 3
    PRELU = 4


class TensorKind(IntEnum):
    ACT = 0
    CONST = 1


#: Ops that may carry a fused activation (`act` must be NONE on the others).
ACT_OPS = frozenset({OpType.CONV, OpType.GEMM, OpType.BINARY, OpType.UNARY})


class TzmError(ValueError):
    """A .tzm file that is not well-formed; the message says what is wrong."""


@dataclass
class TensorRecord:
    kind: TensorKind
    dims: tuple[int, ...]
    offset: int
    size: int

    @property
    def nbytes(self) -> int:
        return 4 * numel(self.dims)


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
class TzmModel:
    """A whole model: what the writer takes and the reader returns."""

    tensors: list[TensorRecord]
    ops: list[OpRecord]
    input: int
    output: int
    arena_size: int
    weights: bytes


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
        tensor_bytes += _TENSOR.pack(int(t.kind), 0, len(t.dims), 0, *dims, t.offset, t.size, 0)
    tables = bytes(tensor_bytes) + bytes(op_bytes) + struct.pack(f"<{len(io)}I", *io)
    weights_offset = align(HEADER_SIZE + len(tables))
    body = tables + bytes(weights_offset - HEADER_SIZE - len(tables)) + model.weights
    header = _HEADER.pack(MAGIC, VERSION_MAJOR, VERSION_MINOR, 0, HEADER_SIZE, len(model.tensors),
                          len(model.ops), len(io), model.input, model.output, model.arena_size,
                          weights_offset, len(model.weights), len(body), hashlib.sha256(body).digest(),
                          bytes(12), bytes(16), 0, bytes(8))
    return header + body


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


def read(data: bytes) -> TzmModel:
    """Parse and check a .tzm file's structure (header, tables, bounds, SHA-256). Raises TzmError."""
    if len(data) < HEADER_SIZE:
        raise TzmError(f"file is {len(data)} bytes, shorter than the {HEADER_SIZE}-byte header (truncated?)")
    (magic, major, minor, flags, header_size, n_tensors, n_ops, n_io, input_, output, arena_size,
     weights_offset, weights_size, body_size, digest, nonce, tag, key_id,
     reserved) = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise TzmError("bad magic: not a .tzm file")
    if major != VERSION_MAJOR or minor > VERSION_MINOR:
        raise TzmError(f"format version {major}.{minor} is not supported (this reader knows 1.0)")
    if flags:
        raise TzmError(f"flags 0x{flags:x} are not supported by a v1 reader (encrypted model?)")
    if header_size != HEADER_SIZE or any(nonce + tag + reserved) or key_id:
        raise TzmError("reserved header fields are not zero")
    if body_size != len(data) - HEADER_SIZE:
        raise TzmError(f"header says the body is {body_size} bytes, the file has {len(data) - HEADER_SIZE} "
                       "(truncated?)")
    if hashlib.sha256(data[HEADER_SIZE:]).digest() != digest:
        raise TzmError("body SHA-256 mismatch: the file is corrupt")
    tables_end = HEADER_SIZE + n_tensors * TENSOR_RECORD_SIZE + n_ops * OP_RECORD_SIZE + 4 * n_io
    # Exactly where the writer puts them, as the engine's loader demands: one encoding per model.
    if weights_offset != align(tables_end) or weights_offset + weights_size != len(data):
        raise TzmError("section offsets are inconsistent with the file size")
    if any(data[tables_end:weights_offset]):
        raise TzmError("the padding before the weights is not zero")
    tensors = []
    for i in range(n_tensors):
        kind, dtype, ndim, res0, *rest = _TENSOR.unpack_from(data, HEADER_SIZE + i * TENSOR_RECORD_SIZE)
        dims, (offset, size, res1) = tuple(rest[:MAX_DIMS]), rest[MAX_DIMS:]
        if kind not in (0, 1) or dtype != 0 or ndim > MAX_DIMS or res0 or res1:
            raise TzmError(f"tensor {i}: bad kind, dtype, ndim or reserved field")
        tensors.append(TensorRecord(TensorKind(kind), dims[:ndim], offset, size))
    io_base = HEADER_SIZE + n_tensors * TENSOR_RECORD_SIZE + n_ops * OP_RECORD_SIZE
    io = struct.unpack_from(f"<{n_io}I", data, io_base)
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
    if input_ >= n_tensors or output >= n_tensors:
        raise TzmError("input or output tensor index out of range")
    weights = bytes(data[weights_offset:])
    _check_weights(tensors, weights)
    return TzmModel(tensors, ops, input_, output, arena_size, weights)
