"""The tool's optional features and the pip extras that install them (pyproject.toml)."""

import importlib
from types import ModuleType


class MissingExtra(RuntimeError):
    """An optional feature was used without its extra; the message names the pip command."""


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import `module` for `feature`, or fail naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{feature} needs {module}, which is not installed: pip install "
                           f"'tzinfer[{extra}]' (in a source checkout: scripts/bootstrap)") from None
