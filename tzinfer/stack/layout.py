"""Where the QEMU stack's inputs and outputs live, shared by the build steps and the VM launcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tzinfer import board as boards
from tzinfer.stack import QEMU_BUILD
from tzinfer.yocto import BSP_LAYER

#: The patch files both build paths apply (the Yocto BSP layer references the same files).
OPTEE_PATCH_DIR = BSP_LAYER / "recipes-security/optee/files"
TFA_PATCH_DIR = BSP_LAYER / "recipes-bsp/trusted-firmware-a/files"
CROSS_COMPILE = "aarch64-linux-gnu-"
#: Where the VM mounts QemuStack.share (virtio-9p, mount tag SHARE_TAG).
SHARE_MOUNT = "/mnt/host"
SHARE_TAG = "tzinfer"


@dataclass
class QemuStack:
    """A stack's build tree (build/qemu/; build/rpi3/ for the Pi's firmware) and the board it is
    built for."""

    root: Path = QEMU_BUILD
    board: boards.Board = field(default_factory=lambda: boards.load("qemu"))
    #: A layout variant's (variant_stack) base: the stack whose kernel, initramfs, TA dev kit and
    #: host share the variant runs with. The variant builds only what its memory map changes.
    base: QemuStack | None = None

    @property
    def logs(self) -> Path:
        """Full logs of the build commands."""
        return self.root / "logs"

    @property
    def optee(self) -> Path:
        """OP-TEE OS build output (O=)."""
        return self.root / "optee"

    @property
    def ta_devkit(self) -> Path:
        """The TA dev kit for building TAs: TA_DEV_KIT_DIR (a variant's is its base's: the memory
        layout is not in the TA ABI)."""
        return self.base.ta_devkit if self.base else self.optee / "export-ta_arm64"

    @property
    def in_tree_tas(self) -> Path:
        """TAs built with OP-TEE itself (pkcs11, ...), installed next to xtest's."""
        return self.optee / "ta"

    @property
    def tfa(self) -> Path:
        """TF-A build output (BUILD_BASE=)."""
        return self.root / "tfa"

    @property
    def firmware(self) -> Path:
        """TF-A bl1 + fip (BL2, BL31, OP-TEE as BL32, U-Boot as BL33): the board's firmware image
        (QEMU's -bios, the Pi's armstub8.bin)."""
        return self.root / self.board.firmware.image

    @property
    def kernel(self) -> Path:
        """Debian's arm64 kernel Image (uncompressed)."""
        return self.base.kernel if self.base else self.root / "Image"

    @property
    def debian_root(self) -> Path:
        """The unpacked Debian binaries the initramfs and the sysroot are taken from."""
        return self.root / "debian-root"

    @property
    def sysroot(self) -> Path:
        """arm64 sysroot for the normal-world client: usr/include/tee_client_api.h, libteec."""
        return self.root / "sysroot"

    @property
    def overlay(self) -> Path:
        """Files copied verbatim into the initramfs (TAs, tzinfer-run, models) by later steps."""
        return self.root / "overlay"

    @property
    def share(self) -> Path:
        """The host directory every VM of this stack sees at SHARE_MOUNT (virtio-9p): the Python
        runtime, and the files `tzinfer qemu run` passes in and takes back."""
        return self.base.share if self.base else self.root / "share"

    @property
    def initrd(self) -> Path:
        """The initramfs (gzip'ed newc cpio)."""
        return self.root / "initrd.cpio.gz"

    def secure_log(self, name: str = "secure.log") -> Path:
        """Default path of the secure-world (second UART) log."""
        return self.root / name


def variant_stack(variant: str) -> QemuStack:
    """The QEMU stack with a layout variant of board/qemu/memory.yaml, in build/qemu-<variant>/, on
    the default stack (`base`)."""
    return QemuStack(root=QEMU_BUILD.with_name(f"qemu-{variant}"), board=boards.load("qemu", variant),
                     base=QemuStack())
