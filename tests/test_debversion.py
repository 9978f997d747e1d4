"""Debian version order (tzinfer.stack.debversion) on the cases that plain string or index order
gets wrong, and against dpkg itself where the host has it."""

from __future__ import annotations

import itertools
import shutil
import subprocess

import pytest

from tzinfer.stack.debversion import compare, newest_first, split

#: Each strictly older than the next.
ASCENDING = [
    "1.0~~", "1.0~~a", "1.0~", "1.0~rc1", "1.0", "1.0-0.1", "1.0-1", "1.0-1+b1", "1.0-1.2", "1.0a",
    "1.0+dfsg", "1.1", "1.01.1", "2.9.0+dfsg-3", "2.12.1", "2.12.1+dfsg-1~bpo13+1", "2.12.1+dfsg-1",
    "2.12.1+dfsg-1+deb13u1", "2.12.16+dfsg-1", "10.0", "1:0.9", "1:1.0~rc1", "2:0.1",
]


@pytest.mark.parametrize(("older", "newer"), list(itertools.pairwise(ASCENDING)))
def test_order(older: str, newer: str) -> None:
    assert compare(older, newer) < 0 < compare(newer, older)


@pytest.mark.parametrize(("a", "b"), [("1.0", "1.00"), ("1.0", "0:1.0"), ("2.01-1", "2.1-1"),
                                      ("1.0-0", "1.0")])
def test_equal(a: str, b: str) -> None:
    assert compare(a, b) == 0


def test_newest_first() -> None:
    assert newest_first(["2.12.1+dfsg-1", "2.12.16+dfsg-1", "1:0.1", "2.12.1"]) == [
        "1:0.1", "2.12.16+dfsg-1", "2.12.1+dfsg-1", "2.12.1"]


def test_parts() -> None:
    assert split("1:2.12.1+dfsg-1-2") == (1, "2.12.1+dfsg-1", "2")
    assert split("2.12.1") == (0, "2.12.1", "")


@pytest.mark.parametrize("bad", ["", "a:1.0", "1:", "1.0-", "-1"])
def test_malformed(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a Debian version"):
        split(bad)


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="no dpkg on this host to compare with")
def test_agrees_with_dpkg() -> None:
    shuffled = ASCENDING[::3] + ASCENDING[1::3] + ASCENDING[2::3]
    for a, b in itertools.combinations(shuffled, 2):
        relation = {-1: "lt", 0: "eq", 1: "gt"}[(compare(a, b) > 0) - (compare(a, b) < 0)]
        dpkg = subprocess.run(["dpkg", "--compare-versions", a, relation, b])
        assert dpkg.returncode == 0, f"dpkg disagrees: {a} {relation} {b}"
