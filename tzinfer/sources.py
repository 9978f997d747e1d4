"""Where the C files the Python side depends on are: the source checkout it runs from, or the
copies an installed wheel carries in tzinfer/_native/ (setup.py puts them there at install time).

The C headers are the one source of the constants Python shares with the engine, so they are read,
not restated, in both cases."""

import re
from functools import cache
from pathlib import Path

from tzinfer import REPO_ROOT

#: The installed wheel's copies: libstinylib.so, built at install time, and the C headers.
NATIVE_DIR = Path(__file__).resolve().parent / "_native"
#: Running from a source checkout (an editable install or PYTHONPATH), whose C sources are live.
IN_CHECKOUT = (REPO_ROOT / "stinylib" / "Makefile").is_file()


def c_file(path: str) -> Path:
    """A C file by its path in the repository, e.g. "stinylib/include/tzm_format.h"."""
    return REPO_ROOT / path if IN_CHECKOUT else NATIVE_DIR / Path(path).name


_DEFINE = re.compile(r'^#define\s+(\w+)\s+(?:"([^"]*)"|(0x[0-9a-fA-F]+|\d+)u?\b)', re.M)


@cache
def c_defines(path: str) -> dict[str, int | str]:
    """The `#define NAME VALUE` lines of a C header whose value is a number or a string literal."""
    return {name: int(number, 0) if number else text
            for name, text, number in _DEFINE.findall(c_file(path).read_text())}


def c_string(path: str, name: str) -> str:
    """A string constant of a C header, e.g. a TA's UUID."""
    value = c_defines(path).get(name)
    if not isinstance(value, str):
        raise LookupError(f"{path} defines no string {name}")
    return value
