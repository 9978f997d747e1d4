"""The .tzm format's codes have one source, stinylib/include/tzm_format.h (and stinylib.h for the
dtype): tzinfer/tzm.py reads its numbers from there, and its enums must be the C enums, member for
member. These tests derive the expected values from the headers, so a code added, renumbered or
renamed on either side fails here."""

from __future__ import annotations

import re
from enum import IntEnum

import pytest

from tzinfer import tzm
from tzinfer.sources import c_file

_ENUM = re.compile(r"enum\s+(\w+)\s*\{(.*?)\}\s*;", re.S)


def c_enum(path: str, name: str) -> dict[str, int]:
    """The members of `enum name` in a C header, with the values C gives them (an unset member
    is the previous one plus 1)."""
    text = re.sub(r"/\*.*?\*/", "", c_file(path).read_text(), flags=re.S)
    body = dict(_ENUM.findall(text))[name]
    members: dict[str, int] = {}
    value = -1
    for item in filter(None, (part.strip() for part in body.split(","))):
        member, _, given = (s.strip() for s in item.partition("="))
        value = (members[given] if given in members else int(given, 0)) if given else value + 1
        members[member] = value
    return members


FORMAT_H = "stinylib/include/tzm_format.h"
#: Python enum, C header, C enum, prefix of its members.
ENUMS = [
    (tzm.OpType, FORMAT_H, "stl_op_type", "STL_OP_"),
    (tzm.Act, FORMAT_H, "stl_act", "STL_ACT_"),
    (tzm.BinaryKind, FORMAT_H, "stl_binary", "STL_BIN_"),
    (tzm.ReduceKind, FORMAT_H, "stl_reduce", "STL_RED_"),
    (tzm.ResizeMode, FORMAT_H, "stl_resize_mode", "STL_RESIZE_"),
    (tzm.ResizeCoord, FORMAT_H, "stl_resize_coord", "STL_COORD_"),
    (tzm.ResizeRound, FORMAT_H, "stl_resize_round", "STL_ROUND_"),
    (tzm.TensorKind, FORMAT_H, "stl_kind", "STL_KIND_"),
    (tzm.DType, "stinylib/include/stinylib.h", "stl_dtype", "STL_DTYPE_"),
]


@pytest.mark.parametrize(("python", "header", "name", "prefix"), ENUMS, ids=[e[2] for e in ENUMS])
def test_python_enum_is_the_c_enum(python: type[IntEnum], header: str, name: str, prefix: str) -> None:
    in_c = {member.removeprefix(prefix): value for member, value in c_enum(header, name).items()
            if not member.endswith("_LAST")}
    assert {m.name: m.value for m in python} == in_c


def test_c_enum_counts_like_c() -> None:
    """The reader itself: implicit values follow the previous member, aliases take its value."""
    members = c_enum(FORMAT_H, "stl_op_type")
    assert members["STL_OP_CONV"] == 1 and members["STL_OP_GEMM"] == 2
    assert members["STL_OP_LAST"] == members["STL_OP_QGLOBAL_AVGPOOL"] == 28


def test_header_numbers_come_from_the_header() -> None:
    """tzm's layout numbers are the header's #defines, the header fields its STL_HDR_ offsets."""
    defines = tzm.format_constants()
    assert tzm.HEADER_SIZE == defines["STL_HEADER_SIZE"]
    assert len(tzm.MAGIC) == defines["STL_MAGIC_BYTES"] and tzm.MAGIC.endswith(b"\0")
    assert {off for off, _ in tzm.HEADER_FIELDS.values()} == \
        {v for k, v in defines.items() if k.startswith("STL_HDR_")}
