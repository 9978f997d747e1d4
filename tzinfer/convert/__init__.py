"""ONNX -> .tzm converter.

    result = convert(Path("model.onnx"), input_shape=(1, 3, 224, 224))
    Path("model.tzm").write_bytes(tzm.write(result.model))

Raises ConvertError (UnsupportedError for ops/attributes the engine lacks) with a one-line reason.
The onnx package is imported on the first conversion, so commands that only read .tzm files
(run, inspect) start fast."""

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
