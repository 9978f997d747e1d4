"""The bitbake include that selects the firmware lock's releases (board/firmware.lock.yaml) in the
layer: `meta-tzinfer-bsp/conf/machine/include/tzinfer-firmware.inc`, committed, with a
PREFERRED_VERSION under the tzinfer override for each recipe of each locked component.
tests/layer/test_firmware_lock.py checks it is current; `invoke yocto.firmware` rewrites it."""

from __future__ import annotations

from pathlib import Path

from tzinfer import REPO_ROOT, firmware, templating
from tzinfer.yocto import BSP_LAYER

INCLUDE = BSP_LAYER / "conf" / "machine" / "include" / "tzinfer-firmware.inc"


def render(lock_file: Path = firmware.LOCK_FILE) -> str:
    """The include's text for the lock file."""
    components = firmware.load(lock_file).values()
    source = lock_file.relative_to(REPO_ROOT) if lock_file.is_relative_to(REPO_ROOT) else lock_file
    return templating.render("tzinfer-firmware.inc.j2", components=components, source=source)


def write() -> Path:
    """Regenerate the include; returns its path."""
    INCLUDE.write_text(render())
    return INCLUDE
