"""Sealed models in the TA: key provisioning into secure storage, decryption inside the TA,
rejection of wrong keys and tampered packages, and no plaintext weights outside the TA.

The test key is the stack's (tzinfer/stack/sealed_models.py, generated under build/, never in
the initramfs); it reaches the VM over the console, as from a provisioning host, and is removed
from the VM's /tmp once the TA holds it.
"""

from __future__ import annotations

import base64
import shlex
import struct
from collections.abc import Iterator

import numpy as np
import pytest

from tests.qemu.test_ta import RUN_TIMEOUT_S, SAMPLES, assert_valid_run_works, labels_for, relative_error
from tzinfer import keys, native
from tzinfer.fixtures import FixturePaths
from tzinfer.stack import tzinfer_run
from tzinfer.stack.console import Console
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.payload import TARGET, model_file
from tzinfer.stack.sealed_models import SEALED_MODELS, TEST_KEY_ID, sealed_file, stack_key

pytestmark = pytest.mark.qemu

KEY_ON_TARGET = "/tmp/model-test.key"
#: Where tee-supplicant (Debian's build) keeps OP-TEE's encrypted secure-storage files.
SECURE_STORAGE_DIR = "/var/lib/optee-client/data/tee"
OUTPUT = "/tmp/tzinfer-sealed-out.npy"
AUTH_FAILED = "model authentication failed: wrong key or tampered package"
MAC_INVALID = "[TEEC 0xffff3071 from TA]"


def sealed_on_target(name: str) -> str:
    return TARGET.model(name).removesuffix(".tzm") + ".tzms"


def put_key(target: Console, key: bytes, key_id: int) -> tzinfer_run.RunReport:
    """Write `key` to the VM, provision it under key_id with tzinfer-run, remove the file."""
    target.check(f"echo {base64.b64encode(key).decode()} | base64 -d > {KEY_ON_TARGET}")
    code, output = target.run(f"{TARGET.client} --provision-key {KEY_ON_TARGET} --key-id {key_id} 2>&1; "
                              f"rc=$?; rm -f {KEY_ON_TARGET}; [ $rc -eq 0 ]", timeout=60)
    return tzinfer_run.parse(code, output)


def run_sealed(target: Console, path: str, model: str = "lenet5",
               output: str | None = None) -> tzinfer_run.RunReport:
    cmdline = tzinfer_run.command(path, TARGET.input(model, SAMPLES[model]), labels=labels_for(model),
                                  output=output)
    return tzinfer_run.run(target, cmdline, timeout=RUN_TIMEOUT_S)


@pytest.fixture(scope="module")
def model_key() -> bytes:
    return keys.read(stack_key(QemuStack()))


@pytest.fixture(scope="module")
def provisioned(target: Console, model_key: bytes) -> Iterator[None]:
    """The stack's test key in the TA's secure storage under TEST_KEY_ID."""
    report = put_key(target, model_key, TEST_KEY_ID)
    assert report.ok, report.output
    assert f"key provisioned: {TEST_KEY_ID}" in report.output
    yield


def damaged_copy(target: Console, offset: int, value: str = "\\001") -> str:
    """A copy of the sealed LeNet-5 with one byte at `offset` overwritten (octal `value`)."""
    bad = "/tmp/damaged.tzms"
    target.check(f"cp {sealed_on_target('lenet5')} {bad} && printf '{value}' | "
                 f"dd of={bad} bs=1 seek={offset} conv=notrunc 2>/dev/null")
    return bad


@pytest.mark.parametrize("model", SEALED_MODELS)
def test_sealed_model_runs_like_the_plain_one(target: Console, provisioned: None, fixtures: FixturePaths,
                                              model: str) -> None:
    report = run_sealed(target, sealed_on_target(model), model, output=OUTPUT)
    assert report.ok, report.output
    in_tee = tzinfer_run.fetch_npy(target, OUTPUT)
    plain = native.load(model_file(QemuStack(), model).read_bytes())
    host = plain.run(np.load(fixtures.input(model, SAMPLES[model])))
    assert relative_error(in_tee, host) <= 1e-5
    assert report.top[0].class_id == int(np.argmax(host))


@pytest.mark.parametrize(("what", "offset"), [
    ("header-n_ops", 24), ("header-nonce", 90), ("header-tag", 105), ("body-tables", 300),
    ("body-weights", 100000)])
def test_flipped_byte_is_rejected_and_ta_stays_usable(target: Console, provisioned: None, what: str,
                                                      offset: int) -> None:
    bad = damaged_copy(target, offset, "\\252")
    report = run_sealed(target, bad)
    assert not report.ok
    assert AUTH_FAILED in report.output and MAC_INVALID in report.output, report.output
    assert_valid_run_works(target)


def test_unknown_key_id_is_rejected(target: Console, provisioned: None) -> None:
    bad = damaged_copy(target, 116, "\\143")  # key_id 7 → 99, which is not provisioned
    report = run_sealed(target, bad)
    assert not report.ok
    assert "is sealed for key id 99, which is not provisioned" in report.output, report.output
    assert "tzinfer keys provision" in report.output
    assert_valid_run_works(target)


def test_wrong_key_is_rejected_then_rotation_back_works(target: Console, provisioned: None,
                                                        model_key: bytes) -> None:
    wrong = bytes(b ^ 0x5A for b in model_key)
    assert put_key(target, wrong, TEST_KEY_ID).ok
    try:
        report = run_sealed(target, sealed_on_target("lenet5"))
        assert not report.ok
        assert AUTH_FAILED in report.output and MAC_INVALID in report.output, report.output
    finally:
        assert put_key(target, model_key, TEST_KEY_ID).ok
    assert run_sealed(target, sealed_on_target("lenet5")).ok


def test_deleted_key_no_longer_decrypts(target: Console, provisioned: None, model_key: bytes) -> None:
    spare_id = 4242
    assert put_key(target, model_key, spare_id).ok
    code, output = target.run(f"{TARGET.client} --delete-key {spare_id} 2>&1")
    assert code == 0 and f"key deleted: {spare_id}" in output, output
    code, output = target.run(f"{TARGET.client} --delete-key {spare_id} 2>&1")
    assert code != 0 and f"no key with id {spare_id} is provisioned" in output, output


def test_provisioning_rejects_a_short_key(target: Console) -> None:
    target.check(f"head -c 16 /dev/urandom > {KEY_ON_TARGET}")
    code, output = target.run(f"{TARGET.client} --provision-key {KEY_ON_TARGET} --key-id 5 2>&1")
    target.check(f"rm -f {KEY_ON_TARGET}")
    assert code != 0 and "holds 16 bytes, a model key is 32" in output, output


def weight_window(plain: bytes) -> bytes:
    """16 plaintext weight bytes that busybox grep can find in any copy of the weights: they start
    a line (busybox matches with strstr, which stops at the first NUL of a line) and hold no NUL
    or newline."""
    offset, size = struct.unpack_from("<II", plain, 44)
    for start in range(offset + size // 2, offset + size - 16):
        window = plain[start:start + 16]
        if plain[start - 1] == 0x0A and b"\0" not in window and b"\n" not in window and len(set(window)) > 8:
            return window
    raise AssertionError("no searchable weight window")


@pytest.mark.parametrize("model", SEALED_MODELS)
def test_no_plaintext_weights_outside_the_ta(target: Console, provisioned: None, model_key: bytes,
                                            model: str) -> None:
    """After the sealed model ran: its weights are in no file of the VM except the plain .tzm the
    other tests use; the sealed file (the only bytes the client puts into shared memory, verbatim)
    does not hold them; secure storage does not hold the key in the clear."""
    stack = QemuStack()
    plain = model_file(stack, model).read_bytes()
    window = weight_window(plain)
    assert window not in sealed_file(model_file(stack, model)).read_bytes()
    assert run_sealed(target, sealed_on_target(model), model).ok
    # The pattern lives in devtmpfs, which the -xdev scans of / and /tmp do not enter.
    target.check(f"echo {base64.b64encode(window).decode()} | base64 -d > /dev/tzi-pattern")
    plain_path = shlex.quote(TARGET.model(model))
    code, output = target.run(
        "for d in / /tmp; do find $d -xdev -type f; done | "
        f"grep -v -x {plain_path} | xargs grep -lF -f /dev/tzi-pattern; echo scanned", timeout=600)
    # Control: the same grep finds the plain model, so a silent scan is not a broken one.
    control = target.run(f"grep -lF -f /dev/tzi-pattern {plain_path}")[1]
    target.check("rm -f /dev/tzi-pattern")
    assert output.strip().splitlines()[-1] == "scanned", output
    assert output.strip().splitlines()[:-1] == [], f"plaintext weights of {model} found in: {output}"
    assert control.strip() == TARGET.model(model), control
    stored = target.check(f"find {SECURE_STORAGE_DIR} -type f").split()
    assert stored, f"no secure-storage files under {SECURE_STORAGE_DIR}"
    for path in stored:
        assert model_key not in tzinfer_run.fetch_bytes(target, path)
