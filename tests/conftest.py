"""Shared pytest fixtures for the whole suite."""

import pytest

from tzinfer.fixtures import FixturePaths, ensure


@pytest.fixture(scope="session")
def fixtures() -> FixturePaths:
    """Reference models (mobilenetv2, squeezenet1_1, lenet5), sample inputs, ONNX Runtime reference
    outputs and the MNIST hold-out set. Built into .cache/fixtures/ on first use (about 20 s),
    verified against the manifest on every session."""
    return ensure()
