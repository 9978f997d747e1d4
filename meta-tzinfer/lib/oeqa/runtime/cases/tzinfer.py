# SPDX-License-Identifier: BSD-2-Clause
"""testimage: every installed model runs in the OP-TEE TA and agrees with the normal-world run.

Runs on the build host against the booted image (kas/qemu.yml sets TEST_SUITES). Bitbake's
Python has no numpy and cannot import the tzinfer package, so the few header fields needed
(the input tensor's dims, see docs/model-format.md) are read with struct here.
"""

import os
import struct
import tempfile

from oeqa.core.decorator.oetimeout import OETimeout
from oeqa.runtime.case import OERuntimeTestCase
from oeqa.runtime.decorator.package import OEHasPackage

MODELS_DIR = "/usr/share/tzinfer/models"
HEADER_SIZE = 128
TENSOR_RECORD = 40
#: The TA and the normal world run the same engine code on the same input.
MAX_DIFFERENCE = 1e-4


def input_dims(tzm_path: str) -> list[int]:
    """dims of the model's input tensor, from the .tzm header and tensor table."""
    with open(tzm_path, "rb") as f:
        header = f.read(HEADER_SIZE)
        if header[:8] != b"TZMODEL\0":
            raise ValueError(f"{tzm_path} is not a .tzm file")
        (input_tensor,) = struct.unpack_from("<I", header, 32)
        f.seek(HEADER_SIZE + input_tensor * TENSOR_RECORD)
        record = f.read(TENSOR_RECORD)
    ndim = record[2]
    return list(struct.unpack_from(f"<{ndim}I", record, 4))


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


def read_npy_floats(path: str) -> tuple[float, ...]:
    """The float32 values of a .npy written by tzinfer-run --output."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack_from("<H", data, 8)
    body = data[10 + header_len:]
    return struct.unpack(f"<{len(body) // 4}f", body)


class TzinferTest(OERuntimeTestCase):

    @OETimeout(900)
    @OEHasPackage(["tzinfer-client"])
    def test_models_run_in_the_ta_like_in_the_normal_world(self) -> None:
        status, output = self.target.run(f"ls {MODELS_DIR}/*.tzm")
        self.assertEqual(status, 0, msg=f"no models installed: {output}")
        with tempfile.TemporaryDirectory() as tmp:
            for model in output.split():
                name = os.path.basename(model)
                local_model = os.path.join(tmp, name)
                self.target.copyFrom(model, local_model)
                local_input = os.path.join(tmp, name + ".input.npy")
                write_npy(local_input, input_dims(local_model))
                self.target.copyTo(local_input, "/tmp/input.npy")
                outputs = {}
                for world in ("secure", "normal"):
                    cmd = f"tzinfer-run {model} /tmp/input.npy --world {world} --output /tmp/{world}.npy"
                    status, output = self.target.run(cmd, timeout=600)
                    self.assertEqual(status, 0, msg=f"{cmd}\n{output}")
                    local_output = os.path.join(tmp, f"{name}.{world}.npy")
                    self.target.copyFrom(f"/tmp/{world}.npy", local_output)
                    outputs[world] = read_npy_floats(local_output)
                secure, normal = outputs["secure"], outputs["normal"]
                self.assertEqual(len(secure), len(normal))
                worst = max(abs(secure[i] - normal[i]) for i in range(len(secure)))
                self.assertLess(worst, MAX_DIFFERENCE, msg=f"{name}: TA and normal world differ by {worst:g}")
