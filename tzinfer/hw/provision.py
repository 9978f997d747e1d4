"""The files the target checks read, made present on a board: the data tree of the QEMU stack's
overlay (models, sample inputs, labels under /usr/share/tzinfer) is the reference, compared by
sha256 and uploaded as base64 where the board's copy is missing or different.

A Yocto image brings the models (tzinfer-models) but not the sample inputs or labels; those are
small. A model upload is slow over a real UART (about 1 MB per 2 minutes at 115200 baud), so
build the image with the host's models instead (docs/hardware.md).
"""

from __future__ import annotations

import base64
import hashlib
import shlex
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from tzinfer.board import Target
from tzinfer.hw import SerialError
from tzinfer.target.console import Console
from tzinfer.target.layout import TA_UUID, TARGET_CLIENT, TARGET_DATA_DIR

#: base64 characters per line sent; the tty's line buffer holds 4095.
CHUNK = 3072
#: Bytes per second a 115200 8N1 line carries (10 bits per byte), for the upload estimate.
BYTES_PER_S_AT_115200 = 11520


def data_files(overlay: Path) -> dict[str, Path]:
    """Target path -> host file for every file of the stack's data tree."""
    root = overlay / TARGET_DATA_DIR
    if not root.is_dir():
        raise SerialError(f"{root} is missing: build the host side first (invoke qemu.build)")
    return {f"/{TARGET_DATA_DIR}/{p.relative_to(root).as_posix()}": p
            for p in sorted(root.rglob("*")) if p.is_file()}


def check_programs(console: Console, target: Target) -> None:
    """The client and the TA are part of the image (the TA where the board's image puts TAs);
    say which is missing."""
    if console.run(f"test -x /{TARGET_CLIENT}")[0] != 0:
        raise SerialError(f"/{TARGET_CLIENT} is not on the board: flash an image with tzinfer-client "
                          "(invoke build, invoke flash)")
    if console.run(f"test -f {target.ta_file(TA_UUID)}")[0] != 0:
        raise SerialError(f"the tzinfer TA {target.ta_file(TA_UUID)} is not on the board: flash an image "
                          "with tzinfer-ta (invoke build, invoke flash), or pass the board it is "
                          "(--board; its board.yaml target.ta_dir says where its image puts TAs)")


def sync(console: Console, files: dict[str, Path], tell: Callable[[str], None] = print) -> list[str]:
    """Upload every file whose board copy is missing or differs; returns the uploaded paths."""
    stale = [target for target, host in files.items()
             if remote_sha256(console, target) != hashlib.sha256(host.read_bytes()).hexdigest()]
    if stale:
        size = sum(files[t].stat().st_size for t in stale)
        tell(f"uploading {len(stale)} file(s), {size / 1e6:.1f} MB, to the board (about "
             f"{size * 4 / 3 / BYTES_PER_S_AT_115200 / 60:.0f} min at 115200 baud)")
    for target in stale:
        upload(console, files[target], target)
    return stale


def remote_sha256(console: Console, path: str) -> str | None:
    code, output = console.run(f"sha256sum {shlex.quote(path)} 2>/dev/null")
    return output.split()[0] if code == 0 and output else None


def upload(console: Console, host: Path, target: str) -> None:
    """Send `host` to `target` as base64 lines, decode it there, and verify its sha256."""
    text = base64.b64encode(host.read_bytes()).decode()
    staging = shlex.quote(f"/tmp/{PurePosixPath(target).name}.b64")
    dest = shlex.quote(target)
    console.check(f"mkdir -p {shlex.quote(str(PurePosixPath(target).parent))} && : > {staging}")
    for start in range(0, len(text), CHUNK):
        console.check(f"echo {text[start:start + CHUNK]} >> {staging}")
    code, output = console.run(f"base64 -d {staging} > {dest} 2>&1", timeout=120)
    console.run(f"rm -f {staging}")
    if code != 0:
        raise SerialError(f"writing {target} on the board failed ({output.strip()[-200:]}): is the root "
                          "file system read-only? Put the file in the image instead")
    if remote_sha256(console, target) != hashlib.sha256(host.read_bytes()).hexdigest():
        raise SerialError(f"{target} arrived corrupted over the serial line: check the wiring and --baud")
