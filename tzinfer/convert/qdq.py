"""QDQ groups -> QLinear ops, as onnxruntime's graph optimiser fuses them: the QDQ format of
onnxruntime.quantization.quantize_static writes each quantised op as DequantizeLinear nodes on its
inputs, the float op, and one QuantizeLinear on its output. Rewriting such a group into the
QOperator form (QLinearConv, QLinearMatMul, onnxruntime's QGemm, QLinearAdd,
QLinearGlobalAveragePool, QLinearConcat; a layout op, MaxPool or a nearest Resize on the integers
when the scale and zero point do not change; a linear Resize stays in float)
gives one lowering for both formats (ops_quant.py), and the engine computes the group in int8 as
ONNX Runtime does.

A group is rewritten only when it is exactly that: every data input dequantised (weights and bias
from constants, activations not), the output read by one QuantizeLinear only, every scale and zero
point given as a constant, and per-channel weight scales along the output-channel axis. Anything
else stays as written and runs in float between its DequantizeLinear and QuantizeLinear nodes,
which is what the QDQ format means."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from tzinfer.convert.patterns import NodeGraph

MS_DOMAIN = "com.microsoft"
#: Ops that only move or reshape elements, or pick the largest (MaxPool: the integers are in the
#: order of the reals): on the integers when input and output share a scale and zero point.
SAME_QUANT_OPS = frozenset({"Flatten", "Reshape", "Squeeze", "Unsqueeze", "MaxPool"})


def _attrs(node: onnx.NodeProto) -> dict[str, object]:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _dq(g: NodeGraph, value: str, const: bool) -> onnx.NodeProto | None:
    """The DequantizeLinear producing value, with constant scale and zero point, of a constant
    (const) or of an activation (not const)."""
    node = g.producer.get(value)
    if node is None or node.op_type != "DequantizeLinear" or len(node.input) < 3 or not node.input[2]:
        return None
    if node.input[1] not in g.consts or node.input[2] not in g.consts:
        return None
    return node if (node.input[0] in g.consts) == const else None


def _q(g: NodeGraph, value: str) -> onnx.NodeProto | None:
    """The one QuantizeLinear reading value, with a constant per-tensor scale and zero point."""
    node = g.only_reader(value, "QuantizeLinear")
    if node is None or len(node.input) < 3 or not node.input[2]:
        return None
    scale, zp = g.consts.get(node.input[1]), g.consts.get(node.input[2])
    return node if scale is not None and zp is not None and scale.size == 1 and zp.size == 1 else None


def _per_channel_axis_ok(g: NodeGraph, dq: onnx.NodeProto, axis: int) -> bool:
    """Whether a weight DequantizeLinear is per tensor or per channel along `axis`."""
    if g.consts[dq.input[1]].size == 1:
        return True
    rank = g.consts[dq.input[0]].ndim
    return int(_attrs(dq).get("axis", 1)) % rank == axis


def _qparams(dq_or_q: onnx.NodeProto) -> list[str]:
    return [dq_or_q.input[0], dq_or_q.input[1], dq_or_q.input[2]]


def _fuse_linear(g: NodeGraph, node: onnx.NodeProto) -> onnx.NodeProto | None:
    """Conv, Gemm or MatMul of a dequantised activation and dequantised constant weights (and a
    dequantised int32 bias), quantised: QLinearConv, QGemm or QLinearMatMul."""
    x, w = _dq(g, node.input[0], const=False), _dq(g, node.input[1], const=True)
    bias = None
    if len(node.input) > 2 and node.input[2]:
        bias = _dq(g, node.input[2], const=True)
        if bias is None or g.consts[bias.input[0]].dtype != np.int32:
            return None
    q = _q(g, node.output[0])
    if x is None or w is None or q is None:
        return None
    attrs = _attrs(node)
    if node.op_type == "Conv":
        if not _per_channel_axis_ok(g, w, 0):
            return None
        inputs = [*_qparams(x), *_qparams(w), q.input[1], q.input[2], *([bias.input[0]] if bias else [])]
        return helper.make_node("QLinearConv", inputs, [q.output[0]], node.name, **attrs)
    if node.op_type == "Gemm":
        if not _per_channel_axis_ok(g, w, 0 if attrs.get("transB", 0) else 1) or \
                (bias is not None and attrs.get("beta", 1.0) != 1.0):
            return None
        attrs.pop("beta", None)
        inputs = [*_qparams(x), *_qparams(w), bias.input[0] if bias else "", q.input[1], q.input[2]]
        return helper.make_node("QGemm", inputs, [q.output[0]], node.name, domain=MS_DOMAIN, **attrs)
    if bias is not None or not _per_channel_axis_ok(g, w, 1):  # MatMul
        return None
    return helper.make_node("QLinearMatMul", [*_qparams(x), *_qparams(w), q.input[1], q.input[2]],
                            [q.output[0]], node.name)


def _fuse_elementwise(g: NodeGraph, node: onnx.NodeProto) -> onnx.NodeProto | None:
    """Add of two dequantised activations, or GlobalAveragePool of one, quantised."""
    ins = [_dq(g, v, const=False) for v in node.input]
    q = _q(g, node.output[0])
    if q is None or any(d is None for d in ins):
        return None
    inputs = [v for d in ins for v in _qparams(d)] + [q.input[1], q.input[2]]  # type: ignore[union-attr]
    op = "QLinearAdd" if node.op_type == "Add" else "QLinearGlobalAveragePool"
    extra = {} if node.op_type == "Add" else {"channels_last": 0}
    return helper.make_node(op, inputs, [q.output[0]], node.name, domain=MS_DOMAIN, **extra)


def _same(g: NodeGraph, a: str, b: str) -> bool:
    return a == b or np.array_equal(g.consts[a], g.consts[b]) and g.consts[a].dtype == g.consts[b].dtype


def _fuse_layout(g: NodeGraph, node: onnx.NodeProto) -> onnx.NodeProto | None:
    """A layout op between a DequantizeLinear and a QuantizeLinear of the same scale and zero
    point: the same op on the integers."""
    dq, q = _dq(g, node.input[0], const=False), _q(g, node.output[0])
    if dq is None or q is None:
        return None
    if not (_same(g, dq.input[1], q.input[1]) and _same(g, dq.input[2], q.input[2])):
        return None
    fused = onnx.NodeProto()
    fused.CopyFrom(node)
    fused.input[0] = dq.input[0]
    fused.output[0] = q.output[0]
    return fused


def _fuse_concat(g: NodeGraph, node: onnx.NodeProto) -> onnx.NodeProto | None:
    """Concat of dequantised activations, quantised: onnxruntime's QLinearConcat (each input
    requantised to the output's scale and zero point, as DequantizeLinear and QuantizeLinear do)."""
    ins = [_dq(g, v, const=False) for v in node.input]
    q = _q(g, node.output[0])
    if q is None or any(d is None for d in ins):
        return None
    inputs = [q.input[1], q.input[2], *(v for d in ins for v in _qparams(d))]  # type: ignore[union-attr]
    return helper.make_node("QLinearConcat", inputs, [q.output[0]], node.name, domain=MS_DOMAIN,
                            axis=int(_attrs(node)["axis"]))  # type: ignore[call-overload]


def fuse(g: NodeGraph) -> None:
    """Replace every QDQ group of g by its QLinear op (the QuantizeLinear's place in the order)."""
    for node in list(g.nodes):
        if id(node) in g.replaced or len(node.output) != 1 or node.domain not in ("", "ai.onnx"):
            continue
        if node.op_type in ("Conv", "Gemm", "MatMul"):
            fused = _fuse_linear(g, node)
        elif node.op_type in ("Add", "GlobalAveragePool"):
            fused = _fuse_elementwise(g, node)
        elif node.op_type in SAME_QUANT_OPS:
            fused = _fuse_layout(g, node)
        elif node.op_type == "Resize" and _attrs(node).get("mode", b"nearest") in (b"nearest", "nearest"):
            fused = _fuse_layout(g, node)
        elif node.op_type == "Concat":
            fused = _fuse_concat(g, node)
        else:
            continue
        if fused is not None:
            g.replace([node, g.only_reader(node.output[0], "QuantizeLinear")], fused)  # type: ignore[list-item]
