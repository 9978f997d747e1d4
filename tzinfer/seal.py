"""Sealed model packages, format v2: a whole .tzm encrypted with AES-256-GCM for the TA
(docs/sealed-format.md). The layout's numbers are read from the C side's
ta/include/tzinfer_sealed.h, their one source, and the record below is checked against them.

A package is a 64-byte header in the clear (magic, format 2, flags, key id, model version,
payload size, nonce, tag) and the GCM ciphertext of the whole plaintext .tzm. The AAD is the
header without its tag, so every header field is authenticated. Nothing outside the ciphertext
depends on the plaintext: no digest of the model can be read off the package (format v1 kept the
.tzm header, and with it the plaintext body's SHA-256, in the clear; the TA refuses v1).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tzinfer import keys, tzm
from tzinfer.sources import c_defines

SEALED_H = "ta/include/tzinfer_sealed.h"
_C = c_defines(SEALED_H)
MAGIC = str(_C["TZI_SEALED_MAGIC"]).encode()
FORMAT = int(_C["TZI_SEALED_FORMAT"])
HEADER_SIZE = int(_C["TZI_SEALED_HEADER_BYTES"])
NONCE_BYTES = int(_C["TZI_SEALED_NONCE_BYTES"])
TAG_OFF, TAG_BYTES = int(_C["TZI_SEALED_TAG_OFF"]), int(_C["TZI_SEALED_TAG_BYTES"])
#: flags bit 0: a successful load leaves the key id's minimum version where it is.
FLAG_KEEP_FLOOR = int(_C["TZI_SEALED_KEEP_FLOOR"])
MODEL_VERSION_MAX = 2**32 - 1
#: Format v1: a .tzm header with flags bit 0 set (refused by the TA since format 2).
V1_FLAGS_OFF = tzm.HEADER_FIELDS["flags"][0]

#: (field, struct code, the header's offset macro): the clear-text header in order.
_FIELDS = (("magic", "8s", None), ("format", "H", "TZI_SEALED_FORMAT_OFF"),
           ("header_size", "H", "TZI_SEALED_HEADER_SIZE_OFF"), ("flags", "I", "TZI_SEALED_FLAGS_OFF"),
           ("key_id", "I", "TZI_SEALED_KEY_ID_OFF"), ("model_version", "I", "TZI_SEALED_VERSION_OFF"),
           ("payload_size", "I", "TZI_SEALED_PAYLOAD_SIZE_OFF"),
           ("nonce", f"{NONCE_BYTES}s", "TZI_SEALED_NONCE_OFF"),
           ("reserved", f"{_C['TZI_SEALED_RESERVED_BYTES']}s", "TZI_SEALED_RESERVED_OFF"),
           ("tag", f"{TAG_BYTES}s", "TZI_SEALED_TAG_OFF"))
_HEADER = struct.Struct("<" + "".join(code for _, code, _ in _FIELDS))


def _check_layout() -> None:
    """The record packs each field at the offset tzinfer_sealed.h gives it, to its full size."""
    codes = ""
    for name, code, offset in _FIELDS:
        if offset is not None and struct.calcsize("<" + codes) != _C[offset]:
            raise RuntimeError(f"tzinfer.seal packs {name} at {struct.calcsize('<' + codes)}, "
                              f"{SEALED_H} puts it at {_C[offset]}: update _FIELDS")
        codes += code
    if _HEADER.size != HEADER_SIZE or len(MAGIC) != _C["TZI_SEALED_MAGIC_BYTES"]:
        raise RuntimeError(f"tzinfer.seal's header is {_HEADER.size} bytes, {SEALED_H} says {HEADER_SIZE}")


_check_layout()


@dataclass(frozen=True)
class Header:
    """The clear-text header of a sealed package."""

    key_id: int
    model_version: int
    keep_floor: bool
    nonce: bytes
    tag: bytes
    payload_size: int

    def pack(self, tag: bytes | None = None) -> bytes:
        flags = FLAG_KEEP_FLOOR if self.keep_floor else 0
        return _HEADER.pack(MAGIC, FORMAT, HEADER_SIZE, flags, self.key_id, self.model_version,
                            self.payload_size, self.nonce, bytes(8), self.tag if tag is None else tag)


def is_sealed(data: bytes) -> bool:
    """Does data start like a sealed package of format v2?"""
    return data[:len(MAGIC)] == MAGIC


def is_sealed_v1(data: bytes) -> bool:
    """Is data a sealed package of the retired format v1 (a .tzm header with ENCRYPTED set)?"""
    return (len(data) >= tzm.HEADER_SIZE and data[:8] == tzm.MAGIC
            and bool(struct.unpack_from("<I", data, V1_FLAGS_OFF)[0] & 1))


def check_model_version(version: int) -> int:
    """version if it is in 0 … 2^32−1, else ValueError."""
    if not 0 <= version <= MODEL_VERSION_MAX:
        raise ValueError(f"model version {version} is out of range: use 0 … {MODEL_VERSION_MAX}")
    return version


def read_header(data: bytes) -> Header:
    """The header of a sealed package, checked as the TA checks it; ValueError naming the fault."""
    if is_sealed_v1(data):
        raise ValueError("a sealed package of format v1, which the TA refuses (its header shows the "
                         "plaintext SHA-256 and it has no version): seal the plaintext .tzm again")
    if not is_sealed(data):
        raise ValueError("not a sealed package (no TZSEALED magic): seal it with `tzinfer seal`")
    if len(data) <= HEADER_SIZE:
        raise ValueError(f"sealed package shorter than its {HEADER_SIZE}-byte header and a payload")
    magic, fmt, header_size, flags, key_id, version, payload, nonce, reserved, tag = _HEADER.unpack_from(data)
    if fmt != FORMAT or header_size != HEADER_SIZE:
        raise ValueError(f"sealed package of format {fmt} (header {header_size} bytes): this tzinfer "
                         f"reads format {FORMAT}")
    if flags & ~FLAG_KEEP_FLOOR or any(reserved) or not key_id:
        raise ValueError("sealed package with unknown flags, reserved bytes set or key id 0")
    if payload != len(data) - HEADER_SIZE:
        raise ValueError(f"sealed package truncated or padded: the header says {payload} payload bytes, "
                         f"the file has {len(data) - HEADER_SIZE}")
    return Header(key_id, version, bool(flags & FLAG_KEEP_FLOOR), nonce, tag, payload)


def seal(plain: bytes, key: bytes, key_id: int, model_version: int = 0, keep_floor: bool = False) -> bytes:
    """Encrypt a plaintext .tzm (read and checked by tzm.read) for the key `key_id`.

    model_version: the TA refuses it once a higher version of the same key id loaded there;
    keep_floor: loading it does not raise that minimum (docs/sealed-format.md)."""
    tzm.read(plain)  # refuse to seal anything the engine would refuse after decryption
    keys.check_key_id(key_id)
    check_model_version(model_version)
    header = Header(key_id, model_version, keep_floor, os.urandom(NONCE_BYTES), bytes(TAG_BYTES), len(plain))
    aad = header.pack()[:TAG_OFF]
    # cryptography appends the 16-byte tag to the ciphertext; it moves into the header.
    sealed = AESGCM(key).encrypt(header.nonce, plain, aad)
    return header.pack(tag=sealed[-TAG_BYTES:]) + sealed[:-TAG_BYTES]


def key_id_of(data: bytes) -> int:
    """The key id a sealed package names."""
    return read_header(data).key_id


def unseal(data: bytes, key: bytes) -> bytes:
    """The plaintext .tzm inside a sealed package, for tests and host-side checks; ValueError
    when the key is wrong or any byte was changed (what the TA does with the same inputs)."""
    header = read_header(data)
    try:
        return AESGCM(key).decrypt(header.nonce, data[HEADER_SIZE:] + header.tag, data[:TAG_OFF])
    except InvalidTag:
        raise ValueError("model authentication failed: wrong key or tampered package") from None
