"""RUN_WORK's compute (ta/run_team.c) on the host: the TA module built natively against the host
engine, with the two syscalls it makes faked (ta/tests/stub/tee_internal_api.h) so that the test
controls the clock and the cancellation flag (ta/tests/run_team_host.c). The owner alone, a late
participant, three threads at once (RUN's outputs bit for bit each time), a chunk claimed and never
finished (the run stops after TZI_TEAM_STALL_MS and names the op), a cancellation, a run past its
time limit and one within it, and a whole run after all of them. tests/qemu/test_multicore.py and
test_cancel.py run the same code in the TA."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tzinfer import BUILD_DIR, REPO_ROOT

HOST_LIB = BUILD_DIR / "host" / "stinylib"
CASES = ("alone", "late", "three", "stall", "after-stall", "cancel", "timeout", "in-time", "next")


@pytest.fixture(scope="module")
def run_team_host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    subprocess.run(["make", "-s", "-C", str(REPO_ROOT / "stinylib"), "host", f"BUILD={BUILD_DIR}"],
                   check=True)
    exe = tmp_path_factory.mktemp("run_team") / "run_team_host"
    subprocess.run(["cc", "-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-pthread",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    f"-I{REPO_ROOT / 'ta' / 'tests' / 'stub'}", f"-I{REPO_ROOT / 'ta'}",
                    f"-I{REPO_ROOT / 'ta' / 'include'}", f"-I{REPO_ROOT / 'stinylib' / 'include'}",
                    str(REPO_ROOT / "ta" / "tests" / "run_team_host.c"), str(REPO_ROOT / "ta" / "run_team.c"),
                    str(REPO_ROOT / "ta" / "run_deadline.c"),
                    f"-L{HOST_LIB}", "-lstinylib", f"-Wl,-rpath,{HOST_LIB}", "-o", str(exe)], check=True)
    return exe


def test_run_team_cases(run_team_host: Path, lenet: Path) -> None:
    # A stalled run must end by the deadline, not hang: the fake clock moves 1 s per reading.
    # The harness keeps its buffers to the end: leaks of the test itself are not the TA's.
    run = subprocess.run([str(run_team_host), str(lenet)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0"})
    cases = {name: (verdict, detail) for name, verdict, detail in
             re.findall(r"^case (\S+) (ok|FAIL) ?(.*)$", run.stdout, re.M)}
    assert tuple(cases) == CASES, run.stdout + run.stderr
    failed = {name: detail for name, (verdict, detail) in cases.items() if verdict != "ok"}
    assert not failed, run.stdout + run.stderr
    assert run.returncode == 0, run.stderr
