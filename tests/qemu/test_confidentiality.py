"""Sealed models in the TA: key provisioning into secure storage, decryption inside the TA,
rejection of wrong keys and tampered packages, and no plaintext weights outside the TA: not in
the VM's files, not in the client's shared-memory traffic (recorded by the initramfs'
teec-trace.so, so those tests need the VM).

The test key is the stack's (tzinfer/stack/sealed_models.py, generated under build/, never in
the initramfs); it reaches the VM over the console, as from a provisioning host, and is removed
from the VM's /tmp once the TA holds it.
"""

from __future__ import annotations

import base64
import re
import shlex
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from tests.qemu.test_ta import RUN_TIMEOUT_S, SAMPLES, assert_valid_run_works, labels_for, relative_error
from tzinfer import keys, native
from tzinfer.fixtures import FixturePaths
from tzinfer.stack.initramfs import TARGET_TEEC_TRACE
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.payload import model_file
from tzinfer.stack.sealed_models import SEALED_MODELS, TEST_KEY_ID, sealed_file, stack_key
from tzinfer.stack.vm import BootedVM
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TARGET

pytestmark = pytest.mark.qemu

#: Where tee-supplicant (Debian's build) keeps OP-TEE's encrypted secure-storage files.
SECURE_STORAGE_DIR = "/var/lib/optee-client/data/tee"
OUTPUT = "/tmp/tzinfer-sealed-out.npy"
AUTH_FAILED = "model authentication failed: wrong key or tampered package"
MAC_INVALID = "[TEEC 0xffff3071 from TA]"
#: Where teec-trace.so writes the client's shared-memory traffic (tmpfs, removed after each run).
SHM_TRACE = "/tmp/tzinfer-shm.trace"


def sealed_on_target(name: str) -> str:
    return TARGET.model(name).removesuffix(".tzm") + ".tzms"


def run_sealed(target: Console, path: str, model: str = "lenet5", output: str | None = None,
               env: dict[str, str] | None = None) -> tzinfer_run.RunReport:
    cmdline = tzinfer_run.command(path, TARGET.input(model, SAMPLES[model]), labels=labels_for(model),
                                  output=output, env=env)
    return tzinfer_run.run(target, cmdline, timeout=RUN_TIMEOUT_S)


@pytest.fixture(scope="module")
def model_key() -> bytes:
    return keys.read(stack_key(QemuStack()))


@pytest.fixture(scope="module")
def provisioned(target: Console, model_key: bytes) -> Iterator[None]:
    """The stack's test key in the TA's secure storage under TEST_KEY_ID."""
    report = tzinfer_run.provision_key(target, model_key, TEST_KEY_ID)
    assert report.ok, report.output
    assert f"key replaced: {TEST_KEY_ID}" in report.output
    yield


def damaged_copy(target: Console, offset: int, value: int | None = None) -> str:
    """A copy of the sealed LeNet-5 with the byte at `offset` set to `value`, or by default with
    its bits flipped: the ciphertext depends on the random test key, so any fixed value may be
    the byte already there."""
    if value is None:
        value = sealed_file(model_file(QemuStack(), "lenet5")).read_bytes()[offset] ^ 0xFF
    bad = "/tmp/damaged.tzms"
    target.check(f"cp {sealed_on_target('lenet5')} {bad} && printf '\\{value:03o}' | "
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
    ("header-model_version", 20), ("header-nonce", 30), ("header-tag", 53), ("payload-tzm-header", 80),
    ("payload-tables", 300), ("payload-weights", 100000)])
def test_flipped_byte_is_rejected_and_ta_stays_usable(target: Console, provisioned: None, what: str,
                                                      offset: int) -> None:
    bad = damaged_copy(target, offset)
    report = run_sealed(target, bad)
    assert not report.ok
    assert AUTH_FAILED in report.output and MAC_INVALID in report.output, report.output
    assert_valid_run_works(target)


def test_unknown_key_id_is_rejected(target: Console, provisioned: None) -> None:
    bad = damaged_copy(target, 16, 99)  # key_id 7 → 99, which is not provisioned
    report = run_sealed(target, bad)
    assert not report.ok
    assert "is sealed for key id 99, which is not provisioned" in report.output, report.output
    assert "tzinfer keys provision" in report.output
    assert_valid_run_works(target)


def test_wrong_key_is_rejected_then_rotation_back_works(target: Console, provisioned: None,
                                                        model_key: bytes) -> None:
    wrong = bytes(b ^ 0x5A for b in model_key)
    assert tzinfer_run.provision_key(target, wrong, TEST_KEY_ID).ok
    try:
        report = run_sealed(target, sealed_on_target("lenet5"))
        assert not report.ok
        assert AUTH_FAILED in report.output and MAC_INVALID in report.output, report.output
    finally:
        assert tzinfer_run.provision_key(target, model_key, TEST_KEY_ID).ok
    assert run_sealed(target, sealed_on_target("lenet5")).ok


def test_deleted_key_no_longer_decrypts(target: Console, provisioned: None, model_key: bytes) -> None:
    spare_id = 4242
    assert tzinfer_run.provision_key(target, model_key, spare_id).ok
    code, output = target.run(f"{TARGET.client} --delete-key {spare_id} 2>&1")
    assert code == 0 and f"key deleted: {spare_id}" in output, output
    code, output = target.run(f"{TARGET.client} --delete-key {spare_id} 2>&1")
    assert code != 0 and f"no key with id {spare_id} is provisioned" in output, output


def test_format_v1_package_is_refused_with_a_clear_message(target: Console) -> None:
    """A .tzm header with the v1 ENCRYPTED flag: refused before any key is looked up."""
    v1 = "/tmp/v1.tzms"
    target.check(f"cp {TARGET.model('lenet5')} {v1} && printf '\\001' | "
                 f"dd of={v1} bs=1 seek=12 conv=notrunc 2>/dev/null")
    try:
        report = run_sealed(target, v1)
    finally:
        target.check(f"rm -f {v1}")  # plaintext weights: the rootfs scan below must not find them
    assert not report.ok
    assert "sealed package of format v1, which this TA refuses" in report.output, report.output
    assert "tzinfer seal" in report.output and "[TEEC 0xffff000a from TA]" in report.output
    assert_valid_run_works(target)


def test_provisioning_rejects_a_short_key(target: Console) -> None:
    target.check(f"head -c 16 /dev/urandom > {tzinfer_run.KEY_ON_TARGET}")
    code, output = target.run(f"{TARGET.client} --provision-key {tzinfer_run.KEY_ON_TARGET} --key-id 5 2>&1")
    target.check(f"rm -f {tzinfer_run.KEY_ON_TARGET}")
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


@dataclass(frozen=True)
class ShmTrace:
    """What teec-trace.so recorded of one tzinfer-run: its size and each pattern's matches."""

    size: int
    matches: list[int]


def traced_run(target: Console, path: str, model: str, patterns: list[bytes]) -> ShmTrace:
    """Run tzinfer-run on `path` under teec-trace.so (every memref's bytes, both directions) and
    count the matches of each pattern in the trace, searched on the target with memscan --file."""
    target.check(f"rm -f {SHM_TRACE}")
    try:
        report = run_sealed(target, path, model, env={"LD_PRELOAD": f"/{TARGET_TEEC_TRACE}",
                                                      "TZINFER_TEEC_TRACE": SHM_TRACE})
        assert report.ok, report.output
        assert "teec-trace" not in report.output, report.output  # ld.so: cannot be preloaded
        size, matches = 0, []
        for pattern in patterns:
            output = target.check(f"memscan --file {SHM_TRACE} {pattern.hex()}", timeout=120)
            found = re.search(r"size=(\d+) matches=(\d+)", output)
            assert found, output
            size = int(found[1])
            matches.append(int(found[2]))
    finally:
        target.check(f"rm -f {SHM_TRACE}")  # the rootfs scan above must not find the plain run's trace
    return ShmTrace(size, matches)


@pytest.mark.parametrize("model", SEALED_MODELS)
def test_shared_memory_holds_ciphertext_not_weights(target: Console, qemu_vm: BootedVM, provisioned: None,
                                                   model: str) -> None:
    """Every byte tzinfer-run passes through shared memory with the TA, in either direction,
    while it runs the sealed model: the upload's ciphertext is there (the trace caught the
    traffic), the plaintext weights are not. Control: the plain model's traffic shows them."""
    stack = QemuStack()
    plain = model_file(stack, model).read_bytes()
    sealed = sealed_file(model_file(stack, model)).read_bytes()
    window = weight_window(plain)
    ciphertext = sealed[len(sealed) // 2:][:16]
    sealed_run = traced_run(target, sealed_on_target(model), model, [ciphertext, window])
    assert sealed_run.size > len(sealed), "the trace is missing part of the sealed upload"
    assert sealed_run.matches[0] > 0, "the sealed upload's ciphertext is not in the trace"
    assert sealed_run.matches[1] == 0, f"{sealed_run.matches[1]} copies of {model}'s weights in shared memory"
    plain_run = traced_run(target, TARGET.model(model), model, [window])
    assert plain_run.matches[0] > 0, "control: the plain upload's weights are not in the trace"
