"""Zeroisation of model plaintext in the TA, checked from the inside and from the normal world.

From the inside: the test build of the TA (ta/include/tzinfer_ta_test.h, its own UUID, only on
test targets: the QEMU stack, or a board's test image through the Yocto recipe tzinfer-ta-test)
holds back every region it wipes and reports through WIPE_AUDIT whether they are all zero,
and whether weights, input, output or key bytes are left in its heap or below its stack frame,
after UNLOAD, session close, a rejected chunk, a failed verification and a failed decryption
(client/hostile/zeroisation.c); and, since the test build fills every new buffer with a stale
pattern, that LOAD_END leaves no buffer unzeroed (the arena); a target check, so it runs on a
board too. The product TA must
not have the command: it answers NOT_SUPPORTED, and its binary carries none of the audit code.

From the normal world: QEMU's secure carve-out (like the Pi 3's secure DRAM, with no TZASC) is
readable from Linux through /dev/mem: memscan searches OP-TEE's TA pool for 16 bytes of a
model's plaintext weights. While a model is loaded the pool holds them (the control: the scan
sees secure memory and the pattern); after the session closes or a load fails, not one copy
may be left. The
tzinfer TA is a single-instance TA that may stay alive between sessions, so these are its own
wipes (UNLOAD, close session, error paths), not OP-TEE's zeroing of freed pages.
"""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.qemu.test_confidentiality import damaged_copy, run_sealed, sealed_on_target, weight_window
from tests.qemu.test_ta import SAMPLES, labels_for
from tzinfer import keys
from tzinfer.board import Board
from tzinfer.stack.layout import CROSS_COMPILE, QemuStack
from tzinfer.stack.payload import model_file
from tzinfer.stack.sealed_models import TEST_KEY_ID, stack_key
from tzinfer.stack.vm import BootedVM
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TA_UUID, TARGET, TARGET_HOSTILE, TEST_TA_UUID

pytestmark = pytest.mark.qemu

MODEL = "lenet5"
#: Inferences of the background run: far more than the scan takes, it is killed after the scan.
REPEAT = 100000
#: Seconds the background run gets to load the model before the scan (LeNet-5 loads in < 1 s).
LOAD_WAIT_S = 5
SCAN_TIMEOUT_S = 300.0
AUDIT_TIMEOUT_S = 600.0
AUDIT_KEY = "/tmp/tzinfer-audit.key"
_AUDIT = re.compile(r"^audit (.+?): regions=(\d+) bytes=(\d+) nonzero=(\d+) dirty=(\d+) "
                    r"(\w+)_heap=(\d+) \w+_stack=(\d+) \(TEEC 0x[0-9a-f]{8}\) (ok|FAIL)$", re.M)


@pytest.fixture(scope="module")
def window() -> bytes:
    """16 bytes from the middle of the weights: far from the file's start and header."""
    return weight_window(model_file(QemuStack(), MODEL).read_bytes())


@pytest.fixture(scope="module")
def key_in_ta(target: Console) -> Iterator[None]:
    report = tzinfer_run.provision_key(target, keys.read(stack_key(QemuStack())), TEST_KEY_ID)
    assert report.ok, report.output
    yield


def matches(target: Console, vm: BootedVM, pattern: bytes) -> int:
    """How often `pattern` occurs in the TA pool, read through /dev/mem."""
    pool = vm.stack.board.memory.ta_pool
    output = target.check(f"memscan 0x{pool.base:x} 0x{pool.size:x} {pattern.hex()}",
                          timeout=SCAN_TIMEOUT_S)
    found = re.search(r"pages=(\d+) matches=(\d+)", output)
    assert found and int(found[1]) == pool.size // 4096, output
    return int(found[2])


def during_and_after(target: Console, vm: BootedVM, path: str, pattern: bytes) -> tuple[int, int]:
    """Matches while a background tzinfer-run holds `path` loaded in the TA, and after the
    client is killed (the driver closes its session: the TA must unload and wipe)."""
    cmdline = tzinfer_run.command(path, TARGET.input(MODEL, SAMPLES[MODEL]), labels=labels_for(MODEL),
                                  repeat=REPEAT)
    target.check(f"( {cmdline} ) > /tmp/tzi-bg.log & echo $! > /tmp/tzi-bg.pid; sleep {LOAD_WAIT_S}")
    try:
        during = matches(target, vm, pattern)
        # Still running: the control scanned a loaded model, not one already unloaded.
        target.check("kill -0 $(cat /tmp/tzi-bg.pid)")
    finally:
        target.run("kill $(cat /tmp/tzi-bg.pid); wait; rm -f /tmp/tzi-bg.pid /tmp/tzi-bg.log", timeout=120)
    return during, matches(target, vm, pattern)


def test_plain_model_is_wiped_after_the_session(target: Console, qemu_vm: BootedVM, window: bytes) -> None:
    during, after = during_and_after(target, qemu_vm, TARGET.model(MODEL), window)
    assert during > 0, "control: the loaded model's weights are not in the TA pool"
    assert after == 0, f"{after} copies of the weights left in the TA pool after the session"


def test_sealed_model_is_wiped_after_the_session(target: Console, qemu_vm: BootedVM, key_in_ta: None,
                                                 window: bytes) -> None:
    during, after = during_and_after(target, qemu_vm, sealed_on_target(MODEL), window)
    assert during > 0, "control: the decrypted weights are not in the TA pool"
    assert after == 0, f"{after} copies of the decrypted weights left in the TA pool"


def test_truncated_plain_model_is_wiped_after_the_failed_load(target: Console, qemu_vm: BootedVM,
                                                              window: bytes) -> None:
    plain = model_file(QemuStack(), MODEL).read_bytes()
    cut = plain.index(window) + 4096  # the window reaches the TA; the tables' end does not
    assert cut < len(plain)
    target.check(f"head -c {cut} {TARGET.model(MODEL)} > /tmp/truncated.tzm")
    report = tzinfer_run.run(target, tzinfer_run.command(
        "/tmp/truncated.tzm", TARGET.input(MODEL, SAMPLES[MODEL]), labels=labels_for(MODEL)))
    target.check("rm -f /tmp/truncated.tzm")
    assert not report.ok, report.output
    assert matches(target, qemu_vm, window) == 0


def test_tampered_sealed_model_is_wiped_after_the_failed_load(target: Console, qemu_vm: BootedVM,
                                                              key_in_ta: None, window: bytes) -> None:
    # A flipped tag byte: the TA decrypts the whole body, then the tag check fails.
    report = run_sealed(target, damaged_copy(target, 53))
    assert not report.ok, report.output
    assert matches(target, qemu_vm, window) == 0


def test_test_ta_audits_every_wipe(target: Console, target_board: Board) -> None:
    """WIPE_AUDIT after every way a model leaves the TA: released regions all zero, and no
    weights, input, output or key bytes left in the TA heap or stack; the product TA lacks it.

    A target check: on a board the test TA comes from the image's tzinfer-tests feature
    (recipe tzinfer-ta-test), the models from the host's stack overlay (provision.data_files),
    and the key, like the other sealed-model checks, over the console."""
    # The host side of the same stack build that `target` waited for: the VM's or the board's.
    stack = QemuStack()
    plain = model_file(stack, MODEL)
    key = keys.read(stack_key(stack))
    # Without the test TA every audit fails with ITEM_NOT_FOUND; say which image is missing.
    test_ta = target_board.target.ta_file(TEST_TA_UUID)
    assert target.run(f"test -f {test_ta}")[0] == 0, (
        f"the test TA {test_ta} is not on the target: flash an image with the "
        "tzinfer-tests feature (kas/test.yml, invoke build --tests)")
    target.check(f"echo {base64.b64encode(key).decode()} | base64 -d > {AUDIT_KEY}")
    code, output = target.run(
        f"/{TARGET_HOSTILE} --wipe-audit {sealed_on_target(MODEL)} --key {AUDIT_KEY} "
        f"{TARGET.model(MODEL)} {TARGET.input(MODEL, SAMPLES[MODEL])} 2>&1; rc=$?; rm -f {AUDIT_KEY}; "
        "[ $rc -eq 0 ]", timeout=AUDIT_TIMEOUT_S)
    assert code == 0, output
    assert "zeroisation audit: 0 failures, 0 TA deaths" in output, output
    assert re.search(r"^audit product TA has no WIPE_AUDIT: TEEC 0xffff000a .* ok$", output, re.M), output
    audits = {(m[1], m[6]): m for m in _AUDIT.finditer(output)}
    # The controls: the heap search sees the weights of a loaded model, plain and decrypted, and
    # the test build's stand-in for stale heap bytes in an upload not yet complete.
    assert int(audits["model loaded (control)", "weights"][7]) > 0, output
    assert int(audits["sealed model loaded (control)", "weights"][7]) > 0, output
    assert int(audits["upload half done (control)", "stale"][7]) > 0, output
    # After LOAD_END no buffer holds stale bytes: the arena (and every other one) was zeroed.
    assert audits["model loaded", "stale"][7] == "0", audits["model loaded", "stale"][0]
    # Each way out released the whole model (at least the file's bytes), all of it zero.
    size = plain.stat().st_size
    for step in ("after the first unload", "after unload", "after session close", "after the rejected chunk",
                 "after the failed verification", "after unloading the sealed model",
                 "after the failed decryption"):
        audit = audits[step, "weights"]
        assert int(audit[2]) >= 1 and int(audit[3]) >= size, audit[0]
        assert audit[4] == audit[5] == audit[7] == audit[8] == "0", audit[0]
    for step, what in (("after unload", "output"), ("at the end", "input"), ("after provisioning", "key"),
                       ("after unloading the sealed model", "key")):
        assert audits[step, what][7] == audits[step, what][8] == "0", audits[step, what][0]


def symbols(elf: Path) -> str:
    return subprocess.run([f"{CROSS_COMPILE}nm", str(elf)], capture_output=True, text=True, check=True).stdout


def test_product_ta_has_no_test_hooks(qemu_vm: BootedVM) -> None:
    """The product TA on the target has neither the audit code nor the test build's identity;
    the test TA beside it has both (the control)."""
    stack = qemu_vm.stack
    product_elf = stack.root / "ta" / f"{TA_UUID}.elf"
    test_elf = stack.root / "ta-test" / f"{TEST_TA_UUID}.elf"
    assert "wipe_audit_cmd" in symbols(test_elf)
    assert "wipe_audit" not in symbols(product_elf)
    installed = stack.board.target.ta_dir_under(stack.overlay)
    assert b"TEST BUILD" in (installed / f"{TEST_TA_UUID}.ta").read_bytes()
    assert b"TEST BUILD" not in (installed / f"{TA_UUID}.ta").read_bytes()
