"""The TA signing key of the QEMU stack (tzinfer.stack.signing): the user's key is checked and
passed to OP-TEE OS and the TA alike; the default key warns once, loudly; the foreign key for
the rejection test (tests/qemu/test_signing.py) is generated, not committed."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tzinfer.stack import StackError, signing


def test_no_key_means_default_key_and_a_loud_warning(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(signing.SIGN_KEY_ENV, raising=False)
    key = signing.user_key()
    assert key is None
    assert signing.make_args(key) == []
    monkeypatch.setattr(signing, "_warned", False)
    signing.warn_if_default(key)
    signing.warn_if_default(key)
    err = capsys.readouterr().err
    assert "DEFAULT TA key" in err and signing.SIGN_KEY_ENV in err and "never on a device" in err
    assert err.count("WARNING") == 1, "one block per build, not one per component"


def test_user_key_goes_to_os_and_ta(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    key = signing.foreign_key(tmp_path)  # any fresh RSA key will do
    assert key.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv(signing.SIGN_KEY_ENV, str(key))
    assert signing.user_key() == key.resolve()
    assert signing.make_args(key) == [f"TA_SIGN_KEY={key}"]
    monkeypatch.setattr(signing, "_warned", False)
    signing.warn_if_default(key)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("content", "message"), [
    (None, "is not a readable file"),
    (b"-----BEGIN PUBLIC KEY-----\n", "is not a PEM private key"),
])
def test_bad_key_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: bytes | None,
                                    message: str) -> None:
    path = tmp_path / "key.pem"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setenv(signing.SIGN_KEY_ENV, str(path))
    with pytest.raises(StackError, match=message):
        signing.user_key()


def test_foreign_key_is_generated_once(tmp_path: Path) -> None:
    first = signing.foreign_key(tmp_path).read_bytes()
    assert b"PRIVATE KEY" in first
    assert signing.foreign_key(tmp_path).read_bytes() == first
    key = serialization.load_pem_private_key(first, password=None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == signing.FOREIGN_KEY_BITS
