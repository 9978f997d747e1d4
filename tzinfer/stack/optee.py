"""Build OP-TEE OS for a board (board/<board>/board.yaml: PLATFORM and its make arguments) from
Debian's source with our patches and the memory-map flags."""

from __future__ import annotations

import os
from pathlib import Path

from tzinfer import REPO_ROOT
from tzinfer.board import Board
from tzinfer.stack import hosttools, signing
from tzinfer.stack.layout import CROSS_COMPILE, OPTEE_PATCH_DIR, QemuStack
from tzinfer.stack.patching import patched_tree
from tzinfer.stack.steprun import Stamp, digest, run

#: Flags that do not come from the board: Debian's QEMU build (debian/rules) settings.
BASE_FLAGS = {
    "CFG_ARM64_core": "y",
    "CFG_USER_TA_TARGETS": "ta_arm64",
    "CFG_TEE_BENCHMARK": "n",
    # Debug level: the boot log then names the core carve-out, which the tests read back.
    "CFG_TEE_CORE_LOG_LEVEL": "3",
}

#: The images TF-A takes as BL32 (header) and BL32_EXTRA1/2 (pager, pageable).
IMAGES = ("tee-header_v2.bin", "tee-pager_v2.bin", "tee-pageable_v2.bin")


def make_args(board: Board) -> dict[str, str]:
    """The make variables OP-TEE OS is built with for `board` (besides the signing key's)."""
    return {"PLATFORM": board.optee.platform_arg, **BASE_FLAGS, **board.optee.make_args,
            **board.memory.optee_flags()}


def build(stack: QemuStack, source: Path, patched: bool = True) -> None:
    """Patch `source` (an unpacked optee-os) and build it into stack.optee, incrementally; for a
    layout variant (stack.base) the core images only. patched=False leaves our patches out (the
    baseline `invoke qemu.xtest-full --unpatched` compares with); give such a build its own stack
    root."""
    hosttools.require("make", "patch", f"{CROSS_COMPILE}gcc")
    patches = sorted(OPTEE_PATCH_DIR.glob("*.patch")) if patched else []
    tree = patched_tree(source, patches, stack.root / "optee-src")
    flags = make_args(stack.board)
    # The OS embeds the public half of the TA signing key and loads only TAs it signed.
    key = signing.user_key()
    args = [f"{k}={v}" for k, v in flags.items()] + signing.make_args(key)
    signing.warn_if_default(key)
    key_file = [key] if key else []
    stamp = Stamp(stack.optee / ".tzinfer-built", digest([str(tree), *args, *patches, *key_file]))
    if stamp.fresh() and all(image.is_file() for image in images(stack)):
        return
    # A layout variant takes its base's TA dev kit and in-tree TAs: only the core's images.
    goals = [str(image) for image in images(stack)] if stack.base else []
    # OP-TEE's build scripts import cryptography and elftools: run them with the venv's python.
    venv_bin = REPO_ROOT / ".venv" / "bin"
    env = {"PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"}
    run(
        ["make", "-C", str(tree), f"-j{os.cpu_count() or 2}", f"O={stack.optee}",
         f"CROSS_COMPILE={CROSS_COMPILE}", f"CROSS_COMPILE64={CROSS_COMPILE}", *args, *goals],
        label=f"OP-TEE OS ({flags['PLATFORM']})", log=stack.logs / "optee.log", env=env,
    )
    stamp.done()


def images(stack: QemuStack) -> list[Path]:
    """The built BL32 images in TF-A's order."""
    return [stack.optee / "core" / image for image in IMAGES]
