"""Where the C files the Python side depends on are: the source checkout it runs from, or the
copies an installed wheel carries in tzinfer/_native/ (setup.py puts them there at install time).

The C headers are the one source of the constants Python shares with the engine, so they are read,
not restated, in both cases."""

from pathlib import Path

from tzinfer import REPO_ROOT

#: The installed wheel's copies: libstinylib.so, built at install time, and the C headers.
NATIVE_DIR = Path(__file__).resolve().parent / "_native"
#: Running from a source checkout (an editable install or PYTHONPATH), whose C sources are live.
IN_CHECKOUT = (REPO_ROOT / "stinylib" / "Makefile").is_file()


def c_file(path: str) -> Path:
    """A C file by its path in the repository, e.g. "stinylib/src/format.h"."""
    return REPO_ROOT / path if IN_CHECKOUT else NATIVE_DIR / Path(path).name
