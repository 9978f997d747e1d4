"""Graph rewrites on the ONNX nodes before lowering: multi-node patterns that one engine op does
better than their parts.

GELU as exporters write it before opset 20: x · ½ (1 + erf(x / √2)), in either order of the two
products (TorchScript: (x · (1 + erf)) · ½; dynamo: x · (½ · (1 + erf))), becomes one Gelu node.

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

#: The doc_string of a node a pattern made: the walk checks it against the opset that defines its
#: op (FUSED_OPSETS), not the model's, which may predate the op.
FUSED_DOC = "tzinfer: fused from its decomposed form"
FUSED_OPSETS = {"LayerNormalization": 17, "Gelu": 20}


def schema_opset(node: onnx.NodeProto, opset: int) -> int:
    """The opset to check node against: the model's, or for a fused node the one defining its op."""
    return max(opset, FUSED_OPSETS[node.op_type]) if node.doc_string == FUSED_DOC else opset


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


class _Graph:
    """The node list with the lookups the patterns need, and the replacements made so far."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.nodes = list(graph.node)
        self.consts = _constants(graph)
        self.uses = Counter(v for n in self.nodes for v in n.input if v)
        self.uses.update(o.name for o in graph.output)
        self.producer = {o: n for n in self.nodes for o in n.output}
        self.readers: dict[str, list[onnx.NodeProto]] = {}
        for n in self.nodes:
            for v in n.input:
                self.readers.setdefault(v, []).append(n)
        self.replaced: dict[int, onnx.NodeProto | None] = {}  # node id -> replacement (None: dropped)

    def made_by(self, value: str, op_type: str, readers: int = 1) -> onnx.NodeProto | None:
        """The node producing value, if it is an op_type and value has exactly `readers` reads."""
        node = self.producer.get(value)
        fits = node is not None and node.op_type == op_type and self.uses[value] == readers
        return node if fits and id(node) not in self.replaced else None

    def only_reader(self, value: str, op_type: str) -> onnx.NodeProto | None:
        """The one node reading value, if it is an op_type."""
        readers = self.readers.get(value, [])
        fits = self.uses[value] == 1 and len(readers) == 1 and readers[0].op_type == op_type
        return readers[0] if fits and id(readers[0]) not in self.replaced else None

    def other_input(self, node: onnx.NodeProto, value: str) -> str:
        """The input of a two-input node that is not value."""
        return node.input[1] if node.input[0] == value else node.input[0]

    def scalar(self, value: str) -> float | None:
        return _scalar(self.consts, value)

    def replace(self, parts: list[onnx.NodeProto], fused: onnx.NodeProto) -> None:
        """parts are dropped; fused takes the place of the last of them."""
        for part in parts[:-1]:
            self.replaced[id(part)] = None
        self.replaced[id(parts[-1])] = fused

    def result(self) -> list[onnx.NodeProto]:
        out = [self.replaced.get(id(n), n) for n in self.nodes]
        return [n for n in out if n is not None]


def fuse(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """graph's nodes with the patterns above replaced by one node each."""
    g = _Graph(graph)
    _fuse_layer_norm(g)
    _fuse_gelu(g)
    return g.result()


def _near(value: float | None, target: float) -> bool:
    return value is not None and abs(value - target) <= 1e-6 * abs(target)


def _fuse_gelu(g: _Graph) -> None:
    for erf in g.nodes:
        if erf.op_type != "Erf" or id(erf) in g.replaced:
            continue
        scaled = g.made_by(erf.input[0], "Div") or g.made_by(erf.input[0], "Mul")
        if scaled is None or scaled.input[0] == scaled.input[1]:
            continue
        x = scaled.input[0] if g.scalar(scaled.input[1]) is not None else scaled.input[1]
        factor = g.scalar(g.other_input(scaled, x))
        if not (_near(factor, 2 ** 0.5) if scaled.op_type == "Div" else _near(factor, 2 ** -0.5)):
            continue
        plus = g.only_reader(erf.output[0], "Add")
        if plus is None or not _near(g.scalar(g.other_input(plus, erf.output[0])), 1.0):
            continue
        first = g.only_reader(plus.output[0], "Mul")
        second = g.only_reader(first.output[0], "Mul") if first else None
        if first is None or second is None:
            continue
        other, last = g.other_input(first, plus.output[0]), g.other_input(second, first.output[0])
        if not ((other == x and _near(g.scalar(last), 0.5)) or (_near(g.scalar(other), 0.5) and last == x)):
            continue
        out = second.output[0]
        if x in g.consts:  # a constant pattern folds as written
            continue
        gelu = helper.make_node("Gelu", [x], [out], name=f"{second.name or out}:gelu", doc_string=FUSED_DOC)
        g.replace([scaled, erf, plus, first, second], gelu)


def _fuse_layer_norm(g: _Graph) -> None:
    consts, uses, made_by = g.consts, g.uses, g.made_by
    for div in g.nodes:
        if div.op_type != "Div":
            continue
        sqrt = made_by(div.input[1], "Sqrt")
        sub = made_by(div.input[0], "Sub", readers=uses[div.input[0]])
        add = made_by(sqrt.input[0], "Add") if sqrt else None
        if not (sub and add) or id(div) in g.replaced:
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
        if sub.input[0] in consts:  # a constant pattern folds as written
            continue
        fused = helper.make_node("LayerNormalization", [sub.input[0]], [div.output[0]],
                                 name=f"{div.name or div.output[0]}:layer_norm", axis=axes[0], epsilon=eps,
                                 doc_string=FUSED_DOC)
        g.replace([mean, sub, square, var, add, sqrt, div], fused)
