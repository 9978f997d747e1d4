"""The private Debian archive's failure paths: vanished pins, 404s, bad checksums, missing tools.

The mirror is a local HTTP server on 127.0.0.1 and apt's answers are canned, so these run
offline; the real archive is exercised by the QEMU stack build (tests/qemu).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tzinfer.stack import StackError, debian, hosttools

MIRROR_URL = "http://deb.debian.org/debian"
MADISON = (
    "   libc6 |     2.43-7 | http://deb.debian.org/debian sid/main arm64 Packages\n"
    "   libc6 | 2.41-12+deb13u5 | http://deb.debian.org/debian trixie/main arm64 Packages\n"
)
PAYLOAD = b"not really a .deb"


class CannedArchive(debian.DebianArchive):
    """A DebianArchive whose apt answers from fixed text."""

    def __init__(self, root: Path, lock_file: Path, show: str = "", relock: bool = False,
                 fixed: dict[tuple[str, str, str], str] | None = None, madison: str = MADISON) -> None:
        super().__init__(root=root, lock_file=lock_file, relock=relock, fixed=fixed)
        self.show = show
        self.madison = madison

    def _apt(self, tool: str, *args: str) -> str:
        if args[0] == "madison":
            return self.madison
        if args[0] == "show":
            return self.show
        raise AssertionError(f"unexpected apt call {tool} {args}")


@pytest.fixture()
def mirror(web_root: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local HTTP mirror serving web_root; debian.MIRROR points at it."""
    www, url = web_root
    (www / "pool").mkdir(parents=True)
    (www / "pool" / "libc6.deb").write_bytes(PAYLOAD)
    monkeypatch.setattr(debian, "MIRROR", url)
    return www


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


def test_a_version_the_firmware_lock_fixes_survives_relock(tmp_path: Path) -> None:
    """--relock takes each suite's newest, except what board/firmware.lock.yaml fixes."""
    old = "2.41-12+deb13u5"
    archive = CannedArchive(tmp_path / "cache", tmp_path / "lock", relock=True,
                            fixed={("bin", "libc6", "trixie"): old})
    assert archive._resolve("bin", "libc6", "trixie") == old
    assert archive._resolve("bin", "libc6", "sid") == "2.43-7"  # not fixed there: the newest


def test_relock_takes_the_newest_in_debian_version_order_not_index_order(tmp_path: Path) -> None:
    # apt-cache madison lists a source package's versions in index order; several versions of one
    # suite (sid keeps an upload until the next one migrates) need not come newest first.
    madison = "".join(f"  arm-trusted-firmware | {version} | {MIRROR_URL} sid/main Sources\n"
                      for version in ("2.12.1+dfsg-1", "2.12.16+dfsg-1", "2.12.1+dfsg-1+b1",
                                      "2.13.0~rc1-1", "2.9.0+dfsg-3"))
    archive = CannedArchive(tmp_path / "cache", tmp_path / "lock", relock=True, madison=madison)
    assert archive._versions("src", "arm-trusted-firmware", "sid") == [
        "2.13.0~rc1-1", "2.12.16+dfsg-1", "2.12.1+dfsg-1+b1", "2.12.1+dfsg-1", "2.9.0+dfsg-3"]
    assert archive._resolve("src", "arm-trusted-firmware", "sid") == "2.13.0~rc1-1"


def test_a_fixed_version_missing_from_the_suite_names_the_firmware_lock(tmp_path: Path) -> None:
    archive = CannedArchive(tmp_path / "cache", tmp_path / "lock",
                            fixed={("bin", "libc6", "trixie"): "2.36-9"})
    with pytest.raises(StackError, match=r"libc6 2\.36-9 \(board/firmware\.lock\.yaml\) is not in Debian "
                                         r"trixie \(it has 2\.41-12\+deb13u5\): lock a version"):
        archive.deb("libc6", "trixie")


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


# --- refreshing the indexes (real apt-get against a local, unsigned suite) -----------------------

PACKAGES = "Package: libc6\nVersion: 2.41-12\nArchitecture: arm64\nFilename: pool/libc6.deb\nSize: 17\n\n"
SOURCES = "Package: optee-os\nVersion: 4.10.0-2\nDirectory: pool\n\n"


def publish_suite(www: Path, suite: str) -> None:
    """An unsigned suite with one binary and one source package (apt reads it with trusted=yes)."""
    dists = www / "dists" / suite
    indexes = {"main/binary-arm64/Packages": PACKAGES, "main/source/Sources": SOURCES}
    sums = []
    for relative, text in indexes.items():
        (dists / relative).parent.mkdir(parents=True, exist_ok=True)
        (dists / relative).write_text(text)
        sums.append(f" {hashlib.sha256(text.encode()).hexdigest()} {len(text)} {relative}")
    (dists / "Release").write_text(f"Suite: {suite}\nCodename: {suite}\nArchitectures: arm64\n"
                                   "Components: main\nSHA256:\n" + "\n".join(sums) + "\n")


@pytest.fixture()
def unsigned_mirror(web_root: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    www, url = web_root
    monkeypatch.setattr(debian, "MIRROR", url)
    monkeypatch.setattr(debian, "SOURCE_OPTIONS", "trusted=yes")
    return www


def test_a_refresh_missing_one_suite_is_not_fresh(tmp_path: Path, unsigned_mirror: Path) -> None:
    publish_suite(unsigned_mirror, "trixie")  # sid is not there yet
    archive = debian.DebianArchive(root=tmp_path / "cache", lock_file=tmp_path / "lock")
    with pytest.raises(StackError, match="failed: the mirror has no suite sid: .*update SUITES"):
        archive.update()
    assert not archive.refresh_stamp.exists()
    with pytest.raises(StackError, match="no suite sid"):  # tried again, not taken as fresh
        archive.update()

    publish_suite(unsigned_mirror, "sid")
    archive.update()
    assert archive.refresh_stamp.read_text().split()[1:] == ["trixie", "sid"]
    assert archive._versions("bin", "libc6", "sid") == ["2.41-12"]
    (unsigned_mirror / "dists").rename(unsigned_mirror / "gone")
    archive.update()  # fresh for a day: no network needed


def test_a_lost_index_file_invalidates_the_refresh(tmp_path: Path, unsigned_mirror: Path) -> None:
    for suite in debian.SUITES:
        publish_suite(unsigned_mirror, suite)
    archive = debian.DebianArchive(root=tmp_path / "cache", lock_file=tmp_path / "lock")
    archive.update()
    for index in (tmp_path / "cache" / "lists").glob("*_dists_sid_main_source_Sources*"):
        index.unlink()
    assert archive._refreshed_at() is None


@pytest.mark.parametrize(("apt_output", "cause"), [
    ("Err:1 http://deb.debian.org/debian sid InRelease\n  Temporary failure resolving 'deb.debian.org'",
     "no network"),
    ("E: Release file for http://deb.debian.org/debian/dists/sid/InRelease is expired (invalid since 2d)",
     "expired or not yet valid: check this machine's clock"),
    ("Err:2 http://deb.debian.org/debian sid InRelease\n  The following signatures couldn't be verified "
     "because the public key is not available: NO_PUBKEY 762F67A0B2C39DE4", "debian-archive-keyring"),
    ("Err:3 http://deb.debian.org/debian forky Release\n  404  Not Found [IP: 1.2.3.4 80]",
     "the mirror has no suite sid"),
])
def test_refresh_failures_name_cause_and_fix(apt_output: str, cause: str) -> None:
    assert cause in debian.diagnose(apt_output, ["sid"])
    assert debian.refresh_failures("Err:1 http://deb.debian.org/debian sid InRelease\n") == ["sid"]
