"""Attested results, checked on the host: a report the TA signed with its device key (ATTEST,
ta/include/tzinfer_ta.h; docs/security.md, "Attested results").

The report binds the SHA-256 of the model file as it was uploaded (the sealed package, or the
plain .tzm), of the inputs and of the outputs of one RUN (each the tensors' float32 bytes, one
after the other in the model's order), the sealed package's key id and model version, and the
verifier's nonce, with an ECDSA P-256 signature (SHA-256) by the device key
whose public half DEVICE_KEY exports (65-byte SEC1 point, `tzinfer-run --device-key FILE`).
"""

from __future__ import annotations

import hashlib
import secrets
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MAGIC = b"TZATTEST"
REPORT_VERSION = 1
REPORT_BYTES = 216
SIGNED_BYTES = 152
NONCE_BYTES = 32
DEVICE_KEY_BYTES = 65
#: magic, version, key_id, model_version, reserved, model, input, output, nonce, r, s
_REPORT = struct.Struct("<8sIIII32s32s32s32s32s32s")

assert _REPORT.size == REPORT_BYTES


class AttestationError(ValueError):
    """The report does not prove what it was asked to: the message names what failed."""


@dataclass(frozen=True)
class Report:
    """The fields of an attestation report."""

    key_id: int
    model_version: int
    model_sha256: bytes
    input_sha256: bytes
    output_sha256: bytes
    nonce: bytes
    signature: bytes  # r ‖ s, 32 bytes each, big-endian

    @property
    def sealed(self) -> bool:
        return self.key_id != 0


def new_nonce() -> bytes:
    """A fresh random nonce for one ATTEST."""
    return secrets.token_bytes(NONCE_BYTES)


def tensors_sha256(tensors: Sequence[np.ndarray]) -> bytes:
    """SHA-256 of tensors as the TA hashes a RUN's inputs or outputs: each one's bytes (float32,
    little-endian, C order), one after the other, in the model's order."""
    digest = hashlib.sha256()
    for tensor in tensors:
        digest.update(np.ascontiguousarray(tensor, dtype="<f4").tobytes())
    return digest.digest()


def load_tensors(paths: Sequence[Path]) -> list[np.ndarray]:
    """Tensors in the order given: each .npy one tensor, each .npz its arrays in the archive's order
    (tzinfer-run --output writes them in the model's order)."""
    tensors: list[np.ndarray] = []
    for path in paths:
        try:
            loaded = np.load(path, allow_pickle=False)
        except (ValueError, EOFError, zipfile.BadZipFile) as err:
            raise AttestationError(f"{path} is not a .npy or .npz file ({err})") from None
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                tensors += [loaded[name] for name in loaded.files]
        else:
            tensors.append(loaded)
    return tensors


def parse(data: bytes) -> Report:
    """The report in data (exactly REPORT_BYTES); AttestationError when it is not one."""
    if len(data) != REPORT_BYTES:
        raise AttestationError(f"an attestation report is {REPORT_BYTES} bytes, this is {len(data)}")
    magic, version, key_id, model_version, reserved, model, inp, out, nonce, r, s = _REPORT.unpack(data)
    if magic != MAGIC or version != REPORT_VERSION or reserved:
        raise AttestationError(f"not an attestation report of version {REPORT_VERSION} (magic {magic!r}, "
                               f"version {version})")
    return Report(key_id, model_version, model, inp, out, nonce, r + s)


def load_device_key(data: bytes) -> ec.EllipticCurvePublicKey:
    """The device's public key: the 65-byte SEC1 point DEVICE_KEY exports, or a PEM of it."""
    try:
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)
    except ValueError as err:
        raise AttestationError(f"not a P-256 public key ({err}): export it with "
                               "`tzinfer-run --device-key FILE` on the device") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise AttestationError("the device key is not an ECDSA P-256 public key")
    return key


def check_signature(data: bytes, key: ec.EllipticCurvePublicKey) -> Report:
    """The report, if the device key signed it; AttestationError otherwise."""
    report = parse(data)
    r, s = (int.from_bytes(report.signature[i:i + 32], "big") for i in (0, 32))
    try:
        key.verify(encode_dss_signature(r, s), data[:SIGNED_BYTES], ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise AttestationError("the signature does not verify with this device key: the report was "
                               "changed, or another device (or key) made it") from None
    return report


def verify(data: bytes, key: ec.EllipticCurvePublicKey, nonce: bytes, *, model: bytes | None = None,
           inputs: Sequence[np.ndarray] | None = None, outputs: Sequence[np.ndarray] | None = None) -> Report:
    """Check the signature, that the report answers `nonce`, and that it names the given model
    file, inputs and outputs (each optional; the tensors in the model's order). Returns the
    report; AttestationError names the first check that fails."""
    report = check_signature(data, key)
    if report.nonce != nonce:
        raise AttestationError("the report answers another nonce: it is a replay, or not the answer "
                               "to this request")
    expected: list[tuple[str, bytes, bytes]] = []
    if model is not None:
        expected.append(("model file's bytes", hashlib.sha256(model).digest(), report.model_sha256))
    if inputs is not None:
        expected.append(("inputs", tensors_sha256(inputs), report.input_sha256))
    if outputs is not None:
        expected.append(("outputs", tensors_sha256(outputs), report.output_sha256))
    for what, digest, signed in expected:
        if digest != signed:
            raise AttestationError(f"the {what} do not match what the TA signed (SHA-256 "
                                   f"{digest.hex()[:16]}…, signed {signed.hex()[:16]}…)")
    return report
