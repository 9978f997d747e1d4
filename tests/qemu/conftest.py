"""One QEMU VM for the whole pytest session (marker `qemu`).

The session builds the stack if needed (incremental: seconds when nothing changed), boots it
once, hands out its serial Console as `target`, keeps the console and secure-world logs under
artifacts/qemu/ and powers the VM off at the end. Tests that must see the whole session's
history run last: the zeroisation scan, then the clean poweroff.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tzinfer import REPO_ROOT
from tzinfer.stack import StackError, pipeline
from tzinfer.stack.console import Console
from tzinfer.stack.vm import BootedVM, boot

ARTIFACTS = REPO_ROOT / "artifacts" / "qemu"
#: Tests moved to the end of the session, in this order.
LAST = ("test_freed_ta_pages_are_zero", "test_clean_poweroff")
BOOT_TIMEOUT_S = 180.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the LAST tests after every other test, so they see the whole session."""
    def rank(item: pytest.Item) -> int:
        name = getattr(item, "originalname", item.name)
        return LAST.index(name) + 1 if name in LAST else 0

    items.sort(key=rank)  # stable: everything else keeps its order


@pytest.fixture(scope="session")
def qemu_vm() -> Iterator[BootedVM]:
    """Build (if needed) and boot the QEMU stack once; power it off after the session."""
    try:
        stack = pipeline.build()
    except StackError as err:
        pytest.fail(f"building the QEMU stack failed: {err}", pytrace=False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    booted = boot(stack, ARTIFACTS / "console.log", ARTIFACTS / "secure.log", timeout=BOOT_TIMEOUT_S)
    try:
        (ARTIFACTS / "boot-seconds.txt").write_text(f"{booted.boot_seconds:.1f}\n")
        yield booted
        if not booted.powered_off:
            booted.poweroff()
    finally:
        booted.vm.stop()


@pytest.fixture(scope="session")
def target(qemu_vm: BootedVM) -> Console:
    """The booted VM's root shell on its serial console."""
    return qemu_vm.console
