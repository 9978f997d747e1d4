"""Shared pytest fixtures for the whole suite."""

import pytest

from tzinfer.fixtures import FixturePaths, ensure
from tzinfer.stack import StackError, pipeline
from tzinfer.stack.layout import QemuStack


@pytest.fixture(scope="session")
def fixtures() -> FixturePaths:
    """Reference models (mobilenetv2, squeezenet1_1, lenet5), sample inputs, ONNX Runtime reference
    outputs and the MNIST hold-out set. Built into .cache/fixtures/ on first use (about 20 s),
    verified against the manifest on every session."""
    return ensure()


@pytest.fixture(scope="session")
def qemu_stack() -> QemuStack:
    """The QEMU stack, built if needed (seconds when nothing changed), for the tests that boot it."""
    try:
        return pipeline.build()
    except StackError as err:
        pytest.fail(f"building the QEMU stack failed: {err}", pytrace=False)
