"""The fuzz harness's committed inputs: every seed is a valid model (so the fuzzer starts past the
loader's checks), and every seed and every kept failing input (fuzz/regressions/) runs through
the harness without a crash, a sanitizer report or a broken engine contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from tzinfer.tasks import fuzz

SEEDS = sorted(fuzz.SEED_CORPUS.glob("*.tzm"))
REGRESSIONS = sorted(p for p in fuzz.REGRESSIONS.iterdir() if p.is_file() and p.name != "README.md")


def test_seed_corpus_is_small_and_present() -> None:
    assert len(SEEDS) >= 5, "fuzz/corpus/ lost its seeds; regenerate them with `invoke fuzz.corpus`"
    total = sum(p.stat().st_size for p in SEEDS)
    assert total < 300_000, f"fuzz/corpus/ is {total} bytes; seeds must stay tiny (fuzz/seeds.py)"


def test_seeds_load() -> None:
    stale = fuzz.stale_seeds()
    assert not stale, (f"the engine refuses seed {stale[0]}; the format or converter changed: regenerate "
                       "fuzz/corpus/ with `invoke fuzz.corpus` and commit it")


@pytest.mark.parametrize("path", SEEDS + REGRESSIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_harness_replays_cleanly(path: Path) -> None:
    binary = fuzz.build()["plain"]
    result = fuzz.replay(binary, [path])
    reports = [line for line in result.stderr.splitlines() if fuzz.REPORT_LINE.search(line)]
    assert result.returncode == 0 and not reports, f"{path} fails the harness: {' | '.join(reports[:5])}"
    assert f"Executed {path}" in result.stderr, f"libFuzzer did not run {path}: {result.stderr[-500:]}"
