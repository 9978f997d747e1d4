"""Tinylibm accuracy: the sampled ULP check against glibc on the host and on aarch64 (qemu-user),
and the special values of every function checked one by one."""

import ctypes
import math
import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tzinfer import BUILD_DIR, REPO_ROOT

TINYLIBM = REPO_ROOT / "tinylibm"
Lib = dict[str, Callable[[int], int]]  # each tinylibm function as float bits -> float bits
FUNCTIONS = ("expf", "logf", "tanhf", "erff", "log1pf", "sqrtf")
SAMPLED_POINTS = 1_000_000
SEED = 20261127  # fixed, so that a failure reproduces; scripts/tinylibm-sweep covers every input
# Error bound versus the exact value: each function rounds a double evaluation once, and the
# exhaustive sweep measured at most 0.5054 ULP (tanhf); above 0.51 something has regressed.
MAX_ERR_OURS = 0.51


def build(out_dir: Path, target: str, *make_vars: str) -> Path:
    """Build a target of tinylibm/Makefile into out_dir; returns out_dir."""
    command = ["make", "-s", "-C", str(TINYLIBM), f"O={out_dir}", target, *make_vars]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, f"building tinylibm {target} failed:\n{done.stdout}{done.stderr}"
    return out_dir


def run_sampled(command: list[str]) -> dict[str, dict[str, str]]:
    """Run `ulp_check sampled` and return its key=value line per function."""
    command = [*command, "sampled", str(SAMPLED_POINTS), str(SEED)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode in (0, 1), f"ulp_check crashed ({done.returncode}): {done.stderr}"
    lines = [line.split() for line in done.stdout.splitlines() if not line.startswith("result=")]
    return {words[0]: dict(w.split("=", 1) for w in words[1:]) for words in lines}


def assert_accurate(name: str, row: dict[str, str]) -> None:
    assert int(row["points"]) >= SAMPLED_POINTS
    assert row["special_mismatches"] == "0", f"{name}: special values differ from glibc: {row}"
    # Within 1 float step of glibc, except where glibc itself is the less accurate one.
    assert row["violations"] == "0", f"{name}: more than 1 ULP from glibc and not more accurate: {row}"
    assert float(row["max_err_ours"]) <= MAX_ERR_OURS, f"{name}: error vs exact above bound: {row}"


@pytest.fixture(scope="module")
def host_results() -> dict[str, dict[str, str]]:
    return run_sampled([str(build(BUILD_DIR / "host" / "tinylibm", "ulp_check") / "ulp_check")])


@pytest.mark.parametrize("name", FUNCTIONS)
def test_sampled_host(host_results: dict[str, dict[str, str]], name: str) -> None:
    assert_accurate(name, host_results[name])


def require(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed: run scripts/bootstrap (scripts/apt-packages.txt lists it)")


CROSS_CC, CROSS_NM = "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-nm"
# The checker's own flags, and the way OP-TEE compiles a TA: gnu99 at -Os, where gcc contracts
# a*b+c into FMA instructions (ISO C modes do not), which changes the rounding of every step.
AARCH64_FLAGS = {
    "c99": "-O2 -std=c99 -Wall -Wextra -Werror",
    "ta-fma": "-Os -std=gnu99 -ffp-contract=fast -Wall -Wextra -Werror",
}


@pytest.fixture(scope="module", params=sorted(AARCH64_FLAGS))
def aarch64_results(request: pytest.FixtureRequest) -> dict[str, dict[str, str]]:
    require(CROSS_CC, "qemu-aarch64")
    out_dir = BUILD_DIR / "aarch64" / f"tinylibm-{request.param}"
    # Static, so that qemu-aarch64 needs no aarch64 sysroot at run time.
    make_vars = (f"CC={CROSS_CC}", f"CFLAGS={AARCH64_FLAGS[request.param]}", "LDFLAGS=-static")
    return run_sampled(["qemu-aarch64", str(build(out_dir, "ulp_check", *make_vars) / "ulp_check")])


@pytest.mark.parametrize("name", FUNCTIONS)
def test_sampled_aarch64(aarch64_results: dict[str, dict[str, str]], name: str) -> None:
    assert_accurate(name, aarch64_results[name])


@pytest.mark.parametrize("opt", ["-O0", "-Os", "-O2"])
@pytest.mark.parametrize(("cc", "nm"), [("gcc", "nm"), (CROSS_CC, CROSS_NM)])
def test_builds_for_the_ta(cc: str, nm: str, opt: str) -> None:
    """The sources compile under OP-TEE's TA warning set with -Werror, and the objects need no
    symbol from outside (no libm, no libgcc helper, no string.h)."""
    require(cc, nm)
    out_dir = BUILD_DIR / ("host" if cc == "gcc" else "aarch64") / f"tinylibm-ta{opt}"
    objects = sorted(str(p) for p in build(out_dir, "ta_objs", f"CC={cc}", f"TA_OPT={opt}").glob("*.o"))
    assert len(objects) == len(FUNCTIONS)
    undefined = subprocess.run([nm, "-u", *objects], capture_output=True, text=True, check=True).stdout
    assert not [line for line in undefined.splitlines() if line.strip() and not line.endswith(":")], undefined


def f32_bits(value: float) -> int:
    """Bits of value rounded to float32 (inf past the float range)."""
    with np.errstate(over="ignore"):
        return int(np.float32(value).view(np.uint32))


def bits_f32(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


@pytest.fixture(scope="module")
def tinylibm_lib() -> Lib:
    """Each tinylibm function on raw bits, so that NaN payloads and signed zeros pass intact."""
    lib = ctypes.CDLL(str(build(BUILD_DIR / "host" / "tinylibm", "shared") / "libtinylibm.so"))

    def wrap(name: str) -> Callable[[int], int]:
        fn = getattr(lib, f"tlm_{name}")
        fn.argtypes = [ctypes.c_float]
        fn.restype = ctypes.c_float
        # The argument goes in as raw float bits: a Python float would quiet a signalling NaN.
        return lambda bits: f32_bits(fn(ctypes.c_float.from_buffer_copy(struct.pack("<I", bits))))

    return {name: wrap(name) for name in FUNCTIONS}


INF, NAN = math.inf, math.nan
FLT_MAX, FLT_MIN, FLT_TRUE_MIN = bits_f32(0x7F7FFFFF), bits_f32(0x00800000), bits_f32(0x00000001)
# (function, input, expected). A finite expected value is the exact one rounded to float.
SPECIAL_CASES = [
    ("expf", INF, INF), ("expf", -INF, 0.0), ("expf", 0.0, 1.0), ("expf", -0.0, 1.0),
    ("expf", 89.0, INF), ("expf", FLT_MAX, INF), ("expf", -FLT_MAX, 0.0), ("expf", -104.0, 0.0),
    ("expf", FLT_TRUE_MIN, 1.0), ("expf", -FLT_TRUE_MIN, 1.0),
    ("expf", bits_f32(0x42B17217), math.exp(bits_f32(0x42B17217))),  # largest finite result
    ("expf", bits_f32(0x42B17218), INF),  # next float up overflows
    ("expf", -87.0, math.exp(-87.0)), ("expf", -100.0, math.exp(-100.0)),  # near FLT_MIN, subnormal
    ("expf", -103.5, math.exp(-103.5)),  # rounds up to the least subnormal
    ("expf", 1.0, math.e), ("expf", -1.0, math.exp(-1.0)),
    ("logf", 0.0, -INF), ("logf", -0.0, -INF), ("logf", -1.0, NAN), ("logf", -INF, NAN),
    ("logf", -FLT_TRUE_MIN, NAN), ("logf", INF, INF), ("logf", 1.0, 0.0),
    ("logf", FLT_TRUE_MIN, math.log(FLT_TRUE_MIN)), ("logf", FLT_MIN, math.log(FLT_MIN)),
    ("logf", bits_f32(0x007FFFFF), math.log(bits_f32(0x007FFFFF))), ("logf", FLT_MAX, math.log(FLT_MAX)),
    ("logf", bits_f32(0x3F7FFFFF), math.log(bits_f32(0x3F7FFFFF))),  # just below 1
    ("logf", bits_f32(0x3F800001), math.log(bits_f32(0x3F800001))),  # just above 1
    ("logf", 2.0, math.log(2.0)), ("logf", 10.0, math.log(10.0)),
    ("tanhf", 0.0, 0.0), ("tanhf", -0.0, -0.0), ("tanhf", INF, 1.0), ("tanhf", -INF, -1.0),
    ("tanhf", FLT_TRUE_MIN, FLT_TRUE_MIN), ("tanhf", -FLT_TRUE_MIN, -FLT_TRUE_MIN),
    ("tanhf", 1e-30, bits_f32(f32_bits(1e-30))), ("tanhf", 9.1, 1.0), ("tanhf", -20.0, -1.0),
    ("tanhf", 0.5, math.tanh(0.5)), ("tanhf", -0.5, math.tanh(-0.5)), ("tanhf", 9.0, math.tanh(9.0)),
    ("tanhf", 2.0**-5, math.tanh(2.0**-5)),  # first input of the exp branch
    ("tanhf", bits_f32(0x3CFFFFFF), math.tanh(bits_f32(0x3CFFFFFF))),  # last of the series branch
    ("erff", 0.0, 0.0), ("erff", -0.0, -0.0), ("erff", INF, 1.0), ("erff", -INF, -1.0),
    ("erff", FLT_TRUE_MIN, 2 / math.sqrt(math.pi) * FLT_TRUE_MIN), ("erff", 4.0, 1.0), ("erff", -4.0, -1.0),
    ("erff", 3.9, math.erf(3.9)), ("erff", 0.5, math.erf(0.5)), ("erff", -2.5, math.erf(-2.5)),
    ("erff", bits_f32(0x407FFFFF), math.erf(bits_f32(0x407FFFFF))),  # last of the series branch
    ("log1pf", 0.0, 0.0), ("log1pf", -0.0, -0.0), ("log1pf", -1.0, -INF), ("log1pf", -1.5, NAN),
    ("log1pf", -INF, NAN), ("log1pf", INF, INF), ("log1pf", FLT_TRUE_MIN, FLT_TRUE_MIN),
    ("log1pf", 1e-30, bits_f32(f32_bits(1e-30))), ("log1pf", FLT_MAX, math.log1p(FLT_MAX)),
    ("log1pf", 2.0**-6, math.log1p(2.0**-6)), ("log1pf", -(2.0**-6), math.log1p(-(2.0**-6))),
    ("log1pf", bits_f32(0xBF7FFFFF), math.log1p(bits_f32(0xBF7FFFFF))),  # just above -1
    ("log1pf", 1.0, math.log(2.0)), ("log1pf", 1e-5, math.log1p(1e-5)),
    ("sqrtf", 0.0, 0.0), ("sqrtf", -0.0, -0.0), ("sqrtf", -1.0, NAN), ("sqrtf", INF, INF),
    ("sqrtf", -INF, NAN), ("sqrtf", 4.0, 2.0), ("sqrtf", 2.0, math.sqrt(2.0)),
    ("sqrtf", FLT_TRUE_MIN, math.sqrt(FLT_TRUE_MIN)), ("sqrtf", FLT_MAX, math.sqrt(FLT_MAX)),
]


@pytest.mark.parametrize(("name", "x", "expected"), SPECIAL_CASES)
def test_special_value(tinylibm_lib: Lib, name: str, x: float, expected: float) -> None:
    got = tinylibm_lib[name](f32_bits(x))
    if math.isnan(expected):
        assert math.isnan(bits_f32(got)), f"tlm_{name}({x!r}) = {bits_f32(got)!r}, want NaN"
    else:  # bit equality: also tells +0 from -0
        assert got == f32_bits(expected), f"tlm_{name}({x!r}) = {bits_f32(got)!r}, want {expected!r}"


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize(("nan_in", "nan_out"), [(0x7FC12345, 0x7FC12345), (0xFF812345, 0xFFC12345)])
def test_nan_propagates(tinylibm_lib: Lib, name: str, nan_in: int, nan_out: int) -> None:
    """A NaN input comes back as itself, quieted, with sign and payload kept (as glibc does)."""
    assert tinylibm_lib[name](nan_in) == nan_out


def test_make_fragment_lists_every_source() -> None:
    """TINYLIBM_SRCS (what the engine, TA and Yocto compile) names every file in tinylibm/src."""
    printer = "include tinylibm/tinylibm.mk\nall:\n\t@echo $(TINYLIBM_SRCS) $(TINYLIBM_INC)\n"
    done = subprocess.run(["make", "-s", "-f", "-"], input=printer, capture_output=True, text=True,
                          cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    *srcs, inc = done.stdout.split()
    assert sorted(srcs) == sorted(f"tinylibm/src/{p.name}" for p in (TINYLIBM / "src").glob("*.c"))
    assert (REPO_ROOT / inc / "tinylibm.h").is_file()
