"""Build step: sealed copies (.tzms) of fixture models for the confidentiality tests, and
versioned packages of LeNet-5 for the rollback tests.

The key is a test key generated on first use under build/qemu/keys/ (never in the repository,
never in the initramfs): the tests provision it into the TA over the console, as a provisioning
host would. A model is sealed again only when its .tzm or the key changed, so the initramfs
stays stable between builds.

The versioned packages name their own key id, ROLLBACK_KEY_ID (the same test key provisioned a
second time), so that the minimum versions they raise never touch the version-0 packages of
TEST_KEY_ID that the other tests load.
"""

from __future__ import annotations

from pathlib import Path

from tzinfer import keys, seal
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.steprun import Stamp, console, digest

#: The fixture models shipped sealed as well as plain.
SEALED_MODELS = ("lenet5", "mobilenetv2")
#: The key id the test key is provisioned under in the TA.
TEST_KEY_ID = 7
#: The key id of the versioned packages (the same test key).
ROLLBACK_KEY_ID = 8
#: LeNet-5 sealed for ROLLBACK_KEY_ID: name → (model_version, keep_floor).
VERSIONED = {"lenet5-v3": (3, False), "lenet5-v5": (5, False), "lenet5-v6": (6, False),
             "lenet5-v7-keep-floor": (7, True)}


def stack_key(stack: QemuStack) -> Path:
    """The stack's test model key (32 bytes, 0600), generated on first use."""
    path = stack.root / "keys" / "model-test.key"
    if not path.is_file():
        keys.generate(path)
    return path


def sealed_file(plain: Path) -> Path:
    """Where the sealed copy of the .tzm `plain` goes."""
    return plain.with_suffix(".tzms")


def _seal_once(plain: Path, out: Path, key_path: Path, key_id: int, version: int = 0,
               keep_floor: bool = False) -> Path:
    """out: plain sealed for key_id, sealed again only when an input changed."""
    stamp = Stamp(out.with_name(f".{out.name}.sealed"),
                  digest([plain, key_path, str(key_id), str(version), str(keep_floor), str(seal.FORMAT)]))
    if not (stamp.fresh() and out.is_file()):
        out.write_bytes(seal.seal(plain.read_bytes(), keys.read(key_path), key_id, version,
                                  keep_floor=keep_floor))
        stamp.done()
        console.print(f"[green]✓[/] sealed {out.name} for key id {key_id}, version {version}")
    return out


def versioned_file(plain: Path, name: str) -> Path:
    """Where the versioned package `name` (a key of VERSIONED) goes."""
    return plain.with_name(f"{name}.tzms")


def seal_models(stack: QemuStack, models: dict[str, Path]) -> dict[str, Path]:
    """Seal the SEALED_MODELS among `models` (name → .tzm) with the test key, and LeNet-5 in the
    VERSIONED packages; returns name → package."""
    key_path = stack_key(stack)
    sealed = {name: _seal_once(models[name], sealed_file(models[name]), key_path, TEST_KEY_ID)
              for name in SEALED_MODELS}
    for name, (version, keep_floor) in VERSIONED.items():
        sealed[name] = _seal_once(models["lenet5"], versioned_file(models["lenet5"], name), key_path,
                                  ROLLBACK_KEY_ID, version, keep_floor)
    return sealed
