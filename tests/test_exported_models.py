"""The committed torch exports (tests/exported/) are exactly what their recipes produce: every
recipe has its file, every file its recipe, each file matches the SHA-256 in the manifest, and
the manifest was written from the current recipes."""

import ast
import shutil
from pathlib import Path

import pytest

import tests.exported
from tests.exported import MANIFEST, ONNX_DIR, RECIPES, exported, manifest, recipes_sha256


def _recipe_names() -> set[str]:
    from tests.exported.recipes import EXPORTS

    return {spec.name for spec in EXPORTS}


def test_manifest_is_from_the_current_recipes() -> None:
    assert manifest()["recipes_sha256"] == recipes_sha256(), (
        f"{RECIPES.name} changed since {MANIFEST.name} was written; run `invoke regen-models` (needs torch)")


def test_every_recipe_has_its_committed_file_and_no_more() -> None:
    names = _recipe_names()
    assert set(manifest()["files"]) == names
    assert {path.stem for path in ONNX_DIR.glob("*.onnx")} == names
    for name in names:
        exported(name)  # raises when the file differs from its manifest entry


def test_recipes_import_without_torch() -> None:
    tree = ast.parse(RECIPES.read_text())
    top_level = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    assert all("torch" not in ast.unparse(node) for node in top_level)


def test_a_changed_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = sorted(_recipe_names())[0]
    shutil.copytree(ONNX_DIR, tmp_path / "onnx")
    monkeypatch.setattr(tests.exported, "ONNX_DIR", tmp_path / "onnx")
    assert exported(name) == tmp_path / "onnx" / f"{name}.onnx"
    with (tmp_path / "onnx" / f"{name}.onnx").open("ab") as f:
        f.write(b"\0")
    with pytest.raises(LookupError, match="differs from its manifest entry; run `invoke regen-models`"):
        exported(name)
    with pytest.raises(LookupError, match="no committed export 'resnet152'"):
        exported("resnet152")
