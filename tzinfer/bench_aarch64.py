"""A cost estimate for the Pi that can be repeated on any host: executed aarch64 instructions per
inference, for the engine and for ONNX Runtime's own aarch64 build on the same model.

Both run under qemu-aarch64 with `-cpu cortex-a53` (the Pi 3B+'s core: ARMv8.0-A, no dotprod,
no fp16 arithmetic) and the TCG plugin stinylib/tools/insn_count.c, which counts the instructions
of each guest thread. A run's count includes loading (the .tzm's SHA-256, or Python, numpy and
ONNX Runtime starting up), so every model is run twice, for 1 and for 4 inferences, and

    instructions per inference = (count for 4 − count for 1) / 3   (main thread)

- The engine is the static `stl-run` built with the TA's code generation (-mcpu=cortex-a53
  -mstrict-align): the instructions the TA executes.
- ONNX Runtime is its aarch64 manylinux wheel, one intra-op thread, on Debian trixie's arm64
  python3.13, both pinned (wheels by sha256 here, Debian packages in LOCK_FILE). QEMU's user mode
  shows the guest the host's /proc/cpuinfo and /sys CPU files, on which ORT's CPU detection
  crashes; the sysroot carries a one-core Cortex-A53 (r0p4) with the Pi 3B+'s caches instead
  (qemu-user reads a guest path from its -L prefix first).

docs/performance.md says what the figures do and do not tell about the Pi.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tzinfer import BUILD_DIR, CACHE_DIR, REPO_ROOT, tzm
from tzinfer.hashing import sha256_file
from tzinfer.tzm import OpType

CPU = "cortex-a53"
RUNS = (1, 4)
ENV_DIR = CACHE_DIR / "bench-aarch64"
PLUGIN = BUILD_DIR / "host" / "qemu-plugin" / "libinsn_count.so"
STL_RUN = BUILD_DIR / "aarch64" / "stinylib" / "stl-run"
#: The Debian versions the ORT sysroot was built from (tzinfer.stack.debian pins them here).
LOCK_FILE = REPO_ROOT / "board/qemu/bench-aarch64.lock"
SUITE = "trixie"
PYTHON = "python3.13"
#: Debian arm64 packages the interpreter, numpy and ONNX Runtime load.
DEBIAN_PACKAGES = (f"{PYTHON}-minimal", f"lib{PYTHON}-minimal", f"lib{PYTHON}-stdlib", "libc6", "libexpat1",
                   "zlib1g", "libffi8", "libstdc++6", "libgcc-s1", "libbz2-1.0", "liblzma5")
#: ONNX Runtime and numpy for that interpreter, from PyPI: requirement -> sha256 of the wheel.
WHEELS = {
    "onnxruntime==1.32.0": "54d02baff2df38777b4c3cc7af326406fe8b8a48f54720f4c446d2d327920a79",
    "numpy==2.5.5": "ae2b8285d0b4eed24739c3ca9ec0fa424a0247489c01e1d5fe2815a599e11d33",
}
WHEEL_PLATFORM = "manylinux_2_28_aarch64"
#: What ORT's CPU detection reads, as a Raspberry Pi 3B+ would answer (one core of four shown):
#: path in the sysroot -> contents.
FAKE_CPU_FILES = {
    "proc/cpuinfo": "processor\t: 0\nBogoMIPS\t: 38.40\nFeatures\t: fp asimd evtstrm crc32 cpuid\n"
                    "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd03\n"
                    "CPU revision\t: 4\n\n",
    **{f"sys/devices/system/cpu/{name}": "0\n" for name in ("possible", "present", "online", "kernel_max")},
    **{f"sys/devices/system/cpu/cpu0/topology/{name}": "0\n" for name in
       ("physical_package_id", "cluster_cpus_list", "core_siblings_list", "thread_siblings_list")},
    **{f"sys/devices/system/cpu/cpu0/cache/index{i}/{key}": value
       for i, level, size, kind in ((0, 1, "32K", "Data"), (2, 2, "512K", "Unified"))
       for key, value in (("level", f"{level}\n"), ("size", f"{size}\n"), ("type", f"{kind}\n"),
                          ("shared_cpu_list", "0\n"))},
}
#: The guest's ORT runner: model, raw float32 input, its shape, number of inferences.
ORT_RUNNER = """
import sys
import numpy as np
import onnxruntime as ort
options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = ort.InferenceSession(sys.argv[1], options, providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
x = np.fromfile(sys.argv[2], dtype=np.float32).reshape([int(d) for d in sys.argv[3].split(",")])
for _ in range(int(sys.argv[4])):
    session.run(None, {name: x})
"""


class BenchAarch64Error(RuntimeError):
    """A tool, a download or a run failed; the message says which and what to do."""


@dataclass
class Count:
    """Instructions per inference of one engine on one model."""

    per_inference: int
    macs: int

    @property
    def per_mac(self) -> float:
        return self.per_inference / self.macs


def macs(model: tzm.TzmModel) -> int:
    """Multiply-accumulates of one inference: the CONV and GEMM ops and their int8 forms (the rest
    is not counted)."""
    total = 0
    for op in model.ops:
        if op.type in (OpType.CONV, OpType.QCONV):
            w = model.tensors[op.inputs[1]].dims  # [M, C/group, kh, kw]
            total += tzm.numel(model.tensors[op.output].dims) * w[1] * w[2] * w[3]
        elif op.type in (OpType.GEMM, OpType.QGEMM):
            total += tzm.numel(model.tensors[op.output].dims) * model.tensors[op.inputs[0]].dims[1]
    return total


def _run(command: list[str], what: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise BenchAarch64Error(f"{what} failed ({done.returncode}): {tail}")
    return done


def build_tools() -> None:
    """The instruction counter (host) and stl-run (aarch64, static), with make."""
    for tool in ("qemu-aarch64", "aarch64-linux-gnu-gcc", "make", "cc"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode != 0:
            raise BenchAarch64Error(f"{tool} not found: run scripts/bootstrap (scripts/apt-packages.txt)")
    _run(["make", "-s", "-C", str(REPO_ROOT / "stinylib"), "aarch64", "insn-plugin", f"BUILD={BUILD_DIR}"],
         "building stl-run and the instruction counter")


def count_main(command: list[str], env: dict[str, str] | None = None) -> int:
    """Main-thread instructions of one qemu-aarch64 run of command (an aarch64 program and args)."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "qemu.log"
        qemu = ["qemu-aarch64", "-cpu", CPU, "-plugin", str(PLUGIN), "-d", "plugin", "-D", str(log)]
        _run([*qemu, *command], f"qemu-aarch64 {Path(command[0]).name}", env)
        line = next((ln for ln in log.read_text().splitlines() if ln.startswith("insn_count:")), None)
    if line is None:
        raise BenchAarch64Error("the instruction counter reported nothing: does qemu-aarch64 load plugins?")
    return int(dict(field.split("=") for field in line.split()[1:])["vcpu0"])


def _per_inference(run: Callable[[int], list[str]], env: dict[str, str] | None = None) -> int:
    """Instructions of one inference: run(n) is the command that runs n inferences."""
    counts = [count_main(run(n), env) for n in RUNS]
    return (counts[1] - counts[0]) // (RUNS[1] - RUNS[0])


def count_engine(tzm_path: Path, input_path: Path, model: tzm.TzmModel) -> Count:
    with tempfile.TemporaryDirectory() as tmp:
        files = [str(tzm_path), str(input_path), str(Path(tmp) / "out.f32")]
        return Count(_per_inference(lambda n: [str(STL_RUN), "--runs", str(n), *files]), macs(model))


def ort_environment(relock: bool = False) -> tuple[Path, Path]:
    """The arm64 sysroot (Debian python3.13 and the fake Pi CPU files) and the wheels' site
    directory, built once under .cache/bench-aarch64/; returns (sysroot, site). relock takes the
    newest Debian versions instead of LOCK_FILE's."""
    sysroot, site = ENV_DIR / "sysroot", ENV_DIR / "site"
    stamp = ENV_DIR / ".ready"
    if not relock and stamp.is_file() and stamp.read_text() == _environment_key():
        return sysroot, site
    from tzinfer.stack import StackError
    from tzinfer.stack.debian import DebianArchive

    archive = DebianArchive(lock_file=LOCK_FILE, relock=relock,
                            relock_command="invoke engine.bench-aarch64 --relock")
    try:
        archive.update()
        debs = [archive.deb(name, SUITE) for name in DEBIAN_PACKAGES]
    except StackError as e:
        raise BenchAarch64Error(str(e)) from None
    subprocess.run(["rm", "-rf", str(sysroot), str(site)], check=True)
    sysroot.mkdir(parents=True)
    for deb in debs:
        _run(["dpkg-deb", "-x", str(deb), str(sysroot)], f"unpacking {deb.name}")
    (sysroot / "lib").symlink_to("usr/lib")  # merged /usr: the loader is /lib/ld-linux-aarch64.so.1
    for path, text in FAKE_CPU_FILES.items():
        (sysroot / path).parent.mkdir(parents=True, exist_ok=True)
        (sysroot / path).write_text(text)
    for wheel in _download_wheels():
        with zipfile.ZipFile(wheel) as archive_file:
            archive_file.extractall(site)
    archive.write_lock()
    stamp.write_text(_environment_key())
    return sysroot, site


def _environment_key() -> str:
    return repr((DEBIAN_PACKAGES, sorted(WHEELS.items()), sorted(FAKE_CPU_FILES.items())))


def _download_wheels() -> list[Path]:
    """pip download of the pinned wheels for the guest's Python, checked against WHEELS."""
    wheels_dir = ENV_DIR / "wheels"
    wheels_dir.mkdir(parents=True, exist_ok=True)
    requirements = wheels_dir / "requirements.txt"
    requirements.write_text("".join(f"{req} --hash=sha256:{sha}\n" for req, sha in WHEELS.items()))
    version = PYTHON.removeprefix("python").replace(".", "")
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--no-deps",
          "--platform", WHEEL_PLATFORM, "--python-version", version, "--implementation", "cp",
          "-d", str(wheels_dir), "-r", str(requirements)], "pip download of the aarch64 wheels")
    by_hash = {sha256_file(p): p for p in wheels_dir.glob("*.whl")}
    missing = [req for req, sha in WHEELS.items() if sha not in by_hash]
    if missing:
        raise BenchAarch64Error(f"no wheel with the pinned sha256 for {', '.join(missing)} in {wheels_dir}")
    return [by_hash[sha] for sha in WHEELS.values()]


def count_ort(onnx_path: Path, input_path: Path, model: tzm.TzmModel, relock: bool = False) -> Count:
    sysroot, site = ort_environment(relock)
    # Bytecode is compiled on every run, not cached by the first: both counts carry the same start-up.
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
           "QEMU_LD_PREFIX": str(sysroot)}
    shape = ",".join(map(str, model.tensors[model.inputs[0].tensor].dims))
    run = [str(sysroot / "usr" / "bin" / PYTHON), "-c", ORT_RUNNER, str(onnx_path), str(input_path), shape]
    return Count(_per_inference(lambda n: [*run, str(n)], env), macs(model))


def bench(tzm_path: Path, onnx_path: Path, relock: bool = False) -> tuple[Count, Count]:
    """(engine, ONNX Runtime) instructions per inference on the model pair."""
    model = tzm.read(tzm_path.read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        input_path = Path(tmp) / "input.f32"
        shape = model.tensors[model.inputs[0].tensor].dims
        np.random.default_rng(0).standard_normal(shape).astype(np.float32).tofile(input_path)
        return count_engine(tzm_path, input_path, model), count_ort(onnx_path, input_path, model, relock)
