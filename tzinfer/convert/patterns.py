"""Graph rewrites on the ONNX nodes before lowering: multi-node patterns that one engine op does
better than their parts.

LayerNorm as exporters decompose it before opset 17 (and PyTorch's F.layer_norm at any opset
through some paths):  mu = ReduceMean(x); d = x - mu; var = ReduceMean(d^2); y = d / Sqrt(var + eps)
becomes one LayerNormalization node without scale and bias (the Mul and Add after it stay, as
in-place BINARY ops). The reduced axes must be the trailing ones, written negative (as exporters
do), so that the pattern is recognised without shapes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
from onnx import helper, numpy_helper


def _constants(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and len(node.attribute) == 1 and node.attribute[0].name == "value":
            values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    return values


def _trailing_axes(node: onnx.NodeProto, consts: dict[str, np.ndarray]) -> list[int] | None:
    """The axes of a ReduceMean with keepdims, if they are -k .. -1 for some k."""
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    if attrs.get("keepdims", 1) != 1:
        return None
    if len(node.input) > 1 and node.input[1]:
        if node.input[1] not in consts:
            return None
        axes = [int(a) for a in consts[node.input[1]].reshape(-1)]
    else:
        axes = [int(a) for a in attrs.get("axes", [])]
    axes = sorted(axes)
    return axes if axes and axes == list(range(-len(axes), 0)) else None


def _scalar(consts: dict[str, np.ndarray], value: str) -> float | None:
    data = consts.get(value)
    return float(data.reshape(-1)[0]) if data is not None and data.size == 1 else None


def fuse_layer_norm(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """graph's nodes with every decomposed LayerNorm replaced by one LayerNormalization node."""
    nodes = list(graph.node)
    consts = _constants(graph)
    uses = Counter(v for n in nodes for v in n.input if v)
    uses.update(o.name for o in graph.output)
    producer = {o: n for n in nodes for o in n.output}
    replaced: dict[int, onnx.NodeProto | None] = {}  # node id -> replacement (None: dropped)

    def made_by(value: str, op_type: str, readers: int = 1) -> onnx.NodeProto | None:
        node = producer.get(value)
        return node if node is not None and node.op_type == op_type and uses[value] == readers else None

    for div in nodes:
        if div.op_type != "Div" or id(div) in replaced:
            continue
        sqrt = made_by(div.input[1], "Sqrt")
        sub = made_by(div.input[0], "Sub", readers=uses[div.input[0]])
        add = made_by(sqrt.input[0], "Add") if sqrt else None
        if not (sub and add):
            continue
        eps_second = _scalar(consts, add.input[1]) is not None
        var_value, eps_value = (add.input[0], add.input[1]) if eps_second else (add.input[1], add.input[0])
        eps = _scalar(consts, eps_value)
        var = made_by(var_value, "ReduceMean")
        square = made_by(var.input[0], "Pow") if var else None
        if square is None and var is not None:
            square = made_by(var.input[0], "Mul")
        mean = made_by(sub.input[1], "ReduceMean")
        if eps is None or square is None or mean is None or mean.input[0] != sub.input[0]:
            continue
        squares_d = (square.op_type == "Pow" and square.input[0] == sub.output[0] and
                     _scalar(consts, square.input[1]) == 2.0) or \
                    (square.op_type == "Mul" and list(square.input) == [sub.output[0]] * 2)
        axes = _trailing_axes(mean, consts)
        if not squares_d or axes is None or _trailing_axes(var, consts) != axes:
            continue
        if uses[sub.output[0]] != (3 if square.op_type == "Mul" else 2):
            continue
        fused = helper.make_node("LayerNormalization", [sub.input[0]], [div.output[0]],
                                 name=f"{div.name or div.output[0]}:layer_norm", axis=axes[0], epsilon=eps)
        for part in (mean, sub, square, var, add, sqrt):
            replaced[id(part)] = None
        replaced[id(div)] = fused
    return [replaced.get(id(n), n) for n in nodes if replaced.get(id(n), n) is not None]
