"""The converter's intermediate graph: S-Tinylib ops over named tensors, before ids and offsets.

Activation tensors keep the ONNX value names (so inspect and error messages speak the model's
language); constants and inserted tensors get names derived from the ONNX node that made them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tzinfer.tzm import N_FATTR, N_IATTR, Act, DType, OpType

#: numpy dtype of a constant -> its tensor dtype (constants of other types are converted to float32).
_CONST_DTYPES = {np.dtype(np.int8): DType.I8, np.dtype(np.int32): DType.I32}


@dataclass(frozen=True)
class Quant:
    """How a quantised (U8/I8) activation maps to reals: real = scale * (q - zero_point)."""

    dtype: DType
    scale: float
    zero_point: int

    def __str__(self) -> str:
        return f"{self.dtype.name} (scale {self.scale:.9g}, zero point {self.zero_point})"


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    data: np.ndarray | None = None  # constant (float32, int8 or int32); None for an activation
    quant: Quant | None = None      # a quantised activation's type and parameters
    dtype: DType = DType.F32

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

    def add_activation(self, name: str, shape: tuple[int, ...], quant: Quant | None = None) -> str:
        assert name not in self.tensors, name
        self.tensors[name] = Tensor(name, tuple(int(d) for d in shape), quant=quant,
                                    dtype=quant.dtype if quant else DType.F32)
        return name

    def add_const(self, data: np.ndarray, hint: str) -> str:
        """A constant tensor: int8 and int32 arrays keep their type (quantised weights and biases),
        anything else becomes float32."""
        name = self.unique_name(hint)
        dtype = _CONST_DTYPES.get(np.asarray(data).dtype, DType.F32)
        array = np.ascontiguousarray(data, dtype=dtype.numpy)
        self.tensors[name] = Tensor(name, array.shape, array, dtype=dtype)
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
