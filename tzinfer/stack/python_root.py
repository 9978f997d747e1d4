"""Build step: Debian's arm64 python3 and numpy for the QEMU target, on the host share.

The initramfs stays as it is (no Python: it would add ~60 MB to every boot). The interpreter,
numpy and tzinfer.runtime are unpacked into QemuStack.share/python/, which every VM mounts at
SHARE_MOUNT over virtio-9p; `SHARE_MOUNT/python/python3` runs them with libtzinfer from the
initramfs. On a board the layer's `tzinfer-python` image feature installs the same things.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tzinfer import REPO_ROOT
from tzinfer.stack import StackError, hosttools
from tzinfer.stack.debian import DebianArchive
from tzinfer.stack.layout import SHARE_MOUNT, QemuStack
from tzinfer.stack.steprun import Stamp, console, digest

#: The interpreter, numpy and the libraries they load, from the suite the initramfs' libc is from.
SUITE = "trixie"
PACKAGES = ("python3.13-minimal", "libpython3.13-minimal", "libpython3.13-stdlib", "python3-numpy",
            "libblas3", "liblapack3", "libgfortran5", "libgcc-s1", "libexpat1", "libffi8", "libbz2-1.0",
            "liblzma5", "zlib1g", "libstdc++6")
#: Debian picks BLAS and LAPACK with update-alternatives in a maintainer script, which unpacking
#: does not run: the links it would make, in the multiarch library directory.
ALTERNATIVES = {"libblas.so.3": "blas/libblas.so.3", "liblapack.so.3": "lapack/liblapack.so.3"}
LIB_DIR = "usr/lib/aarch64-linux-gnu"
#: tzinfer.runtime and what it imports of the package, as the device has them.
RUNTIME_MODULES = ("tzinfer/__init__.py", "tzinfer/runtime.py")
#: The Python example of docs/integrating.md, and bench-qemu's session benchmark.
PYTHON_EXAMPLE = REPO_ROOT / "docs/examples/classify.py"
BENCH_SCRIPT = REPO_ROOT / "tzinfer/stack/target_tools/bench_session.py"

WRAPPER = f"""#!/bin/sh
# Debian's python3 with numpy and tzinfer.runtime, from the host share (tzinfer/stack/python_root.py).
here={SHARE_MOUNT}/python
export PYTHONHOME="$here/root/usr"
export PYTHONPATH="$here/site:$here/root/usr/lib/python3/dist-packages"
export LD_LIBRARY_PATH="$here/root/{LIB_DIR}"
exec "$here/root/usr/bin/python3.13" "$@"
"""


def directory(stack: QemuStack) -> Path:
    return stack.share / "python"


def interpreter() -> str:
    """The command that runs Python on the target."""
    return f"{SHARE_MOUNT}/python/python3"


def example(script: Path = PYTHON_EXAMPLE) -> str:
    """Where the Python example (or BENCH_SCRIPT) is on the target."""
    return f"{SHARE_MOUNT}/python/examples/{script.name}"


def build(stack: QemuStack, archive: DebianArchive) -> None:
    """Unpack the packages into share/python/root, add the wrapper, tzinfer.runtime and the example."""
    hosttools.require("dpkg-deb")
    debs = [archive.deb(name, SUITE) for name in PACKAGES]
    out = directory(stack)
    root = out / "root"
    stamp = Stamp(out / ".unpacked", digest([*debs, *(f"{k}={v}" for k, v in ALTERNATIVES.items())]))
    if not (stamp.fresh() and root.is_dir()):
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        for deb in debs:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        for link, target in ALTERNATIVES.items():
            if not (root / LIB_DIR / target).is_file():
                raise StackError(f"{target} is not in the unpacked packages; check PACKAGES in {__name__}")
            (root / LIB_DIR / link).symlink_to(target)
        _check_libraries(stack, root)
        stamp.done()
        console.print(f"[green]✓[/] Python for the target in {root}")
    for module in RUNTIME_MODULES:
        _copy(REPO_ROOT / module, out / "site" / module)
    for script in (PYTHON_EXAMPLE, BENCH_SCRIPT):
        _copy(script, out / "examples" / script.name)
    wrapper = out / "python3"
    if not wrapper.is_file() or wrapper.read_text() != WRAPPER:
        wrapper.write_text(WRAPPER)
    wrapper.chmod(0o755)


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not dest.is_file() or dest.read_bytes() != src.read_bytes():
        shutil.copyfile(src, dest)


#: The stdlib's extension modules tzinfer.runtime and numpy load (the others, e.g. _sqlite3 or
#: _curses, may need libraries the target does without).
STDLIB_EXTENSIONS = ("_ctypes", "_struct", "math", "_random", "_bisect", "_datetime", "_json", "_pickle",
                     "_contextvars", "_posixsubprocess", "select", "_hashlib", "binascii", "zlib")


def _check_libraries(stack: QemuStack, root: Path) -> None:
    """The interpreter, numpy and the stdlib extensions they load find the libraries they need
    here or in the initramfs."""
    from tzinfer.stack.initramfs import dynamic_linking

    have = {p.name for d in (root / LIB_DIR, stack.debian_root / LIB_DIR) if d.is_dir() for p in d.iterdir()}
    have |= {"ld-linux-aarch64.so.1", "libtzinfer.so.1"}
    dynload = root / "usr/lib/python3.13/lib-dynload"
    extensions = [p for p in dynload.glob("*.so") if p.name.split(".")[0] in STDLIB_EXTENSIONS]
    numpy = (root / "usr/lib/python3/dist-packages").rglob("*.so")
    for path in [root / "usr/bin/python3.13", *extensions, *numpy, *(root / LIB_DIR).glob("**/*.so*")]:
        if path.is_symlink() or not path.is_file() or path.read_bytes()[:4] != b"\x7fELF":
            continue
        missing = [lib for lib in dynamic_linking(path)[0] if lib not in have]
        if missing:
            raise StackError(f"the target's Python: {path.relative_to(root)} needs {', '.join(missing)}, "
                             f"which no package brings; add its package to {__name__}.PACKAGES")
