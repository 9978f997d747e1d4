"""The fuzz harness's committed inputs: every seed is a valid model (so the fuzzer starts past the
loader's checks), and every seed and every kept failing input (fuzz/regressions/) runs through
the harness without a crash, a sanitizer report or a broken engine contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tzinfer import native
from tzinfer.tasks import fuzz

SEEDS = sorted(fuzz.SEED_CORPUS.glob("*.tzm"))
REGRESSIONS = sorted(p for p in fuzz.REGRESSIONS.iterdir() if p.is_file() and p.name != "README.md")


def test_seed_corpus_is_small_and_present() -> None:
    assert len(SEEDS) >= 5, "fuzz/corpus/ lost its seeds; regenerate them with `invoke fuzz-corpus`"
    total = sum(p.stat().st_size for p in SEEDS)
    assert total < 300_000, f"fuzz/corpus/ is {total} bytes; seeds must stay tiny (fuzz/seeds.py)"


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_seed_loads_and_runs(seed: Path) -> None:
    try:
        model = native.load(seed.read_bytes())
    except native.EngineError as e:
        pytest.fail(f"{seed.name} no longer loads ({e}); the format or converter changed: regenerate the "
                    "seeds with `invoke fuzz-corpus` and commit fuzz/corpus/")
    x = np.random.default_rng(0).standard_normal(model.input_shape).astype(np.float32)
    assert np.isfinite(model.run(x)).all(), f"{seed.name}: the seed model computes non-finite outputs"


@pytest.mark.parametrize("path", SEEDS + REGRESSIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_harness_replays_cleanly(path: Path) -> None:
    binary = fuzz.build()["plain"]
    result = fuzz.replay(binary, [path])
    reports = [line for line in result.stderr.splitlines() if "ERROR" in line or "runtime error" in line
               or "contract" in line]
    assert result.returncode == 0 and not reports, f"{path} fails the harness: {' | '.join(reports[:5])}"
    assert f"Executed {path}" in result.stderr, f"libFuzzer did not run {path}: {result.stderr[-500:]}"
