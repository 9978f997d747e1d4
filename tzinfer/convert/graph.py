"""The converter's intermediate graph: S-Tinylib ops over named tensors, before ids and offsets.

Activation tensors keep the ONNX value names (so inspect and error messages speak the model's
language); constants and inserted tensors get names derived from the ONNX node that made them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tzinfer.tzm import N_FATTR, N_IATTR, Act, OpType


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    data: np.ndarray | None = None  # float32 constant; None for an activation (arena tensor)

    @property
    def is_const(self) -> bool:
        return self.data is not None


@dataclass
class Op:
    type: OpType
    inputs: list[str]
    output: str
    source: str  # the ONNX node it came from
    iattr: list[int] = field(default_factory=lambda: [0] * N_IATTR)
    fattr: list[float] = field(default_factory=lambda: [0.0] * N_FATTR)
    act: Act = Act.NONE


@dataclass
class Graph:
    #: The model's inputs and outputs in ONNX order: ONNX value name -> graph tensor. Each is a
    #: distinct tensor (an output that would share one with an input or an earlier output is a copy).
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    tensors: dict[str, Tensor] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    #: SHA-256 of the ONNX file the graph was read from.
    source_sha256: bytes = bytes(32)
    _producer: dict[str, Op] = field(default_factory=dict)

    def add_activation(self, name: str, shape: tuple[int, ...]) -> str:
        assert name not in self.tensors, name
        self.tensors[name] = Tensor(name, tuple(int(d) for d in shape))
        return name

    def add_const(self, data: np.ndarray, hint: str) -> str:
        name = self.unique_name(hint)
        array = np.ascontiguousarray(data, dtype=np.float32)
        self.tensors[name] = Tensor(name, array.shape, array)
        return name

    def unique_name(self, hint: str) -> str:
        name, n = hint, 1
        while name in self.tensors:
            n += 1
            name = f"{hint}#{n}"
        return name

    def add_op(self, op: Op) -> Op:
        self.ops.append(op)
        self._producer[op.output] = op
        return op

    def producer(self, name: str) -> Op | None:
        return self._producer.get(name)

    def shape(self, name: str) -> tuple[int, ...]:
        return self.tensors[name].shape

    def prune(self) -> None:
        """Drop ops no output depends on, and tensors neither an op nor the model's I/O uses."""
        needed = set(self.outputs.values())
        kept = []
        for op in reversed(self.ops):
            if op.output in needed:
                kept.append(op)
                needed.update(op.inputs)
        self.ops = kept[::-1]
        self._producer = {op.output: op for op in self.ops}
        needed.update(self.inputs.values())
        self.tensors = {n: t for n, t in self.tensors.items() if n in needed}
