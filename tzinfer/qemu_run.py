"""`tzinfer qemu run MODEL --input X [--output Y] [--key-id N]`: your model in the TA, from the host.

Builds the QEMU stack if needed (incremental), boots the resident VM or reuses the running one
(tzinfer/stack/resident.py), puts the model and its inputs in the stack's share (virtio-9p), runs
`tzinfer-run` (libtzinfer) on them in the VM, reads the outputs back from the share, and compares
them with the host engine's outputs for the same inputs.

Inputs: `X.npy` (a model with one input), `NAME=X.npy` per input, `X.npz` (an array per input
name), or an image (.jpg, .png, ...) for a model whose one input is [1, 3, 224, 224] (ImageNet
preprocessing). A sealed model runs only in the TA: give the key file with --key (it is provisioned
in the VM) and, for the comparison, the plaintext model with --reference.
"""

from __future__ import annotations

import shlex
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tzinfer import feeds, native
from tzinfer.stack.layout import SHARE_MOUNT, QemuStack
from tzinfer.stack.resident import ResidentVM
from tzinfer.target import tzinfer_run
from tzinfer.target.layout import TARGET

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
RUN_TIMEOUT_S = 900.0


class QemuRunError(ValueError):
    """Bad arguments or a refused run; the message names the cause and the fix."""


@dataclass
class QemuRunResult:
    """What one run in the TA gave, and how it compares with the host engine."""

    outputs: dict[str, np.ndarray]
    report: tzinfer_run.RunReport
    booted: bool                       # this run started the VM
    max_abs_diff: dict[str, float]     # per output: max |TA - host| ({} without a host reference)


def _image_input(path: Path, inputs: list[native.TensorDesc]) -> dict[str, np.ndarray]:
    from tzinfer.fixtures.imagenet import INPUT_SIZE, preprocess_image

    shape = (1, 3, INPUT_SIZE, INPUT_SIZE)
    if len(inputs) != 1 or inputs[0].shape != shape:
        raise QemuRunError(f"{path} is an image, but the model takes {feeds.describe(inputs)}, not one "
                           f"input of {list(shape)}: give the preprocessed tensor as a .npy")
    return {inputs[0].name: preprocess_image(path)}


def load_inputs(specs: list[str], inputs: list[native.TensorDesc]) -> dict[str, np.ndarray]:
    """The arrays the --input specs give, checked against the model's inputs."""
    if len(specs) == 1 and Path(specs[0]).suffix.lower() in IMAGE_SUFFIXES:
        return _image_input(Path(specs[0]), inputs)
    try:
        return feeds.load_inputs(specs, inputs)
    except feeds.FeedError as err:
        raise QemuRunError(str(err)) from None


def _reference_model(model: Path, reference: Path | None) -> native.Model | None:
    """The host engine's copy of the model: the model itself, or --reference for a sealed one."""
    data = (reference or model).read_bytes()
    sealed = len(data) >= 16 and int.from_bytes(data[12:16], "little") & 1
    if sealed:
        if reference:
            raise QemuRunError(f"--reference {reference} is sealed too: give the plaintext .tzm")
        return None
    try:
        return native.load(data)
    except native.EngineError as err:
        raise QemuRunError(f"{reference or model} is not a valid tzinfer model: {err}: re-create it with "
                           "`tzinfer convert`") from None


def run(model: Path, specs: list[str], *, key_id: int | None = None, key: Path | None = None,
        reference: Path | None = None, stack: QemuStack | None = None) -> QemuRunResult:
    """Run `model` on the inputs in the resident VM's TA; see the module doc."""
    from tzinfer.stack import pipeline

    host = _reference_model(model, reference)
    if host is None:
        if len(specs) != 1 or "=" in specs[0] or not specs[0].endswith(".npy"):
            raise QemuRunError("a sealed model without --reference takes one input as X.npy (its names "
                               "and shapes stay in the TA); give --reference PLAIN.tzm for more")
        arrays = {"": np.load(specs[0], allow_pickle=False)}
    else:
        arrays = load_inputs(specs, host.inputs)
    stack = pipeline.build(stack=stack)
    job = stack.share / "jobs" / uuid.uuid4().hex[:12]
    job.mkdir(parents=True)
    target_job = f"{SHARE_MOUNT}/jobs/{job.name}"
    try:
        shutil.copyfile(model, job / model.name)
        given: dict[str, str] = {}
        for i, (name, x) in enumerate(arrays.items()):
            np.save(job / f"input{i}.npy", np.ascontiguousarray(x, dtype=np.float32))
            given[name] = f"{target_job}/input{i}.npy"
        vm = ResidentVM(stack)
        booted = vm.start()
        with vm.console() as console:
            if key:
                shutil.copyfile(key, job / "model.key")
                _provision(console, f"{target_job}/model.key", key_id)
            cmdline = tzinfer_run.command(f"{target_job}/{model.name}", given[""] if "" in given else given,
                                          labels=TARGET.labels, output=f"{target_job}/outputs.npz",
                                          key_id=key_id)
            report = tzinfer_run.run(console, cmdline, timeout=RUN_TIMEOUT_S)
        if not report.ok:
            said = [line for line in report.output.splitlines() if line.strip()]
            raise QemuRunError(f"the run in the TA failed: {said[-1] if said else 'no output'}")
        with np.load(job / "outputs.npz", allow_pickle=False) as npz:
            outputs = {name: npz[name] for name in npz.files}
    finally:
        shutil.rmtree(job, ignore_errors=True)
    diffs: dict[str, float] = {}
    if host is not None:
        expected = host.run_all(arrays)
        diffs = {name: float(np.max(np.abs(outputs[name] - y))) for name, y in expected.items()}
    return QemuRunResult(outputs, report, booted, diffs)


def _provision(console: object, key_path: str, key_id: int | None) -> None:
    from tzinfer.target.console import Console

    assert isinstance(console, Console)
    if not key_id:
        raise QemuRunError("--key needs --key-id: the id the model was sealed for")
    code, out = console.run(shlex.join([TARGET.client, "--provision-key", key_path, "--key-id", str(key_id)])
                            + " 2>&1")
    if code != 0:
        raise QemuRunError(f"provisioning the key in the VM failed: {out}")


def save(path: Path, outputs: dict[str, np.ndarray]) -> None:
    """--output: every output by name (.npz), or the only one (.npy)."""
    try:
        feeds.check_output_path(path, list(outputs))
    except feeds.FeedError as err:
        raise QemuRunError(str(err)) from None
    feeds.save_outputs(path, outputs)


def summary(result: QemuRunResult) -> str:
    """What `tzinfer qemu run` prints: outputs, secure memory, timings, the host comparison."""
    fields = result.report.fields
    lines = [f"vm: {'booted' if result.booted else 'reused'} (tzinfer qemu stop ends it)"]
    for name, y in result.outputs.items():
        flat = y.ravel()
        lines.append(f"output {name!r}: {list(y.shape)} float32, argmax {int(flat.argmax())}, "
                     f"max {float(flat.max()):.6g}, min {float(flat.min()):.6g}")
        if name in result.max_abs_diff:
            scale = float(np.max(np.abs(flat))) or 1.0
            lines.append(f"  max |TA - host engine|: {result.max_abs_diff[name]:.3g} "
                         f"(relative {result.max_abs_diff[name] / scale:.3g})")
    if not result.max_abs_diff:
        lines.append("host engine: no comparison (sealed model; give --reference PLAIN.tzm)")
    for key in ("secure memory", "secure buffers", "load ms", "inference ms", "round trip ms"):
        if key in fields:
            lines.append(f"{key}: {fields[key]}")
    return "\n".join(lines)
