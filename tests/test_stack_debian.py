"""The private Debian archive's failure paths: vanished pins, 404s, bad checksums, missing tools.

The mirror is a local HTTP server on 127.0.0.1 and apt's answers are canned, so these run
offline; the real archive is exercised by the QEMU stack build (tests/qemu).
"""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tzinfer.stack import StackError, debian, hosttools

MADISON = (
    "   libc6 |     2.43-7 | http://deb.debian.org/debian sid/main arm64 Packages\n"
    "   libc6 | 2.41-12+deb13u5 | http://deb.debian.org/debian trixie/main arm64 Packages\n"
)
PAYLOAD = b"not really a .deb"


class CannedArchive(debian.DebianArchive):
    """A DebianArchive whose apt answers from fixed text."""

    def __init__(self, root: Path, lock_file: Path, show: str = "") -> None:
        super().__init__(root=root, lock_file=lock_file)
        self.show = show

    def _apt(self, tool: str, *args: str) -> str:
        if args[0] == "madison":
            return MADISON
        if args[0] == "show":
            return self.show
        raise AssertionError(f"unexpected apt call {tool} {args}")


@pytest.fixture()
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A local HTTP mirror serving tmp_path/www; debian.MIRROR points at it."""
    www = tmp_path / "www"
    (www / "pool").mkdir(parents=True)
    (www / "pool" / "libc6.deb").write_bytes(PAYLOAD)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(www), **kwargs)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(debian, "MIRROR", f"http://127.0.0.1:{server.server_address[1]}")
    yield www
    server.shutdown()


def show_record(filename: str, sha256: str) -> str:
    return f"Package: libc6\nVersion: 2.41-12+deb13u5\nFilename: {filename}\nSHA256: {sha256}\n\n"


def test_newest_version_of_the_suite_is_downloaded_verified_and_pinned(tmp_path: Path, mirror: Path) -> None:
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    archive = CannedArchive(tmp_path / "cache", tmp_path / "lock", show_record("pool/libc6.deb", sha))
    path = archive.deb("libc6", "trixie")
    assert path.read_bytes() == PAYLOAD
    archive.write_lock()
    assert f"bin trixie libc6 2.41-12+deb13u5 {sha}" in (tmp_path / "lock").read_text()


def test_http_404_names_the_url_and_the_fix(tmp_path: Path, mirror: Path) -> None:
    archive = CannedArchive(tmp_path / "cache", tmp_path / "lock", show_record("pool/gone.deb", "0" * 64))
    with pytest.raises(StackError, match=r"gone\.deb: HTTP 404.*--relock"):
        archive.deb("libc6", "trixie")


def test_checksum_mismatch_is_refused(tmp_path: Path, mirror: Path) -> None:
    archive = CannedArchive(tmp_path / "cache", tmp_path / "lock", show_record("pool/libc6.deb", "0" * 64))
    with pytest.raises(StackError, match="sha256 differs"):
        archive.deb("libc6", "trixie")
    assert not list((tmp_path / "cache" / "pool").glob("libc6.deb*")), "a bad download must not be kept"


def test_vanished_pinned_version_fails_when_frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = tmp_path / "lock"
    lock.write_text("bin trixie libc6 2.36-9 " + "0" * 64 + "\n")
    monkeypatch.setenv("TZINFER_DEBIAN_FROZEN", "1")
    archive = CannedArchive(tmp_path / "cache", lock)
    with pytest.raises(StackError, match=r"libc6 2\.36-9 .* is gone from trixie; run .*--relock"):
        archive.deb("libc6", "trixie")


def test_vanished_pinned_version_moves_to_the_suites_newest(tmp_path: Path, mirror: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TZINFER_DEBIAN_FROZEN", raising=False)
    lock = tmp_path / "lock"
    lock.write_text("bin trixie libc6 2.36-9 " + "0" * 64 + "\n")
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    archive = CannedArchive(tmp_path / "cache", lock, show_record("pool/libc6.deb", sha))
    assert archive.deb("libc6", "trixie").read_bytes() == PAYLOAD
    archive.write_lock()
    assert f"bin trixie libc6 2.41-12+deb13u5 {sha}" in lock.read_text()


def test_malformed_lock_line_is_reported_with_its_number(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    lock.write_text("# comment\nbin trixie libc6\n")
    with pytest.raises(StackError, match=r"lock:2: malformed pin"):
        CannedArchive(tmp_path / "cache", lock)


def test_missing_host_tool_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(StackError, match=r"`dtc-not-installed` is missing: run scripts/bootstrap"):
        hosttools.require("dtc-not-installed")
    monkeypatch.setitem(hosttools.PACKAGE_OF, "dtc-not-installed", "device-tree-compiler")
    with pytest.raises(StackError, match="apt-get install device-tree-compiler"):
        hosttools.require("dtc-not-installed")
