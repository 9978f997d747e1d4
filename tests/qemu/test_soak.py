"""Soak: 1000 consecutive LeNet-5 inferences in the TA, then repeated LOAD/UNLOAD cycles, must
leave the TA's secure-buffer usage (STATS: bytes held now, and the most held at once) where one
loaded model puts it: nothing held after UNLOAD, and a peak that never grows past one model.
Every output must equal the first one bit for bit."""

from __future__ import annotations

import re
import shlex

import pytest

from tzinfer.target.console import Console
from tzinfer.target.layout import TARGET, TARGET_HOSTILE

pytestmark = pytest.mark.qemu

RUNS = 1000
CYCLES = 50
TIMEOUT_S = 1800.0
_STATS = re.compile(r"^soak stats (before|loaded|after runs|after): in_use (\d+) peak (\d+)$", re.M)
_RUNS = re.compile(r"^soak runs: (\d+) in (\d+) ms \(([\d.]+) ms each\), errors (\d+), "
                   r"outputs differing from the first (\d+)$", re.M)


def test_soak_shows_no_secure_heap_growth(target: Console, record_property: pytest.RecordProperty) -> None:
    cmd = shlex.join(["/" + TARGET_HOSTILE, "--soak", str(RUNS), "--cycles", str(CYCLES),
                      TARGET.model("lenet5"), TARGET.input("lenet5", "digit3")])
    code, output = target.run(cmd + " 2>&1", timeout=TIMEOUT_S)
    stats = {when: (int(in_use), int(peak)) for when, in_use, peak in _STATS.findall(output)}
    runs = _RUNS.search(output)
    assert runs and len(stats) == 4, f"tzinfer-hostile --soak printed no figures (exit {code}):\n{output}"
    n, total_ms, each_ms, errors, differing = runs.groups()
    record_property("soak_ms_per_inference", float(each_ms))
    print(f"\nsoak: {n} inferences in {total_ms} ms ({each_ms} ms each); stats {stats}")
    assert int(n) == RUNS and int(errors) == 0 and int(differing) == 0
    model_in_use = stats["loaded"][0]
    assert model_in_use > 0
    assert stats["after runs"] == stats["loaded"], "inferences grew the secure-buffer usage"
    assert stats["after"][0] == stats["before"][0] == 0, "secure buffers held after UNLOAD"
    assert stats["after"][1] == stats["loaded"][1] == model_in_use, "the peak grew past one model"
    assert code == 0 and "soak: ok" in output, output
