"""Build step: sealed copies (.tzms) of fixture models for the confidentiality tests.

The key is a test key generated on first use under build/qemu/keys/ (never in the repository,
never in the initramfs): the tests provision it into the TA over the console, as a provisioning
host would. A model is sealed again only when its .tzm or the key changed, so the initramfs
stays stable between builds.
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


def stack_key(stack: QemuStack) -> Path:
    """The stack's test model key (32 bytes, 0600), generated on first use."""
    path = stack.root / "keys" / "model-test.key"
    if not path.is_file():
        keys.generate(path)
    return path


def sealed_file(plain: Path) -> Path:
    """Where the sealed copy of the .tzm `plain` goes."""
    return plain.with_suffix(".tzms")


def seal_models(stack: QemuStack, models: dict[str, Path]) -> dict[str, Path]:
    """Seal the SEALED_MODELS among `models` (name → .tzm) with the test key."""
    key_path = stack_key(stack)
    sealed: dict[str, Path] = {}
    for name in SEALED_MODELS:
        plain = models[name]
        out = sealed_file(plain)
        stamp = Stamp(out.with_name(f".{name}.sealed"), digest([plain, key_path, str(TEST_KEY_ID)]))
        if not (stamp.fresh() and out.is_file()):
            out.write_bytes(seal.seal(plain.read_bytes(), keys.read(key_path), TEST_KEY_ID))
            stamp.done()
            console.print(f"[green]✓[/] sealed {name} for key id {TEST_KEY_ID}")
        sealed[name] = out
    return sealed
