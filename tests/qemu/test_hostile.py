"""Hostile requests through the real client/TA path: tzinfer-hostile (client/hostile/) sends
well over 100 malformed requests to the TA through libteec and checks each one's TEE result
against the one the interface defines; then one valid request must still give the host
engine's output.

The corrupted models are bit flips in a valid LeNet-5 .tzm, listed here and applied on the
target (with and without recomputing the body SHA-256). What each must give is decided by the
host build of the same engine: a file the host engine refuses must come back as
TEE_ERROR_BAD_FORMAT, a file it accepts (a flipped weight with a fixed-up hash is a valid,
different model) must load.
"""

from __future__ import annotations

import hashlib
import random
import re
import shlex
import struct

import numpy as np
import pytest

from tzinfer import native, tzm
from tzinfer.fixtures import FixturePaths
from tzinfer.stack import tzinfer_run
from tzinfer.stack.console import Console
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.payload import TARGET, TARGET_HOSTILE, model_file, ta_data_size

pytestmark = pytest.mark.qemu

TEE_SUCCESS = 0
TEE_ERROR_BAD_FORMAT = 0xFFFF0005
TEE_ERROR_EXCESS_DATA = 0xFFFF0004
#: A .tzm whose header has flags bit 0 set is a sealed package of format v1, which the TA
#: refuses as such (ta/include/tzinfer_ta.h, LOAD_END).
TEE_ERROR_NOT_SUPPORTED = 0xFFFF000A
FLAGS_OFFSET = tzm.HEADER_FIELDS["flags"][0]
HEADER_SIZE = tzm.HEADER_SIZE
DIGEST_OFFSET = tzm.HEADER_FIELDS["body_sha256"][0]
#: (name, offset) of the header's fields after the magic (tzm reads them from tzm_format.h).
HEADER_FIELDS = tuple((name, offset) for name, (offset, _) in tzm.HEADER_FIELDS.items() if name != "magic")
CORRUPTIONS = "/tmp/tzinfer-corruptions.txt"
OUTPUT = "/tmp/tzinfer-hostile-out.npy"
TIMEOUT_S = 900.0
_CASE = re.compile(r"^case (.*?) +(want 0x[0-9a-f]{8}(?:\(or alike\))? got 0x[0-9a-f]{8} origin \d+"
                   r"|set-up step .*) (ok|FAIL)$", re.M)
_SUMMARY = re.compile(r"^hostile: (\d+) cases, (\d+) failures, (\d+) TA deaths$", re.M)


def sha_fixed(data: bytearray) -> bytearray:
    data[DIGEST_OFFSET:DIGEST_OFFSET + 32] = hashlib.sha256(data[HEADER_SIZE:]).digest()
    return data


def flips(model: bytes) -> list[tuple[str, int, int, int]]:
    """(name, offset, xor mask, fixup) for every corruption: each header field's low and top
    byte, and seeded positions in the tensor, op and io tables, the input/output records, the
    names and the weights, each with and without the hash fixed up."""
    def field(name: str) -> int:
        return struct.unpack_from("<I", model, tzm.HEADER_FIELDS[name][0])[0]
    tensors = HEADER_SIZE
    ops = tensors + field("n_tensors") * tzm.TENSOR_RECORD_SIZE
    io = ops + field("n_ops") * tzm.OP_RECORD_SIZE
    bindings = io + 4 * field("n_io") + tzm.SOURCE_DIGEST_SIZE
    names = bindings + (field("n_inputs") + field("n_outputs")) * tzm.BINDING_RECORD_SIZE
    regions = {"tensors": (tensors, ops), "ops": (ops, io), "io": (io, io + 4 * field("n_io")),
               "bindings": (bindings, names), "names": (names, names + field("names_size")),
               "weights": (field("weights_offset"), len(model))}
    out = [("magic", 0, 0x01, 0), ("magic-last", 7, 0x80, 0)]
    for name, offset in HEADER_FIELDS:
        size = tzm.HEADER_FIELDS[name][1]
        out += [(f"header-{name}-low", offset, 0x01, 0),
                (f"header-{name}-top", offset + min(size, 4) - 1, 0x80, 0)]
    rng = random.Random(5)
    for region, (start, stop) in regions.items():
        for _ in range(4):
            offset = rng.randrange(start, stop)
            mask = 1 << rng.randrange(8)
            for fixup in (0, 1):
                out.append((f"{region}-{offset}-bit{mask.bit_length() - 1}{'-sha-fixed' if fixup else ''}",
                            offset, mask, fixup))
    return out


def expected_results(model: bytes, offset: int, mask: int, fixup: int, quota: int) -> tuple[int, ...]:
    """The TEE results LOAD_END may give: the host engine's verdict on the same bytes."""
    data = bytearray(model)
    data[offset] ^= mask
    if fixup:
        sha_fixed(data)
    if data[:8] == tzm.MAGIC and struct.unpack_from("<I", data, FLAGS_OFFSET)[0] & 1:
        return (TEE_ERROR_NOT_SUPPORTED,)
    try:
        loaded = native.load(bytes(data))
    except native.EngineError:
        return (TEE_ERROR_BAD_FORMAT,)
    return (TEE_SUCCESS,) if loaded.arena_bytes + len(data) <= quota else (TEE_ERROR_EXCESS_DATA,)


def write_file(target: Console, path: str, lines: list[str]) -> None:
    """A text file on the target, sent line by line as a here-document."""
    body = "\n".join(lines)
    target.check(f"cat > {shlex.quote(path)} <<'TZI_EOF'\n{body}\nTZI_EOF")


def test_hostile_requests_get_defined_errors(target: Console, fixtures: FixturePaths,
                                             record_property: pytest.RecordProperty) -> None:
    stack = QemuStack()
    model = model_file(stack, "lenet5").read_bytes()
    quota = ta_data_size(stack) // 2  # the TA's default session quota (ta/ta_config.h)
    lines = [f"{name} {offset} {mask:x} {fixup} "
             + ",".join(f"{r:x}" for r in expected_results(model, offset, mask, fixup, quota))
             for name, offset, mask, fixup in flips(model)]
    write_file(target, CORRUPTIONS, lines)
    target.check(f"rm -f {OUTPUT}")
    cmd = shlex.join(["/" + TARGET_HOSTILE, "--corruptions", CORRUPTIONS, "--output", OUTPUT,
                      TARGET.model("lenet5"), TARGET.input("lenet5", "digit3")])
    code, output = target.run(cmd + " 2>&1", timeout=TIMEOUT_S)

    cases = _CASE.findall(output)
    failed = [f"{name}: {detail}" for name, detail, verdict in cases if verdict == "FAIL"]
    summary = _SUMMARY.search(output)
    assert summary, f"tzinfer-hostile printed no summary (exit {code}):\n{output[-3000:]}"
    n_cases, n_failures, deaths = (int(g) for g in summary.groups())
    record_property("hostile_cases", n_cases)
    record_property("hostile_failures", n_failures)
    print(f"\nhostile: {n_cases} cases, {n_failures} failures, {deaths} TA deaths")
    assert n_cases == len(cases) >= 100 + len(lines)
    assert not failed, "\n".join(failed)
    assert deaths == 0
    assert "valid request after the hostile ones: 0x00000000 ok" in output
    assert code == 0, output[-3000:]

    # The valid request's output is the host engine's.
    in_tee = tzinfer_run.fetch_npy(target, OUTPUT)
    host = native.load(model).run(np.load(fixtures.input("lenet5", "digit3")))
    assert np.max(np.abs(in_tee.ravel() - host.ravel())) <= 1e-5 * np.max(np.abs(host))
