"""Zeroisation of model plaintext in the TA, checked from the normal world.

QEMU's secure carve-out (like the Pi 3's secure DRAM, with no TZASC) is readable from Linux
through /dev/mem: memscan searches OP-TEE's TA pool for 16 bytes of a model's plaintext
weights. While a model is loaded the pool holds them (the control: the scan sees secure memory
and the pattern); after the session closes or a load fails, not one copy may be left. The
tzinfer TA is a single-instance TA that may stay alive between sessions, so these are its own
wipes (UNLOAD, close session, error paths), not OP-TEE's zeroing of freed pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.qemu.test_confidentiality import damaged_copy, put_key, run_sealed, sealed_on_target, weight_window
from tests.qemu.test_ta import SAMPLES, labels_for
from tzinfer import keys
from tzinfer.stack import tzinfer_run
from tzinfer.stack.console import Console
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.payload import TARGET, model_file
from tzinfer.stack.sealed_models import TEST_KEY_ID, stack_key
from tzinfer.stack.vm import BootedVM

pytestmark = pytest.mark.qemu

MODEL = "lenet5"
#: Inferences of the background run: far more than the scan takes, it is killed after the scan.
REPEAT = 100000
#: Seconds the background run gets to load the model before the scan (LeNet-5 loads in < 1 s).
LOAD_WAIT_S = 5
SCAN_TIMEOUT_S = 300.0


@pytest.fixture(scope="module")
def window() -> bytes:
    """16 bytes from the middle of the weights: far from the file's start and header."""
    return weight_window(model_file(QemuStack(), MODEL).read_bytes())


@pytest.fixture(scope="module")
def key_in_ta(target: Console) -> Iterator[None]:
    report = put_key(target, keys.read(stack_key(QemuStack())), TEST_KEY_ID)
    assert report.ok, report.output
    yield


def matches(target: Console, vm: BootedVM, pattern: bytes) -> int:
    """How often `pattern` occurs in the TA pool, read through /dev/mem."""
    pool = vm.stack.board.ta_pool
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
    report = run_sealed(target, damaged_copy(target, 105))
    assert not report.ok, report.output
    assert matches(target, qemu_vm, window) == 0
