"""The vectorised activations (stinylib/src/vmath.h through act.c) against the exact values: the
sampled check of stinylib/tools/act_ulp.c on the host's vector unit and on aarch64 NEON under
qemu-user. `scripts/tinylibm-sweep --activations` checks every float input (not in CI)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tzinfer import BUILD_DIR, REPO_ROOT

FUNCTIONS = ("exp", "sigmoid", "tanh", "silu", "gelu")
SEED = 20261127  # fixed, so that a failure reproduces


def sampled(command: list[str], points: int) -> dict[str, dict[str, str]]:
    """act_ulp's key=value line per function for `points` sampled inputs."""
    done = subprocess.run([*command, "sampled", str(points), str(SEED)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode in (0, 1), f"act_ulp crashed ({done.returncode}): {done.stderr}"
    lines = [line.split() for line in done.stdout.splitlines() if not line.startswith("result=")]
    return {words[0]: dict(w.split("=", 1) for w in words[1:]) for words in lines}


def build(target: str) -> None:
    subprocess.run(["make", "-s", "-C", str(REPO_ROOT / "stinylib"), target, f"BUILD={BUILD_DIR}"],
                   check=True)


@pytest.fixture(scope="module")
def host() -> dict[str, dict[str, str]]:
    build("act-ulp")
    return sampled([str(BUILD_DIR / "host" / "stinylib" / "act_ulp")], 1_000_000)


@pytest.fixture(scope="module")
def aarch64() -> dict[str, dict[str, str]]:
    if shutil.which("qemu-aarch64") is None or shutil.which("aarch64-linux-gnu-gcc") is None:
        pytest.skip("qemu-aarch64 or aarch64-linux-gnu-gcc not installed: run scripts/bootstrap")
    build("act-ulp-aarch64")
    return sampled(["qemu-aarch64", str(BUILD_DIR / "aarch64" / "stinylib" / "act_ulp")], 300_000)


def assert_within_bound(row: dict[str, str]) -> None:
    assert int(row["points"]) > 100_000
    assert row["special_mismatches"] == "0", f"NaN, infinity or sign of zero wrong: {row}"
    assert row["violations"] == "0", f"inputs beyond {row['bound']} ULP: {row}"
    assert 0 < float(row["max_err_ours"]) <= float(row["bound"])


@pytest.mark.parametrize("name", FUNCTIONS)
def test_host_activation_accuracy(host: dict[str, dict[str, str]], name: str) -> None:
    assert_within_bound(host[name])


@pytest.mark.parametrize("name", FUNCTIONS)
def test_aarch64_activation_accuracy(aarch64: dict[str, dict[str, str]], name: str) -> None:
    assert_within_bound(aarch64[name])
