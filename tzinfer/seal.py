"""Sealed model packages: a .tzm encrypted with AES-256-GCM for the TA (docs/model-format.md).

The sealed file keeps the 128-byte header in the clear, with flag bit 0 ENCRYPTED, a random
96-bit nonce, the key id and the GCM tag. The AAD is that header with the tag field zeroed, so
every header byte is authenticated; the body (tables and weights) is the ciphertext. body_sha256
stays the SHA-256 of the plaintext body and is checked by the engine after decryption.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tzinfer import keys, tzm

FLAG_ENCRYPTED = 1
FLAGS_OFF = tzm.HEADER_FIELDS["flags"][0]
NONCE_OFF, NONCE_BYTES = tzm.HEADER_FIELDS["nonce"]
TAG_OFF, TAG_BYTES = tzm.HEADER_FIELDS["tag"]
KEY_ID_OFF = tzm.HEADER_FIELDS["key_id"][0]


def _aad(header: bytes) -> bytes:
    return header[:TAG_OFF] + bytes(TAG_BYTES) + header[TAG_OFF + TAG_BYTES:]


def is_sealed(data: bytes) -> bool:
    return len(data) >= tzm.HEADER_SIZE and data[:8] == tzm.MAGIC and \
        bool(struct.unpack_from("<I", data, FLAGS_OFF)[0] & FLAG_ENCRYPTED)


def seal(plain: bytes, key: bytes, key_id: int) -> bytes:
    """Encrypt a plaintext .tzm (read and checked by tzm.read) for the key `key_id`."""
    tzm.read(plain)  # refuse to seal anything the engine would refuse after decryption
    keys.check_key_id(key_id)
    header = bytearray(plain[:tzm.HEADER_SIZE])
    struct.pack_into("<I", header, FLAGS_OFF, FLAG_ENCRYPTED)
    header[NONCE_OFF:NONCE_OFF + NONCE_BYTES] = os.urandom(NONCE_BYTES)
    struct.pack_into("<I", header, KEY_ID_OFF, key_id)
    # cryptography appends the 16-byte tag to the ciphertext; it moves into the header.
    sealed = AESGCM(key).encrypt(bytes(header[NONCE_OFF:NONCE_OFF + NONCE_BYTES]),
                                 plain[tzm.HEADER_SIZE:], bytes(header))
    header[TAG_OFF:TAG_OFF + TAG_BYTES] = sealed[-TAG_BYTES:]
    return bytes(header) + sealed[:-TAG_BYTES]


def key_id_of(data: bytes) -> int:
    """The key id a sealed package names."""
    if not is_sealed(data):
        raise ValueError("not a sealed package (the ENCRYPTED flag is not set): seal it with `tzinfer seal`")
    return int(struct.unpack_from("<I", data, KEY_ID_OFF)[0])


def unseal(data: bytes, key: bytes) -> bytes:
    """The plaintext .tzm inside a sealed package, for tests and host-side checks; ValueError
    when the key is wrong or any byte was changed (what the TA does with the same inputs)."""
    key_id_of(data)
    header = data[:tzm.HEADER_SIZE]
    nonce = header[NONCE_OFF:NONCE_OFF + NONCE_BYTES]
    tag = header[TAG_OFF:TAG_OFF + TAG_BYTES]
    try:
        body = AESGCM(key).decrypt(nonce, data[tzm.HEADER_SIZE:] + tag, _aad(header))
    except InvalidTag:
        raise ValueError("model authentication failed: wrong key or tampered package") from None
    plain_header = bytearray(header)
    struct.pack_into("<I", plain_header, FLAGS_OFF, 0)
    plain_header[NONCE_OFF:KEY_ID_OFF + 4] = bytes(KEY_ID_OFF + 4 - NONCE_OFF)
    return bytes(plain_header) + body
