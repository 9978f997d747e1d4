"""Host tools the stack needs, and the Debian package that provides each (scripts/apt-packages.txt)."""

from __future__ import annotations

import shutil

from tzinfer.stack import StackError

#: tool -> Debian package that installs it.
PACKAGE_OF = {
    "apt-get": "apt",
    "apt-cache": "apt",
    "dpkg-deb": "dpkg",
    "dpkg-source": "dpkg-dev",
    "aarch64-linux-gnu-gcc": "gcc-aarch64-linux-gnu",
    "gcc": "gcc",
    "make": "make",
    "dtc": "device-tree-compiler",
    "bc": "bc",
    "cpio": "cpio",
    "xz": "xz-utils",
    "qemu-system-aarch64": "qemu-system-arm",
    "openssl": "openssl",
    "patch": "patch",
    "aarch64-linux-gnu-readelf": "binutils-aarch64-linux-gnu",
}


def require(*tools: str) -> None:
    """Raise StackError naming the first missing tool and the package to install."""
    for tool in tools:
        if shutil.which(tool) is None:
            package = PACKAGE_OF.get(tool, tool)
            raise StackError(
                f"host tool `{tool}` is missing: run scripts/bootstrap (or apt-get install {package})"
            )
