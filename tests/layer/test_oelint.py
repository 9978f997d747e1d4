"""oelint-adv finds nothing in the tzinfer layers (release wrynose)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tzinfer import REPO_ROOT, firmware
from tzinfer.yocto import BSP_LAYER, LAYERS

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


#: The firmware recipes of board/firmware.lock.yaml follow meta-arm's versioned recipes: a `require`
#: of meta-arm's .inc (SUMMARY, LICENSE, SRC_URI, ...; not in this offline lint, so oelint cannot
#: follow it) plus the release's SRCREV. Linted on their own, without the other recipes' appends.
FIRMWARE_RECIPES = sorted(
    p for name, component in firmware.load().items()
    for recipe in component.recipes for p in BSP_LAYER.rglob(f"{recipe}_{component.version}.bb")
)
REQUIRES_META_ARM = {
    "oelint.file.requirenotfound": "meta-arm's .inc is not in the lint run",
    "oelint.var.mandatoryvar": "set by meta-arm's .inc",
    "oelint.var.suggestedvar.SECTION": "meta-arm's .inc sets none either",
    # SRCREV_tfa / SRCREV_mbedtls name the SRC_URI entries of meta-arm's trusted-firmware-a.inc.
    "oelint.vars.specific": "SRC_URI names in meta-arm's .inc",
    # optee-test.inc's own file (run-ptest) lives beside that .inc, in meta-arm.
    "oelint.vars.fileextrapaths": "files of meta-arm's .inc",
    "oelint.vars.outofcontext": "FILESEXTRAPATHS for the files of meta-arm's .inc",
}


def oelint(layer_tools: Path, files: list[str], suppressed: dict[str, str]) -> str:
    cmd = [
        str(layer_tools / "oelint-adv"), "--quiet", "--release", "wrynose", "--relpaths",
        "--constantmods", f"+{CONSTANTS}",
        *(f"--suppress={rule}" for rule in suppressed),
        *files,
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT)
    findings = (run.stdout + run.stderr).strip()
    return findings or ("" if run.returncode == 0 else f"exit {run.returncode}")


def test_oelint_adv_is_clean(layer_tools: Path) -> None:
    files = sorted(
        str(p) for layer in LAYERS for p in layer.rglob("*")
        if p.suffix in (".bb", ".bbappend", ".bbclass", ".inc", ".conf") and p not in FIRMWARE_RECIPES
    )
    assert any(f.endswith("layer.conf") for f in files) and any(f.endswith(".bb") for f in files)
    findings = oelint(layer_tools, files, SUPPRESSED)
    assert not findings, f"oelint-adv findings:\n{findings}"


def test_oelint_adv_is_clean_on_the_firmware_recipes(layer_tools: Path) -> None:
    assert len(FIRMWARE_RECIPES) == 4
    findings = oelint(layer_tools, [str(p) for p in FIRMWARE_RECIPES], {**SUPPRESSED, **REQUIRES_META_ARM})
    assert not findings, f"oelint-adv findings:\n{findings}"
