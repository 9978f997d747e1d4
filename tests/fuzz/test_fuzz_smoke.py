"""CI smoke run of the S-Tinylib fuzz harness: build it from the engine sources with clang,
libFuzzer, ASan and UBSan, then fuzz each mode for half of ~60 s from the committed seed corpus.
Any crash, leak, sanitizer report, timeout or broken engine contract fails the test; the failing
input is named so it can be kept in fuzz/regressions/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tzinfer.tasks import fuzz

SMOKE_SECONDS = 60


@pytest.mark.slow
def test_fuzz_smoke(tmp_path: Path) -> None:
    binaries = fuzz.build()
    seconds = SMOKE_SECONDS // len(fuzz.MODES)
    for mode, binary in binaries.items():
        corpus = tmp_path / "corpus" / mode
        shutil.copytree(fuzz.SEED_CORPUS, corpus)  # a scratch corpus: the committed one stays as it is
        result = fuzz.run(binary, mode, seconds, corpus, tmp_path / "artifacts" / mode,
                          log=tmp_path / f"{mode}.log")
        print(result.summary())
        assert result.clean, (f"{mode}: libFuzzer found a failing input {[str(p) for p in result.failures]} "
                              f"(exit {result.returncode}): " + " | ".join(result.reports[:5]) +
                              "; keep the input in fuzz/regressions/ and fix the engine")
        # A run that never got going (broken seeds, a harness that exits early) is not a pass.
        assert result.execs > 1000 and result.cov > 0, \
            f"{mode}: the run did not get going: {result.summary()}; see {tmp_path / f'{mode}.log'}"
