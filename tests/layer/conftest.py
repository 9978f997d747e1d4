"""Shared fixtures of the layer checks: paths, and the venv with bitbake's parser and oelint-adv."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tzinfer import CACHE_DIR

#: Tools kept out of .venv: bitbake-setup installs bitbake's `bb` package as a top-level module,
#: which has no business in the project's environment. Pinned so CI lints with known rules.
LAYER_TOOLS = ("bitbake-setup==2.19.0", "oelint-adv==9.11.2")
LAYER_TOOLS_VENV = CACHE_DIR / "layer-tools"


def _tools_ready(stamp: Path) -> bool:
    return stamp.is_file() and stamp.read_text() == "\n".join(LAYER_TOOLS)


@pytest.fixture(scope="session")
def layer_tools() -> Path:
    """bin/ of .cache/layer-tools, a venv with bitbake-setup and oelint-adv (created on first use)."""
    stamp = LAYER_TOOLS_VENV / "tzinfer-tools.txt"
    if not _tools_ready(stamp):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(LAYER_TOOLS_VENV)], check=True)
        pip = subprocess.run(
            [str(LAYER_TOOLS_VENV / "bin" / "pip"), "install", "-q", *LAYER_TOOLS],
            capture_output=True, text=True,
        )
        if pip.returncode != 0:
            pytest.fail(f"could not install {' '.join(LAYER_TOOLS)} into {LAYER_TOOLS_VENV} "
                        f"(PyPI reachable?):\n{pip.stderr[-2000:]}")
        stamp.write_text("\n".join(LAYER_TOOLS))
    return LAYER_TOOLS_VENV / "bin"

