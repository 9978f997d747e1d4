"""Model keys on the provisioning host: a key file is exactly 32 random bytes (AES-256), mode 0600.

Test keys are generated at test time; no key is ever committed. See docs/security.md for the flow.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_BYTES = 32
#: key_id 0 is what a plaintext header holds, so a sealed package names a key from 1 up.
KEY_ID_MIN, KEY_ID_MAX = 1, 2**32 - 1


def generate(path: Path) -> None:
    """Write a fresh random key to `path` (created 0600; an existing file is never overwritten)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ValueError(f"{path} exists: keys are never overwritten; pick another path") from None
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(KEY_BYTES))


def read(path: Path) -> bytes:
    """The 32-byte key in `path`, or ValueError naming the problem."""
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} holds {len(key)} bytes, a model key is {KEY_BYTES}: "
                         "create one with `tzinfer keys generate`")
    return key


def check_key_id(key_id: int) -> int:
    """key_id if it is in 1 … 2^32−1, else ValueError."""
    if not KEY_ID_MIN <= key_id <= KEY_ID_MAX:
        raise ValueError(f"key id {key_id} is out of range: use {KEY_ID_MIN} … {KEY_ID_MAX}")
    return key_id
