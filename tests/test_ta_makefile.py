"""ta/Makefile refuses what must not be built: a TA signed with OP-TEE's public test key (unless
TZI_ALLOW_PUBLIC_TA_KEY=y says it is a test build), and malformed build options (ta/ta_config.h).
Checked with `make -n` against the QEMU stack's dev kit: the refusals happen before anything is
compiled, and an accepted command line gets as far as the dry run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tzinfer import REPO_ROOT
from tzinfer.stack.layout import CROSS_COMPILE, QemuStack


def make(stack: QemuStack, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-n", "-C", str(REPO_ROOT / "ta"), f"TA_DEV_KIT_DIR={stack.ta_devkit}",
                           f"CROSS_COMPILE={CROSS_COMPILE}", "TA_DATA_SIZE=0x100000", f"O={out}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def own_key(tmp_path: Path) -> Path:
    key = tmp_path / "ta-sign.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    return key


def test_public_key_is_refused_with_the_way_to_make_one(qemu_stack: QemuStack, tmp_path: Path) -> None:
    copy = tmp_path / "copy.pem"
    shutil.copy(qemu_stack.ta_devkit / "keys" / "default_ta.pem", copy)
    for args in ((), (f"TA_SIGN_KEY={copy}",)):
        done = make(qemu_stack, tmp_path / "o", *args)
        assert done.returncode != 0
        assert "refusing to sign with OP-TEE's PUBLIC test key" in done.stderr, done.stderr
        assert "openssl genrsa -out ta-sign.pem 4096" in done.stderr


def test_public_key_with_the_opt_in_and_an_own_key_are_accepted(qemu_stack: QemuStack, tmp_path: Path,
                                                                own_key: Path) -> None:
    allowed = make(qemu_stack, tmp_path / "o", "TZI_ALLOW_PUBLIC_TA_KEY=y")
    assert allowed.returncode == 0, allowed.stderr
    assert "PUBLIC test key (TZI_ALLOW_PUBLIC_TA_KEY=y)" in allowed.stderr
    own = make(qemu_stack, tmp_path / "o", f"TA_SIGN_KEY={own_key}")
    assert own.returncode == 0, own.stderr
    assert "PUBLIC" not in own.stderr


@pytest.mark.parametrize(("option", "message"), [
    ("TZI_SEALED_ONLY=yes", "give y to refuse plaintext models"),
    ("TZI_KEY_ADMIN_GID=wheel", "is not a numeric group id"),
])
def test_malformed_options_are_refused(qemu_stack: QemuStack, tmp_path: Path, own_key: Path, option: str,
                                       message: str) -> None:
    done = make(qemu_stack, tmp_path / "o", f"TA_SIGN_KEY={own_key}", option)
    assert done.returncode != 0 and message in done.stderr, done.stderr
