"""Cancelling a RUN in the TA (cancel_watch.h, tzinfer_ta.h RUN): tzinfer-run turns a timeout
or Ctrl-C (SIGINT) into TEEC_RequestCancellation, the TA checks TEE_GetCancellationFlag between
two ops and returns TEE_ERROR_CANCEL, long before the inference would have ended; the model
stays loaded, nothing leaks, and the next request works.

The cancellations come a quarter of a MobileNetV2 inference after its start (about 10 s per
inference under QEMU TCG here), measured first, so the checks hold on a board too."""

from __future__ import annotations

import re

import pytest

from tests.qemu.test_ta import RUN_TIMEOUT_S, SAMPLES, assert_valid_run_works
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TARGET

pytestmark = pytest.mark.qemu

MODEL = "mobilenetv2"
CANCELLED = "[TEEC 0xffff0002 from TA]"  # TEE_ERROR_CANCEL


def timed(target: Console, args: str = "") -> tuple[int, str, float]:
    """tzinfer-run on MobileNetV2 with `args`, under busybox `time`: exit status, output, seconds."""
    cmdline = tzinfer_run.command(TARGET.model(MODEL), TARGET.input(MODEL, SAMPLES[MODEL]))
    code, output = target.run(f"time {cmdline.removesuffix(' 2>&1')} {args} 2>&1", timeout=RUN_TIMEOUT_S)
    real = re.search(r"real\s+(\d+)m\s*([\d.]+)s", output)
    assert real, output
    return code, output, int(real[1]) * 60 + float(real[2])


def full_run(target: Console) -> tuple[float, float]:
    """(seconds besides the inference: session, load, teardown; inference seconds) of one
    uncancelled run."""
    code, output, seconds = timed(target)
    assert code == 0, output
    inference_s = tzinfer_run.parse(code, output).number("inference ms") / 1e3
    return seconds - inference_s, inference_s


def test_a_run_past_its_timeout_is_cancelled_between_ops(
    target: Console, request: pytest.FixtureRequest
) -> None:
    overhead_s, full_s = full_run(target)
    # Known intermittent bug (issue 13, stop 22 note): a --timeout cancellation is sometimes lost
    # and the run completes (exit 0); Ctrl-C's path passes. Kept running: a fix shows as XPASS.
    request.applymarker(pytest.mark.xfail(reason="a --timeout cancellation is intermittently lost "
                                          "(open bug, docs/multicore.md §6)", strict=False))
    timeout_s = round(full_s / 4, 3)
    code, output, seconds = timed(target, f"--timeout {timeout_s:g}")
    assert code == 1, output
    assert f"ran longer than --timeout {timeout_s:g} s and was cancelled between two ops" in output, output
    assert CANCELLED in output
    # A quarter of the inference and one op more, not the whole inference.
    assert seconds < overhead_s + full_s / 2, output
    assert_valid_run_works(target)


def test_ctrl_c_cancels_the_run_and_exits_130(target: Console) -> None:
    overhead_s, full_s = full_run(target)
    cmdline = tzinfer_run.command(TARGET.model(MODEL), TARGET.input(MODEL, SAMPLES[MODEL]), repeat=5)
    target.check(f"( {cmdline} ) > /tmp/tzi-int.log & echo $! > /tmp/tzi-int.pid")
    try:
        # Past the session and the load, a quarter into the first of five inferences.
        wait_s = overhead_s + full_s / 4
        target.check(f"usleep {int(wait_s * 1e6)}; kill -INT $(pidof tzinfer-run)", timeout=60 + wait_s)
        code, output = target.run("wait $(cat /tmp/tzi-int.pid); echo rc=$?; cat /tmp/tzi-int.log",
                                  timeout=60 + full_s)
    finally:
        target.run("rm -f /tmp/tzi-int.pid /tmp/tzi-int.log")
    assert "the inference was cancelled (interrupted)" in output, output
    assert CANCELLED in output
    assert "interrupted: the TA's work was cancelled and the model unloaded" in output
    assert "rc=130" in output
    assert_valid_run_works(target)
