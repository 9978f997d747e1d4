"""The repository's own files (tracked, or new and not ignored), with or without git: a clone has
.git, but `invoke fresh-check` (and so CI) runs the suite in a `git archive` of HEAD, which has none."""

from __future__ import annotations

import re
import subprocess

from tzinfer import REPO_ROOT

#: What .gitignore keeps out of the repository, for a tree without git to answer from.
IGNORED_DIRS = {".git", ".cache", ".venv", "build", "artifacts", "__pycache__", ".pytest_cache",
                ".ruff_cache", ".hypothesis"}
IGNORED_SUFFIXES = (".pyc", ".so", ".o", ".egg-info")


def repo_files() -> list[str]:
    """Paths relative to the repository root, sorted."""
    if (REPO_ROOT / ".git").exists():
        listed = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "-co", "--exclude-standard", "-z"],
                                check=True, capture_output=True).stdout.decode().split("\0")
        return sorted(n for n in listed if n and (REPO_ROOT / n).is_file())
    found = []
    for path in REPO_ROOT.rglob("*"):
        parts = path.relative_to(REPO_ROOT).parts
        if any(p in IGNORED_DIRS or p.endswith(IGNORED_SUFFIXES) for p in parts) or not path.is_file():
            continue
        found.append(path.relative_to(REPO_ROOT).as_posix())
    return sorted(found)


def grep(pattern: str, *, flags: int = 0, skip_suffix: str = "") -> list[tuple[str, int, str]]:
    """(path, line number, match) for every match of `pattern` in the repository's text files."""
    regex = re.compile(pattern, flags)
    hits = []
    for name in repo_files():
        if skip_suffix and name.endswith(skip_suffix):
            continue
        path = REPO_ROOT / name
        if path.is_symlink():
            continue
        data = path.read_bytes()
        if b"\0" in data:  # binary, as git grep treats it
            continue
        for number, line in enumerate(data.decode(errors="replace").splitlines(), 1):
            hits += [(name, number, m.group(0)) for m in regex.finditer(line)]
    return hits
