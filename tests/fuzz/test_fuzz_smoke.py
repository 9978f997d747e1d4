"""CI smoke run of the S-Tinylib fuzz harness: build it from the engine sources with clang,
libFuzzer, ASan and UBSan, then fuzz each mode for half of ~60 s from the committed seed corpus.
Any crash, leak, sanitizer report, timeout or broken engine contract fails the test; the failing
input is named so it can be kept in fuzz/regressions/."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tzinfer import tzm
from tzinfer.tasks import fuzz

SMOKE_SECONDS = 60


def _hash_matches(data: bytes) -> bool:
    return hashlib.sha256(data[tzm.HEADER_SIZE:]).digest() == data[56:88]


@pytest.mark.slow
def test_fuzz_smoke(tmp_path: Path) -> None:
    binaries = fuzz.build()
    seconds = SMOKE_SECONDS // len(fuzz.MODES)
    seeds = {p.name for p in fuzz.SEED_CORPUS.iterdir()}
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
        if mode == "fixhash":
            # The mode's point: what it keeps are mutants that pass the body hash check.
            found = [p.read_bytes() for p in corpus.iterdir() if p.name not in seeds]
            found = [d for d in found if len(d) >= tzm.HEADER_SIZE]
            assert found, "the fixhash run added no input of header size or more to its corpus"
            bad = sum(not _hash_matches(d) for d in found)
            assert bad == 0, f"{bad} of {len(found)} fixhash corpus inputs carry a wrong body hash"
