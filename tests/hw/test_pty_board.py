"""The hardware path proven on a real boot: the QEMU stack with its Linux console on a pty stands
in for the board, and `invoke test-hw --board qemu` runs the target checks over the serial driver
against it, as it would over /dev/ttyUSB0 (the qemu profile: its TA directory and console).

It boots a second VM (the test-qemu session has its own), so it runs a named subset of the
checks: every kind once — device nodes, dmesg, the xtest smoke set, a model in the TA against the
host engine and ONNX Runtime (LeNet-5, its output fetched back as base64; so every check run
on LeNet-5), each malformed model, a wrong-size input, and the test TA's zeroisation audit (the
sealed model among the synced files, its key over the console). Left out: the MobileNetV2 and SqueezeNet
runs (about 30 s under emulation for the same path with more data), the hostile-request sweep
and the soak (minutes); all of them run over the same Console code in test-qemu.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pexpect
import pytest

from tzinfer import REPO_ROOT
from tzinfer.hw.target import SerialTarget, SerialTargetConfig
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.pty_vm import QemuOnPty
from tzinfer.target.console import READY_LINE

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

ARTIFACTS = REPO_ROOT / "artifacts" / "hw-pty"
SUBSET = ("tee_devices or optee_revision or xtest_smoke or lenet5 or malformed or wrong_size "
          "or audits_every_wipe")
#: Removed from the stand-in before test-hw runs: test-hw must upload it again for the checks.
TAKEN_AWAY = "/usr/share/tzinfer/inputs/lenet5/digit3.npy"
INVOKE = str(REPO_ROOT / ".venv" / "bin" / "invoke")


@pytest.fixture(scope="module")
def stand_in(qemu_stack: QemuStack) -> Iterator[QemuOnPty]:
    with QemuOnPty(qemu_stack, ARTIFACTS / "secure.log", ARTIFACTS / "qemu.log") as vm:
        yield vm


def test_test_hw_passes_on_the_qemu_console_pty(stand_in: QemuOnPty) -> None:
    boot_log = ARTIFACTS / "boot.log"
    boot_log.unlink(missing_ok=True)
    # Follow the boot from reset through the driver, then take a data file away.
    with SerialTarget(SerialTargetConfig(stand_in.port), boot_log, print) as shell:
        shell.check(f"rm {TAKEN_AWAY}")
    boot = boot_log.read_text()
    assert "Booting Trusted Firmware" in boot and READY_LINE in boot  # TF-A ... Linux, all seen

    run = subprocess.run([INVOKE, "test-hw", "--board", "qemu", "--port", stand_in.port, "-k", SUBSET,
                          "--artifacts", str(ARTIFACTS)],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "uploading 1 file(s)" in run.stdout

    suite = ET.parse(ARTIFACTS / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "0")
    names = {case.get("name") for case in suite.iter("testcase")}
    assert {"test_optee_revision_in_dmesg", "test_xtest_smoke_passes",
            "test_output_matches_host_engine_and_onnxruntime[lenet5]",
            "test_wrong_size_input_is_rejected_and_ta_stays_usable",
            "test_test_ta_audits_every_wipe"} <= names
    assert "test_clean_poweroff" not in names  # needs the VM itself: deselected on a board
    assert "tzinfer-run" in (ARTIFACTS / "serial.log").read_text()


def test_console_task_is_interactive_logs_and_holds_the_port(stand_in: QemuOnPty) -> None:
    log = ARTIFACTS / "console.log"
    log.unlink(missing_ok=True)
    term = pexpect.spawn(INVOKE, ["hw.console", "--port", stand_in.port, "--log", str(log)],
                         cwd=str(REPO_ROOT), encoding="utf-8", timeout=30)
    try:
        term.expect_exact("quit: Ctrl-]")
        term.sendline("echo tz$((40+2))console")
        term.expect_exact("tz42console")

        busy = subprocess.run([INVOKE, "test-hw", "--board", "qemu", "--port", stand_in.port,
                               "--artifacts", str(ARTIFACTS / "busy")],
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
        assert (busy.returncode, busy.stdout) == (2, "")
        assert busy.stderr == (f"error: serial port {stand_in.port} is busy: another program (screen, "
                               "minicom, picocom, `invoke hw.console`, ModemManager) has it open; close it "
                               "and retry\n")

        term.sendcontrol("]")
        term.expect(pexpect.EOF)
    finally:
        term.close(force=True)
    assert "tz42console" in log.read_text()
