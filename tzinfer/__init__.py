"""tzinfer: private DNN inference inside OP-TEE."""

from pathlib import Path

__version__ = "0.1.0"

#: Repository root (the package is installed editable from it).
REPO_ROOT = Path(__file__).resolve().parent.parent
#: Downloads, fixtures and build caches; git-ignored.
CACHE_DIR = REPO_ROOT / ".cache"
#: Build products; git-ignored.
BUILD_DIR = REPO_ROOT / "build"
