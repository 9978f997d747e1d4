"""The vector int8 kernels (stinylib/src/qgemm.c) equal the plain-C reference kernels byte for byte
on random operands (stinylib/tools/qkernel_check.c): on this host's own ISA (-march=native, with
AVX-512 VNNI where the CPU has it), on AVX2 alone (x86 hosts without AVX-512), and on aarch64 NEON
under qemu-aarch64 -cpu cortex-a53 (the TA's and the client's code). Whole models against ONNX
Runtime are in test_int8.py and test_aarch64.py."""

from __future__ import annotations

import subprocess

import pytest

from tzinfer import BUILD_DIR, REPO_ROOT

CHECKS = {
    "native": [str(BUILD_DIR / "host" / "stinylib" / "qkernel_check")],
    "avx2": [str(BUILD_DIR / "host" / "stinylib" / "qkernel_check_avx2")],
    "aarch64": ["qemu-aarch64", "-cpu", "cortex-a53",
                str(BUILD_DIR / "aarch64" / "stinylib" / "qkernel_check")],
}


@pytest.fixture(scope="module")
def built() -> None:
    subprocess.run(["make", "-s", "-C", str(REPO_ROOT / "stinylib"), "qkernel-check", f"BUILD={BUILD_DIR}"],
                   check=True)


def _cpu_has(flag: str) -> bool:
    return any(flag in line.split() for line in open("/proc/cpuinfo") if line.startswith("flags"))


@pytest.mark.parametrize("target", sorted(CHECKS))
def test_vector_int8_kernels_equal_the_reference(built: None, target: str) -> None:
    if target == "avx2" and not _cpu_has("avx2"):
        pytest.skip("this CPU has no AVX2")
    run = subprocess.run(CHECKS[target], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "all equal to the reference" in run.stdout
