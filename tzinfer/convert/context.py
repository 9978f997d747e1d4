"""What an op handler sees while the ONNX graph is lowered: the node (with checked attributes) and
the environment mapping every ONNX value to either a folded constant or a graph tensor.

It also tracks how many ops will read each graph tensor, which decides whether a node may be fused
into the op producing its input (a batch-norm, bias or activation can only be folded into a
producer nobody else reads)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import helper

from tzinfer.convert.errors import Blocker, ConvertError, UnsupportedError
from tzinfer.convert.graph import Graph, Op, Quant
from tzinfer.tzm import Act, OpType, ResizeMode

#: The engine ops that read and write quantised tensors (RESHAPE moves any dtype unchanged).
QUANTISED_OPS = frozenset({OpType.QUANTIZE, OpType.DEQUANTIZE, OpType.QCONV, OpType.QGEMM, OpType.QADD,
                           OpType.QGLOBAL_AVGPOOL})
#: Float ops that also run on a quantised tensor, their output quantised as their input: RESHAPE
#: moves the bytes, MAXPOOL pools the integers (in order as the reals they stand for), and RESIZE
#: in nearest mode (iattr[0]) copies them.
SAME_QUANT_OPS = frozenset({OpType.RESHAPE, OpType.MAXPOOL, OpType.RESIZE})


@dataclass(frozen=True)
class QConst:
    """A DequantizeLinear of constants: the integers, their scale(s) and zero point(s), the axis."""

    data: np.ndarray
    scale: np.ndarray
    zero_point: np.ndarray
    axis: int


@dataclass
class Node:
    """An ONNX node as the handlers read it."""

    op_type: str
    name: str  # the node's name, or "<op_type>#<index>" when the model leaves it empty
    inputs: list[str]  # "" marks an omitted optional input
    outputs: list[str]
    attrs: dict[str, Any]

    @classmethod
    def from_proto(cls, proto: onnx.NodeProto, index: int) -> Node:
        attrs = {}
        for a in proto.attribute:
            value = helper.get_attribute_value(a)
            attrs[a.name] = value.decode() if isinstance(value, bytes) else value
        return cls(proto.op_type, proto.name or f"{proto.op_type}#{index}", list(proto.input),
                   list(proto.output), attrs)

    def unsupported(self, what: str, fix: str = "") -> UnsupportedError:
        """The error a handler raises for what the engine lacks: `what` is the reason (say which
        value or operand, e.g. "mode='reflect'"), `fix` what is supported instead."""
        return UnsupportedError(Blocker(self.op_type, self.name, what, fix))

    def attr(self, name: str, default: Any = None) -> Any:  # noqa: ANN401 - ONNX attributes are of any type
        return self.attrs.get(name, default)

    def required(self, name: str) -> Any:  # noqa: ANN401 - ONNX attributes are of any type
        """An attribute the op cannot do without; its absence is a malformed model."""
        if name not in self.attrs:
            raise ConvertError(f"{self.op_type} node '{self.name}': required attribute '{name}' is missing")
        return self.attrs[name]

    def axis(self, value: int, rank: int) -> int:
        """An axis in -rank .. rank-1 as 0 .. rank-1; anything else is a malformed model."""
        if not -rank <= int(value) < rank:
            raise ConvertError(f"{self.op_type} node '{self.name}': axis {value} is out of range for "
                               f"rank {rank}")
        return int(value) % rank

    def broadcast(self, *shapes: tuple[int, ...]) -> tuple[int, ...]:
        """The numpy broadcast of shapes; shapes that do not broadcast are a malformed model."""
        try:
            return tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            raise ConvertError(f"{self.op_type} node '{self.name}': shapes "
                               f"{' and '.join(map(str, shapes))} do not broadcast") from None

    def input(self, i: int) -> str:
        """Name of input i, or "" when it is omitted."""
        return self.inputs[i] if i < len(self.inputs) else ""


class Context:
    """The lowering state shared by all op handlers."""

    def __init__(self, graph: Graph, opset: int, uses: dict[str, int]) -> None:
        self.graph = graph
        self.opset = opset
        self._uses = uses                     # ONNX value -> number of reads (+1 per graph output)
        self.consts: dict[str, np.ndarray] = {}
        self._acts: dict[str, str] = {}       # ONNX value -> graph tensor
        self._readers: dict[str, int] = {}    # graph tensor -> ops that will read it
        self.booleans: set[str] = set()       # ONNX values that are booleans, stored as float 0/1
        self.qconsts: dict[str, QConst] = {}  # dequantised constants (also in consts, as floats)

    # --- values -------------------------------------------------------------------------------
    def is_const(self, value: str) -> bool:
        return value in self.consts

    def known(self, value: str) -> bool:
        return value in self.consts or value in self._acts

    def const(self, node: Node, i: int, what: str) -> np.ndarray:
        """Input i of node, which must have been folded to a constant."""
        value = node.input(i)
        if value not in self.consts:
            raise node.unsupported(f"{what} (input {i}, '{value}') must be a constant")
        return self.consts[value]

    def tensor(self, value: str) -> str:
        """The graph tensor of an activation value."""
        return self._acts[value]

    def shape(self, value: str) -> tuple[int, ...]:
        if value in self.consts:
            return tuple(self.consts[value].shape)
        return self.graph.shape(self._acts[value])

    def operand(self, node: Node, i: int) -> str:
        """Input i as a graph tensor, storing it as a weight when it is a constant."""
        value = node.input(i)
        if value in self.consts:
            data = self.consts[value]
            if data.dtype == np.bool_:  # booleans are stored as float 0/1
                data = data.astype(np.float32)
            if not np.issubdtype(data.dtype, np.floating):
                raise node.unsupported(f"input '{value}' is a {data.dtype} constant; only float tensors "
                                       "can be computed on")
            return self.graph.add_const(data, f"{node.name}:{i}")
        return self._acts[value]

    def set_const(self, value: str, data: np.ndarray) -> None:
        self.consts[value] = data

    def bind(self, value: str, tensor: str) -> None:
        """value is produced by a new graph tensor."""
        self._acts[value] = tensor
        self._readers[tensor] = self._uses.get(value, 0)

    def alias(self, node: Node, value: str, source: str) -> None:
        """value (an output of node) is the same tensor as source (its input): no op is emitted."""
        tensor = self._acts[source]
        self._acts[value] = tensor
        self._readers[tensor] += self._uses.get(value, 0) - 1

    def dropped_read(self, value: str) -> None:
        """A node read an activation only for its static shape; that read costs nothing at run time."""
        if value in self._acts:
            self._readers[self._acts[value]] -= 1

    # --- emitting ops -------------------------------------------------------------------------
    def emit(self, node: Node, op_type: OpType, inputs: list[str], shape: tuple[int, ...],
             iattr: Iterable[int] = (), fattr: Iterable[float] = (), act: Act = Act.NONE,
             output: str | None = None, quant: Quant | None = None) -> Op:
        """Append an op writing a new tensor. By default it produces node's first output; pass
        `output` for an intermediate tensor the converter inserts, `quant` for a quantised one
        (also a CONCAT's, from QLinearConcat). A SAME_QUANT_OPS op of a quantised tensor is quantised
        alike; other float ops refuse quantised inputs."""
        if any(d < 1 for d in shape):
            raise ConvertError(f"{node.op_type} node '{node.name}' produces an empty tensor {shape}")
        iattr = list(iattr)
        if op_type not in QUANTISED_OPS and not (op_type == OpType.CONCAT and quant is not None):
            quantised = [self.graph.tensors[i].quant for i in inputs if self.graph.tensors[i].quant]
            on_integers = op_type in SAME_QUANT_OPS and (op_type != OpType.RESIZE or
                                                         iattr[0] == int(ResizeMode.NEAREST))
            if quantised and not on_integers:
                raise node.unsupported(f"it reads a quantised {quantised[0].dtype.name} tensor; tzinfer runs "
                                       f"{node.op_type} on floats only",
                                       "quantize the model in QDQ format (quant_format=QuantFormat.QDQ), "
                                       "which keeps such ops between DequantizeLinear and QuantizeLinear")
            quant = quantised[0] if quantised else None
        name = self.graph.add_activation(self.graph.unique_name(output or node.outputs[0]), shape, quant)
        op = Op(op_type, inputs, name, node.name, act=act)
        for k, v in enumerate(iattr):
            op.iattr[k] = int(v)
        for k, v in enumerate(fattr):
            op.fattr[k] = float(v)
        self.graph.add_op(op)
        if output is None:
            self.bind(node.outputs[0], name)
        else:
            self._readers[name] = 1
        return op

    def readers(self, tensor: str) -> int:
        """How many ops will read graph tensor `tensor`."""
        return self._readers.get(tensor, 0)

    def fusable_producer(self, value: str, readers: int = 1) -> Op | None:
        """The op producing value when it has exactly `readers` readers (by default only the node
        being lowered), so the op may absorb the node."""
        if value not in self._acts:
            return None
        tensor = self._acts[value]
        op = self.graph.producer(tensor)
        return op if op is not None and self._readers.get(tensor) == readers else None


#: An op handler: lowers one ONNX node into graph ops (or aliases), or raises ConvertError.
Handler = Callable[[Context, Node], None]
