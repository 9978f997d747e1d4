"""The build step of the `tzinfer` wheel (metadata is in pyproject.toml).

The shipped tool (convert, run, inspect, bench, seal, keys) runs models on the host build of
S-Tinylib through ctypes. Installing from a source tree (`pip install .`) builds that library with
stinylib/Makefile, the same rules the tests use, and puts it in the wheel as
tzinfer/_native/libstinylib.so, with the C headers the Python side reads its constants from. It is
built with -march=native for the machine that installs it, so a wheel is not for other machines.

The wheel holds the tool only: the development packages (the QEMU stack builder, the board
harness, the fixtures, the invoke tasks, the layer helpers) need a source checkout and are left
out; an editable install (`scripts/bootstrap`) sees all of them, and builds the engine with make
on first use instead (tzinfer/native.py).
"""

import shutil
import subprocess
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

ROOT = Path(__file__).resolve().parent

#: Packages and modules of the source tree that are development tools, not part of the wheel.
DEV_PACKAGES = ("tzinfer.fixtures", "tzinfer.hw", "tzinfer.stack", "tzinfer.tasks", "tzinfer.yocto")
DEV_MODULES = ("tzinfer.bench_aarch64", "tzinfer.fresh_root", "tzinfer.memmap", "tzinfer.qemu_run",
               "tzinfer.templating")

#: Where tzinfer/sources.py looks for the C files in an installed wheel.
NATIVE_DIR = Path("tzinfer") / "_native"
#: C headers the Python side reads constants from (see tzinfer/sources.py), copied into the wheel.
HEADERS = ("stinylib/include/tzm_format.h", "ta/include/tzinfer_sealed.h")


class BuildEngine(build_ext):
    """Build libstinylib.so with `make -C stinylib host` and put it, with HEADERS, in the wheel."""

    def run(self) -> None:
        if self.editable_mode or self.inplace:
            return  # a checkout builds the engine on first use, with make deciding what is stale
        build = Path(self.build_temp).resolve()
        subprocess.run(["make", "-s", "-C", str(ROOT / "stinylib"), "host", f"BUILD={build}"], check=True)
        target = Path(self.build_lib) / NATIVE_DIR
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(build / "host" / "stinylib" / "libstinylib.so", target / "libstinylib.so")
        for header in HEADERS:
            shutil.copy2(ROOT / header, target / Path(header).name)

    def get_outputs(self) -> list[str]:
        target = Path(self.build_lib) / NATIVE_DIR
        return [str(target / name) for name in ("libstinylib.so", *(Path(h).name for h in HEADERS))]


class BuildToolModules(build_py):
    """The tool's modules only: DEV_MODULES stay in the checkout."""

    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        found = super().find_package_modules(package, package_dir)
        return [(pkg, module, path) for pkg, module, path in found if f"{pkg}.{module}" not in DEV_MODULES]


class NativeDistribution(Distribution):
    """The wheel carries a native library, so it is tagged for this platform (and build_ext runs)."""

    def has_ext_modules(self) -> bool:
        return True


setup(
    packages=find_packages(include=["tzinfer", "tzinfer.*"],
                           exclude=[p for d in DEV_PACKAGES for p in (d, f"{d}.*")]),
    cmdclass={"build_ext": BuildEngine, "build_py": BuildToolModules},
    distclass=NativeDistribution,
)
