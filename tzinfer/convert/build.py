"""Converter graph -> .tzm model: tensor ids, CONV scratch buffers, deduplicated 16-byte aligned
weights, and the arena plan."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from tzinfer import native, planner
from tzinfer.convert.errors import UnsupportedError
from tzinfer.convert.graph import Graph
from tzinfer.tzm import (
    MAX_DIMS,
    Binding,
    DType,
    OpRecord,
    OpType,
    TensorKind,
    TensorRecord,
    TzmModel,
    align,
    numel,
)


@dataclass
class Emitted:
    """A converted model with the plan that placed its activations."""

    model: TzmModel
    plan: planner.Plan
    weights_bytes: int  # sum of the stored constants, each once


def _weights(graph: Graph, ids: dict[str, int], records: list[TensorRecord]) -> tuple[bytes, int]:
    """Lay out the constants, each distinct byte string once, every one 16-byte aligned."""
    blob = bytearray()
    stored: dict[bytes, int] = {}
    total = 0
    for name, index in ids.items():
        data = graph.tensors[name].data
        if data is None:
            continue
        raw = data.astype(graph.tensors[name].dtype.numpy).tobytes()
        key = hashlib.sha256(raw).digest()
        if key not in stored:
            blob += bytes(align(len(blob)) - len(blob))
            stored[key] = len(blob)
            blob += raw
            total += len(raw)
        records[index].offset = stored[key]
    blob += bytes(align(len(blob)) - len(blob))
    return bytes(blob), total


#: Output pixels of one im2col block of a quantised convolution (STL_QCOL_PIXELS, stinylib/src/qconv.c).
QCOL_PIXELS = 256


def _qconv_scratch_words(x_shape: tuple[int, ...], w_shape: tuple[int, ...], y_shape: tuple[int, ...]) -> int:
    """QCONV's scratch in int32 words: the accumulators of one output plane (the plain-C kernel),
    and for a one-group convolution with a spatial kernel also an im2col block of up to
    QCOL_PIXELS output pixels by C·kh·kw input bytes (the vector kernel)."""
    plane = numel(y_shape[2:])
    if w_shape[1] != x_shape[1] or numel(w_shape[2:]) == 1:  # grouped or 1×1: no im2col
        return plane
    return max(plane, (numel(w_shape[1:]) * min(plane, QCOL_PIXELS) + 3) // 4)


def build_tzm(graph: Graph) -> Emitted:
    """Assign tensor ids, add CONV scratch, lay out the weights and plan the arena."""
    ids: dict[str, int] = {}
    records: list[TensorRecord] = []

    def tensor_id(name: str) -> int:
        if name not in ids:
            t = graph.tensors[name]
            if len(t.shape) > MAX_DIMS:
                raise UnsupportedError(f"tensor '{name}' has rank {len(t.shape)}; S-Tinylib tensors have at "
                                       f"most {MAX_DIMS} dims")
            ids[name] = len(records)
            kind = TensorKind.CONST if t.is_const else TensorKind.ACT
            q = t.quant
            records.append(TensorRecord(kind, t.shape, 0, t.dtype.itemsize * numel(t.shape), t.dtype,
                                        q.zero_point if q else 0, q.scale if q else 0.0))
        return ids[name]

    inputs = [Binding(name, tensor_id(t)) for name, t in graph.inputs.items()]
    ops = []
    for op in graph.ops:
        ins = tuple(tensor_id(i) for i in op.inputs)
        out = tensor_id(op.output)
        scratch = None
        if op.type == OpType.CONV:
            size = native.conv_scratch_bytes(graph.shape(op.inputs[0]), graph.shape(op.inputs[1]), op.iattr)
            if size:
                scratch = len(records)
                words = (size + 3) // 4
                records.append(TensorRecord(TensorKind.ACT, (words,), 0, 4 * words))
        elif op.type == OpType.QCONV:
            scratch = len(records)
            words = _qconv_scratch_words(graph.shape(op.inputs[0]), graph.shape(op.inputs[1]),
                                         graph.shape(op.output))
            records.append(TensorRecord(TensorKind.ACT, (words,), 0, 4 * words, DType.I32))
        ops.append(OpRecord(op.type, ins, out, scratch, op.act, list(op.iattr), list(op.fattr)))
    outputs = [Binding(name, tensor_id(t)) for name, t in graph.outputs.items()]
    model = TzmModel(records, ops, inputs, outputs, 0, b"", graph.source_sha256)
    model.weights, weights_bytes = _weights(graph, ids, records)
    plan = planner.plan(planner.steps_of(model), planner.act_sizes(model), *planner.io_tensors(model))
    for i, offset in plan.offsets.items():
        records[i].offset = offset
    model.arena_size = align(plan.arena_size)
    return Emitted(model, plan, weights_bytes)
