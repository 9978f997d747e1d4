"""What the README's commands install: no GPU stack on a CPU-only machine, and no torch."""

import re
import tomllib
from importlib import metadata

from tzinfer import REPO_ROOT

GPU_STACK = re.compile(r"nvidia|cuda", re.IGNORECASE)


def test_no_cuda_package_in_the_venv() -> None:
    """PyPI's default torch for x86_64 pulls about 15 nvidia-* packages (5 GB); nothing here may."""
    names = sorted({dist.metadata["Name"] for dist in metadata.distributions()})
    assert [name for name in names if GPU_STACK.search(name)] == []


def test_torch_is_not_a_dependency_of_either_command() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    assert not [r for r in requirements if re.match(r"(torch|torchvision|scikit-image)\b", r)]
