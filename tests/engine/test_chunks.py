"""A run in chunks (stinylib.h: stl_run_begin, stl_op_chunk, stl_run_end; docs/multicore.md §4.3)
gives stl_run's outputs bit for bit, on the host and on aarch64 (qemu-aarch64), for every number
of participants: `stl-run --chunks N` computes every op's chunks one after another in reverse
order, chunk 0 with the arena's scratch and the others with a second, poisoned buffer. A team of
threads (`stl-run --threads N`: stl_team_work) gives the same bytes, also under ThreadSanitizer."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

from tests.engine.test_aarch64 import KERNEL_MODELS, STL_RUN
from tests.engine.test_ops import make_model, rand, saved
from tests.exported import exported
from tzinfer import BUILD_DIR, REPO_ROOT, native, tzm
from tzinfer.convert import convert
from tzinfer.fixtures import FixturePaths

HOST_STL_RUN = BUILD_DIR / "host" / "stinylib" / "stl-run"


def _made(target: str, product: Path) -> Path:
    """`make -C stinylib target`; its product."""
    subprocess.run(["make", "-s", "-C", str(REPO_ROOT / "stinylib"), target, f"BUILD={BUILD_DIR}"],
                   check=True)
    return product


@pytest.fixture(scope="module")
def host_stl_run() -> Path:
    return _made("host-run", HOST_STL_RUN)


@pytest.fixture(scope="module")
def tsan_stl_run() -> Path:
    return _made("tsan-run", BUILD_DIR / "host" / "stinylib-tsan" / "stl-run")


@pytest.fixture(scope="module")
def arm_stl_run() -> Path:
    return _made("aarch64", STL_RUN)


def _im2col(c: int, m: int, hw: int, k: int, group: int) -> onnx.ModelProto:
    """A conv the im2col kernel runs (taps do not apply: a 13-wide plane drops too many columns)."""
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[k, k], pads=[k // 2] * 4,
                            group=group)
    return make_model([node], (1, c, hw, hw), {"w": rand(8, m, c // group, k, k), "b": rand(9, m)})


def _gemm(m: int, k: int, n: int) -> onnx.ModelProto:
    node = helper.make_node("Gemm", ["x", "w", "b"], ["g"])
    relu = helper.make_node("Relu", ["g"], ["y"])
    return make_model([node, relu], (m, k), {"w": rand(6, k, n), "b": rand(7, n)})


#: Models whose ops split, each kernel's edges: every depthwise and implicit-GEMM geometry of the
#: op tests, pointwise convs with partial strips, im2col convs with several groups and group sizes
#: that are not whole register tiles, GEMMs below and above a register tile's rows with partial
#: column tiles; and softmax, which does not split.
MODELS = {
    **KERNEL_MODELS,
    "im2col_c16_m40_13x13": (_im2col, (16, 40, 13, 3, 1)),
    "im2col_grouped_c12_m26_g2": (_im2col, (12, 26, 13, 3, 2)),
    "im2col_7x7_c3_m17": (_im2col, (3, 17, 13, 7, 1)),
    "gemm_relu_1x300x1000": (_gemm, (1, 300, 1000)),
    "gemm_relu_19x64x77": (_gemm, (19, 64, 77)),
}

EXPORTED = ["two_head_net_opset17", "yolo_like_opset17", "unet_like_opset13", "dbnet_like_opset17",
            "crnn_like_dynamo_opset18", "vit_tiny_opset13", "shufflenet_v2_like_opset17",
            "mobilenet_v3_like_opset13"]


def chunked_equals_whole(stl_run: Path, data: bytes, tmp_path: Path, participants: list[int],
                         qemu: list[str] | None = None,
                         threads: tuple[int, ...] = ()) -> list[tuple[int, int]]:
    """stl-run --chunks N (each N of participants) and --threads N (each of threads) write stl-run's
    bytes; returns (split ops, ops) for each --chunks N."""
    model = native.load(data)
    rng = np.random.default_rng(11)
    (tmp_path / "m.tzm").write_bytes(data)
    ins = [tmp_path / f"in{i}.f32" for i in range(len(model.inputs))]
    for path, d in zip(ins, model.inputs, strict=True):
        rng.standard_normal(d.shape).astype(np.float32).tofile(path)

    def run(*options: str) -> tuple[list[bytes], str]:
        outs = [tmp_path / f"out{o}.f32" for o in range(len(model.outputs))]
        done = subprocess.run([*(qemu or []), str(stl_run), *options, str(tmp_path / "m.tzm"),
                               *map(str, ins + outs)], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0 and "ThreadSanitizer" not in done.stderr, done.stderr
        return [p.read_bytes() for p in outs], done.stdout

    whole, _ = run()
    splits = []
    for n in participants:
        chunked, report = run("--chunks", str(n))
        assert chunked == whole, f"--chunks {n} differs from stl_run"
        found = re.fullmatch(r"split (\d+) of (\d+) ops\n", report)
        assert found, report
        splits.append((int(found[1]), int(found[2])))
    for n in threads:
        assert run("--threads", str(n))[0] == whole, f"--threads {n} differs from stl_run"
    return splits


def splittable(data: bytes) -> tuple[int, int]:
    """(CONV and GEMM ops, all ops): the ops that split, each into at least two chunks here."""
    ops = tzm.read(data).ops
    return sum(op.type in (tzm.OpType.CONV, tzm.OpType.GEMM) for op in ops), len(ops)


def _data(name: str) -> bytes:
    build, args = MODELS[name]
    with saved(build(*args)) as path:
        return tzm.write(convert(path).model)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_chunks_match_whole_run_on_host(host_stl_run: Path, tmp_path: Path, name: str) -> None:
    data = _data(name)
    splits = chunked_equals_whole(host_stl_run, data, tmp_path, [1, 2, 3, 4, 7], threads=(2, 3))
    split, ops = splittable(data)
    assert split > 0 or "Softmax" in name
    if name in ("pointwise_m4_k16_p1024", "pointwise_m7_k5_p49"):
        split = splits[1][0]  # 4 or 7 output channels: one unit where a register tile has more rows
    assert splits == [(0, ops)] + [(split, ops)] * 4  # one participant: one chunk per op


@pytest.mark.parametrize("name", sorted(MODELS))
def test_chunks_match_whole_run_on_aarch64(arm_stl_run: Path, tmp_path: Path, name: str) -> None:
    """The NEON kernels (the TA's) as the host's."""
    chunked_equals_whole(arm_stl_run, _data(name), tmp_path, [2, 3], qemu=["qemu-aarch64"], threads=(2,))


@pytest.mark.parametrize("model", ["lenet5", "squeezenet1_1", "mobilenetv2", "mobilenetv2_int8"])
def test_chunks_match_whole_run_on_fixtures(host_stl_run: Path, fixtures: FixturePaths, tmp_path: Path,
                                            model: str) -> None:
    """Whole models, where each op's chunks read what earlier ops' chunks wrote; the int8 model's
    QCONV and QGEMM do not split (one chunk each)."""
    data = tzm.write(convert(fixtures.onnx(model)).model)
    splits = chunked_equals_whole(host_stl_run, data, tmp_path, [2, 4], threads=(2, 4))
    split, ops = splittable(data)
    # convs with fewer output channels than a register tile's rows do not split (LeNet-5's first)
    assert splits[0] == splits[1] and splits[0][1] == ops
    assert 0 < splits[0][0] <= split or split == 0


@pytest.mark.slow
def test_chunks_match_whole_run_on_aarch64_mobilenetv2(arm_stl_run: Path, fixtures: FixturePaths,
                                                       tmp_path: Path) -> None:
    data = tzm.write(convert(fixtures.onnx("mobilenetv2")).model)
    chunked_equals_whole(arm_stl_run, data, tmp_path, [2], qemu=["qemu-aarch64"], threads=(2,))


@pytest.mark.parametrize("name", EXPORTED)
def test_chunks_match_whole_run_on_exported(host_stl_run: Path, tmp_path: Path, name: str) -> None:
    data = tzm.write(convert(exported(name)).model)
    chunked_equals_whole(host_stl_run, data, tmp_path, [2, 3], threads=(2,))


@pytest.mark.parametrize("model", ["squeezenet1_1", "mobilenetv2"])
def test_team_threads_share_nothing_unordered(tsan_stl_run: Path, fixtures: FixturePaths, tmp_path: Path,
                                              model: str) -> None:
    """ThreadSanitizer sees no data race in a team of 3 threads: every arena byte a chunk reads was
    written by a chunk of an earlier op, ordered by that op's counters (release, acquire)."""
    data = tzm.write(convert(fixtures.onnx(model)).model)
    chunked_equals_whole(tsan_stl_run, data, tmp_path, [], threads=(3,))
