"""Cancelling a RUN in the TA (cancel_watch.h, tzinfer_ta.h RUN): tzinfer-run turns a timeout
or Ctrl-C (SIGINT) into TEEC_RequestCancellation, the TA checks TEE_GetCancellationFlag between
two ops and returns TEE_ERROR_CANCEL, long before the inference would have ended; the model
stays loaded, nothing leaks, and the next request works.

MobileNetV2 takes about 10 s per inference under QEMU TCG here; the cancellations below come
after 2 s."""

from __future__ import annotations

import re

import pytest

from tests.qemu.test_ta import RUN_TIMEOUT_S, SAMPLES, assert_valid_run_works
from tzinfer.stack import tzinfer_run
from tzinfer.stack.console import Console
from tzinfer.stack.payload import TARGET

pytestmark = pytest.mark.qemu

MODEL = "mobilenetv2"
CANCELLED = "[TEEC 0xffff0002 from TA]"  # TEE_ERROR_CANCEL


def full_inference_ms(target: Console) -> float:
    cmdline = tzinfer_run.command(TARGET.model(MODEL), TARGET.input(MODEL, SAMPLES[MODEL]))
    report = tzinfer_run.run(target, cmdline, timeout=RUN_TIMEOUT_S)
    assert report.ok, report.output
    return report.number("inference ms")


def test_a_run_past_its_timeout_is_cancelled_between_ops(target: Console) -> None:
    full_ms = full_inference_ms(target)
    cmdline = tzinfer_run.command(TARGET.model(MODEL), TARGET.input(MODEL, SAMPLES[MODEL]))
    code, output = target.run(f"time {cmdline.removesuffix(' 2>&1')} --timeout 2 2>&1", timeout=RUN_TIMEOUT_S)
    assert code == 1, output
    assert "ran longer than --timeout 2 s and was cancelled between two ops" in output, output
    assert CANCELLED in output
    real = re.search(r"real\s+(\d+)m\s*([\d.]+)s", output)
    assert real, output
    # Load (about 1 s) + 2 s + at most one op: well short of load + a whole inference.
    assert int(real[1]) * 60 + float(real[2]) < 2 + full_ms / 1e3, output
    assert_valid_run_works(target)


def test_ctrl_c_cancels_the_run_and_exits_130(target: Console) -> None:
    cmdline = tzinfer_run.command(TARGET.model(MODEL), TARGET.input(MODEL, SAMPLES[MODEL]), repeat=5)
    target.check(f"( {cmdline} ) > /tmp/tzi-int.log & echo $! > /tmp/tzi-int.pid")
    try:
        # Past the load (about 1 s), inside the first of five inferences of about 10 s each.
        target.check("sleep 4; kill -INT $(pidof tzinfer-run)")
        code, output = target.run("wait $(cat /tmp/tzi-int.pid); echo rc=$?; cat /tmp/tzi-int.log",
                                  timeout=60)
    finally:
        target.run("rm -f /tmp/tzi-int.pid /tmp/tzi-int.log")
    assert "the inference was cancelled (interrupted)" in output, output
    assert CANCELLED in output
    assert "interrupted: the TA's work was cancelled and the model unloaded" in output
    assert "rc=130" in output
    assert_valid_run_works(target)
