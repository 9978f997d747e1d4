"""Where tzinfer's files are on a target (the QEMU stack's initramfs, a board's image): the client,
the library, the models and their sample inputs. The QEMU stack installs to these paths
(tzinfer/stack/payload.py); the target checks (tests/qemu, on QEMU or a board) and the board
harness (tzinfer/hw) look for them there. Paths without a leading slash are relative to /.

The TA directory differs between images (Yocto: /lib/optee_armtz; the quick stack's initramfs:
/usr/lib/optee_armtz): it is the board's, board/<board>/board.yaml `target.ta_dir`
(tzinfer.board.Target).
"""

from __future__ import annotations

from dataclasses import dataclass

from tzinfer.sources import c_string

#: The TA's UUID, read from the header TA and client share; OP-TEE loads it as <uuid>.ta.
TA_UUID = c_string("ta/include/tzinfer_ta.h", "TZI_TA_UUID_STR")
#: The test build of the TA, with the WIPE_AUDIT command (ta/include/tzinfer_ta_test.h): only this
#: QEMU test stack carries it, beside the product TA.
TEST_TA_UUID = c_string("ta/include/tzinfer_ta_test.h", "TZI_TEST_TA_UUID_STR")
#: The test TA built with OP-TEE's pseudo-TA-only TA_FLAG_CONCURRENT, which our OP-TEE must refuse
#: to load (tests/qemu/test_concurrent_entries.py); only this QEMU test stack carries it.
TEST_CONCURRENT_TA_UUID = c_string("ta/include/tzinfer_ta_test.h", "TZI_TEST_CONCURRENT_TA_UUID_STR")
#: The client on the target.
TARGET_CLIENT = "usr/bin/tzinfer-run"
#: The hostile-input and soak tool (client/hostile/), for the QEMU tests only.
TARGET_HOSTILE = "usr/bin/tzinfer-hostile"
#: Where libtzinfer's shared library goes (Debian's multiarch directory, like libteec).
TARGET_LIB_DIR = "usr/lib/aarch64-linux-gnu"
#: The C example of docs/integrating.md, built against the installed library.
TARGET_C_EXAMPLE = "usr/bin/tzinfer-example"
#: Models, inputs and labels on the target (relative to /).
TARGET_DATA_DIR = "usr/share/tzinfer"
#: The TA signed with a foreign key, which OP-TEE must refuse to load (relative to /).
TARGET_FOREIGN_TA_DIR = "usr/share/tzinfer/foreign-key"
#: The sealed-only build of the TA (same UUID), for the test that swaps it in (relative to /).
TARGET_SEALED_ONLY_TA_DIR = "usr/share/tzinfer/sealed-only"


@dataclass(frozen=True)
class TargetPaths:
    """Absolute paths on the booted target of the client and the data files."""

    data: str = "/" + TARGET_DATA_DIR

    @property
    def client(self) -> str:
        return "/" + TARGET_CLIENT

    @property
    def labels(self) -> str:
        """ImageNet class names, one per line."""
        return f"{self.data}/imagenet_labels.txt"

    def model(self, name: str) -> str:
        return f"{self.data}/models/{name}.tzm"

    def input(self, model: str, name: str) -> str:
        return f"{self.data}/inputs/{model}/{name}.npy"


TARGET = TargetPaths()
