"""Anti-rollback of sealed packages through the real TA (ta/version_floor.c, docs/sealed-format.md):
per key id a minimum version in secure storage, raised by every package that loads (unless it
carries KEEP_FLOOR), never lowered, not even by DELETE_KEY; a package below it is refused with
TEE_ERROR_SECURITY and a message naming both versions, and the TA serves the next request.

The packages are LeNet-5 sealed at build time for ROLLBACK_KEY_ID (tzinfer/stack/sealed_models.py)
with versions 3, 5, 6 and 7 (the last with KEEP_FLOOR). QEMU only: a board would keep the raised
minimum for good, and a second run there could not start from version 3."""

from __future__ import annotations

import pytest

from tests.qemu.test_confidentiality import run_sealed
from tests.qemu.test_ta import assert_valid_run_works
from tzinfer import keys
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.sealed_models import ROLLBACK_KEY_ID, stack_key
from tzinfer.stack.vm import BootedVM
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TARGET

pytestmark = pytest.mark.qemu

ROLLBACK = "[TEEC 0xffff000f from TA]"  # TEE_ERROR_SECURITY


def package(name: str) -> str:
    return f"{TARGET.data}/models/{name}.tzms"


def refused(target: Console, name: str, version: int, floor: int) -> None:
    report = run_sealed(target, package(name))
    assert not report.ok
    assert (f"is model version {version}, older than version {floor}, which this device already loaded "
            f"for key id {ROLLBACK_KEY_ID}: rollback refused") in report.output, report.output
    assert ROLLBACK in report.output
    assert_valid_run_works(target)


def loads(target: Console, name: str) -> None:
    report = run_sealed(target, package(name))
    assert report.ok, report.output
    assert report.top[0].class_id == 3


def test_a_loaded_version_refuses_older_packages_for_good(target: Console, qemu_vm: BootedVM) -> None:
    key = keys.read(stack_key(QemuStack()))
    assert tzinfer_run.provision_key(target, key, ROLLBACK_KEY_ID).ok
    loads(target, "lenet5-v3")          # the floor starts at 0 (or 3, if this ran before)
    loads(target, "lenet5-v5")          # raises it to 5
    refused(target, "lenet5-v3", 3, 5)
    loads(target, "lenet5-v5")          # the same version still loads
    loads(target, "lenet5-v7-keep-floor")  # KEEP_FLOOR: loads, leaves the floor at 5
    loads(target, "lenet5-v6")          # so 6 still loads, and raises it to 6
    refused(target, "lenet5-v5", 5, 6)
    # Deleting and provisioning the key again does not bring old packages back.
    code, output = target.run(f"{TARGET.client} --delete-key {ROLLBACK_KEY_ID} 2>&1")
    assert code == 0, output
    assert tzinfer_run.provision_key(target, key, ROLLBACK_KEY_ID, replace=False).ok
    refused(target, "lenet5-v5", 5, 6)
    loads(target, "lenet5-v6")
