"""The `tzinfer` command-line contract, exercised through the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from tzinfer.fixtures import FixturePaths

TZINFER = Path(sys.executable).parent / "tzinfer"
BENCH_KEYS = {"engine_ms", "ort_ms", "ratio", "cpu_min", "cpu_median", "wall_min", "wall_median",
              "round_ratios", "runs", "rounds", "cpu", "vector_flags", "load_average", "peak_arena_bytes",
              "liveness_bound_bytes", "activations_sum_bytes", "weights_bytes"}


def tzinfer(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([str(TZINFER), *map(str, args)], capture_output=True, text=True, timeout=300)


def assert_one_line_error(result: subprocess.CompletedProcess, code: int | None = None,
                          *needles: str) -> None:
    """Failed (with `code` when given), one `tzinfer: error:` line on stderr naming every needle."""
    assert result.returncode != 0 if code is None else result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tzinfer: error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_convert_prints_a_summary(fixtures: FixturePaths, tmp_path: Path) -> None:
    out = tmp_path / "squeezenet.tzm"
    result = tzinfer("convert", fixtures.onnx("squeezenet1_1"), "-o", out, "--input-shape", "1,3,224,224")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and "ops" in lines[0] and "weights" in lines[0] and "arena" in lines[0]
    assert out.read_bytes()[:8] == b"TZMODEL\0"


def test_convert_checks_a_fixed_input_shape(fixtures: FixturePaths, tmp_path: Path) -> None:
    result = tzinfer("convert", fixtures.onnx("lenet5"), "-o", tmp_path / "m.tzm",
                     "--input-shape", "1,1,32,32")
    assert_one_line_error(result, None, "--input-shape")
    assert_one_line_error(tzinfer("convert", fixtures.onnx("lenet5"), "-o", tmp_path / "m.tzm",
                                  "--input-shape", "1,x"), None, "--input-shape")


def test_convert_fixes_symbolic_dims(tmp_path: Path) -> None:
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), tmp_path / "dyn.onnx")
    result = tzinfer("convert", tmp_path / "dyn.onnx", "-o", tmp_path / "d.tzm")
    assert_one_line_error(result, 1, "--input-shape")
    result = tzinfer("convert", tmp_path / "dyn.onnx", "-o", tmp_path / "d.tzm", "--input-shape", "1,3,5,7")
    assert result.returncode == 0, result.stderr
    np.save(tmp_path / "x.npy", np.full((1, 3, 5, 7), -1.0, np.float32))
    result = tzinfer("run", tmp_path / "d.tzm", "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    assert result.returncode == 0, result.stderr
    assert np.array_equal(np.load(tmp_path / "y.npy"), np.zeros((1, 3, 5, 7), np.float32))


@pytest.mark.parametrize("node, needles", [
    (helper.make_node("Elu", ["x"], ["y"], name="my_elu"), ("Elu", "my_elu")),
    (helper.make_node("LeakyRelu", ["x"], ["y"], name="leaky", slope=0.1), ("LeakyRelu", "leaky", "slope")),
])
def test_convert_unsupported_exits_2(tmp_path: Path, node: onnx.NodeProto, needles: tuple[str, ...]) -> None:
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), tmp_path / "u.onnx")
    assert_one_line_error(tzinfer("convert", tmp_path / "u.onnx", "-o", tmp_path / "u.tzm"), 2, *needles)


def test_convert_rejects_a_non_onnx_file(tmp_path: Path) -> None:
    (tmp_path / "bad.onnx").write_bytes(b"\x08\x07garbage")
    assert_one_line_error(tzinfer("convert", tmp_path / "bad.onnx", "-o", tmp_path / "b.tzm"), 1)
    result = tzinfer("convert", tmp_path / "missing.onnx", "-o", tmp_path / "b.tzm")
    assert_one_line_error(result, 1, "missing.onnx")


def test_run_matches_the_reference(lenet: Path, fixtures: FixturePaths, tmp_path: Path) -> None:
    out = tmp_path / "y.npy"
    result = tzinfer("run", lenet, "--input", fixtures.input("lenet5", "digit3"), "--output", out)
    assert result.returncode == 0, result.stderr
    y, ref = np.load(out), np.load(fixtures.reference("lenet5", "digit3"))
    assert y.dtype == np.float32 and y.shape == ref.shape
    assert np.abs(y - ref).max() <= 1e-4 * max(1.0, np.abs(ref).max())


def test_run_rejects_a_wrong_input(lenet: Path, tmp_path: Path) -> None:
    np.save(tmp_path / "wrong.npy", np.zeros((1, 1, 32, 32), np.float32))
    result = tzinfer("run", lenet, "--input", tmp_path / "wrong.npy", "--output", tmp_path / "y.npy")
    assert_one_line_error(result, 1, "shape")
    np.save(tmp_path / "f64.npy", np.zeros((1, 1, 28, 28), np.float64))
    result = tzinfer("run", lenet, "--input", tmp_path / "f64.npy", "--output", tmp_path / "y.npy")
    assert_one_line_error(result, 1, "float32")


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "magic", "empty"])
def test_run_rejects_a_damaged_model(lenet: Path, fixtures: FixturePaths, tmp_path: Path,
                                     damage: str) -> None:
    data = bytearray(lenet.read_bytes())
    if damage == "truncated":
        data = data[:len(data) // 2]
    elif damage == "corrupt":
        data[len(data) - 100] ^= 0x40  # a weight bit: only the SHA-256 can tell
    elif damage == "magic":
        data[0:8] = b"NOTAMODL"
    else:
        data = bytearray()
    bad = tmp_path / "bad.tzm"
    bad.write_bytes(bytes(data))
    digit = fixtures.input("lenet5", "digit3")
    result = tzinfer("run", bad, "--input", digit, "--output", tmp_path / "y.npy")
    assert_one_line_error(result, 1)
    assert not (tmp_path / "y.npy").exists()
    assert_one_line_error(tzinfer("inspect", bad), 1)


def test_inspect_prints_layers_and_memory_and_plots(lenet: Path, tmp_path: Path) -> None:
    png = tmp_path / "timeline.png"
    result = tzinfer("inspect", lenet, "--plot", png)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "CONV+RELU" in out and "GEMM" in out and "MAXPOOL" in out
    for label in ("peak arena:", "liveness bound:", "activations sum:", "weights:"):
        assert label in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000


def test_bench_prints_the_json_contract(lenet: Path, fixtures: FixturePaths) -> None:
    result = tzinfer("bench", lenet, "--onnx", fixtures.onnx("lenet5"), "--runs", "3", "--rounds", "2")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == BENCH_KEYS
    assert report["engine_ms"] > 0 and report["ort_ms"] > 0
    for clock in ("cpu", "wall"):
        low, mid = report[f"{clock}_min"], report[f"{clock}_median"]
        assert 0 < low["engine_ms"] <= mid["engine_ms"] and 0 < low["ort_ms"] <= mid["ort_ms"]
    assert len(report["round_ratios"]) == 2 and report["runs"] == 3
    assert report["peak_arena_bytes"] >= report["liveness_bound_bytes"] > 0
    assert report["weights_bytes"] == 246824  # LeNet-5's float initializers
    assert_one_line_error(tzinfer("bench", lenet, "--onnx", fixtures.onnx("squeezenet1_1"), "--runs", "1"), 1)
    garbage = lenet.with_name("garbage.onnx")
    garbage.write_bytes(b"not a model")
    assert_one_line_error(tzinfer("bench", lenet, "--onnx", garbage, "--runs", "1"), 1, "ONNX Runtime")
