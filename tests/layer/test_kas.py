"""The kas project files: valid against kas's own schema, includes present, every layer pinned."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from kas.configschema import CONFIGSCHEMA

from tzinfer import REPO_ROOT
from tzinfer.yocto import LAYERS

KAS_FILES = sorted([REPO_ROOT / "kas.yml", REPO_ROOT / "kas.lock.yml", *(REPO_ROOT / "kas").glob("*.yml")])
PROJECTS = [REPO_ROOT / "kas.yml"]


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _with_includes(path: Path) -> list[Path]:
    """The file, the files it includes (repository-relative, depth first), and their lock files."""
    files = []
    for include in _load(path)["header"].get("includes", []):
        files += _with_includes(REPO_ROOT / include)
    files.append(path)
    lock = path.with_name(path.stem + ".lock" + path.suffix)
    if lock.is_file():
        files.append(lock)
    return files


def test_kas_files_are_found() -> None:
    expected = {"kas.yml", "kas.lock.yml", "common.yml", "common.lock.yml", "test.yml"}
    assert {p.name for p in KAS_FILES} == expected


@pytest.mark.parametrize("path", KAS_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_kas_file_matches_the_kas_schema(path: Path) -> None:
    jsonschema.validate(_load(path), CONFIGSCHEMA)


def test_kas_adds_every_layer_of_the_repository() -> None:
    layers = _load(REPO_ROOT / "kas" / "common.yml")["repos"]["tzinfer"]["layers"]
    assert set(layers) == {layer.name for layer in LAYERS}


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_project_pins_every_remote_layer(project: Path) -> None:
    repos: dict[str, dict] = {}
    commits: dict[str, str] = {}
    for path in _with_includes(project):
        data = _load(path)
        for name, repo in (data.get("repos") or {}).items():
            repos.setdefault(name, {}).update(repo or {})
        for name, pin in ((data.get("overrides") or {}).get("repos") or {}).items():
            commits[name] = pin["commit"]
    remote = {name for name, repo in repos.items() if repo.get("url")}
    assert remote, "no upstream layers found"
    assert remote <= set(commits), f"not pinned in a lock file: {sorted(remote - set(commits))}"
    for name in remote:
        assert re.fullmatch(r"[0-9a-f]{40}", commits[name]), f"{name}: {commits[name]!r} is not a commit id"
        assert repos[name].get("branch"), f"{name}: give the branch the pin follows (kas lock --update)"


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_project_builds_the_tzinfer_image_with_the_tzinfer_distro(project: Path) -> None:
    merged: dict = {}
    for path in _with_includes(project):
        merged.update({k: v for k, v in _load(path).items() if k in ("machine", "distro", "target")})
    assert merged["distro"] == "tzinfer"
    assert merged["target"] == "tzinfer-image"
    assert merged["machine"] == "raspberrypi3-64"
