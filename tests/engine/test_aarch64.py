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


def run_both(stl_run: Path, data: bytes, tmp_path: Path) -> None:
    """stl-run under qemu-aarch64 gives every output of the host library, for random inputs."""
    host = native.load(data)
    rng = np.random.default_rng(7)
    xs = {d.name: rng.standard_normal(d.shape).astype(np.float32) for d in host.inputs}
    (tmp_path / "m.tzm").write_bytes(data)
    ins = [tmp_path / f"in{i}.f32" for i in range(len(xs))]
    outs = [tmp_path / f"out{i}.f32" for i in range(len(host.outputs))]
    for path, x in zip(ins, xs.values(), strict=True):
        x.tofile(path)

    run = subprocess.run(["qemu-aarch64", str(stl_run), str(tmp_path / "m.tzm"), *map(str, ins + outs)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr

    for path, y_host in zip(outs, host.run_all(xs).values(), strict=True):
        y_arm = np.fromfile(path, dtype=np.float32)
        assert y_arm.shape == (y_host.size,)
        assert np.abs(y_arm - y_host.ravel()).max() <= 1e-5 * max(1.0, float(np.abs(y_host).max()))


@pytest.mark.slow
@pytest.mark.parametrize("model", ["lenet5", "squeezenet1_1", "mobilenetv2"])
def test_aarch64_matches_host(stl_run: Path, fixtures: FixturePaths, tmp_path: Path, model: str) -> None:
    run_both(stl_run, tzm.write(convert(fixtures.onnx(model)).model), tmp_path)


def test_aarch64_multi_io_matches_host(stl_run: Path, tmp_path: Path) -> None:
    """Two inputs and three outputs, each its own file, in the model's order."""
    run_both(stl_run, tzm.write(convert(exported("two_head_net_opset17")).model), tmp_path)


@pytest.mark.parametrize("name", ["yolo_like_opset17", "unet_like_opset13", "dbnet_like_opset17",
                                  "crnn_like_dynamo_opset18", "vit_tiny_gelu_tanh_opset20",
                                  "vit_tiny_opset13", "shufflenet_v2_like_opset17",
                                  "mobilenet_v3_like_opset13"])
def test_aarch64_runs_the_issue10_families(stl_run: Path, tmp_path: Path, name: str) -> None:
    """The new kernels (slice, resize, transposed conv, normalisation, batched matmul, GELU, ...)
    cross-built with the Cortex-A53 flags give the host's numbers."""
    run_both(stl_run, tzm.write(convert(exported(name)).model), tmp_path)


def test_stl_run_reports_a_refused_model(stl_run: Path, tmp_path: Path) -> None:
    """A corrupt file gives exit status 2 and the engine's status on stderr."""
    (tmp_path / "bad.tzm").write_bytes(b"TZMODEL\0" + bytes(200))
    (tmp_path / "in.f32").write_bytes(bytes(4))
    run = subprocess.run(["qemu-aarch64", str(stl_run), str(tmp_path / "bad.tzm"), str(tmp_path / "in.f32"),
                          str(tmp_path / "out.f32")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "STL_E_VERSION" in run.stderr
