"""Sealed model packages on the host: `tzinfer keys generate`, `tzinfer seal`, and the format the
TA decrypts (AES-256-GCM, header as AAD, docs/model-format.md). The keys are made per test."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from tests.engine.test_cli import assert_one_line_error, tzinfer
from tzinfer import native, seal, tzm
from tzinfer.convert import convert
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


def sealed_with(plain: Path, key: Path, tmp_path: Path) -> bytes:
    out = tmp_path / "lenet5.tzms"
    result = tzinfer("seal", plain, "-o", out, "--key", key, "--key-id", KEY_ID)
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
    assert len(sealed) == len(data)
    assert seal.is_sealed(sealed) and seal.key_id_of(sealed) == KEY_ID
    assert sealed[:12] == data[:12] and sealed[16:88] == data[16:88]  # header stays readable
    assert sealed[tzm.HEADER_SIZE:] != data[tzm.HEADER_SIZE:]
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
    assert first[88:100] != second[88:100]
    assert first[128:] != second[128:]


@pytest.mark.parametrize("offset", [24, 52, 88, 116, 200, -1], ids=[
    "header-n_ops", "header-body_size", "header-nonce", "header-key_id", "body-tables", "body-last-byte"])
def test_any_flipped_bit_is_rejected(lenet: Path, key: Path, tmp_path: Path, offset: int) -> None:
    damaged = bytearray(sealed_with(lenet, key, tmp_path))
    damaged[offset] ^= 0x01
    with pytest.raises(ValueError, match="model authentication failed: wrong key or tampered package"):
        seal.unseal(bytes(damaged), key.read_bytes())


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
    assert_one_line_error(tzinfer("seal", key, "-o", out, "--key", key, "--key-id", 1))
    assert not out.exists()


def test_int8_model_seals_and_unseals(key: Path, tmp_path: Path, fixtures: FixturePaths) -> None:
    """A quantised (format 2.1) model: its version stays in the authenticated header, its int8
    weights are encrypted, and the unsealed file runs as the plaintext one does."""
    plain = tmp_path / "int8.tzm"
    plain.write_bytes(tzm.write(convert(fixtures.onnx("mobilenetv2_int8")).model))
    data = plain.read_bytes()
    sealed = sealed_with(plain, key, tmp_path)
    minor = tzm.HEADER_FIELDS["version_minor"][0]
    assert sealed[minor] == data[minor] == 1
    assert weight_window(data) not in sealed
    unsealed = seal.unseal(sealed, key.read_bytes())
    assert unsealed == data
    x = np.load(fixtures.image("chelsea"))
    assert np.array_equal(native.load(unsealed).run(x), native.load(data).run(x))
