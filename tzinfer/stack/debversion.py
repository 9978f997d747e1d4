"""Debian version order, as dpkg compares versions (deb-version(7), dpkg's verrevcmp).

A version is [epoch:]upstream[-revision]. Epochs compare as numbers; upstream and revision
compare part by part, alternating a run of non-digits (letters before other characters, `~`
before everything, even the end) and a run of digits (as numbers). So 1.0~rc1 < 1.0 < 1.0a
< 1.0+dfsg and 2.9 < 2.12 (a string sort says otherwise). A pure function: the host needs no
dpkg and no python-debian.
"""

from __future__ import annotations

from functools import cmp_to_key


def compare(a: str, b: str) -> int:
    """Negative, zero or positive as Debian version `a` is older than, equal to or newer than `b`."""
    epoch_a, upstream_a, revision_a = split(a)
    epoch_b, upstream_b, revision_b = split(b)
    if epoch_a != epoch_b:
        return epoch_a - epoch_b
    return _compare_part(upstream_a, upstream_b) or _compare_part(revision_a, revision_b)


def newest_first(versions: list[str]) -> list[str]:
    """`versions` sorted from the newest to the oldest."""
    return sorted(versions, key=cmp_to_key(compare), reverse=True)


def split(version: str) -> tuple[int, str, str]:
    """(epoch, upstream version, Debian revision); a missing epoch is 0, a missing revision ""."""
    epoch, colon, rest = version.partition(":")
    if not colon:
        epoch, rest = "0", version
    if not epoch.isdigit() or not rest:
        raise ValueError(f"{version!r} is not a Debian version ([epoch:]upstream[-revision])")
    upstream, hyphen, revision = rest.rpartition("-")
    if hyphen and not (upstream and revision):
        raise ValueError(f"{version!r} is not a Debian version (empty upstream version or revision)")
    return int(epoch), (upstream if hyphen else revision), (revision if hyphen else "")


def _order(char: str) -> int:
    """A non-digit's weight: the end of the string 0, `~` below it, letters, then other characters."""
    if not char:
        return 0
    if char == "~":
        return -1
    return ord(char) if char.isascii() and char.isalpha() else ord(char) + 256


def _compare_part(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        # A run of non-digits, character by character (the end of a run weighs 0).
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            char_a = a[i] if i < len(a) and not a[i].isdigit() else ""
            char_b = b[j] if j < len(b) and not b[j].isdigit() else ""
            if _order(char_a) != _order(char_b):
                return _order(char_a) - _order(char_b)
            i += 1
            j += 1
        # A run of digits, as a number.
        digits_a = _digits(a, i)
        digits_b = _digits(b, j)
        i += len(digits_a)
        j += len(digits_b)
        if int(digits_a or 0) != int(digits_b or 0):
            return int(digits_a or 0) - int(digits_b or 0)
    return 0


def _digits(text: str, start: int) -> str:
    end = start
    while end < len(text) and text[end].isdigit():
        end += 1
    return text[start:end]
