"""The Yocto layer and the quick QEMU stack build the firmware releases of board/firmware.lock.yaml:
the layer's versioned recipes (PV, SRCREV), the include that selects them, and the Debian pins
the quick stack was built with (board/*/debian.lock) all agree with the lock. Each check returns
its findings, so the last test can show that a drifted lock is caught by every one of them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tzinfer import REPO_ROOT, firmware
from tzinfer.yocto import BSP_LAYER, firmwareconf

DEBIAN_LOCKS = sorted((REPO_ROOT / "board").glob("*/debian.lock"))
#: Recipes that build another recipe's source: the dev kit recipe requires optee-os_${PV}.bb.
SOURCE_OF = {"optee-os-tadevkit": "optee-os"}
_SRCREV = re.compile(r'^SRCREV(?:_tfa)?\s*=\s*"([0-9a-f]+)"', re.M)


def include_findings(lock_file: Path) -> list[str]:
    if firmwareconf.INCLUDE.read_text() != firmwareconf.render(lock_file):
        return [f"{firmwareconf.INCLUDE.name} is stale: run invoke yocto.firmware and commit"]
    return []


def recipe_findings(lock_file: Path, layer: Path = BSP_LAYER) -> list[str]:
    """Each locked recipe exists at the locked version with the locked commit; no other version of
    it is left in the layer."""
    findings = []
    for component in firmware.load(lock_file).values():
        for recipe in component.recipes:
            versions = {p.stem.split("_", 1)[1]: p for p in layer.rglob(f"{recipe}_*.bb")}
            if set(versions) != {component.version}:
                findings.append(f"{recipe}: the layer has versions {sorted(versions)}, the lock "
                                f"{component.version}: rename the recipe to {recipe}_{component.version}.bb")
                continue
            source = layer.rglob(f"{SOURCE_OF.get(recipe, recipe)}_{component.version}.bb")
            revisions = _SRCREV.findall(next(source).read_text())
            if revisions != [component.commit]:
                findings.append(f"{recipe} {component.version}: SRCREV {revisions} is not the commit of "
                                f"{component.tag}, {component.commit}")
    return findings


def debian_lock_findings(lock_file: Path, debian_locks: list[Path] = DEBIAN_LOCKS) -> list[str]:
    """Every Debian pin of a locked package is the locked version from the locked suite."""
    packages = {c.debian.package: c.debian for c in firmware.load(lock_file).values()}
    findings = []
    for debian_lock in debian_locks:
        for line in debian_lock.read_text().splitlines():
            fields = line.split()
            if line.startswith("#") or len(fields) != 5 or fields[2] not in packages:
                continue
            kind, suite, name, version, _ = fields
            wanted = packages[name]
            if (kind, name, suite) != wanted.pin_key or version != wanted.version:
                findings.append(f"{debian_lock.relative_to(REPO_ROOT)}: {kind} {suite} {name} {version}, the "
                                f"firmware lock has {wanted.suite} {wanted.version}: rebuild the stack")
    return findings


def test_the_layer_include_selects_the_locked_releases() -> None:
    assert include_findings(firmware.LOCK_FILE) == []
    text = firmwareconf.INCLUDE.read_text()
    for component in firmware.load().values():
        for recipe in component.recipes:
            assert f'PREFERRED_VERSION_{recipe}:tzinfer = "{component.version}"' in text


def test_the_layer_recipes_are_the_locked_releases() -> None:
    assert recipe_findings(firmware.LOCK_FILE) == []


def test_the_quick_stack_was_built_from_the_locked_releases() -> None:
    qemu_lock = REPO_ROOT / "board/qemu/debian.lock"
    assert qemu_lock in DEBIAN_LOCKS
    lines = [line for line in qemu_lock.read_text().splitlines() if not line.startswith("#")]
    pinned = {tuple(line.split()[:3]) for line in lines}
    for component in firmware.load().values():
        kind, name, suite = component.debian.pin_key
        assert (kind, suite, name) in pinned, f"{qemu_lock.name} has no pin of {name}: rebuild the stack"
    assert debian_lock_findings(firmware.LOCK_FILE) == []


def test_a_drifted_lock_is_caught_by_every_check(tmp_path: Path) -> None:
    lock = tmp_path / "firmware.lock.yaml"
    text = firmware.LOCK_FILE.read_text()
    lock.write_text(text.replace("version: 2.12.1\n", "version: 2.12.16\n")
                        .replace("version: 2.12.1+dfsg-1}", "version: 2.12.16+dfsg-1}"))
    assert include_findings(lock)
    assert any("trusted-firmware-a: the layer has versions ['2.12.1']" in f for f in recipe_findings(lock))
    assert any("arm-trusted-firmware 2.12.1+dfsg-1, the firmware lock has trixie 2.12.16+dfsg-1" in f
               for f in debian_lock_findings(lock))
    # A recipe whose SRCREV is not the locked tag's commit.
    layer = tmp_path / "layer"
    shutil.copytree(BSP_LAYER / "recipes-bsp", layer / "recipes-bsp")
    shutil.copytree(BSP_LAYER / "recipes-security", layer / "recipes-security")
    recipe = next(layer.rglob("optee-os_*.bb"))
    recipe.write_text(recipe.read_text().replace(firmware.load()["optee-os"].commit, "0" * 40))
    findings = recipe_findings(firmware.LOCK_FILE, layer)
    assert len(findings) == 2 and all("SRCREV ['" + "0" * 40 in f for f in findings)  # os and dev kit


@pytest.mark.parametrize(("change", "error"), [
    (("commit: 753afbbee1682f5d16fd30e87b31058a4fd4f4b8", "commit: 753afbb"), "not a full 40-digit git hash"),
    (("version: 4.10.0-2}", "version: 4.9.0-1}"), "packages 4.9.0, not 4.10.0"),
    (("  tag: lts-v2.12.1\n", ""), "'tag'"),
])
def test_an_inconsistent_lock_is_refused(tmp_path: Path, change: tuple[str, str], error: str) -> None:
    lock = tmp_path / "firmware.lock.yaml"
    lock.write_text(firmware.LOCK_FILE.read_text().replace(*change))
    with pytest.raises(firmware.FirmwareLockError, match=re.escape(error)):
        firmware.load(lock)
