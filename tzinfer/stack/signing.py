"""Which key signs the TAs of the QEMU stack, and which public key OP-TEE OS trusts.

OP-TEE OS embeds the public half of `TA_PUBLIC_KEY` (default: `TA_SIGN_KEY`, default:
its own keys/default_ta.pem, whose private half is public) and refuses to load a TA whose
signature does not verify with it. So the OS and every TA must get the same `TA_SIGN_KEY`.

The user's key comes from `TZINFER_TA_SIGN_KEY`, the variable the Yocto layer uses too
(meta-tzinfer/classes-recipe/tzinfer_ta_sign.bbclass). Without it, the default key is used and
the build says so loudly.

For the rejection test the payload also signs the TA with a *foreign* key, generated at build
time under build/qemu/keys/ (never in the repository), which no OS of ours trusts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tzinfer.stack import StackError
from tzinfer.stack.steprun import console

#: The user's RSA private key (PEM) for the TAs; the Yocto layer reads the same variable.
SIGN_KEY_ENV = "TZINFER_TA_SIGN_KEY"
FOREIGN_KEY_BITS = 2048
_warned = False  # the default-key warning is printed once per process


def user_key() -> Path | None:
    """The key named by TZINFER_TA_SIGN_KEY, checked; None when unset (OP-TEE's default key)."""
    value = os.environ.get(SIGN_KEY_ENV, "")
    if not value:
        return None
    key = Path(value).resolve()
    if not key.is_file() or not os.access(key, os.R_OK):
        raise StackError(f"{SIGN_KEY_ENV}={value} is not a readable file: point it at your RSA private key "
                         "in PEM form (openssl genrsa -out ta-sign.pem 4096)")
    if b"PRIVATE KEY-----" not in key.read_bytes()[:200]:
        raise StackError(f"{SIGN_KEY_ENV}={value} is not a PEM private key: give the RSA private key "
                         "(openssl genrsa -out ta-sign.pem 4096), not a public key or certificate")
    return key


def make_args(key: Path | None) -> list[str]:
    """The make arguments that select `key` for OP-TEE OS and for a TA; none for the default key
    (an empty TA_SIGN_KEY= would defeat OP-TEE's `?=` default)."""
    return [f"TA_SIGN_KEY={key}"] if key else []


def warn_if_default(key: Path | None) -> None:
    """One loud block, once per build, when OP-TEE and the TAs use OP-TEE's public default key."""
    global _warned
    if key or _warned:
        return
    _warned = True
    console.print(
        "\n[bold red]" + "!" * 78 + "\n"
        "WARNING: OP-TEE OS and the TAs use OP-TEE's DEFAULT TA key (keys/default_ta.pem).\n"
        "Its private half is public: anyone can sign a TA that this OP-TEE will run.\n"
        "Fine for QEMU tests; never on a device. Fix: openssl genrsa -out ta-sign.pem 4096,\n"
        f"then {SIGN_KEY_ENV}=/abs/path/ta-sign.pem (rebuilds OP-TEE OS and the TA).\n"
        + "!" * 78 + "[/]\n")


def foreign_key(keys_dir: Path) -> Path:
    """An RSA key generated once per build tree, trusted by no OS of ours."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = keys_dir / "foreign-ta-key.pem"
    if not path.is_file():
        key = rsa.generate_private_key(public_exponent=65537, key_size=FOREIGN_KEY_BITS)
        keys_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        path.chmod(0o600)
    return path


def sign_ta(devkit: Path, stripped_elf: Path, uuid: str, key: Path, out: Path) -> Path:
    """Sign a TA's stripped ELF with `key` using the dev kit's own sign_encrypt.py."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(devkit / "scripts" / "sign_encrypt.py"), "--key", str(key), "--uuid", uuid,
           "--ta-version", "0", "--in", str(stripped_elf), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StackError(f"signing {stripped_elf.name} with {key.name} failed: {done.stderr.strip()[-300:]}")
    return out
