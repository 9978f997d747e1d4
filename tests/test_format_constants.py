"""The .tzm format's codes have one source, stinylib/include/tzm_format.h (and stinylib.h for the
dtype): tzinfer/tzm.py reads its numbers and makes its enums from there (tzinfer.sources.c_enum),
so nothing in Python restates a code. These tests check that reader, and that DType, whose member
names Python spells, names every C dtype."""

from __future__ import annotations

from pathlib import Path

import pytest

from tzinfer import sources, tzm
from tzinfer.sources import c_enum

FORMAT_H = "stinylib/include/tzm_format.h"


def test_python_enums_are_made_from_the_c_enums() -> None:
    """A code added to, renumbered or renamed in the header reaches Python with no edit there."""
    members = {member.removeprefix("STL_OP_"): value
               for member, value in c_enum(FORMAT_H, "stl_op_type").items() if member != "STL_OP_LAST"}
    assert {m.name: m.value for m in tzm.OpType} == members
    assert tzm.OpType.CONV == members["CONV"] and not hasattr(tzm.OpType, "LAST")


def test_dtype_names_every_c_dtype() -> None:
    """DType spells its member names (its properties use them); its codes are stinylib.h's."""
    in_c = {member.removeprefix("STL_DTYPE_"): value
            for member, value in c_enum("stinylib/include/stinylib.h", "stl_dtype").items()
            if member != "STL_DTYPE_LAST"}
    assert {m.name: m.value for m in tzm.DType} == in_c


def test_c_enum_counts_like_c(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader itself: implicit values follow the previous member, aliases take its value,
    comments are not members, and a missing enum is an error that names it."""
    header = tmp_path / "h.h"
    header.write_text("enum e { A = 3, B, /* C = 9, */ D = 0x10,\n E, LAST = B };\nenum f { X };\n")
    monkeypatch.setattr(sources, "c_file", lambda path: header)
    sources.c_enum.cache_clear()
    try:
        assert c_enum("h.h", "e") == {"A": 3, "B": 4, "D": 16, "E": 17, "LAST": 4}
        with pytest.raises(LookupError, match="defines no enum g"):
            c_enum("h.h", "g")
    finally:
        sources.c_enum.cache_clear()


def test_header_numbers_come_from_the_header() -> None:
    """tzm's layout numbers are the header's #defines, the header fields its STL_HDR_ offsets."""
    defines = tzm.format_constants()
    assert tzm.HEADER_SIZE == defines["STL_HEADER_SIZE"]
    assert len(tzm.MAGIC) == defines["STL_MAGIC_BYTES"] and tzm.MAGIC.endswith(b"\0")
    assert {off for off, _ in tzm.HEADER_FIELDS.values()} == \
        {v for k, v in defines.items() if k.startswith("STL_HDR_")}
