"""ONNX files exported from torch once (recipes.py, `invoke regen-models`) and committed, with a
manifest that pins each file's SHA-256 and the recipes it was made from. Tests get a file through
exported(), which refuses a file that no longer matches its manifest entry."""

from __future__ import annotations

import json
from pathlib import Path

from tzinfer.hashing import sha256_file

EXPORTED_DIR = Path(__file__).resolve().parent
ONNX_DIR = EXPORTED_DIR / "onnx"
MANIFEST = EXPORTED_DIR / "manifest.json"
RECIPES = EXPORTED_DIR / "recipes.py"
REGENERATE = "run `invoke regen-models` (needs torch) and commit tests/exported/"


def recipes_sha256() -> str:
    return sha256_file(RECIPES)


def manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def exported(name: str) -> Path:
    """The committed export `name` (e.g. "block_zoo_opset13"), checked against the manifest."""
    entry = manifest()["files"].get(name)
    if entry is None:
        raise LookupError(f"no committed export {name!r}; add it to tests/exported/recipes.py and "
                          f"{REGENERATE}")
    path = ONNX_DIR / f"{name}.onnx"
    if not path.is_file() or sha256_file(path) != entry["sha256"]:
        raise LookupError(f"{path} is missing or differs from its manifest entry; {REGENERATE}")
    return path
