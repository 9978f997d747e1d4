# SPDX-License-Identifier: BSD-2-Clause
"""testimage: every installed model runs in the OP-TEE TA and agrees with the normal-world run.

Runs on the build host against the booted image (kas/qemu.yml sets TEST_SUITES). Bitbake's
Python has no numpy and cannot import the tzinfer package: the model's inputs come from
`tzinfer-run MODEL --describe` (its "input N 'name': float32 [dims]" lines), the .npy inputs are
written and the .npz outputs read with struct and zipfile here.
"""

import os
import re
import struct
import tempfile
import zipfile

from oeqa.core.decorator.oetimeout import OETimeout
from oeqa.runtime.case import OERuntimeTestCase
from oeqa.runtime.decorator.package import OEHasPackage

MODELS_DIR = "/usr/share/tzinfer/models"
#: The TA and the normal world run the same engine code on the same input.
MAX_DIFFERENCE = 1e-4
_INPUT_LINE = re.compile(r"^input \d+ '(.*)': float32 \[([\d, ]*)\]$", re.M)


def model_inputs(describe_output: str) -> list[tuple[str, list[int]]]:
    """(name, dims) of every model input, from `tzinfer-run MODEL --describe`."""
    return [(name, [int(d) for d in dims.split(",") if d.strip()])
            for name, dims in _INPUT_LINE.findall(describe_output)]


def write_npy(path: str, dims: list[int]) -> None:
    """A float32 .npy of the given shape with a fixed ramp in [0, 1)."""
    count = 1
    for d in dims:
        count *= d
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple(dims)}, }}"
    # The magic, version and length take 10 bytes; the whole preamble ends on a 64-byte boundary.
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack(f"<{count}f", *((i % 256) / 256.0 for i in range(count))))


def read_npz_floats(path: str) -> dict[str, tuple[float, ...]]:
    """The float32 values of every array in an .npz written by tzinfer-run --output."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            data = archive.read(member)
            (header_len,) = struct.unpack_from("<H", data, 8)
            body = data[10 + header_len:]
            arrays[member[:-len(".npy")]] = struct.unpack(f"<{len(body) // 4}f", body)
    return arrays


class TzinferTest(OERuntimeTestCase):

    @OETimeout(900)
    @OEHasPackage(["tzinfer-client"])
    def test_models_run_in_the_ta_like_in_the_normal_world(self) -> None:
        status, output = self.target.run(f"ls {MODELS_DIR}/*.tzm")
        self.assertEqual(status, 0, msg=f"no models installed: {output}")
        with tempfile.TemporaryDirectory() as tmp:
            for model in output.split():
                name = os.path.basename(model)
                status, described = self.target.run(f"tzinfer-run {model} --describe", timeout=600)
                inputs = model_inputs(described)
                self.assertTrue(status == 0 and inputs, msg=f"{model} --describe:\n{described}")
                given = []
                for k, (input_name, dims) in enumerate(inputs):
                    local_input = os.path.join(tmp, f"{name}.input{k}.npy")
                    write_npy(local_input, dims)
                    self.target.copyTo(local_input, f"/tmp/input{k}.npy")
                    given.append(f"--input '{input_name}=/tmp/input{k}.npy'")
                outputs = {}
                for world in ("secure", "normal"):
                    cmd = f"tzinfer-run {model} {' '.join(given)} --world {world} --output /tmp/{world}.npz"
                    status, output = self.target.run(cmd, timeout=600)
                    self.assertEqual(status, 0, msg=f"{cmd}\n{output}")
                    local_output = os.path.join(tmp, f"{name}.{world}.npz")
                    self.target.copyFrom(f"/tmp/{world}.npz", local_output)
                    outputs[world] = read_npz_floats(local_output)
                secure, normal = outputs["secure"], outputs["normal"]
                self.assertEqual(list(secure), list(normal))
                for output_name in secure:
                    a, b = secure[output_name], normal[output_name]
                    self.assertEqual(len(a), len(b))
                    worst = max(abs(x - y) for x, y in zip(a, b, strict=True))
                    self.assertLess(worst, MAX_DIFFERENCE,
                                    msg=f"{name} {output_name}: TA and normal world differ by {worst:g}")
