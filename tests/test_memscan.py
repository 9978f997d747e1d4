"""memscan's file search (`memscan --file`), built for the host: every match is found, at the
right offset, across page boundaries and in the short last page, and nothing else is.

The QEMU tests rely on it for "0 copies" of plaintext weights in the shared-memory trace, so a
search that misses a copy would let a leak pass.
"""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from tzinfer.stack.initramfs import MEMSCAN_SOURCE

PAGE = 4096
PATTERN = bytes(range(0x41, 0x51))
#: At the start, straddling the first and second page boundaries, right after one, at the end.
OFFSETS = [0, PAGE - 5, 2 * PAGE - 1, 2 * PAGE + 16, 3 * PAGE + 84]
SIZE = 3 * PAGE + 100


@pytest.fixture(scope="module")
def memscan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("memscan") / "memscan"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-o", str(out),
                    str(MEMSCAN_SOURCE)], check=True)
    return out


def scan(memscan: Path, path: Path, pattern: bytes) -> tuple[int, list[int]]:
    output = subprocess.run([str(memscan), "--file", str(path), pattern.hex()], capture_output=True,
                            text=True, check=True).stdout
    summary = re.search(r"size=(\d+) matches=(\d+)", output)
    assert summary and int(summary[1]) == path.stat().st_size, output
    return int(summary[2]), [int(m, 16) for m in re.findall(r"^match=(0x[0-9a-f]+)$", output, re.M)]


def test_file_search_finds_every_copy(memscan: Path, tmp_path: Path) -> None:
    # Random filler holds no byte of the pattern's range, so it makes no match of its own.
    data = bytearray(random.Random(1).choice(range(0x80, 0x100)) for _ in range(SIZE))
    for offset in OFFSETS:
        data[offset:offset + len(PATTERN)] = PATTERN
    path = tmp_path / "trace"
    path.write_bytes(data)
    assert scan(memscan, path, PATTERN) == (len(OFFSETS), OFFSETS)


def test_file_search_finds_no_copy_in_zeros(memscan: Path, tmp_path: Path) -> None:
    # A pattern that ends in zeros must not match the zeros past the file's end.
    path = tmp_path / "trace"
    path.write_bytes(bytes(PAGE + 10) + PATTERN[:4])
    assert scan(memscan, path, PATTERN[:4] + bytes(4)) == (0, [])
