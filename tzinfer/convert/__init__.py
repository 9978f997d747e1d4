"""ONNX -> .tzm converter.

    result = convert(Path("model.onnx"), input_shape=(1, 3, 224, 224))
    Path("model.tzm").write_bytes(tzm.write(result.model))

Raises ConvertError (UnsupportedError for ops/attributes the engine lacks) with a one-line reason.
The onnx package is imported on the first conversion, so commands that only read .tzm files
(run, inspect) start fast.

Pipeline (one module per step):
- onnx_import: the input shape (symbolic dims from --input-shape, a dynamic batch defaults to 1),
  then one walk over the nodes that folds or lowers each, then pruning of dead ops.
- fold: every node whose inputs are constants is evaluated with onnx.reference at the model's
  opset; Shape/Size of activations fold too, since all shapes are static.
- ops_*: lowering per op family (below), with the fusions decided by the Context's reader counts.
- build: tensor ids, CONV scratch (stl_conv_scratch_bytes via tzinfer.native), deduplicated
  aligned weights, and the arena plan (tzinfer.planner).

Lowered ONNX ops (opsets 7-18; attributes not listed by a handler are refused):
Conv (groups, depthwise, dilation, explicit/SAME/VALID pads), Gemm, MatMul (constant right operand),
BatchNormalization, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, ReduceMean (spatial),
Add, Sub, Mul, Div, PRelu, Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Concat,
Softmax, Transpose, Pad (constant), Reshape, Flatten, Squeeze, Unsqueeze; Identity, Dropout and
Cast-to-float vanish.

Fusions: BatchNormalization and per-channel Add/Sub/Mul constants into the preceding Conv/Gemm
weights and bias; activations into the producing Conv/Gemm/BINARY; a zero spatial Pad into the
following Conv's padding; x * HardSigmoid(x) (1/6, 1/2) into HardSwish and x * Sigmoid(x) into
SiLU (both then fused like any activation); MatMul + Add into GEMM
with bias; Transposes that only move size-1 dims into RESHAPE."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tzinfer.convert.errors import ConvertError, UnsupportedError

if TYPE_CHECKING:
    from tzinfer.convert.build import Emitted


def convert(path: Path, input_shape: Sequence[int] | None = None) -> Emitted:
    """Import, optimise, plan and lay out an ONNX model."""
    from tzinfer.convert.build import build_tzm
    from tzinfer.convert.onnx_import import import_onnx

    return build_tzm(import_onnx(path, input_shape))


__all__ = ["ConvertError", "UnsupportedError", "convert"]
