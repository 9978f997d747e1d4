"""The fuzz harness's committed inputs: every seed is a valid model (so the fuzzer starts past the
loader's checks), and every seed and every kept failing input (fuzz/regressions/) runs through
the harness without a crash, a sanitizer report or a broken engine contract."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tzinfer import tzm
from tzinfer.tasks import fuzz

SEEDS = sorted(fuzz.SEED_CORPUS.glob("*.tzm"))
REGRESSIONS = sorted(p for p in fuzz.REGRESSIONS.iterdir() if p.is_file() and p.name != "README.md")


def test_seed_corpus_is_small_and_present() -> None:
    assert len(SEEDS) >= 5, "fuzz/corpus/ lost its seeds; regenerate them with `invoke fuzz-corpus`"
    total = sum(p.stat().st_size for p in SEEDS)
    assert total < 300_000, f"fuzz/corpus/ is {total} bytes; seeds must stay tiny (fuzz/seeds.py)"


def test_seed_windows_vary_their_geometry() -> None:
    """The seeds start the fuzzer from conv and pool windows of every shape the kernels treat
    apart: strides and dilations that differ per axis, 1xK and Kx1 kernels, pads larger than the
    kernel, grouped and depthwise convs that are strided and dilated (iattr layout:
    docs/model-format.md)."""
    convs, pools = [], []
    for path in SEEDS:
        model = tzm.read(path.read_bytes())
        for op in model.ops:
            channels = model.tensors[op.inputs[0]].dims[1]
            if op.type == tzm.OpType.CONV:
                convs.append((*op.iattr[:11], channels))
            elif op.type in (tzm.OpType.MAXPOOL, tzm.OpType.AVGPOOL):
                pools.append(tuple(op.iattr[:8]))
    kinds = {
        "conv stride_h != stride_w": any(c[2] != c[3] for c in convs),
        "conv dilation_h != dilation_w": any(c[9] != c[10] for c in convs),
        "conv 1xK": any(c[0] == 1 < c[1] for c in convs),
        "conv Kx1": any(c[1] == 1 < c[0] for c in convs),
        "conv pad > kernel": any(max(c[4], c[6]) > c[0] or max(c[5], c[7]) > c[1] for c in convs),
        "grouped conv, strided and dilated": any(1 < c[8] < c[11] and max(c[2], c[3]) > 1
                                                and max(c[9], c[10]) > 1 for c in convs),
        "depthwise conv, strided": any(c[8] == c[11] > 1 and max(c[2], c[3]) > 1 for c in convs),
        "depthwise conv, dilated": any(c[8] == c[11] > 1 and max(c[9], c[10]) > 1 for c in convs),
        "pool stride_h != stride_w": any(p[2] != p[3] for p in pools),
        "pool Kx1 or 1xK": any(p[0] != p[1] and min(p[0], p[1]) == 1 for p in pools),
        "pool padded": any(any(p[4:8]) for p in pools),
    }
    missing = [kind for kind, present in kinds.items() if not present]
    assert not missing, (f"no seed has {', '.join(missing)}: add one to fuzz/seeds.py and run "
                         "`invoke fuzz-corpus`")


def test_seeds_load() -> None:
    stale = fuzz.stale_seeds()
    assert not stale, (f"the engine refuses seed {stale[0]}; the format or converter changed: regenerate "
                       "fuzz/corpus/ with `invoke fuzz-corpus` and commit it")


@pytest.mark.parametrize("path", SEEDS + REGRESSIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_harness_replays_cleanly(path: Path) -> None:
    binary = fuzz.build()["plain"]
    result = fuzz.replay(binary, [path])
    reports = [line for line in result.stderr.splitlines() if fuzz.REPORT_LINE.search(line)]
    assert result.returncode == 0 and not reports, f"{path} fails the harness: {' | '.join(reports[:5])}"
    assert f"Executed {path}" in result.stderr, f"libFuzzer did not run {path}: {result.stderr[-500:]}"


def test_each_op_sees_only_its_own_operands() -> None:
    """The harness's op hook leaves exactly the current op's inputs, output and scratch
    addressable (and, after the last op, the output): every other tensor's bytes are poisoned,
    so a kernel that reads or writes another live tensor is an ASan report. Checked byte by byte
    on every seed, for every op (fuzz/fuzz_tzm.c, FUZZ_POISON_SELFTEST)."""

    fuzz.build()
    result = subprocess.run([str(fuzz.POISON_CHECK), *map(str, SEEDS)], capture_output=True, text=True,
                            timeout=600)
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(SEEDS), result.stdout + result.stderr
    clean = all(line.endswith(" 0 bytes exposed or hidden wrongly") for line in lines)
    assert result.returncode == 0 and clean, result.stdout + result.stderr
