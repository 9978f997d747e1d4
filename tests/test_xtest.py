"""Reading xtest's summary (tzinfer.stack.xtest), on text in the format of optee_test's adbg runner."""

from __future__ import annotations

import pytest

from tzinfer.stack import StackError, xtest

PATCHED = """\
regression_1006 FAILED
pkcs11_1019 FAILED
+-----------------------------------------------------
24112 subtests of which 3 failed
139 test cases of which 2 failed
0 test cases were skipped
"""
BASELINE = """\
pkcs11_1019 FAILED
+-----------------------------------------------------
24110 subtests of which 1 failed
139 test cases of which 1 failed
1 test case was skipped
"""


def test_summary_and_failed_cases_are_read() -> None:
    result = xtest.parse(PATCHED)
    assert (result.cases, result.cases_failed, result.subtests, result.subtests_failed, result.skipped) == \
        (139, 2, 24112, 3, 0)
    assert result.failed == {"regression_1006", "pkcs11_1019"}
    assert "139 cases, 2 failed" in result.line()


def test_only_cases_failing_on_the_patched_os_are_new() -> None:
    patched, baseline = xtest.parse(PATCHED), xtest.parse(BASELINE)
    assert baseline.skipped == 1
    assert xtest.new_failures(patched, baseline) == {"regression_1006"}
    assert xtest.new_failures(baseline, baseline) == frozenset()


@pytest.mark.parametrize("output", ["", "regression_1001 OK\n", "Test suite was ABORTED\n" + BASELINE])
def test_missing_or_aborted_summary_is_an_error(output: str) -> None:
    with pytest.raises(StackError, match="xtest"):
        xtest.parse(output)
