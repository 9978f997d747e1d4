"""Files the layer refers to exist, patches are documented, and both build paths share them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tzinfer
from tzinfer import REPO_ROOT
from tzinfer.stack import layout

LAYER = REPO_ROOT / "meta-tzinfer"
RECIPES = sorted(
    p for p in LAYER.rglob("*") if p.suffix in (".bb", ".bbappend", ".inc") and "conf" not in p.parts
)
OPTEE_FILES = LAYER / "recipes-security/optee/files"
TFA_FILES = LAYER / "recipes-bsp/trusted-firmware-a/files"


def _file_uris(text: str) -> list[str]:
    """Literal file:// names in a recipe, without their ;parameters."""
    return re.findall(r"file://([A-Za-z0-9_./-]+)", text)


def _search_path(recipe: Path) -> list[Path]:
    """Where bitbake's FILESPATH looks for a recipe's file:// entries (the parts this layer uses)."""
    text = recipe.read_text()
    here = recipe.parent
    dirs = [here / "files", here]
    pn = recipe.name.split("_")[0].removesuffix(".bb").removesuffix(".bbappend")
    dirs.append(here / pn)
    if "require recipes-tzinfer/tzinfer-source.inc" in text:
        dirs.insert(0, REPO_ROOT)  # FILESEXTRAPATHS:prepend := "${TZINFER_SRCDIR}:"
    return dirs


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: str(p.relative_to(LAYER)))
def test_every_file_uri_exists(recipe: Path) -> None:
    for name in _file_uris(recipe.read_text()):
        found = [d / name for d in _search_path(recipe) if (d / name).exists()]
        assert found, f"{recipe.name}: file://{name} not found in {[str(d) for d in _search_path(recipe)]}"


def test_tzinfer_recipes_build_from_the_repository_sources() -> None:
    uris = set()
    for recipe in RECIPES:
        if "require recipes-tzinfer/tzinfer-source.inc" in recipe.read_text():
            uris.update(_file_uris(recipe.read_text()))
    assert uris >= {"ta", "client", "stinylib", "tinylibm"}
    assert not list(LAYER.rglob("*.c")), "C sources belong in the repository's own directories"


def test_recipe_versions_follow_the_package_version() -> None:
    versioned = [p for p in (LAYER / "recipes-tzinfer").rglob("tzinfer-*_*.bb")]
    assert versioned
    for recipe in versioned:
        version = recipe.stem.split("_")[1]
        assert version == tzinfer.__version__, f"{recipe.name}: rename to PV {tzinfer.__version__}"


PATCHES = sorted(LAYER.rglob("*.patch"))


@pytest.mark.parametrize("patch", PATCHES, ids=lambda p: p.name)
def test_patch_carries_upstream_status_and_signed_off_by(patch: Path) -> None:
    header = patch.read_text().split("\n---\n", 1)[0]
    assert re.search(r"^Upstream-Status: (Pending|Submitted|Backport|Denied|Inappropriate|Inactive-Upstream)",
                     header, re.M), f"{patch.name}: add an Upstream-Status: line to the commit message"
    assert re.search(r"^Signed-off-by: .+ <.+@.+>", header, re.M), f"{patch.name}: add Signed-off-by:"


def test_patches_are_found() -> None:
    assert list(OPTEE_FILES.glob("*.patch")) and list(TFA_FILES.glob("*.patch"))


def test_qemu_stack_and_layer_use_the_same_patch_files() -> None:
    # The quick QEMU stack applies every patch in these directories ...
    assert layout.OPTEE_PATCH_DIR.resolve() == OPTEE_FILES.resolve()
    assert layout.TFA_PATCH_DIR.resolve() == TFA_FILES.resolve()
    # ... and the layer references each of them (no patch only one build path applies).
    optee_refs = set(_file_uris((LAYER / "recipes-security/optee/optee-os-tzinfer.inc").read_text()))
    tfa_append = LAYER / "recipes-bsp/trusted-firmware-a/trusted-firmware-a_%.bbappend"
    tfa_refs = set(_file_uris(tfa_append.read_text()))
    assert optee_refs == {p.name for p in OPTEE_FILES.glob("*.patch")}
    assert tfa_refs == {p.name for p in TFA_FILES.glob("*.patch")}


def test_layer_builds_only_the_product_ta() -> None:
    """The TA recipe pins TZI_TEST_HOOKS empty, and nothing in the layer asks for the test build
    (ta/include/tzinfer_ta_test.h) or installs a TA but the product's."""
    recipe = next((LAYER / "recipes-tzinfer/tzinfer-ta").glob("tzinfer-ta_*.bb"))
    assert re.search(r"^\s*TZI_TEST_HOOKS= \\$", recipe.read_text(), re.M)
    for path in LAYER.rglob("*"):
        if path.is_file() and path.suffix in (".bb", ".bbappend", ".inc", ".bbclass", ".conf", ".yml"):
            text = path.read_text()
            assert "TZI_TEST_HOOKS=y" not in text and "8a47ac46" not in text, path
