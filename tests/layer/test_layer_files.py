"""Files the layers refer to exist, patches are documented, and both build paths share them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tzinfer
from tzinfer import REPO_ROOT
from tzinfer.stack import layout
from tzinfer.target.layout import TEST_TA_UUID
from tzinfer.yocto import BSP_LAYER, LAYERS, SOFTWARE_LAYER

RECIPES = sorted(
    p for layer in LAYERS for p in layer.rglob("*")
    if p.suffix in (".bb", ".bbappend", ".inc") and "conf" not in p.relative_to(layer).parts
)
OPTEE_FILES = BSP_LAYER / "recipes-security/optee/files"
TFA_FILES = BSP_LAYER / "recipes-bsp/trusted-firmware-a/files"


def _file_uris(text: str) -> list[str]:
    """Literal file:// names in a recipe, without their ;parameters; not the LIC_FILES_CHKSUM
    entries (;md5=...), which name files of the fetched source tree."""
    return [name for name, params in re.findall(r"file://([A-Za-z0-9_./-]+)((?:;[^\s\"]*)?)", text)
            if "md5=" not in params]


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


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
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
    c_files = [p for layer in LAYERS for p in layer.rglob("*.c")]
    assert not c_files, "C sources belong in the repository's own directories"


def test_recipe_versions_follow_the_package_version() -> None:
    versioned = [p for p in (SOFTWARE_LAYER / "recipes-tzinfer").rglob("tzinfer-*_*.bb")]
    assert versioned
    for recipe in versioned:
        version = recipe.stem.split("_")[1]
        assert version == tzinfer.__version__, f"{recipe.name}: rename to PV {tzinfer.__version__}"


PATCHES = sorted(p for layer in LAYERS for p in layer.rglob("*.patch"))


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
    # Both apply them in the same order: bitbake in SRC_URI order, the stack sorted by name.
    optee_refs = _file_uris((BSP_LAYER / "recipes-security/optee/optee-os-tzinfer.inc").read_text())
    tfa_append = BSP_LAYER / "recipes-bsp/trusted-firmware-a/trusted-firmware-a_%.bbappend"
    tfa_refs = [name for name in _file_uris(tfa_append.read_text()) if name.endswith(".patch")]
    assert optee_refs == sorted(p.name for p in OPTEE_FILES.glob("*.patch"))
    assert tfa_refs == sorted(p.name for p in TFA_FILES.glob("*.patch"))


TA_RECIPES = SOFTWARE_LAYER / "recipes-tzinfer/tzinfer-ta"
#: Where a layer file sets a variable: name, operator, value (continuation lines joined).
_ASSIGNMENT = re.compile(r'^([A-Za-z0-9_${}:.+-]+?)\s*(=|\?=|\?\?=|:=|\+=|=\+|\.=|=\.)\s*"((?:[^"\\]|\\.)*)"',
                         re.M)


#: How a TA recipe sets TZINFER_TA_UUID: from its header (tzinfer-ta.inc's tzinfer_c_string).
UUID_FROM_HEADER = "${{@tzinfer_c_string(d, 'ta/include/{}', '{}')}}"


def _assignments(path: Path) -> list[tuple[str, str]]:
    """(variable, value) of every assignment in a recipe, append, class or conf file."""
    text = re.sub(r"\\\n", " ", path.read_text())
    return [(m[1], m[3]) for m in _ASSIGNMENT.finditer(text)]


def _layer_files() -> list[Path]:
    return [p for layer in LAYERS for p in layer.rglob("*")
            if p.is_file() and p.suffix in (".bb", ".bbappend", ".inc", ".bbclass", ".conf", ".yml")]


def test_only_the_test_ta_recipe_builds_the_test_ta() -> None:
    """The product recipe pins TZI_TEST_HOOKS empty and installs the product UUID; the test
    build (ta/include/tzinfer_ta_test.h) and its UUID appear in tzinfer-ta-test alone. Each
    recipe reads its UUID from the header that defines it (test_bitbake_parse checks the value)."""
    product = next(TA_RECIPES.glob("tzinfer-ta_*.bb"))
    test_recipe = next(TA_RECIPES.glob("tzinfer-ta-test_*.bb"))
    assert ("EXTRA_OEMAKE", "TZI_TEST_HOOKS=") in _assignments(product)
    assert (("TZINFER_TA_UUID", UUID_FROM_HEADER.format("tzinfer_ta.h", "TZI_TA_UUID_STR"))
            in _assignments(product))
    assert ("EXTRA_OEMAKE", "TZI_TEST_HOOKS=y") in _assignments(test_recipe)
    assert (("TZINFER_TA_UUID", UUID_FROM_HEADER.format("tzinfer_ta_test.h", "TZI_TEST_TA_UUID_STR"))
            in _assignments(test_recipe))
    assert "TEST BUILD" in dict(_assignments(test_recipe))["SUMMARY"]
    naming_the_test_ta = {p for p in _layer_files()
                          if "TZI_TEST_HOOKS=y" in p.read_text() or "TZI_TEST_TA_UUID_STR" in p.read_text()
                          or TEST_TA_UUID[:8] in p.read_text()}
    assert naming_the_test_ta == {test_recipe}


def test_product_image_pulls_the_test_ta_only_through_the_tests_feature() -> None:
    """tzinfer-ta-test goes on an image only with the tzinfer-tests feature (kas/test.yml): no
    IMAGE_INSTALL, packagegroup or runtime dependency in the layer names it."""
    naming = [(path.name, var) for path in _layer_files() for var, value in _assignments(path)
              if "tzinfer-ta-test" in value.split()]
    assert naming == [("tzinfer-image.bb", "FEATURE_PACKAGES_tzinfer-tests")]
