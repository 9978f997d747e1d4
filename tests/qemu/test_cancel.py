"""Stopping a RUN in the TA, on one core and as a team run on two (tzinfer_ta.h RUN, RUN_PREPARE).

- `--timeout`: libtzinfer passes the time limit with the run (tzi_set_time_limit); the TA checks it
  by its own clock between two ops and returns TEE_ERROR_TIMEOUT. It does not depend on a
  normal-world thread being scheduled in time: one that shares a core with the thread in the TA
  can wait a second or more under QEMU (how the earlier client-side timer lost cancellations).
- Ctrl-C (SIGINT): tzinfer-run's watcher thread turns it into TEEC_RequestCancellation; the TA
  checks its cancellation flag between two ops and returns TEE_ERROR_CANCEL.

Either way the model stays loaded, nothing leaks, and the next run gives the full run's answer.
The times come from a MobileNetV2 inference measured first, so that the checks hold on a board
too."""

from __future__ import annotations

import re

import pytest

from tests.qemu.test_ta import RUN_TIMEOUT_S, SAMPLES, assert_valid_run_works
from tzinfer.stack.layout import QemuStack
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TARGET

pytestmark = pytest.mark.qemu

MODEL = "mobilenetv2"
CANCELLED = "[TEEC 0xffff0002 from TA]"  # TEE_ERROR_CANCEL
TIMED_OUT = "[TEEC 0xffff3001 from TA]"  # TEE_ERROR_TIMEOUT
THREADS = (1, 2)


def command(threads: int, repeat: int = 1) -> str:
    return tzinfer_run.command(TARGET.model(MODEL), TARGET.input(MODEL, SAMPLES[MODEL]), repeat=repeat,
                               threads=threads)


def timed(target: Console, threads: int, args: str = "") -> tuple[int, str, float]:
    """tzinfer-run on MobileNetV2 with `args`, under busybox `time`: exit status, output, seconds."""
    code, output = target.run(f"time {command(threads).removesuffix(' 2>&1')} {args} 2>&1",
                              timeout=RUN_TIMEOUT_S)
    real = re.search(r"real\s+(\d+)m\s*([\d.]+)s", output)
    assert real, output
    return code, output, int(real[1]) * 60 + float(real[2])


def full_run(target: Console, threads: int) -> tuple[float, float, int]:
    """(seconds besides the inference: session, load, teardown; inference seconds; top-1 class) of
    one run that is not stopped."""
    code, output, seconds = timed(target, threads)
    report = tzinfer_run.parse(code, output)
    assert report.ok, output
    inference_s = report.number("inference ms") / 1e3
    return seconds - inference_s, inference_s, report.top[0].class_id


def assert_next_run_gives(target: Console, threads: int, class_id: int) -> None:
    code, output, _ = timed(target, threads)
    report = tzinfer_run.parse(code, output)
    assert report.ok and report.top[0].class_id == class_id, output
    assert_valid_run_works(target)


def optee_threads() -> int:
    """CFG_NUM_THREADS of the stack's OP-TEE build: how many calls may be inside OP-TEE at once."""
    conf = (QemuStack().root / "optee" / "conf.mk").read_text()
    found = re.search(r"^CFG_NUM_THREADS=(\d+)$", conf, re.M)
    assert found, "the OP-TEE build's conf.mk has no CFG_NUM_THREADS"
    return int(found[1])


@pytest.mark.parametrize("threads", THREADS)
def test_a_run_past_its_timeout_is_stopped_by_the_ta_between_ops(target: Console, threads: int) -> None:
    overhead_s, full_s, class_id = full_run(target, threads)
    timeout_s = round(full_s / 4, 3)
    code, output, seconds = timed(target, threads, f"--timeout {timeout_s:g}")
    assert code == 1, output
    assert f"ran longer than --timeout {timeout_s:g} s and the TA stopped it between two" in output, output
    assert TIMED_OUT in output
    # A quarter of the inference and one op more, not the whole inference.
    assert seconds < overhead_s + full_s / 2, output
    assert_next_run_gives(target, threads, class_id)


@pytest.mark.parametrize("threads", THREADS)
def test_ctrl_c_cancels_the_run_and_exits_130(target: Console, threads: int) -> None:
    if threads > 1 and optee_threads() <= 2:
        # The request is itself a call into OP-TEE, which needs a free OP-TEE thread: with
        # CFG_NUM_THREADS 2 a two-participant team holds both (docs/multicore.md §6).
        pytest.xfail(f"OP-TEE has CFG_NUM_THREADS={optee_threads()}: a two-thread team holds every OP-TEE "
                     "thread, so the cancellation request waits for the run to end")
    overhead_s, full_s, class_id = full_run(target, threads)
    target.check(f"( {command(threads, repeat=5)} ) > /tmp/tzi-int.log & echo $! > /tmp/tzi-int.pid")
    try:
        # Past the session and the load, halfway into the second of five inferences: a signal
        # before the first one (a slower start than the measured run's) would find no run to
        # cancel, and a whole inference of margin on either side keeps it inside one.
        wait_s = overhead_s + full_s * 1.5
        target.check(f"usleep {int(wait_s * 1e6)}; kill -INT $(pidof tzinfer-run)", timeout=60 + wait_s)
        code, output = target.run("wait $(cat /tmp/tzi-int.pid); echo rc=$?; cat /tmp/tzi-int.log",
                                  timeout=60 + full_s)
    finally:
        target.run("rm -f /tmp/tzi-int.pid /tmp/tzi-int.log")
    assert "the inference was cancelled (interrupted)" in output, output
    assert CANCELLED in output
    assert "interrupted: the TA's work was cancelled and the model unloaded" in output
    assert "rc=130" in output
    assert_next_run_gives(target, threads, class_id)
