"""Attested results through the real TA: `tzinfer-run --attest NONCE --report FILE` has the TA
sign the SHA-256 of the model file as uploaded, of the input and of the output of the last RUN
with the verifier's nonce, with a device key generated in the TA (ECDSA P-256, private half in
secure storage only); `tzinfer verify` logic (tzinfer/attest.py) checks the report on the host
with the public key the TA exports once (DEVICE_KEY)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from tests.qemu.test_confidentiality import sealed_on_target
from tests.qemu.test_ta import RUN_TIMEOUT_S, assert_valid_run_works
from tzinfer import attest, keys
from tzinfer.fixtures import FixturePaths
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.payload import model_file
from tzinfer.stack.sealed_models import TEST_KEY_ID, sealed_file, stack_key
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TARGET

pytestmark = pytest.mark.qemu

REPORT, OUTPUT, DEVICE_KEY = "/tmp/tzi-report.bin", "/tmp/tzi-attested-out.npy", "/tmp/tzi-device.pub"


def device_key(target: Console) -> bytes:
    code, output = target.run(f"{TARGET.client} --device-key {DEVICE_KEY} 2>&1", timeout=120)
    assert code == 0 and f"device key: {DEVICE_KEY}" in output, output
    return tzinfer_run.fetch_bytes(target, DEVICE_KEY)


def attested_run(target: Console, model_path: str, nonce: bytes) -> tuple[bytes, np.ndarray]:
    """Run LeNet-5 with --attest; the report and the output, fetched from the target."""
    cmdline = tzinfer_run.command(model_path, TARGET.input("lenet5", "digit3"), labels=None, output=OUTPUT)
    report = tzinfer_run.run(target, f"{cmdline.removesuffix(' 2>&1')} --attest {nonce.hex()} "
                                     f"--report {REPORT} 2>&1", timeout=RUN_TIMEOUT_S)
    assert report.ok, report.output
    assert report.fields["attestation report"] == REPORT
    return tzinfer_run.fetch_bytes(target, REPORT), tzinfer_run.fetch_npy(target, OUTPUT)


def test_the_device_key_is_made_once_and_stays(target: Console) -> None:
    first, second = device_key(target), device_key(target)
    assert first == second and len(first) == attest.DEVICE_KEY_BYTES and first[0] == 0x04
    attest.load_device_key(first)  # a point on P-256


@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "plain"])
def test_an_attested_result_verifies_on_the_host(target: Console, fixtures: FixturePaths,
                                                 sealed: bool) -> None:
    stack = QemuStack()
    key = attest.load_device_key(device_key(target))
    if sealed:
        assert tzinfer_run.provision_key(target, keys.read(stack_key(stack)), TEST_KEY_ID).ok
    model = sealed_file(model_file(stack, "lenet5")) if sealed else model_file(stack, "lenet5")
    nonce = attest.new_nonce()
    path = sealed_on_target("lenet5") if sealed else TARGET.model("lenet5")
    data, output = attested_run(target, path, nonce)
    x = np.load(fixtures.input("lenet5", "digit3"))
    report = attest.verify(data, key, nonce, model=model.read_bytes(), inputs=[x], outputs=[output])
    assert (report.key_id, report.model_version) == ((TEST_KEY_ID, 0) if sealed else (0, 0))
    assert int(np.argmax(output)) == 3
    # The same report proves nothing about another nonce, model, input or output.
    with pytest.raises(attest.AttestationError, match="another nonce"):
        attest.verify(data, key, attest.new_nonce())
    with pytest.raises(attest.AttestationError, match="model file"):
        attest.verify(data, key, nonce, model=model_file(stack, "squeezenet1_1").read_bytes())
    with pytest.raises(attest.AttestationError, match="inputs"):
        attest.verify(data, key, nonce, inputs=[x + 1])
    with pytest.raises(attest.AttestationError, match="outputs"):
        attest.verify(data, key, nonce, outputs=[output * 2])


def test_a_sealed_report_names_the_package_not_the_plaintext(target: Console) -> None:
    """The model digest of a sealed model is the package's: a verifier learns nothing it could not
    compute from the ciphertext file, never the plaintext's digest."""
    stack = QemuStack()
    assert tzinfer_run.provision_key(target, keys.read(stack_key(stack)), TEST_KEY_ID).ok
    data, _ = attested_run(target, sealed_on_target("lenet5"), attest.new_nonce())
    report = attest.parse(data)
    plain = model_file(stack, "lenet5").read_bytes()
    package = sealed_file(model_file(stack, "lenet5")).read_bytes()
    assert report.model_sha256 == hashlib.sha256(package).digest()
    assert report.model_sha256 not in (hashlib.sha256(plain).digest(), hashlib.sha256(plain[128:]).digest())
    assert_valid_run_works(target)
