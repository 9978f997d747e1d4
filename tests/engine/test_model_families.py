"""The model families of issue 10, exported from torch with random weights (tests/exported/
recipes.py: a YOLOv8n-like detector, a UNet-like segmenter, a DBNet-like text detector, a
CRNN-like recogniser, a ViT-tiny block, ShuffleNetV2, MobileNetV3) at opsets 13 and 17 by the
TorchScript exporter and at 18 by dynamo: each converts, matches ONNX Runtime within 1e-4
relative on the host engine, and its memory plan stays within 5% of the liveness bound."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from tests.engine.test_ops import rand
from tests.exported import exported, manifest
from tzinfer import native, tzm
from tzinfer.convert import convert
from tzinfer.fixtures.ort import reference_session, run_reference
from tzinfer.tzm import OpType

#: Ops each family must have been lowered to: proof that the export exercises what it is for.
EXPECTED_OPS = {"yolo_like": {OpType.SLICE, OpType.RESIZE, OpType.CONCAT, OpType.MAXPOOL, OpType.SOFTMAX},
                "unet_like": {OpType.CONV_TRANSPOSE, OpType.RESIZE, OpType.CONCAT},
                "dbnet_like": {OpType.CONV_TRANSPOSE, OpType.RESIZE},
                "crnn_like": {OpType.GEMM, OpType.SOFTMAX, OpType.TRANSPOSE},
                "vit_tiny": {OpType.NORMALIZE, OpType.MATMUL, OpType.SOFTMAX, OpType.SLICE},
                "shufflenet_v2_like": {OpType.SLICE, OpType.TRANSPOSE, OpType.CONCAT},
                "mobilenet_v3_like": {OpType.GLOBAL_AVGPOOL, OpType.GEMM}}


FAMILY_EXPORTS = sorted(name for name in manifest()["files"] if any(name.startswith(f) for f in EXPECTED_OPS))


def family(name: str) -> str:
    return next(f for f in EXPECTED_OPS if name.startswith(f))


def test_every_family_is_exported_at_opsets_13_and_17() -> None:
    for f in EXPECTED_OPS:
        assert {f"{f}_opset13", f"{f}_opset17"} <= set(FAMILY_EXPORTS)
    assert sum("_dynamo_" in name for name in FAMILY_EXPORTS) >= 3


@pytest.mark.parametrize("name", FAMILY_EXPORTS)
def test_family_matches_onnx_runtime(name: str) -> None:
    path = exported(name)
    shape = tuple(d.dim_value for d in onnx.load(path).graph.input[0].type.tensor_type.shape.dim)
    emitted = convert(path)
    model = emitted.model
    x = rand(sum(map(ord, name)), *shape)
    ref = run_reference(reference_session(path), x)
    y = native.load(tzm.write(model)).run(x)
    assert y.shape == ref.shape
    assert float(np.abs(y - ref).max()) <= 1e-4 * max(1.0, float(np.abs(ref).max()))
    assert EXPECTED_OPS[family(name)] <= {op.type for op in model.ops}
    plan = emitted.plan
    assert plan.arena_size <= 1.05 * plan.liveness_bound, (plan.arena_size, plan.liveness_bound)
