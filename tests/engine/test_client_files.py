"""The files and blocks tzinfer-run writes, checked on the host: its C sources (client/npz.c,
npy.c, io_block.c) built natively with a small harness (client/tests/io_files.c). The .npz must
load in numpy with valid CRCs, names as given (even ones numpy.savez cannot take), and the I/O
block must follow the layout of ta/include/tzinfer_ta.h."""

from __future__ import annotations

import struct
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tzinfer import REPO_ROOT

SOURCES = [REPO_ROOT / "client" / f for f in ("tests/io_files.c", "npz.c", "npy.c", "io_block.c", "file_io.c",
                                               "diag.c")]


@pytest.fixture(scope="module")
def io_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    exe = tmp_path_factory.mktemp("client") / "io_files"
    subprocess.run(["cc", "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
                    f"-I{REPO_ROOT / 'client'}", f"-I{REPO_ROOT / 'ta' / 'include'}", *map(str, SOURCES),
                    "-o", str(exe)], check=True)
    return exe


def test_npz_npy_and_io_block(io_files: Path, tmp_path: Path) -> None:
    npz, npy, block = tmp_path / "out.npz", tmp_path / "out.npy", tmp_path / "block.bin"
    run = subprocess.run([str(io_files), str(npz), str(npy), str(block)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr

    with zipfile.ZipFile(npz) as archive:
        assert archive.testzip() is None  # every member's CRC-32 is right
    with np.load(npz, allow_pickle=False) as arrays:
        assert arrays.files == ["scores", "file", "odd name/ü"]
        assert np.array_equal(arrays["scores"], np.arange(5, dtype=np.float32).reshape(1, 5))
        assert np.array_equal(arrays["file"], np.arange(10, 16, dtype=np.float32).reshape(2, 3))
        assert arrays["odd name/ü"].shape == () and arrays["odd name/ü"] == 42
    assert np.array_equal(np.load(npy), np.arange(10, 16, dtype=np.float32).reshape(3, 1, 2))

    data = block.read_bytes()
    count, reserved = struct.unpack_from("<II", data)
    entries = [struct.unpack_from("<II", data, 8 + 8 * i) for i in range(count)]
    # The standard layout: the first tensor at the table's end rounded up to 16, each next one at
    # the previous one's end rounded up, the block ending where a next one would start.
    assert (count, reserved) == (3, 0)
    assert entries == [(32, 24), (64, 12), (80, 4)] and len(data) == 96
    assert data[56:64] == bytes(8) and data[76:80] == bytes(4)  # padding is zero
    assert np.array_equal(np.frombuffer(data, "<f4", 6, 32), np.arange(10, 16, dtype=np.float32))
