"""The TA's UUIDs have one home, the headers TA and client share (ta/include/): Python reads them
from there (tzinfer.sources.c_string), ta/Makefile derives the TA's file name from them and the
TA recipes read them at parse time, so no other source restates them."""

import re

import pytest

from tests.repo_files import grep
from tzinfer.sources import c_defines, c_string
from tzinfer.target import layout

HEADERS = {"ta/include/tzinfer_ta.h": "TZI_TA_UUID_STR",
           "ta/include/tzinfer_ta_test.h": "TZI_TEST_TA_UUID_STR"}


@pytest.mark.parametrize("header", sorted(HEADERS))
def test_each_ta_uuid_is_written_in_one_source_file(header: str) -> None:
    uuid = c_string(header, HEADERS[header])
    found = {name for name, _, _ in grep(re.escape(uuid), flags=re.IGNORECASE)}
    assert found == {header}


def test_python_uses_the_headers_uuids() -> None:
    assert layout.TA_UUID == c_defines("ta/include/tzinfer_ta.h")["TZI_TA_UUID_STR"]
    assert layout.TEST_TA_UUID == c_defines("ta/include/tzinfer_ta_test.h")["TZI_TEST_TA_UUID_STR"]
    assert (layout.TEST_CONCURRENT_TA_UUID
            == c_defines("ta/include/tzinfer_ta_test.h")["TZI_TEST_CONCURRENT_TA_UUID_STR"])
    assert len({layout.TA_UUID, layout.TEST_TA_UUID, layout.TEST_CONCURRENT_TA_UUID}) == 3


def test_a_missing_string_constant_is_named() -> None:
    with pytest.raises(LookupError, match="defines no string TZI_NO_SUCH"):
        c_string("ta/include/tzinfer_ta.h", "TZI_NO_SUCH")
