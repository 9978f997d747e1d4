"""Stack builds in one checkout take turns (tzinfer/stack/steprun.py: one_build_at_a_time)."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from tzinfer.stack.steprun import one_build_at_a_time

HOLD_S = 0.5


def _build(lock: Path, events: multiprocessing.Queue) -> None:
    with one_build_at_a_time(lock):
        events.put(("start", time.monotonic()))
        time.sleep(HOLD_S)
        events.put(("end", time.monotonic()))


def test_a_second_build_waits_for_the_first(tmp_path: Path) -> None:
    events: multiprocessing.Queue = multiprocessing.Queue()
    lock = tmp_path / "build.lock"
    builds = [multiprocessing.Process(target=_build, args=(lock, events)) for _ in range(2)]
    for build in builds:
        build.start()
    for build in builds:
        build.join(timeout=30)
        assert build.exitcode == 0
    order = [kind for kind, _ in sorted((events.get() for _ in range(4)), key=lambda e: e[1])]
    assert order == ["start", "end", "start", "end"]
