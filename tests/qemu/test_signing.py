"""OP-TEE OS loads only TAs signed with the key it was built to trust: the same TA, signed
with a key generated at build time that the OS does not trust (payload.foreign_signed_ta), is
refused with TEE_ERROR_SECURITY, and the correctly signed TA works again afterwards."""

from __future__ import annotations

import pytest

from tzinfer.board import Board
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TA_UUID, TARGET, TARGET_FOREIGN_TA_DIR

pytestmark = pytest.mark.qemu

FOREIGN = f"/{TARGET_FOREIGN_TA_DIR}/{TA_UUID}.ta"
SAVED = "/tmp/tzinfer-ta-saved.ta"


def lenet_run(target: Console) -> tzinfer_run.RunReport:
    cmdline = tzinfer_run.command(TARGET.model("lenet5"), TARGET.input("lenet5", "digit3"), labels=None)
    return tzinfer_run.run(target, cmdline, timeout=120)


def test_ta_signed_with_a_foreign_key_is_refused(target: Console, target_board: Board,
                                                  request: pytest.FixtureRequest) -> None:
    installed = target_board.target.ta_file(TA_UUID)  # where tee-supplicant loads it from
    if request.config.getoption("target_port") and target.run(f"test -f {FOREIGN}")[0] != 0:
        # The QEMU stack's TA dev kit signs it; a board run builds only the data files.
        pytest.skip(f"no foreign-signed TA at {FOREIGN} on the board: build the QEMU stack once "
                    "(invoke qemu.build), and test-hw uploads the one it signs")
    target.check(f"test -f {FOREIGN} && ! cmp -s {FOREIGN} {installed} && cp {installed} {SAVED}")
    try:
        target.check(f"cp {FOREIGN} {installed}")
        refused = lenet_run(target)
    finally:
        target.check(f"cp {SAVED} {installed}")
    assert not refused.ok
    assert "OP-TEE rejected the TA's signature" in refused.output, refused.output
    assert "[TEEC 0xffff000f" in refused.output, refused.output  # TEE_ERROR_SECURITY
    accepted = lenet_run(target)
    assert accepted.ok, accepted.output
    assert accepted.top[0].class_id == 3
