"""OP-TEE's whole xtest on a booted QEMU stack, and the comparison of two runs (our patched OS
against the same OS without our patches).

The initramfs already carries what the full suite needs: `lo` up (socket tests), the
tee-supplicant plugin from Debian's tee-supplicant package, and the in-tree TAs of the
optee_os build (pkcs11 and friends). xtest's output stays on the target (/tmp/xtest.log);
only its summary and the failing cases come back over the console.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tzinfer import BUILD_DIR
from tzinfer.stack import StackError
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.vm import boot
from tzinfer.target.console import ConsoleError

#: The build tree of the OS without our patches (the baseline); it shares nothing with build/qemu.
UNPATCHED_ROOT = BUILD_DIR / "qemu-unpatched"
TARGET_LOG = "/tmp/xtest.log"
#: The spike's full run took about 14 min under TCG on 2 shared cores.
DEFAULT_TIMEOUT_S = 60 * 60.0

#: The closing summary of optee_test's adbg runner (adbg_run.c), singular or plural.
_CASES = re.compile(r"^(\d+) test cases? of which (\d+) failed$", re.M)
_SUBTESTS = re.compile(r"^(\d+) subtests? of which (\d+) failed$", re.M)
_SKIPPED = re.compile(r"^(\d+) test cases? (?:were|was) skipped$", re.M)
_FAILED_CASE = re.compile(r"^(\S+) FAILED$", re.M)
_ABORTED = "Test suite was ABORTED"


@dataclass(frozen=True)
class XtestResult:
    """What one full xtest run reported."""

    cases: int
    cases_failed: int
    subtests: int
    subtests_failed: int
    skipped: int
    failed: frozenset[str] = field(default_factory=frozenset)

    def line(self) -> str:
        return (f"{self.cases} cases, {self.cases_failed} failed, {self.skipped} skipped; "
                f"{self.subtests} subtests, {self.subtests_failed} failed"
                + (f"; failed: {' '.join(sorted(self.failed))}" if self.failed else ""))


def parse(output: str) -> XtestResult:
    """xtest's closing summary (and the FAILED lines before it); StackError if there is none."""
    cases, subtests = _CASES.search(output), _SUBTESTS.search(output)
    if not cases or not subtests:
        raise StackError("xtest printed no summary (it crashed or was cut off): see "
                         f"{TARGET_LOG} on the target and the console log")
    if _ABORTED in output:
        raise StackError(f"xtest aborted its test suite: see {TARGET_LOG} on the target")
    skipped = _SKIPPED.search(output)
    return XtestResult(int(cases[1]), int(cases[2]), int(subtests[1]), int(subtests[2]),
                       int(skipped[1]) if skipped else 0, frozenset(_FAILED_CASE.findall(output)))


def new_failures(patched: XtestResult, baseline: XtestResult) -> frozenset[str]:
    """Cases that fail on our OS but not on the baseline."""
    return patched.failed - baseline.failed


def run_full(stack: QemuStack, logs: Path, timeout: float = DEFAULT_TIMEOUT_S) -> XtestResult:
    """Boot `stack`, run the whole xtest, power off. Console and secure logs go to `logs`."""
    logs.mkdir(parents=True, exist_ok=True)
    booted = boot(stack, logs / "console.log", logs / "secure.log")
    try:
        console = booted.console
        try:
            console.run(f"xtest >{TARGET_LOG} 2>&1", timeout=timeout)
            summary = console.check(f"grep -E ' FAILED$|of which|skipped$|ABORTED' {TARGET_LOG}",
                                    timeout=60)
        except ConsoleError as err:
            raise StackError(f"xtest on {stack.root.name}: {err}") from None
        (logs / "xtest-summary.txt").write_text(summary + "\n")
        result = parse(summary)
        booted.poweroff()
        return result
    finally:
        booted.vm.stop()
