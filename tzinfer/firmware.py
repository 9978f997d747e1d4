"""The firmware lock, board/firmware.lock.yaml: the one OP-TEE OS / optee_test / TF-A release set
that both build paths build. The Yocto layer reads it through the versioned recipes of
meta-tzinfer-bsp and the include generated from it (tzinfer/yocto/firmwareconf.py); the quick
QEMU stack through the Debian source packages it names (tzinfer/stack/pipeline.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from tzinfer import REPO_ROOT

LOCK_FILE = REPO_ROOT / "board" / "firmware.lock.yaml"
_COMMIT = re.compile(r"[0-9a-f]{40}")


class FirmwareLockError(ValueError):
    """The lock file is missing, malformed or inconsistent; the message names the entry and the fix."""


@dataclass(frozen=True)
class DebianPackage:
    """The Debian package of a component that the quick stack uses: a source package (built from
    its upstream tarball) or, with binary=True, an arm64 binary package."""

    package: str
    suite: str
    version: str
    binary: bool = False

    @property
    def upstream_version(self) -> str:
        """The upstream release a Debian version packages: no epoch, revision or +dfsg/+ds suffix."""
        version = self.version.split(":", 1)[-1].rsplit("-", 1)[0]
        return re.sub(r"\+(dfsg|ds)\d*$", "", version)

    @property
    def pin_key(self) -> tuple[str, str, str]:
        """The key of this package's pin in a DebianArchive (kind, name, suite)."""
        return ("bin" if self.binary else "src", self.package, self.suite)


@dataclass(frozen=True)
class Component:
    """One locked upstream release: the recipes that build it and the Debian package of it."""

    name: str
    version: str
    tag: str
    commit: str
    recipes: tuple[str, ...]
    debian: DebianPackage


def load(path: Path = LOCK_FILE) -> dict[str, Component]:
    """The lock's components by name, checked for consistency."""
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise FirmwareLockError(f"{path} is missing; restore it from git") from None
    if not isinstance(raw, dict) or not raw:
        raise FirmwareLockError(f"{path}: expected a mapping of components (optee-os: ..., ...)")
    components = {}
    for name, entry in raw.items():
        where = f"{path.name}: {name}"
        try:
            component = Component(
                name=name, version=str(entry["version"]), tag=str(entry["tag"]), commit=str(entry["commit"]),
                recipes=tuple(entry["recipes"]), debian=DebianPackage(**entry["debian"]),
            )
        except (KeyError, TypeError) as err:
            raise FirmwareLockError(f"{where}: {err}; each component needs version, tag, commit, recipes and "
                                    "debian {package, suite, version}") from None
        if not _COMMIT.fullmatch(component.commit):
            raise FirmwareLockError(f"{where}: commit {component.commit!r} is not a full 40-digit git hash; "
                                    f"write `git rev-parse {component.tag}^{{commit}}`")
        if component.debian.upstream_version != component.version:
            raise FirmwareLockError(
                f"{where}: Debian {component.debian.package} {component.debian.version} packages "
                f"{component.debian.upstream_version}, not {component.version}; lock a Debian version of "
                "the same upstream release")
        components[name] = component
    return components


def debian_pins(components: dict[str, Component]) -> dict[tuple[str, str, str], str]:
    """The Debian versions the lock fixes, as DebianArchive(fixed=...) takes them."""
    return {c.debian.pin_key: c.debian.version for c in components.values()}
