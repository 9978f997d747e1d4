"""ONNX -> .tzm converter.

    result = convert(Path("model.onnx"), input_shapes=(1, 3, 224, 224))   # or {"x": (1, 3, 224, 224)}
    Path("model.tzm").write_bytes(tzm.write(result.model))

Raises ConvertError for a malformed model or bad shapes, and Blocked (an UnsupportedError) with
every op, attribute or value the engine lacks, each with its reason (`tzinfer convert --check`).
The onnx package is imported on the first conversion, so commands that only read .tzm files
(run, inspect) start fast.

Pipeline (one module per step):
- onnx_import: the input shapes (symbolic dims from --input-shape, a dynamic batch defaults to 1),
  then one walk over the nodes that folds or lowers each (collecting every blocker), then the
  outputs (every graph output, in order, each a tensor of its own) and pruning of dead ops.
- registry: which ops are lowered, at which opsets, with which attributes (docs/supported-ops.md
  is generated from it), and what is refused outright (quantised graphs, recurrent layers).
- fold: every node whose inputs are constants is evaluated with onnx.reference at the model's
  opset; Shape/Size of activations fold too, since all shapes are static.
- ops_*: lowering per op family, each listing its ops in OPS (registry.OpSpec), with the fusions
  decided by the Context's reader counts.
- build: tensor ids, CONV scratch (stl_conv_scratch_bytes via tzinfer.native), deduplicated
  aligned weights, and the arena plan (tzinfer.planner).

The lowered ops and their attributes: docs/supported-ops.md.

Fusions: BatchNormalization and per-channel Add/Sub/Mul constants into the preceding
Conv/ConvTranspose/Gemm weights and bias (also through the reshape of a MatMul over tokens);
activations into the producing Conv/ConvTranspose/Gemm/MatMul/BINARY (through a reshape too); a
zero spatial Pad into the following Conv's padding; x * HardSigmoid(x) (1/6, 1/2) into HardSwish;
MatMul + Add into GEMM with bias; Transposes that only move size-1 dims into RESHAPE; decomposed
LayerNorm and GELU (patterns.py) into NORMALIZE and a GELU activation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tzinfer.convert.errors import Blocked, Blocker, ConvertError, UnsupportedError

if TYPE_CHECKING:
    from tzinfer.convert.build import Emitted


def convert(path: Path, input_shapes: Mapping[str, Sequence[int]] | Sequence[int] | None = None) -> Emitted:
    """Import, optimise, plan and lay out an ONNX model. input_shapes fixes symbolic input dims:
    by input name, or one shape for a model with one input."""
    from tzinfer.convert.build import build_tzm
    from tzinfer.convert.onnx_import import import_onnx

    return build_tzm(import_onnx(path, input_shapes))


__all__ = ["Blocked", "Blocker", "ConvertError", "UnsupportedError", "convert"]
