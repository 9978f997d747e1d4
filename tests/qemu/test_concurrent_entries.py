"""OP-TEE patch 0003 (docs/multicore.md §4.1) on the real core: worker entries of a TA flagged
TA_FLAG_CONCURRENT_WORKERS run at the same time, a panic in one of them ends the others and frees
the instance, and a user TA that asks for the pseudo-TA-only TA_FLAG_CONCURRENT is refused at load.

Two threads of tzinfer-hostile (client/hostile/concurrent_entries.c), each with a session of
its own, call the test TA's TEST_RENDEZVOUS (ta/include/tzinfer_ta_test.h): each call returns
only once the other is inside the TA too. A core that serialises the entries (stock OP-TEE's
busy flag, or a worker entry admitted as exclusive) lets the second in only after the first has
timed out, and both report TEE_ERROR_BUSY.
"""

from __future__ import annotations

import re
import shlex
import time

import pytest

from tests.qemu.test_ta import classify
from tzinfer.stack.vm import BootedVM
from tzinfer.target.console import Console
from tzinfer.target.layout import TARGET_HOSTILE, TEST_CONCURRENT_TA_UUID

pytestmark = pytest.mark.qemu

#: How long each entry waits for its partner: far longer than starting two threads takes, even
#: under a loaded host's emulation, and short enough that the failure shows quickly.
WAIT_MS = 5000
TIMEOUT_S = 120.0
TEE_SUCCESS = 0
TEE_ERROR_BAD_FORMAT = 0xFFFF0005
TEE_ERROR_TARGET_DEAD = 0xFFFF3024
TEEC_ORIGIN_TEE = 3
#: What the core logs when it refuses the TA (patch 0003, ldelf_loader.c).
REFUSAL = "TA_FLAG_CONCURRENT is for pseudo TAs only"
_ENTRY = re.compile(r"^entry (\d): TEEC 0x([0-9a-f]{8}) origin (\d+) waited (\d) in (\d+) ms$", re.M)
_OPEN = re.compile(r"^open-session \S+: TEEC 0x([0-9a-f]{8}) origin (\d+)$", re.M)


def entries(target: Console, mode: str) -> tuple[int, str, list[tuple[int, int, int]]]:
    """Run the two entries of `mode` (--rendezvous, --panic-beside); (exit status, output,
    [(TEE result, waited, ms)] per entry)."""
    code, output = target.run(f"/{TARGET_HOSTILE} {mode} {WAIT_MS} 2>&1", timeout=TIMEOUT_S)
    return code, output, [(int(m[2], 16), int(m[4]), int(m[5])) for m in _ENTRY.finditer(output)]


def rendezvous(target: Console) -> tuple[int, str, list[tuple[int, int, int]]]:
    return entries(target, "--rendezvous")


def test_two_worker_entries_run_in_the_ta_at_once(target: Console) -> None:
    for _ in range(3):  # and again: each meeting leaves the meeting point free for the next
        code, output, met = rendezvous(target)
        assert len(met) == 2, output
        assert [res for res, _, _ in met] == [TEE_SUCCESS, TEE_SUCCESS], output
        assert sorted(waited for _, waited, _ in met) == [0, 1], output
        assert code == 0 and "rendezvous: ok" in output, output


def test_a_panic_in_one_worker_entry_ends_the_others_and_frees_the_instance(target: Console) -> None:
    """The second entry panics the TA while the first waits for a partner: the core tells the
    first to leave (it would otherwise wait out its WAIT_MS), both see the dead TA, and the next
    sessions get a fresh instance in which two entries meet again."""
    code, output, ended = entries(target, "--panic-beside")
    assert len(ended) == 2, output
    assert [res for res, _, _ in ended] == [TEE_ERROR_TARGET_DEAD, TEE_ERROR_TARGET_DEAD], output
    assert ended[0][2] < WAIT_MS / 2, output
    assert code == 0 and "panic beside a waiting entry: ok" in output, output
    assert rendezvous(target)[0] == 0


def test_a_user_ta_with_the_pseudo_ta_concurrent_flag_is_refused(qemu_vm: BootedVM) -> None:
    console = qemu_vm.console
    log = qemu_vm.vm.secure_log
    before = len(log.read_text(errors="replace"))
    cmd = shlex.join([f"/{TARGET_HOSTILE}", "--open-session", TEST_CONCURRENT_TA_UUID])
    code, output = console.run(cmd + " 2>&1", timeout=TIMEOUT_S)
    match = _OPEN.search(output)
    assert code == 1 and match, output
    assert (int(match[1], 16), int(match[2])) == (TEE_ERROR_BAD_FORMAT, TEEC_ORIGIN_TEE), output
    deadline = time.monotonic() + 10.0  # the secure console's file lags the call a little
    while REFUSAL not in log.read_text(errors="replace")[before:] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert REFUSAL in log.read_text(errors="replace")[before:], "OP-TEE did not say why it refused the TA"
    # The refusal costs nothing: the product TA and the flagged test TA still work.
    report = classify(console, "lenet5", "digit3")
    assert report.ok, report.output
    assert rendezvous(console)[0] == 0
