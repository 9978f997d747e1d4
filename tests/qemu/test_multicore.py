"""Team runs in the TA (docs/multicore.md §4.2, §4.4, §6): `tzinfer-run --threads N` runs each
inference as RUN_PREPARE, RUN_WORK on the model session and N - 1 worker sessions at once, and
RUN_COLLECT.

On an OP-TEE without the concurrent-entries patch (0003) the RUN_WORK entries run one after
another: the first computes every chunk and the others find the run complete. The checks below
hold either way; with the patch they run with real concurrency. The zeroisation scan
(test_zeroisation.py) runs after these in the same session, so the team's buffers are in it."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.qemu.test_ta import RUN_TIMEOUT_S, SAMPLES, assert_valid_run_works
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.payload import EXPORTED_MODELS, EXPORTED_SAMPLE
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TARGET, TARGET_HOSTILE

pytestmark = pytest.mark.qemu

MODELS = ("mobilenetv2", *EXPORTED_MODELS)


def run(target: Console, model: str, threads: int, output: str | None = None,
        args: str = "") -> tzinfer_run.RunReport:
    sample = SAMPLES.get(model, EXPORTED_SAMPLE)
    cmdline = tzinfer_run.command(TARGET.model(model), TARGET.input(model, sample), labels=None,
                                  output=output, threads=threads)
    return tzinfer_run.run(target, f"{cmdline.removesuffix(' 2>&1')} {args} 2>&1", timeout=RUN_TIMEOUT_S)


@pytest.mark.parametrize("model", MODELS)
def test_two_threads_give_one_threads_outputs_bit_for_bit(target: Console, model: str) -> None:
    one = run(target, model, 1, "/tmp/tzinfer-mc1.npz")
    two = run(target, model, 2, "/tmp/tzinfer-mc2.npz")
    assert one.ok, one.output
    assert two.ok, two.output
    assert "threads" not in one.fields  # --threads 1 prints what tzinfer-run always printed
    assert two.fields["threads"] == "2"
    a = tzinfer_run.fetch_npz(target, "/tmp/tzinfer-mc1.npz")
    b = tzinfer_run.fetch_npz(target, "/tmp/tzinfer-mc2.npz")
    assert list(a) == list(b)
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name


def test_more_threads_than_worker_slots_are_refused_before_the_model_is_sent(target: Console) -> None:
    slots = QemuStack().board.memory.ta_worker_slots
    report = run(target, "lenet5", 9)
    assert report.exit_code == 1, report.output
    assert f"9 threads asked for, but the TA runs at most {slots} entries at once" in report.output
    assert "ta_worker_slots in board/<board>/memory.yaml" in report.output
    assert "model:" not in report.fields and "load ms" not in report.fields, report.output
    assert_valid_run_works(target)


def test_a_worker_session_closed_mid_run_leaves_the_run_whole(target: Console) -> None:
    """client/hostile/team_close.c: a second thread closes the worker session halfway through a
    MobileNetV2 team run; the run's output is RUN's bit for bit, the next RUN works, and UNLOAD
    leaves the session holding what it held before the load (counters and scratch freed)."""
    model = "mobilenetv2"
    cmd = shlex.join(["/" + TARGET_HOSTILE, "--team-close", TARGET.model(model),
                      TARGET.input(model, SAMPLES[model])])
    code, output = target.run(cmd + " 2>&1", timeout=RUN_TIMEOUT_S)
    assert code == 0 and "team-close: all ok" in output, output
    assert "team-close output equals RUN's: 0x00000000 ok" in output
    assert "team-close nothing held after UNLOAD: 0x00000000 ok" in output
    assert_valid_run_works(target)


_IN_USE = re.compile(r"^secure buffers: (\d+) bytes in use", re.M)


def test_a_team_session_holds_its_team_only_while_the_model_is_loaded(target: Console) -> None:
    """tzinfer-run prints the session's secure bytes with the model loaded: a team adds its
    counters and the worker's scratch to the model session's account, and closing frees them
    (the hostile check above sees 0 growth after UNLOAD)."""
    one = run(target, "lenet5", 1)
    two = run(target, "lenet5", 2)
    assert one.ok and two.ok, one.output + two.output
    held = [_IN_USE.search(r.output) for r in (one, two)]
    assert held[0] and held[1], one.output + two.output
    assert int(held[1][1]) > int(held[0][1]), one.output + two.output
