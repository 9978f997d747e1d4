"""Who may manage model keys, through the real TA (ta/key_admin.c, docs/security.md "Who may
manage keys"): root (TEEC_LOGIN_USER, uid 0) and members of the administrators' group the TA was
built with (TEEC_LOGIN_GROUP; the QEMU stack's TA trusts the initramfs' `tzkeys`), nobody else;
an existing key is replaced only when asked; LOCK_KEYS ends key management until the factory
reset (erasing OP-TEE's secure storage). The initramfs' users (tzinfer/stack/target_users.py)
run tzinfer-run through `su`; a TEEC_LOGIN_PUBLIC session is refused too (tests/qemu/
test_hostile.py, "... without identity"). The tests that need those users, and the one that
locks and erases secure storage, run on the QEMU stack only (they take `qemu_vm`)."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator

import pytest

from tests.qemu.test_confidentiality import (
    SECURE_STORAGE_DIR,
    run_sealed,
    sealed_on_target,
)
from tests.qemu.test_ta import assert_valid_run_works
from tzinfer import keys
from tzinfer.stack.layout import CROSS_COMPILE, QemuStack
from tzinfer.stack.sealed_models import TEST_KEY_ID, stack_key
from tzinfer.stack.target_users import KEY_ADMIN_GID
from tzinfer.stack.vm import BootedVM
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TARGET, TARGET_CLIENT

pytestmark = pytest.mark.qemu

SPARE_ID = 31
SPARE_KEY = "/tmp/tzi-spare.key"  # not tzinfer_run.provision_key's file, which it removes
ACCESS_DENIED = "[TEEC 0xffff0001 from TA]"
LOCKED = "key management is locked on this device"


def as_user(target: Console, user: str, args: str) -> tuple[int, str]:
    """tzinfer-run with `args` as `user` (root: directly)."""
    cmd = f"{TARGET.client} {args}"
    if user != "root":
        cmd = f"su -s /bin/sh {user} -c {shlex.quote(cmd)}"
    return target.run(f"{cmd} 2>&1", timeout=120)


@pytest.fixture
def key_file(target: Console) -> Iterator[str]:
    """A random key in a file every user may read (so that the refusals are the TA's)."""
    target.check(f"head -c 32 /dev/urandom > {SPARE_KEY} && chmod 0644 {SPARE_KEY}")
    yield SPARE_KEY
    target.check(f"rm -f {SPARE_KEY}")


@pytest.fixture(autouse=True)
def no_spare_key(target: Console) -> Iterator[None]:
    target.run(f"{TARGET.client} --delete-key {SPARE_ID}")
    yield
    target.run(f"{TARGET.client} --delete-key {SPARE_ID}")


def test_an_ordinary_user_runs_models_but_may_not_manage_keys(target: Console, qemu_vm: BootedVM,
                                                              key_file: str) -> None:
    for args in (f"--provision-key {key_file} --key-id {SPARE_ID}",
                 f"--provision-key {key_file} --key-id {SPARE_ID} --replace",
                 f"--delete-key {TEST_KEY_ID}", "--lock-keys"):
        code, output = as_user(target, "tzuser", args)
        assert code == 1, output
        assert "only root may manage model keys" in output and ACCESS_DENIED in output, output
    code, output = as_user(target, "tzuser", f"{TARGET.model('lenet5')} {TARGET.input('lenet5', 'digit3')}")
    assert code == 0 and "#1 class 3" in output, output
    # Nothing changed: root finds no spare key to delete.
    code, output = as_user(target, "root", f"--delete-key {SPARE_ID}")
    assert code == 1 and f"no key with id {SPARE_ID} is provisioned" in output, output


def test_root_replaces_a_key_only_when_asked(target: Console, key_file: str) -> None:
    assert as_user(target, "root", f"--provision-key {key_file} --key-id {SPARE_ID}") == (
        0, f"key provisioned: {SPARE_ID}")
    code, output = as_user(target, "root", f"--provision-key {key_file} --key-id {SPARE_ID}")
    assert code == 1, output
    assert f"key id {SPARE_ID} already has a key: give --replace" in output
    assert "[TEEC 0xffff0003 from TA]" in output  # TEE_ERROR_ACCESS_CONFLICT
    assert as_user(target, "root", f"--provision-key {key_file} --key-id {SPARE_ID} --replace") == (
        0, f"key replaced: {SPARE_ID}")
    assert as_user(target, "root", f"--delete-key {SPARE_ID}") == (0, f"key deleted: {SPARE_ID}")


def test_the_administrators_group_manages_keys_by_group_login(target: Console, qemu_vm: BootedVM,
                                                              key_file: str) -> None:
    group = f"--admin-group {KEY_ADMIN_GID}"
    assert as_user(target, "tzadmin", f"--provision-key {key_file} --key-id {SPARE_ID} {group}") == (
        0, f"key provisioned: {SPARE_ID}")
    # The same member logged in as a user is refused: the group is what the TA trusts.
    code, output = as_user(target, "tzadmin", f"--delete-key {SPARE_ID}")
    assert code == 1 and ACCESS_DENIED in output, output
    # A user outside the group cannot claim it: the kernel refuses the login itself.
    code, output = as_user(target, "tzuser", f"--delete-key {SPARE_ID} {group}")
    assert code == 1 and f"cannot log in to the TA as group {KEY_ADMIN_GID}" in output, output
    # Root claiming another group is refused by the TA (built for tzkeys only).
    code, output = as_user(target, "root", f"--delete-key {SPARE_ID} --admin-group 0")
    assert code == 1 and "the TA does not let group 0 manage model keys" in output, output
    assert as_user(target, "tzadmin", f"--delete-key {SPARE_ID} {group}") == (0, f"key deleted: {SPARE_ID}")


def restart_supplicant(target: Console, erase_storage: bool) -> None:
    """Stop tee-supplicant (no TA session is open), optionally erase OP-TEE's secure storage
    (the factory reset), start it again."""
    target.check("kill $(pidof tee-supplicant); "
                 "while pidof tee-supplicant >/dev/null; do usleep 200000; done")
    if erase_storage:
        target.check(f"rm -rf {SECURE_STORAGE_DIR}")
    # -d: a daemon, not a job of the console's shell (whose `wait` other tests use).
    target.check("tee-supplicant -d >/tmp/tee-supplicant.log 2>&1; pidof tee-supplicant")


def test_lock_keys_ends_key_management_until_the_factory_reset(target: Console, qemu_vm: BootedVM,
                                                               key_file: str) -> None:
    model_key = keys.read(stack_key(QemuStack()))
    assert tzinfer_run.provision_key(target, model_key, TEST_KEY_ID).ok
    assert as_user(target, "root", f"--provision-key {key_file} --key-id {SPARE_ID}")[0] == 0
    try:
        assert as_user(target, "root", "--lock-keys") == (0, "key management locked")
        restart_supplicant(target, erase_storage=False)  # a new TA instance, storage read again
        for user, args in (("root", f"--provision-key {key_file} --key-id {SPARE_ID + 1}"),
                           ("root", f"--provision-key {key_file} --key-id {SPARE_ID} --replace"),
                           ("root", f"--delete-key {SPARE_ID}"), ("root", "--lock-keys"),
                           ("tzadmin", f"--delete-key {SPARE_ID} --admin-group {KEY_ADMIN_GID}")):
            code, output = as_user(target, user, args)
            assert code == 1 and LOCKED in output and "[TEEC 0xffff0007 from TA]" in output, output
        # Who is not an administrator still hears that first.
        code, output = as_user(target, "tzuser", f"--delete-key {SPARE_ID}")
        assert code == 1 and ACCESS_DENIED in output, output
        # The provisioned keys keep working.
        assert run_sealed(target, sealed_on_target("lenet5")).ok
    finally:
        restart_supplicant(target, erase_storage=True)  # the factory reset (docs/security.md)
    # Everything of the TA's storage is gone: the lock, and the keys with it.
    report = run_sealed(target, sealed_on_target("lenet5"))
    assert not report.ok and f"sealed for key id {TEST_KEY_ID}, which is not provisioned" in report.output
    assert tzinfer_run.provision_key(target, model_key, TEST_KEY_ID, replace=False).ok
    assert run_sealed(target, sealed_on_target("lenet5")).ok
    assert_valid_run_works(target)


def test_client_wipes_key_copies_with_explicit_bzero(qemu_stack: QemuStack) -> None:
    """The compiler may drop a memset before free(); a call to explicit_bzero it may not.
    (tzinfer-hostile, which reads keys for the audit, does the same.)"""
    for tool in ("tzinfer-run", "tzinfer-hostile"):
        dynsyms = subprocess.run([f"{CROSS_COMPILE}readelf", "--dyn-syms", "-W",
                                  str(qemu_stack.overlay / TARGET_CLIENT.replace("tzinfer-run", tool))],
                                 capture_output=True, text=True, check=True).stdout
        assert any(" UND explicit_bzero@" in line for line in dynsyms.splitlines()), \
            f"{tool} does not call explicit_bzero"
