"""Sealed model packages on the host: `tzinfer keys generate`, `tzinfer seal`, and the format the
TA decrypts (format v2: a 64-byte header, AES-256-GCM over the whole .tzm, header as AAD;
docs/sealed-format.md). The keys are made per test."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.engine.test_cli import assert_one_line_error, tzinfer
from tzinfer import native, seal, tzm
from tzinfer.fixtures import FixturePaths

KEY_ID = 7


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "model.key"
    result = tzinfer("keys", "generate", path)
    assert result.returncode == 0, result.stderr
    return path


def weight_window(plain: bytes) -> bytes:
    """16 plaintext weight bytes from the middle of the weights (a pattern to search for)."""
    offset, size = struct.unpack_from("<II", plain, 44)
    window = plain[offset + size // 2: offset + size // 2 + 16]
    assert len(set(window)) > 4  # real weights, not padding
    return window


def sealed_with(plain: Path, key: Path, tmp_path: Path, *extra: object) -> bytes:
    out = tmp_path / "lenet5.tzms"
    result = tzinfer("seal", plain, "-o", out, "--key", key, "--key-id", KEY_ID, *extra)
    assert result.returncode == 0, result.stderr
    assert f"sealed for key id {KEY_ID}" in result.stdout
    return out.read_bytes()


def test_generated_key_is_32_private_bytes_and_never_overwritten(key: Path, tmp_path: Path) -> None:
    assert len(key.read_bytes()) == 32
    assert key.stat().st_mode & 0o777 == 0o600
    other = tmp_path / "other.key"
    assert tzinfer("keys", "generate", other).returncode == 0
    assert other.read_bytes() != key.read_bytes()
    before = key.read_bytes()
    assert_one_line_error(tzinfer("keys", "generate", key), None, "exists")
    assert key.read_bytes() == before


def test_round_trip_gives_back_the_plaintext_model(lenet: Path, key: Path, tmp_path: Path,
                                                   fixtures: FixturePaths) -> None:
    data = lenet.read_bytes()
    sealed = sealed_with(lenet, key, tmp_path)
    assert len(sealed) == seal.HEADER_SIZE + len(data)
    assert seal.is_sealed(sealed) and seal.key_id_of(sealed) == KEY_ID
    assert sealed[:8] == b"TZSEALED"
    assert weight_window(data) not in sealed
    with pytest.raises(native.EngineError):
        native.load(sealed)  # the engine never takes a sealed file: only the TA decrypts
    unsealed = seal.unseal(sealed, key.read_bytes())
    assert unsealed == data
    x = np.load(fixtures.input("lenet5", "digit3"))
    assert np.array_equal(native.load(unsealed).run(x), native.load(data).run(x))


def test_every_package_gets_a_fresh_nonce(lenet: Path, key: Path, tmp_path: Path) -> None:
    first = sealed_with(lenet, key, tmp_path)
    second = sealed_with(lenet, key, tmp_path)
    assert first[28:40] != second[28:40]
    assert first[64:] != second[64:]


def test_no_digest_of_the_plaintext_is_in_the_package(lenet: Path, key: Path, tmp_path: Path) -> None:
    """Format v1 carried the .tzm header, and with it the SHA-256 of the plaintext body, in the
    clear: anyone could confirm a guessed model. v2 encrypts the whole .tzm."""
    data = lenet.read_bytes()
    sealed = sealed_with(lenet, key, tmp_path)
    body_sha256 = data[56:88]
    assert body_sha256 == hashlib.sha256(data[tzm.HEADER_SIZE:]).digest()  # the v1 leak, in the .tzm
    for secret in (body_sha256, hashlib.sha256(data).digest(), data[:tzm.HEADER_SIZE]):
        assert secret not in sealed
    # What the header holds: nothing but the layout of docs/sealed-format.md.
    magic, fmt, size, flags, key_id, version, payload = struct.unpack_from("<8sHHIIII", sealed)
    assert (magic, fmt, size, flags, key_id, version, payload) == (
        b"TZSEALED", 2, 64, 0, KEY_ID, 0, len(data))
    assert sealed[40:48] == bytes(8)


def test_model_version_and_keep_floor_are_in_the_authenticated_header(lenet: Path, key: Path,
                                                                     tmp_path: Path) -> None:
    sealed = sealed_with(lenet, key, tmp_path, "--model-version", 4242, "--keep-floor")
    header = seal.read_header(sealed)
    assert (header.model_version, header.keep_floor, header.key_id) == (4242, True, KEY_ID)
    # A package cannot be passed off as another version: the version is in the AAD.
    downgraded = bytearray(sealed)
    struct.pack_into("<I", downgraded, 20, 4241)
    with pytest.raises(ValueError, match="model authentication failed"):
        seal.unseal(bytes(downgraded), key.read_bytes())
    assert seal.unseal(sealed, key.read_bytes()) == lenet.read_bytes()


@pytest.mark.parametrize("offset", [8, 12, 16, 20, 24, 30, 50, 64, 200, -1], ids=[
    "header-format", "header-flags", "header-key_id", "header-model_version", "header-payload_size",
    "header-nonce", "header-tag", "payload-first-byte", "payload-tables", "payload-last-byte"])
def test_any_flipped_bit_is_rejected(lenet: Path, key: Path, tmp_path: Path, offset: int) -> None:
    damaged = bytearray(sealed_with(lenet, key, tmp_path))
    damaged[offset] ^= 0x01
    with pytest.raises(ValueError, match="model authentication failed|format|flags|payload|key id"):
        seal.unseal(bytes(damaged), key.read_bytes())


def test_format_v1_packages_are_refused_with_a_clear_message(lenet: Path) -> None:
    v1 = bytearray(lenet.read_bytes())
    struct.pack_into("<I", v1, 12, 1)  # the v1 ENCRYPTED flag
    assert seal.is_sealed_v1(bytes(v1)) and not seal.is_sealed(bytes(v1))
    with pytest.raises(ValueError, match="format v1.*seal the plaintext .tzm again"):
        seal.read_header(bytes(v1))


def test_wrong_key_is_rejected(lenet: Path, key: Path, tmp_path: Path) -> None:
    sealed = sealed_with(lenet, key, tmp_path)
    with pytest.raises(ValueError, match="wrong key or tampered package"):
        seal.unseal(sealed, bytes(32))


def test_seal_refuses_bad_keys_ids_and_models(lenet: Path, key: Path, tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_bytes(bytes(16))
    out = tmp_path / "x.tzms"
    assert_one_line_error(tzinfer("seal", lenet, "-o", out, "--key", short, "--key-id", 1), None,
                          "holds 16 bytes", "tzinfer keys generate")
    assert_one_line_error(tzinfer("seal", lenet, "-o", out, "--key", key, "--key-id", 0), None,
                          "key id 0 is out of range")
    assert_one_line_error(tzinfer("seal", lenet, "-o", out, "--key", key, "--key-id", 1,
                                  "--model-version", 2**32), None, "model version 4294967296 is out of range")
    assert_one_line_error(tzinfer("seal", key, "-o", out, "--key", key, "--key-id", 1))
    assert not out.exists()
