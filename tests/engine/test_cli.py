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

from tests.exported import exported
from tzinfer import native, tzm
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
    assert "input   0  input   float32  1x1x28x28" in out and "output  0  output  float32  1x10" in out
    assert "converted from:  ONNX file with SHA-256 " in out
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



def test_bench_per_op_times_every_op_against_ort(lenet: Path, fixtures: FixturePaths) -> None:
    """One row per op kind and shape, every engine op counted once, the convolutions matched with
    ORT's profile by their weight and output shapes."""
    result = tzinfer("bench", lenet, "--onnx", fixtures.onnx("lenet5"), "--runs", "2", "--per-op")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    rows = [line.split(None, 4) for line in lines[1:-1]]
    counts = [tuple(map(int, r[0].split("/"))) for r in rows]
    assert sum(engine for engine, _ in counts) == len(tzm.read(lenet.read_bytes()).ops)
    convs = [(c, r) for c, r in zip(counts, rows, strict=True) if r[4].startswith("CONV ")]
    assert convs and all(c[0] == c[1] > 0 and float(r[1]) > 0 and float(r[2]) > 0 for c, r in convs)
    assert lines[-1].split()[0] == "total"


def test_bench_refuses_an_onnx_the_tzm_was_not_converted_from(lenet: Path, fixtures: FixturePaths,
                                                              tmp_path: Path) -> None:
    """Another model, an edited copy of the same one, or garbage: each is not the file whose
    SHA-256 the .tzm records."""
    edited = onnx.load(fixtures.onnx("lenet5"))
    edited.graph.node[-1].name = "renamed"  # same computation, other bytes
    onnx.save(edited, tmp_path / "edited.onnx")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model")
    for other in (fixtures.onnx("squeezenet1_1"), tmp_path / "edited.onnx", garbage):
        assert_one_line_error(tzinfer("bench", lenet, "--onnx", other, "--runs", "1"), 1,
                              f"{other} is not the model {lenet} was converted from", "`tzinfer convert`")
    assert_one_line_error(tzinfer("bench", lenet, "--onnx", tmp_path / "missing.onnx"), 1, "no such file")
    unknown = tmp_path / "no_source.tzm"
    model = tzm.read(lenet.read_bytes())
    model.source_sha256 = bytes(32)
    unknown.write_bytes(tzm.write(model))
    assert_one_line_error(tzinfer("bench", unknown, "--onnx", fixtures.onnx("lenet5")), 1,
                          "records no source model")


@pytest.fixture(scope="module")
def two_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two-input, three-output torch export, converted with the command line."""
    out = tmp_path_factory.mktemp("cli") / "two_head.tzm"
    result = tzinfer("convert", exported("two_head_net_opset13"), "-o", out)
    assert result.returncode == 0, result.stderr
    assert ("inputs image 1x3x16x16, side 1x4; outputs scores 1x5, boxes 1x4x8x8, features 1x8"
            in result.stdout)
    return out


def test_run_takes_named_inputs_and_writes_every_output(two_head: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x = {"image": rng.standard_normal((1, 3, 16, 16)).astype(np.float32),
         "side": rng.standard_normal((1, 4)).astype(np.float32)}
    for name, a in x.items():
        np.save(tmp_path / f"{name}.npy", a)
    np.savez(tmp_path / "both.npz", **x)
    want = native.load(two_head.read_bytes()).run_all(x)
    for given in ([f"image={tmp_path / 'image.npy'}", f"side={tmp_path / 'side.npy'}"],
                  [f"side={tmp_path / 'side.npy'}", f"image={tmp_path / 'image.npy'}"],
                  [str(tmp_path / "both.npz")]):
        out = tmp_path / "y.npz"
        result = tzinfer("run", two_head, *[a for g in given for a in ("--input", g)], "--output", out)
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.strip().splitlines()) == 3
        with np.load(out) as y:
            assert y.files == ["scores", "boxes", "features"]
            for name in y.files:
                assert np.array_equal(y[name], want[name])
        out.unlink()
    result = tzinfer("bench", two_head, "--onnx", exported("two_head_net_opset13"), "--runs", "1")
    assert result.returncode == 0, result.stderr


def test_run_refuses_inputs_that_do_not_fit(two_head: Path, tmp_path: Path) -> None:
    image, side = tmp_path / "image.npy", tmp_path / "side.npy"
    np.save(image, np.zeros((1, 3, 16, 16), np.float32))
    np.save(side, np.zeros((1, 4), np.float32))
    out = tmp_path / "y.npz"

    def run(*inputs: str, output: Path = out) -> subprocess.CompletedProcess:
        return tzinfer("run", two_head, *[a for i in inputs for a in ("--input", i)], "--output", output)
    assert_one_line_error(run(str(image)), 1, "the model has 2 inputs (image [1, 3, 16, 16], side [1, 4])",
                          "NAME=FILE.npy")
    assert_one_line_error(run(f"image={image}"), 1, "input 'side' [1, 4] is missing", "--input side=FILE.npy")
    assert_one_line_error(run(f"image={image}", f"side={side}", f"image={image}"), 1,
                          "input 'image' is given twice")
    assert_one_line_error(run(f"image={side}", f"side={image}"), 1, "input 'image'", "has shape [1, 4]",
                          "the model takes [1, 3, 16, 16]")
    np.savez(tmp_path / "extra.npz", image=np.zeros((1, 3, 16, 16), np.float32),
             side=np.zeros((1, 4), np.float32), mask=np.zeros(3, np.float32))
    assert_one_line_error(run(str(tmp_path / "extra.npz")), 1, "the model has no input 'mask'")
    assert_one_line_error(run(f"image={image}", f"side={side}", output=tmp_path / "y.npy"), 1,
                          "the model has 3 outputs", ".npz")
    assert not out.exists() and not (tmp_path / "y.npy").exists()


def test_convert_takes_one_input_shape_per_name(tmp_path: Path) -> None:
    graph = helper.make_graph([helper.make_node("Add", ["a", "b"], ["y"])], "g",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 3]),
                               helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", "C"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), tmp_path / "two.onnx")
    result = tzinfer("convert", tmp_path / "two.onnx", "-o", tmp_path / "two.tzm", "--input-shape", "2,3",
                     "--input-shape", "b=2,3")
    assert_one_line_error(result, 1, "every --input-shape as NAME=DIMS")
    assert_one_line_error(tzinfer("convert", tmp_path / "two.onnx", "-o", tmp_path / "two.tzm",
                                  "--input-shape", "1,3"), 1, "the model has 2 inputs (a, b)", "NAME=DIMS")
    assert_one_line_error(tzinfer("convert", tmp_path / "two.onnx", "-o", tmp_path / "two.tzm"), 1,
                          "input 'b' has symbolic dims", "--input-shape b=DIMS")
    result = tzinfer("convert", tmp_path / "two.onnx", "-o", tmp_path / "two.tzm", "--input-shape", "b=2,3")
    assert result.returncode == 0, result.stderr
    assert "inputs a 1x3, b 2,3" not in result.stdout and "inputs a 1x3, b 2x3" in result.stdout
