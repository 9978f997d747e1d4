"""The shipped tool installs on its own: the wheel built from this checkout, installed into a fresh
venv outside the repository, converts LeNet-5, runs it, inspects it, seals it and benchmarks it.

Offline and deterministic: the wheel is built with this venv's setuptools (no build isolation),
and the fresh venv is given exactly the distributions the wheel declares (with the `bench` and
`plot` extras) and theirs, linked from this venv's site-packages; pip then installs the wheel with
--no-index. A module the tool imports without declaring it, a file the wheel lacks, or code that
needs the source checkout fails here."""

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.repo_files import repo_files
from tzinfer import REPO_ROOT
from tzinfer.fixtures import FixturePaths

EXTRAS = ("bench", "plot")
pytestmark = pytest.mark.slow


def _source_tree(dest: Path) -> Path:
    """The checkout's files as they are now (tracked and new, not ignored), copied to `dest`."""
    for name in repo_files():
        source = REPO_ROOT / name
        if source.is_file() and not source.is_symlink():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(source.read_bytes())
    return dest


def _requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        lines = z.read(meta).decode().splitlines()
    return [Requirement(line.split(":", 1)[1].strip()) for line in lines if line.startswith("Requires-Dist:")]


def _closure(requirements: list[Requirement], extras: tuple[str, ...]) -> set[str]:
    """Names of the installed distributions `requirements` need (markers evaluated, recursively)."""
    needed: set[str] = set()
    todo = [(r, extras) for r in requirements]
    while todo:
        req, wanted = todo.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (*wanted, "")):
            continue
        name = canonicalize_name(req.name)
        if name == "tzinfer" or name in needed:
            continue
        needed.add(name)
        dist = metadata.distribution(name)
        todo += [(Requirement(r), tuple(req.extras)) for r in dist.requires or []]
    return needed


def _link_distributions(names: set[str], site: Path) -> None:
    """Make each distribution importable in `site` by linking its top-level files and directories."""
    for name in sorted(names):
        files = metadata.distribution(name).files
        assert files, f"{name} lists no files (no RECORD): cannot link it into the fresh venv"
        base = Path(metadata.distribution(name).locate_file(""))
        for top in sorted({f.parts[0] for f in files if f.parts[0] not in ("..", "__pycache__")}):
            if not (site / top).exists():
                (site / top).symlink_to(base / top)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ of a fresh venv outside the repository with the wheel of this checkout installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    assert REPO_ROOT not in tmp.parents
    src = _source_tree(tmp / "src")
    wheels = tmp / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(wheels), str(src)], check=True, capture_output=True, text=True, timeout=900)
    (wheel,) = wheels.glob("tzinfer-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    _link_distributions(_closure(_requirements(wheel), EXTRAS), site)
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                           "-q", "--no-index", "--find-links", str(wheels), f"tzinfer[{','.join(EXTRAS)}]"],
                          env=_clean_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return venv / "bin"


def _clean_env() -> dict[str, str]:
    """This environment without what would show the checkout to the fresh venv (a PYTHONPATH on the
    checkout makes pip take its tzinfer.egg-info for an installed tzinfer)."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


def _run(bin_dir: Path, cwd: Path, *args: object) -> subprocess.CompletedProcess[str]:
    """A command of the fresh venv, from a directory outside the repository, with no PYTHONPATH."""
    env = _clean_env()
    env["PATH"] = f"{bin_dir}:/usr/bin:/bin"
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done


def test_the_wheel_holds_the_tool_and_its_engine_only(installed: Path, tmp_path: Path) -> None:
    dev = ("tzinfer.stack", "tzinfer.tasks", "tzinfer.hw", "tzinfer.fixtures", "tzinfer.yocto",
           "tzinfer.memmap", "tzinfer.board", "tzinfer.target")
    probe = ("import importlib.util, tzinfer, tzinfer.native as n; print(tzinfer.__file__); "
             f"print(n.library()._name); print([m for m in {dev!r} if importlib.util.find_spec(m)])")
    package, library, found = _run(installed, tmp_path, installed / "python", "-c", probe).stdout.splitlines()
    venv = installed.parent
    assert Path(package).is_relative_to(venv) and Path(library).is_relative_to(venv)
    assert found == "[]"


def test_converts_runs_inspects_seals_and_benchmarks_lenet5(installed: Path, fixtures: FixturePaths,
                                                            tmp_path: Path) -> None:
    model = tmp_path / "lenet5.tzm"
    _run(installed, tmp_path, "tzinfer", "convert", fixtures.onnx("lenet5"), "-o", model)
    for digit in ("digit3", "digit7"):
        _run(installed, tmp_path, "tzinfer", "run", model, "--input", fixtures.input("lenet5", digit),
             "--output", tmp_path / f"{digit}.npy")
        y, ref = np.load(tmp_path / f"{digit}.npy"), np.load(fixtures.reference("lenet5", digit))
        assert y.shape == ref.shape and np.abs(y - ref).max() <= 1e-4 * max(1.0, np.abs(ref).max())
        assert int(y.argmax()) == int(digit[-1])
    plot = tmp_path / "arena.png"
    inspected = _run(installed, tmp_path, "tzinfer", "inspect", model, "--plot", plot).stdout
    assert "peak arena:" in inspected and plot.read_bytes()[:4] == b"\x89PNG"
    _run(installed, tmp_path, "tzinfer", "keys", "generate", tmp_path / "model.key")
    _run(installed, tmp_path, "tzinfer", "seal", model, "-o", tmp_path / "lenet5.tzms", "--key",
         tmp_path / "model.key", "--key-id", "7")
    sealed = (tmp_path / "lenet5.tzms").read_bytes()
    assert sealed[:64] != model.read_bytes()[:64] and sealed[-4096:] != model.read_bytes()[-4096:]
    digit = fixtures.input("lenet5", "digit3")
    qemu = subprocess.run([installed / "tzinfer", "qemu", "run", model, "--input", digit], cwd=tmp_path,
                          env=_clean_env(), capture_output=True, text=True, timeout=60)
    assert qemu.returncode == 1 and "needs a source checkout" in qemu.stderr, qemu.stderr
    bench = _run(installed, tmp_path, "tzinfer", "bench", model, "--onnx", fixtures.onnx("lenet5"),
                 "--runs", "3")
    report = json.loads(bench.stdout)
    assert report["engine_ms"] > 0 and report["ort_ms"] > 0
