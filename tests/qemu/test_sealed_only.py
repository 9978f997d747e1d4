"""The sealed-only build of the TA (TZI_SEALED_ONLY=y, the recommended product setting): swapped
in for the product TA (same UUID), it refuses a plaintext .tzm with TEE_ERROR_ACCESS_DENIED and a
message that says to seal it, and loads the sealed package; the product build loads both. QEMU
only: the sealed-only TA is signed for the stack's OP-TEE."""

from __future__ import annotations

import pytest

from tests.qemu.test_confidentiality import run_sealed, sealed_on_target
from tzinfer import keys
from tzinfer.board import Board
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.sealed_models import TEST_KEY_ID, stack_key
from tzinfer.stack.vm import BootedVM
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TA_UUID, TARGET, TARGET_SEALED_ONLY_TA_DIR

pytestmark = pytest.mark.qemu

SEALED_ONLY = f"/{TARGET_SEALED_ONLY_TA_DIR}/{TA_UUID}.ta"
SAVED = "/tmp/tzinfer-ta-saved.ta"


def test_sealed_only_ta_refuses_plaintext_models(target: Console, qemu_vm: BootedVM,
                                                 target_board: Board) -> None:
    installed = target_board.target.ta_file(TA_UUID)
    assert tzinfer_run.provision_key(target, keys.read(stack_key(QemuStack())), TEST_KEY_ID).ok
    target.check(f"test -f {SEALED_ONLY} && ! cmp -s {SEALED_ONLY} {installed} && cp {installed} {SAVED}")
    try:
        target.check(f"cp {SEALED_ONLY} {installed}")
        plain = run_sealed(target, TARGET.model("lenet5"))
        sealed = run_sealed(target, sealed_on_target("lenet5"))
    finally:
        target.check(f"cp {SAVED} {installed} && rm -f {SAVED}")
    assert not plain.ok
    assert "is a plaintext model, and this TA loads sealed models only" in plain.output, plain.output
    assert "tzinfer seal" in plain.output and "[TEEC 0xffff0001 from TA]" in plain.output
    assert sealed.ok, sealed.output
    assert sealed.top[0].class_id == 3
    # The product build again: plaintext loads.
    assert run_sealed(target, TARGET.model("lenet5")).ok
