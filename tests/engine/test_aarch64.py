"""The engine cross-built for aarch64 (static `stl-run`, Cortex-A53 flags) and run under qemu-aarch64
gives the same outputs as the host library on real converted models."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.exported import exported
from tzinfer import BUILD_DIR, REPO_ROOT, native, tzm
from tzinfer.convert import convert
from tzinfer.fixtures import FixturePaths

STL_RUN = BUILD_DIR / "aarch64" / "stinylib" / "stl-run"


@pytest.fixture(scope="module")
def stl_run() -> Path:
    subprocess.run(["make", "-s", "-C", str(REPO_ROOT / "stinylib"), "aarch64", f"BUILD={BUILD_DIR}"],
                   check=True)
    return STL_RUN


def assert_aarch64_matches_host(stl_run: Path, onnx: Path, tmp_path: Path) -> None:
    data = tzm.write(convert(onnx).model)
    host = native.load(data)
    x = np.random.default_rng(7).standard_normal(host.input_shape).astype(np.float32)
    (tmp_path / "m.tzm").write_bytes(data)
    x.tofile(tmp_path / "in.f32")

    run = subprocess.run(["qemu-aarch64", str(stl_run), str(tmp_path / "m.tzm"), str(tmp_path / "in.f32"),
                          str(tmp_path / "out.f32")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr

    y_arm = np.fromfile(tmp_path / "out.f32", dtype=np.float32)
    y_host = host.run(x).ravel()
    assert y_arm.shape == y_host.shape
    assert np.abs(y_arm - y_host).max() <= 1e-5 * max(1.0, float(np.abs(y_host).max()))


@pytest.mark.slow
@pytest.mark.parametrize("model", ["lenet5", "squeezenet1_1", "mobilenetv2"])
def test_aarch64_matches_host(stl_run: Path, fixtures: FixturePaths, tmp_path: Path, model: str) -> None:
    assert_aarch64_matches_host(stl_run, fixtures.onnx(model), tmp_path)


@pytest.mark.parametrize("name", ["yolo_like_opset17", "unet_like_opset13", "dbnet_like_opset17",
                                  "crnn_like_dynamo_opset18", "vit_tiny_gelu_tanh_opset20",
                                  "vit_tiny_opset13", "shufflenet_v2_like_opset17",
                                  "mobilenet_v3_like_opset13"])
def test_aarch64_runs_the_issue10_families(stl_run: Path, tmp_path: Path, name: str) -> None:
    """The new kernels (slice, resize, transposed conv, normalisation, batched matmul, GELU, ...)
    cross-built with the Cortex-A53 flags give the host's numbers."""
    assert_aarch64_matches_host(stl_run, exported(name), tmp_path)


def test_stl_run_reports_a_refused_model(stl_run: Path, tmp_path: Path) -> None:
    """A corrupt file gives exit status 2 and the engine's status on stderr."""
    (tmp_path / "bad.tzm").write_bytes(b"TZMODEL\0" + bytes(200))
    (tmp_path / "in.f32").write_bytes(bytes(4))
    run = subprocess.run(["qemu-aarch64", str(stl_run), str(tmp_path / "bad.tzm"), str(tmp_path / "in.f32"),
                          str(tmp_path / "out.f32")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "STL_E_VERSION" in run.stderr
