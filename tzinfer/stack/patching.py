"""A patched copy of an unpacked source tree, redone only when the source or a patch changes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tzinfer.stack import StackError
from tzinfer.stack.steprun import Stamp, digest


def patched_tree(source: Path, patches: list[Path], dest: Path) -> Path:
    """Copy `source` to `dest` and apply `patches` in order with `patch -p1`; cached by content.
    No fuzz: a patch applies exactly to the locked release or not at all, as in the Yocto build
    (OE's patch-fuzz QA check), so both paths build the same code."""
    stamp = Stamp(dest / ".tzinfer-patched", digest([str(source), *(p.name for p in patches), *patches]))
    if stamp.fresh():
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, symlinks=True)
    for patch in patches:
        proc = subprocess.run(
            ["patch", "-p1", "--fuzz=0", "--forward", "--batch", "--no-backup-if-mismatch", "-i", str(patch)],
            cwd=dest, capture_output=True, text=True,
        )
        if proc.returncode != 0:
            last = (proc.stdout + proc.stderr).strip().splitlines()[-1:]
            raise StackError(
                f"{patch.name} does not apply to {source.name}: {' '.join(last)}; "
                "rebase the patch onto the release in board/firmware.lock.yaml (no fuzz allowed)"
            )
    stamp.done()
    return dest
