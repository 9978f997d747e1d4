"""Yocto tasks: build the SD-card image with kas, flash it, regenerate the layer's generated includes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from invoke import Context, task
from invoke.exceptions import Exit

from tzinfer import BUILD_DIR, REPO_ROOT, board
from tzinfer.yocto import firmwareconf, memconf
from tzinfer.yocto.flash import UnsafeDeviceError, check_target

#: kas overlay with the test content (xtest, tzinfer-hostile, the test TA, passwordless root) for `--tests`.
TEST_KAS_FILE = REPO_ROOT / "kas" / "test.yml"

#: Where kas checks out the layers and bitbake builds (KAS_WORK_DIR); git-ignored.
YOCTO_BUILD_DIR = BUILD_DIR / "yocto"

#: Where `invoke build` looks for models converted beforehand when TZINFER_MODELS is not set.
MODELS_DIR = BUILD_DIR / "models"


def _models(explicit: str) -> str:
    """Space-separated absolute .tzm paths for TZINFER_MODELS: the argument, else build/models/*.tzm."""
    paths = [Path(p).resolve() for p in explicit.split()] if explicit else sorted(MODELS_DIR.glob("*.tzm"))
    if not paths:
        raise Exit(
            f"no models to put in the image: convert one first (tzinfer convert model.onnx -o "
            f"{MODELS_DIR.relative_to(REPO_ROOT)}/model.tzm) or pass --models /path/a.tzm",
            code=2,
        )
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise Exit(f"model file(s) not found: {', '.join(missing)}; run tzinfer convert first", code=2)
    return " ".join(str(p) for p in paths)


@task(
    help={
        "machine": "the board (a folder of board/ whose board.yaml names a kas file): rpi3 "
        "(Raspberry Pi 3B+ SD-card image)",
        "models": "space-separated .tzm files to install (default: build/models/*.tzm)",
        "sign_key": "RSA private key (PEM) that signs the TA (default: $TZINFER_TA_SIGN_KEY; without "
        "one only a test image builds, with OP-TEE's public test key)",
        "tests": "add kas/test.yml: xtest, tzinfer-hostile, the test TA and a passwordless root for "
        "invoke test-hw (never for a product image)",
    }
)
def build(c: Context, machine: str = "rpi3", models: str = "", sign_key: str = "",
          tests: bool = False) -> None:
    """Build tzinfer-image with kas (needs network access to the layer git servers and ~100 GB)."""
    if machine not in board.names():
        raise Exit(f"unknown --machine {machine!r}: use one of {', '.join(board.names())}", code=2)
    kas_file = board.load(machine).yocto.kas
    if kas_file is None:
        raise Exit(f"board {machine} has no kas file: the quick QEMU stack (invoke test-qemu) builds the "
                   "same firmware releases and runs the target checks", code=2)
    kas = shutil.which("kas", path=f"{REPO_ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    if not kas:
        raise Exit("kas is not installed: run scripts/bootstrap (it installs kas into .venv)", code=2)
    key = sign_key or os.environ.get("TZINFER_TA_SIGN_KEY", "")
    if key and not Path(key).is_file():
        raise Exit(f"TA signing key {key} not found: pass the path of your RSA private key (PEM)", code=2)
    if not key and not tests:
        # The layer refuses it too (tzinfer_ta_sign.bbclass), but only after hours of building.
        raise Exit("no TA signing key: a product image signed with OP-TEE's public test key would run any "
                   "TA anyone signs, including one that reads the model keys. Make your own: openssl genrsa "
                   "-out ta-sign.pem 4096 (keep it offline), then --sign-key ta-sign.pem or "
                   "TZINFER_TA_SIGN_KEY; or build a test image with --tests", code=2)
    YOCTO_BUILD_DIR.mkdir(parents=True, exist_ok=True)
    env = {
        "KAS_WORK_DIR": str(YOCTO_BUILD_DIR),
        "TZINFER_MODELS": _models(models),
        "TZINFER_TA_SIGN_KEY": str(Path(key).resolve()) if key else "",
    }
    project = f"{kas_file}:{TEST_KAS_FILE}" if tests else str(kas_file)
    c.run(f"{kas} build {project}", env=env, pty=True)


@task(
    help={
        "device": "the SD card's whole-disk device, e.g. /dev/sdb or /dev/mmcblk0",
        "image": "the image: tzinfer-image-raspberrypi3-64.rootfs.wic.bz2 (with its .wic.bmap beside it) "
        "under build/yocto/build/tmp/deploy/images/raspberrypi3-64/",
        "force": "also write to a disk that does not look removable (never to a mounted or system disk)",
    },
    positional=["image"],
)
def flash(c: Context, image: str, device: str = "", force: bool = False) -> None:
    """Write an image to an SD card with bmaptool, after checking the card is safe to overwrite."""
    if not device:
        raise Exit("--device is required, e.g. invoke flash --device /dev/sdb IMAGE (find it with lsblk)",
                   code=2)
    image_path = Path(image)
    if not image_path.is_file():
        raise Exit(f"image {image} not found: build it with invoke build, then pass the .wic.bz2 file",
                   code=2)
    if not shutil.which("bmaptool"):
        raise Exit("bmaptool is not installed: apt-get install bmap-tools (scripts/bootstrap does it)",
                   code=2)
    try:
        disk = check_target(device, force=force)
    except UnsafeDeviceError as err:
        raise Exit(f"refusing to flash: {err}", code=2) from err
    print(f"flash: writing {image_path.name} to {device} ({disk.model}, {disk.size_bytes / 1e9:.1f} GB)")
    # bmaptool finds the .bmap next to the image and shows its own progress on the terminal.
    c.run(f"bmaptool copy {image_path} {device}", pty=True)


@task
def yocto_memconf(c: Context) -> None:
    """Regenerate meta-tzinfer-bsp/conf/machine/include/tzinfer-memory-<board>.inc from board/<board>/."""
    for name in board.names():
        print(f"wrote {memconf.write(board.load(name)).relative_to(REPO_ROOT)}")


@task
def yocto_firmware(c: Context) -> None:
    """Regenerate meta-tzinfer-bsp/conf/machine/include/tzinfer-firmware.inc from board/firmware.lock.yaml."""
    print(f"wrote {firmwareconf.write().relative_to(REPO_ROOT)}")
