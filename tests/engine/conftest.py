"""Fixtures shared by the engine's CLI and sealing tests."""

from pathlib import Path

import pytest

from tests.engine.test_cli import tzinfer
from tzinfer.fixtures import FixturePaths


@pytest.fixture(scope="module")
def lenet(tmp_path_factory: pytest.TempPathFactory, fixtures: FixturePaths) -> Path:
    """LeNet-5 converted with the `tzinfer convert` command line."""
    out = tmp_path_factory.mktemp("cli") / "lenet5.tzm"
    result = tzinfer("convert", fixtures.onnx("lenet5"), "-o", out)
    assert result.returncode == 0, result.stderr
    return out
