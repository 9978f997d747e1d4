"""The quick stack applies the layer's patches with no fuzz: a patch whose context no longer
matches the locked release fails the build instead of landing somewhere else."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tzinfer.stack import StackError
from tzinfer.stack.patching import patched_tree

ORIGINAL = [f"line {n}\n" for n in range(1, 13)]


def make_patch(tmp_path: Path, before: list[str], after: list[str]) -> Path:
    """A -p1 patch of src/file.c from `before` to `after` (diff -u)."""
    for name, lines in (("a", before), ("b", after)):
        (tmp_path / name / "src").mkdir(parents=True)
        (tmp_path / name / "src" / "file.c").write_text("".join(lines))
    diff = subprocess.run(["diff", "-u", "a/src/file.c", "b/src/file.c"], cwd=tmp_path,
                          capture_output=True, text=True)
    patch = tmp_path / "0001-change.patch"
    patch.write_text(diff.stdout)
    return patch


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    """A release whose line 3 differs from what the patch was made against (context only)."""
    tree = tmp_path / "release"
    (tree / "src").mkdir(parents=True)
    release = list(ORIGINAL)
    release[2] = "line 3, changed upstream\n"
    (tree / "src" / "file.c").write_text("".join(release))
    return tree


@pytest.fixture()
def patch(tmp_path: Path) -> Path:
    changed = list(ORIGINAL)
    changed[5] = "line 6, patched\n"
    return make_patch(tmp_path / "made", ORIGINAL, changed)


def test_a_patch_that_needs_fuzz_is_refused(tmp_path: Path, source: Path, patch: Path) -> None:
    # GNU patch's default (fuzz 2) would take it: the outermost context line is ignored.
    probe = subprocess.run(["patch", "-p1", "--dry-run", "-i", str(patch)], cwd=source,
                           capture_output=True, text=True)
    assert probe.returncode == 0 and "fuzz" in probe.stdout
    with pytest.raises(StackError, match=r"0001-change\.patch does not apply to release: .*no fuzz allowed"):
        patched_tree(source, [patch], tmp_path / "patched")


def test_an_exact_patch_applies(tmp_path: Path, patch: Path) -> None:
    tree = tmp_path / "exact"
    (tree / "src").mkdir(parents=True)
    (tree / "src" / "file.c").write_text("".join(ORIGINAL))
    patched = patched_tree(tree, [patch], tmp_path / "patched")
    assert "line 6, patched\n" in (patched / "src" / "file.c").read_text()
