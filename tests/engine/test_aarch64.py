"""The engine cross-built for aarch64 (static `stl-run`, Cortex-A53 flags) and run under qemu-aarch64
gives the same outputs as the host library on real converted models."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

from tests.engine.int8_models import CONVS, MAXPOOLS, conv_model, maxpool_concat_model, quantised
from tests.engine.test_ops import (
    DEPTHWISE_GEOMETRIES,
    TAPS_GEOMETRIES,
    depthwise_model,
    make_model,
    rand,
    saved,
    taps_model,
)
from tests.exported import exported
from tzinfer import BUILD_DIR, REPO_ROOT, bench_aarch64, native, tzm
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
@pytest.mark.parametrize("model", ["lenet5", "squeezenet1_1", "mobilenetv2", "mobilenetv2_int8"])
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


def _pointwise(c: int, m: int, hw: int) -> onnx.ModelProto:
    node = helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[1, 1])
    relu = helper.make_node("Clip", ["c", "lo", "hi"], ["y"])
    bounds = {"lo": np.array(-0.5, np.float32), "hi": np.array(0.5, np.float32)}
    return make_model([node, relu], (1, c, hw, hw), {"w": rand(4, m, c, 1, 1), "b": rand(5, m), **bounds})


def _gemm(m: int, k: int, n: int) -> onnx.ModelProto:
    node = helper.make_node("Gemm", ["x", "w", "b"], ["y"])
    return make_model([node], (m, k), {"w": rand(6, k, n), "b": rand(7, n)})


def _softmax(op: str, shape: tuple[int, ...], axis: int) -> onnx.ModelProto:
    return make_model([helper.make_node(op, ["x"], ["y"], axis=axis)], shape)


def _pool(op: str, kernel: tuple[int, int], pads: tuple[int, ...], w: int) -> onnx.ModelProto:
    node = helper.make_node(op, ["x"], ["y"], kernel_shape=kernel, strides=[2, 2], pads=pads)
    return make_model([node], (1, 3, 9, w))


#: The NEON kernels' edge cases: row counts below a tile (m % 4), partial column tiles, depths with
#: a remainder of k % 4, the depthwise and implicit-GEMM geometries of the host op tests, and
#: softmax along and across vectors.
KERNEL_MODELS = {
    **{f"depthwise{i}": (depthwise_model, g) for i, g in enumerate(DEPTHWISE_GEOMETRIES)},
    **{f"taps{i}": (taps_model, g) for i, g in enumerate(TAPS_GEOMETRIES)},
    "pointwise_m7_k5_p49": (_pointwise, (5, 7, 7)),
    "pointwise_m18_k33_p100": (_pointwise, (33, 18, 10)),
    "pointwise_m4_k16_p1024": (_pointwise, (16, 4, 32)),
    "gemm_5x37x50": (_gemm, (5, 37, 50)),
    **{f"{op}_{shape}_axis{axis}": (_softmax, (op, shape, axis)) for op in ("Softmax", "LogSoftmax")
       for shape, axis in (((2, 37, 21), 1), ((2, 37, 21), 2))},
}


#: Stride-2 pools with three window columns, whose third column NEON takes from the next vector
#: (pool.c's direct_2) until that vector's loads would leave the row, then from whole and
#: single-cell windows (rows of 27 and 55 columns: SqueezeNet's), with the first window's column in
#: the padding or not. Apart from KERNEL_MODELS, which test_chunks splits: a pool is one chunk.
POOL_MODELS = {
    **{f"{op}_3x3s2_w{w}": (_pool, (op, (3, 3), (1, 0, 0, 1), w)) for op in ("MaxPool", "AveragePool")
       for w in (27, 55, 75)},
    "MaxPool_3x3s2_w55_left_pad": (_pool, ("MaxPool", (3, 3), (0, 1, 1, 0), 55)),
    "MaxPool_2x3s2_w40": (_pool, ("MaxPool", (2, 3), (1, 0, 0, 1), 40)),
}


@pytest.mark.parametrize("name", sorted(KERNEL_MODELS | POOL_MODELS))
def test_aarch64_kernels_match_host(stl_run: Path, tmp_path: Path, name: str) -> None:
    build, args = (KERNEL_MODELS | POOL_MODELS)[name]
    with saved(build(*args)) as path:
        data = tzm.write(convert(path).model)
    run_both(stl_run, data, tmp_path)


def test_aarch64_int8_kernels_match_host(stl_run: Path, tmp_path: Path) -> None:
    """QCONV (depthwise strided, grouped dilated), QADD, QGLOBAL_AVGPOOL and QGEMM of int8 and uint8
    models built -mcpu=cortex-a53 give the host's bytes (which are ONNX Runtime's: test_int8.py)."""
    for activations in ("QUInt8", "QInt8"):
        for geometry in ("depthwise_s2", "grouped_dilated"):
            spec = CONVS[geometry]
            onnx.save(conv_model(**spec), tmp_path / "f.onnx")
            calibration = [rand(s, 1, spec["c"], spec["hw"], spec["hw"]) for s in range(2)]
            path = quantised(tmp_path / "f.onnx", tmp_path / "q.onnx", calibration, activations=activations)
            run_both(stl_run, tzm.write(convert(path).model), tmp_path)


@pytest.mark.parametrize("activations", ["QUInt8", "QInt8"])
def test_aarch64_int8_maxpool_matches_host(stl_run: Path, tmp_path: Path, activations: str) -> None:
    """The NEON MaxPool of the integers (rows of 16 bytes and more, stride-2 windows by LD2, the
    last vector overlapping) gives the host's bytes for every window of MAXPOOLS, on planes wide
    enough for its vectors (37 columns: 18 or 19 outputs of a stride-2 window, 37 of a stride-1)."""
    for pool in sorted(MAXPOOLS):
        onnx.save(maxpool_concat_model(pool, 9, 37), tmp_path / "f.onnx")
        path = quantised(tmp_path / "f.onnx", tmp_path / "q.onnx", [rand(s, 1, 4, 9, 37) for s in range(3)],
                         activations=activations)
        run_both(stl_run, tzm.write(convert(path).model), tmp_path)


def test_stl_run_reports_a_refused_model(stl_run: Path, tmp_path: Path) -> None:
    """A corrupt file gives exit status 2 and the engine's status on stderr."""
    (tmp_path / "bad.tzm").write_bytes(b"TZMODEL\0" + bytes(200))
    (tmp_path / "in.f32").write_bytes(bytes(4))
    run = subprocess.run(["qemu-aarch64", str(stl_run), str(tmp_path / "bad.tzm"), str(tmp_path / "in.f32"),
                          str(tmp_path / "out.f32")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "STL_E_VERSION" in run.stderr


def test_instruction_count_is_linear_in_runs(stl_run: Path, fixtures: FixturePaths, tmp_path: Path) -> None:
    """bench-aarch64's method: an inference executes the same instructions every time, so the counts
    for 1, 4 and 7 runs are exactly evenly spaced and (4 − 1) / 3 is one inference."""
    usage = subprocess.run(["qemu-aarch64", "-h"], capture_output=True, text=True).stdout
    if "-plugin" not in usage:  # Debian 13's qemu-user is static, and static builds have no plugins
        pytest.skip("this qemu-aarch64 has no TCG plugin support (-plugin), which bench-aarch64 needs")
    subprocess.run(["make", "-s", "-C", str(REPO_ROOT / "stinylib"), "insn-plugin", f"BUILD={BUILD_DIR}"],
                   check=True)
    data = tzm.write(convert(fixtures.onnx("lenet5")).model)
    model = tzm.read(data)
    (tmp_path / "m.tzm").write_bytes(data)
    np.zeros(model.tensors[model.inputs[0].tensor].dims, np.float32).tofile(tmp_path / "in.f32")
    files = [str(tmp_path / "m.tzm"), str(tmp_path / "in.f32"), str(tmp_path / "out.f32")]
    c1, c4, c7 = (bench_aarch64.count_main([str(stl_run), "--runs", str(n), *files]) for n in (1, 4, 7))
    assert c7 - c4 == c4 - c1 > 0
    # LeNet-5: 0.42 M multiply-accumulates; an inference is some instructions per MAC, not thousands.
    assert 0.1 < (c4 - c1) / 3 / bench_aarch64.macs(model) < 5
