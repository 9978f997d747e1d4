"""Checking attested results on the host (`tzinfer verify`, tzinfer/attest.py) against reports
laid out as the TA's ATTEST writes them (ta/include/tzinfer_ta.h) and signed with a P-256 key
made per test. tests/qemu/test_attestation.py checks reports the real TA signed."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.engine.test_cli import assert_one_line_error, tzinfer
from tzinfer import attest

MODEL = b"a model file, as uploaded" * 100
INPUT = np.arange(12, dtype=np.float32).reshape(1, 3, 2, 2)
OUTPUTS = [np.linspace(-1, 1, 10, dtype=np.float32), np.arange(3, dtype=np.float32)]


def signed_report(key: ec.EllipticCurvePrivateKey, nonce: bytes, key_id: int = 7, version: int = 3) -> bytes:
    """A report as the TA builds it: fields, then ECDSA P-256 over SHA-256 of bytes 0 … 151 as r ‖ s."""
    body = struct.pack("<8sIIII", b"TZATTEST", 1, key_id, version, 0) + hashlib.sha256(MODEL).digest() \
        + attest.tensors_sha256([INPUT]) + attest.tensors_sha256(OUTPUTS) + nonce
    assert len(body) == attest.SIGNED_BYTES
    r, s = decode_dss_signature(key.sign(body, ec.ECDSA(hashes.SHA256())))
    return body + r.to_bytes(32, "big") + s.to_bytes(32, "big")


@pytest.fixture
def device() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def sec1(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)


def test_a_report_of_the_device_verifies_with_everything_checked(device: ec.EllipticCurvePrivateKey) -> None:
    nonce = attest.new_nonce()
    report = attest.verify(signed_report(device, nonce), attest.load_device_key(sec1(device)), nonce,
                           model=MODEL, inputs=[INPUT], outputs=OUTPUTS)
    assert (report.key_id, report.model_version, report.sealed) == (7, 3, True)
    assert len(sec1(device)) == attest.DEVICE_KEY_BYTES


@pytest.mark.parametrize("offset", [0, 8, 12, 16, 24, 56, 88, 120, 152, 215])
def test_any_changed_byte_fails(device: ec.EllipticCurvePrivateKey, offset: int) -> None:
    nonce = attest.new_nonce()
    damaged = bytearray(signed_report(device, nonce))
    damaged[offset] ^= 0x01
    with pytest.raises(attest.AttestationError):
        attest.verify(bytes(damaged), attest.load_device_key(sec1(device)), nonce)


def test_another_device_nonce_model_input_or_output_fails(device: ec.EllipticCurvePrivateKey) -> None:
    nonce = attest.new_nonce()
    data = signed_report(device, nonce)
    key = attest.load_device_key(sec1(device))
    other = attest.load_device_key(sec1(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(attest.AttestationError, match="signature does not verify"):
        attest.verify(data, other, nonce)
    with pytest.raises(attest.AttestationError, match="another nonce"):
        attest.verify(data, key, attest.new_nonce())
    with pytest.raises(attest.AttestationError, match="model file's bytes do not match"):
        attest.verify(data, key, nonce, model=MODEL + b"x")
    with pytest.raises(attest.AttestationError, match="inputs do not match"):
        attest.verify(data, key, nonce, inputs=[INPUT + 1])
    with pytest.raises(attest.AttestationError, match="outputs do not match"):
        attest.verify(data, key, nonce, outputs=OUTPUTS[::-1])


def test_cli_verify_and_nonce(device: ec.EllipticCurvePrivateKey, tmp_path: Path) -> None:
    result = tzinfer("nonce")
    assert result.returncode == 0, result.stderr
    nonce_hex = result.stdout.strip()
    assert len(bytes.fromhex(nonce_hex)) == attest.NONCE_BYTES
    names = ("report.bin", "device.pub", "model.tzms", "in.npy", "out.npz")
    paths = {name: tmp_path / name for name in names}
    paths["report.bin"].write_bytes(signed_report(device, bytes.fromhex(nonce_hex)))
    paths["device.pub"].write_bytes(sec1(device))
    paths["model.tzms"].write_bytes(MODEL)
    np.save(paths["in.npy"], INPUT)
    np.savez(paths["out.npz"], logits=OUTPUTS[0], extra=OUTPUTS[1])  # in the model's order
    args = [paths["report.bin"], "--device-key", paths["device.pub"], "--nonce", nonce_hex]
    ok = tzinfer("verify", *args, "--model", paths["model.tzms"], "--input", paths["in.npy"],
                 "--output", paths["out.npz"])
    assert ok.returncode == 0, ok.stderr
    assert "signed by the device key for this nonce" in ok.stdout
    assert "sealed package for key id 7, model version 3" in ok.stdout
    assert ok.stdout.count("matches") == 3
    np.savez(paths["out.npz"], extra=OUTPUTS[1], logits=OUTPUTS[0])  # another order: other bytes
    assert_one_line_error(tzinfer("verify", *args, "--output", paths["out.npz"]), None,
                          "outputs do not match what the TA signed")
    assert_one_line_error(tzinfer("verify", *args[:-1], "00" * 32), None, "another nonce")
    paths["device.pub"].write_bytes(b"\x04" + bytes(64))
    assert_one_line_error(tzinfer("verify", *args), None, "not a P-256 public key")
