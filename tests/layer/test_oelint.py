"""oelint-adv finds nothing in the tzinfer layers (release wrynose)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tzinfer import REPO_ROOT
from tzinfer.yocto import LAYERS

#: Variables of meta-arm and meta-raspberrypi (oelint-data has no data for those layers), the
#: layer's own variables, and the machines/distro its overrides name.
CONSTANTS = Path(__file__).with_name("oelint-constants.json")

SUPPRESSED = {
    # Needs the network.
    "oelint.vars.homepageping": "network",
    # tzinfer has no public web page or bug tracker yet; HOMEPAGE would be made up.
    "oelint.var.mandatoryvar.HOMEPAGE": "no public page",
    "oelint.var.suggestedvar.BUGTRACKER": "no public tracker",
    # Our own code has no CVE product name.
    "oelint.var.suggestedvar.CVE_PRODUCT": "no CVE product",
    # A TA, a target client, models and an image have no native/nativesdk variant.
    "oelint.var.bbclassextend": "target only",
    # The TF-A patches give a free-form reason ("board-specific memory layout of tzinfer")
    # after Upstream-Status: Inappropriate; oelint wants one of OE's keywords there.
    "oelint.file.inappropriatemsg": "free-form reason in the stack's patches",
}


def test_oelint_adv_is_clean(layer_tools: Path) -> None:
    files = sorted(
        str(p) for layer in LAYERS for p in layer.rglob("*")
        if p.suffix in (".bb", ".bbappend", ".bbclass", ".inc", ".conf")
    )
    assert any(f.endswith("layer.conf") for f in files) and any(f.endswith(".bb") for f in files)
    cmd = [
        str(layer_tools / "oelint-adv"), "--quiet", "--release", "wrynose", "--relpaths",
        "--constantmods", f"+{CONSTANTS}",
        *(f"--suppress={rule}" for rule in SUPPRESSED),
        *files,
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT)
    findings = (run.stdout + run.stderr).strip()
    assert run.returncode == 0 and not findings, f"oelint-adv findings:\n{findings}"
