"""scripts/bootstrap chooses host packages by what the release offers: run in dry-run mode
against fake dpkg-query/apt-cache that play Debian 13, Ubuntu 22.04 and an unsupported host."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tzinfer import REPO_ROOT

BOOTSTRAP = REPO_ROOT / "scripts" / "bootstrap"
FAKE_DPKG_QUERY = """#!/bin/sh
for p in $INSTALLED; do [ "$p" = "$3" ] && { echo "install ok installed"; exit 0; }; done
exit 1
"""
FAKE_APT_CACHE = """#!/bin/sh
if [ "$1" = depends ] && [ -n "$CLANG" ]; then printf 'clang\\n  Depends: clang-%s\\n' "$CLANG"; exit 0; fi
[ "$1" = policy ] || exit 0
for p in $AVAILABLE; do [ "$p" = "$2" ] && { printf '%s:\\n  Candidate: 1.0-1\\n' "$2"; exit 0; }; done
printf '%s:\\n  Installed: (none)\\n  Candidate: (none)\\n' "$2"
"""


def _packages(profile: str) -> list[str]:
    """Every alternative named in a profile's section of apt-packages.txt, {clang} as given."""
    section, names = "", []
    for line in (REPO_ROOT / "scripts" / "apt-packages.txt").read_text().splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif line and not line.startswith("#") and section == profile:
            names += [name.strip() for name in line.split("|")]
    return names


def bootstrap(tmp_path: Path, *profiles: str, installed: list[str], available: list[str],
              clang: str) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    for name, script in (("dpkg-query", FAKE_DPKG_QUERY), ("apt-cache", FAKE_APT_CACHE)):
        (fake / name).write_text(script)
        (fake / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "TZINFER_BOOTSTRAP_DRY_RUN": "1",
           "INSTALLED": " ".join(installed), "AVAILABLE": " ".join(available), "CLANG": clang}
    return subprocess.run([str(BOOTSTRAP), *profiles], env=env, capture_output=True, text=True, timeout=60)


def _installs(result: subprocess.CompletedProcess[str]) -> list[str]:
    prefix = "bootstrap: installing host packages:"
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith(prefix))
    return line.split(":", 2)[2].split()


def test_debian_13_gets_the_clang_runtime_of_its_own_clang(tmp_path: Path) -> None:
    """trixie has clang 19 and no libclang-rt-14-dev (the package that was hard-coded)."""
    demo = [*_packages("base"), *_packages("demo")]
    available = [*demo, "qemu-user", "clang", "libclang-rt-19-dev", "llvm", "git", "bmap-tools"]
    result = bootstrap(tmp_path, "test", installed=demo, available=available, clang="19")
    assert result.returncode == 0, result.stderr
    assert "apt-get update" in result.stdout
    assert _installs(result) == ["qemu-user", "clang", "libclang-rt-19-dev", "llvm", "git", "bmap-tools"]


def test_ubuntu_22_04_falls_back_to_libclang_common(tmp_path: Path) -> None:
    available = [*_packages("base"), *_packages("demo"), *_packages("test"), "libclang-common-14-dev"]
    available = [p for p in available if "{clang}" not in p]
    result = bootstrap(tmp_path, "test", installed=[], available=available, clang="14")
    assert result.returncode == 0, result.stderr
    assert "libclang-common-14-dev" in _installs(result)


def test_demo_alone_installs_no_test_tools(tmp_path: Path) -> None:
    everything = [*_packages("base"), *_packages("demo"), *_packages("test"), *_packages("fresh-check")]
    result = bootstrap(tmp_path, installed=[], available=everything, clang="19")
    assert result.returncode == 0, result.stderr
    assert set(_installs(result)) == {*_packages("base"), *_packages("demo")}


def test_an_unsupported_host_is_told_what_is_missing(tmp_path: Path) -> None:
    available = [p for p in [*_packages("base"), *_packages("demo")]
                 if p not in ("qemu-system-arm", "debian-archive-keyring")]
    result = bootstrap(tmp_path, installed=[], available=available, clang="")
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "offers no installable version of: debian-archive-keyring qemu-system-arm" in message
    assert "Tested hosts: Debian 12 (bookworm) and Debian 13 (trixie)" in message


def test_a_prepared_host_runs_no_apt(tmp_path: Path) -> None:
    result = bootstrap(tmp_path, installed=[*_packages("base"), *_packages("demo")], available=[], clang="")
    assert result.returncode == 0, result.stderr
    assert "apt-get" not in result.stdout


def test_an_unknown_profile_is_refused(tmp_path: Path) -> None:
    result = bootstrap(tmp_path, "tset", installed=[], available=[], clang="")
    assert result.returncode == 2 and "unknown profile 'tset'" in result.stderr


@pytest.mark.parametrize("profile", ["base", "demo", "test", "fresh-check"])
def test_every_profile_has_packages(profile: str) -> None:
    assert _packages(profile)
