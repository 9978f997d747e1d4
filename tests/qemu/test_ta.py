"""The S-Tinylib TA inside the patched OP-TEE, driven through tzinfer-run on the booted VM.

Outputs come back over the serial console (base64) and are compared with the host build of the
same engine (same .tzm file) and with ONNX Runtime on the same input. Relative error is
max|a - b| / max|b|, so that logits near zero do not inflate it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.exported import exported
from tzinfer import cli, native, tzm
from tzinfer.convert import convert
from tzinfer.fixtures import FixturePaths
from tzinfer.hw import provision
from tzinfer.ort import reference_session, run_reference
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.payload import EXPORTED_MODELS, EXPORTED_SAMPLE, exported_sample_file, model_file
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TARGET

pytestmark = pytest.mark.qemu

#: The sample input each model is checked on (the chelsea photo for the ImageNet models).
SAMPLES = {"mobilenetv2": "chelsea", "squeezenet1_1": "chelsea", "lenet5": "digit3",
           "mobilenetv2_int8": "chelsea"}
#: Generous: MobileNetV2 under QEMU's emulation takes seconds, not milliseconds.
RUN_TIMEOUT_S = 600.0
OUTPUT = "/tmp/tzinfer-out.npy"


def relative_error(a: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(a.ravel() - ref.ravel())) / np.max(np.abs(ref)))


def labels_for(model: str) -> str | None:
    return None if model == "lenet5" else TARGET.labels


def classify(target: Console, model: str, sample: str, output: str | None = None) -> tzinfer_run.RunReport:
    cmdline = tzinfer_run.command(TARGET.model(model), TARGET.input(model, sample),
                                  labels=labels_for(model), output=output)
    return tzinfer_run.run(target, cmdline, timeout=RUN_TIMEOUT_S)


def assert_valid_run_works(target: Console) -> None:
    """The TA still answers a valid request correctly after a rejected one."""
    report = classify(target, "lenet5", "digit3")
    assert report.ok, report.output
    assert report.top[0].class_id == 3, report.output


@pytest.mark.parametrize("model", EXPORTED_MODELS)
def test_exported_family_matches_host_engine_and_onnxruntime(target: Console, model: str) -> None:
    """The issue-10 families (detector, segmenter, text detector, vision transformer) in the TA:
    the same numbers as the host engine and ONNX Runtime on the same seeded input."""
    cmdline = tzinfer_run.command(TARGET.model(model), TARGET.input(model, EXPORTED_SAMPLE), labels=None,
                                  output=OUTPUT)
    report = tzinfer_run.run(target, cmdline, timeout=RUN_TIMEOUT_S)
    assert report.ok, report.output
    assert report.fields["world"] == "secure"
    in_tee = tzinfer_run.fetch_npy(target, OUTPUT)

    stack = QemuStack()
    x = np.load(exported_sample_file(stack, model))
    host = native.load(model_file(stack, model).read_bytes()).run(x)
    ort = run_reference(reference_session(exported(model)), x)
    assert in_tee.size == host.size == ort.size
    assert relative_error(in_tee, host) <= 1e-5
    assert relative_error(in_tee, ort) <= 1e-4


@pytest.mark.parametrize("model", list(SAMPLES))
def test_output_matches_host_engine_and_onnxruntime(target: Console, fixtures: FixturePaths,
                                                    model: str) -> None:
    sample = SAMPLES[model]
    report = classify(target, model, sample, output=OUTPUT)
    assert report.ok, report.output
    assert report.fields["world"] == "secure"
    in_tee = tzinfer_run.fetch_npy(target, OUTPUT)

    x = np.load(fixtures.input(model, sample))
    host = native.load(model_file(QemuStack(), model).read_bytes()).run(x)
    ort = np.load(fixtures.reference(model, sample))
    assert in_tee.size == host.size == ort.size
    assert relative_error(in_tee, host) <= 1e-5
    assert relative_error(in_tee, ort) <= 1e-4


def test_chelsea_top1_is_onnxruntime_top1(target: Console, fixtures: FixturePaths) -> None:
    report = classify(target, "mobilenetv2", "chelsea")
    assert report.ok, report.output
    expected = fixtures.top1("mobilenetv2", "chelsea")
    assert report.top[0].class_id == expected
    assert report.top[0].label == fixtures.labels[expected]
    assert len(report.top) == 5
    # What the TA holds: the whole model plus its arena, inside the TA heap.
    assert "secure memory" in report.fields
    assert report.number("model bytes") > 13e6
    assert report.number("inference ms") > 0


def test_int8_mobilenetv2_classifies_chelsea_in_a_quarter_of_the_memory(target: Console,
                                                                         fixtures: FixturePaths) -> None:
    """The statically quantised MobileNetV2 (format 2.1) in the TA: ONNX Runtime's top-1, with the
    model a quarter of the float one's bytes."""
    report = classify(target, "mobilenetv2_int8", "chelsea")
    assert report.ok, report.output
    assert report.top[0].class_id == fixtures.top1("mobilenetv2_int8", "chelsea")
    assert report.number("model bytes") < 4.5e6


@pytest.mark.parametrize(("damage", "engine_status"), [
    ("truncated", "STL_E_TRUNCATED"),
    ("flipped-weight-byte", "STL_E_INTEGRITY"),
    ("not-a-model", "STL_E_MAGIC"),
])
def test_malformed_model_is_rejected_and_ta_stays_usable(target: Console, damage: str,
                                                         engine_status: str) -> None:
    good = TARGET.model("lenet5")
    bad = "/tmp/bad.tzm"
    make_bad = {
        "truncated": f"head -c 4000 {good} > {bad}",
        # One weight byte changed: only the body's SHA-256 can notice.
        "flipped-weight-byte": f"cp {good} {bad} && printf '\\377\\000\\377' | "
                               f"dd of={bad} bs=1 seek=100000 conv=notrunc 2>/dev/null",
        "not-a-model": f"cp {TARGET.input('lenet5', 'digit3')} {bad}",
    }[damage]
    target.check(make_bad)
    cmdline = tzinfer_run.command(bad, TARGET.input("lenet5", "digit3"), labels=None)
    report = tzinfer_run.run(target, cmdline, timeout=RUN_TIMEOUT_S)
    assert not report.ok
    # The engine's verdict, passed back from the TA, and the TEE result code.
    assert f"{bad} is not a valid tzinfer model: {engine_status}: " in report.output
    assert "[TEEC 0xffff0005 from TA]" in report.output  # TEE_ERROR_BAD_FORMAT
    assert "re-create it with `tzinfer convert`" in report.output
    assert_valid_run_works(target)


def test_wrong_size_input_is_rejected_and_ta_stays_usable(target: Console) -> None:
    lenet_input = TARGET.input("lenet5", "digit3")
    cmdline = tzinfer_run.command(TARGET.model("mobilenetv2"), lenet_input)
    report = tzinfer_run.run(target, cmdline, timeout=RUN_TIMEOUT_S)
    assert not report.ok
    assert f"{lenet_input} holds 784 floats but the model's input 'input' takes 150528" in report.output
    # Refused before RUN (libtzinfer knows the sizes from DESCRIBE); tzinfer-hostile checks the TA's
    # own refusal of such a block.
    assert_valid_run_works(target)


# --- a model with several inputs and outputs ----------------------------------------------------

#: Where the two-head model (tests/exported/recipes.py: two_head_net) and its inputs go on the target.
TWO_HEAD = "/tmp/two_head.tzm"
TWO_HEAD_INPUTS = {"image": "/tmp/two_head_image.npy", "side": "/tmp/two_head_side.npy"}


@pytest.fixture(scope="module")
def two_head(target: Console,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, np.ndarray]]:
    """The two-input, three-output torch export converted on the host, and sample inputs, copied
    to the target: (ONNX, .tzm, inputs by name)."""
    onnx_path = exported("two_head_net_opset17")
    local = tmp_path_factory.mktemp("two_head")
    model = local / "two_head.tzm"
    model.write_bytes(tzm.write(convert(onnx_path).model))
    rng = np.random.default_rng(11)
    inputs = {d.name: rng.standard_normal(d.shape).astype(np.float32)
              for d in native.load(model.read_bytes()).inputs}
    provision.upload(target, model, TWO_HEAD)
    for name, x in inputs.items():
        np.save(local / f"{name}.npy", x)
        provision.upload(target, local / f"{name}.npy", TWO_HEAD_INPUTS[name])
    return onnx_path, model, inputs


def test_multi_io_model_in_the_ta_matches_the_host(target: Console, two_head: tuple[Path, Path, dict],
                                                   tmp_path: Path) -> None:
    """Two inputs by name in, three outputs by name out of the TA, in the model's order: each equal
    to `tzinfer run` on the host (same .tzm, same inputs) and to ONNX Runtime on the ONNX file; the
    normal-world run on the target agrees too."""
    onnx_path, model, inputs = two_head
    described = tzinfer_run.describe(target, TWO_HEAD)
    assert described.ok, described.output
    assert described.inputs == [("image", (1, 3, 16, 16)), ("side", (1, 4))]
    assert [name for name, _ in described.outputs] == ["scores", "boxes", "features"]

    host_inputs = tmp_path / "inputs.npz"
    np.savez(host_inputs, **inputs)
    assert cli.main(["run", str(model), "--input", str(host_inputs),
                     "--output", str(tmp_path / "host.npz")]) == 0
    with np.load(tmp_path / "host.npz") as npz:
        host = {name: npz[name] for name in npz.files}
    ort = dict(zip(["scores", "boxes", "features"],
                   reference_session(onnx_path).run(None, inputs), strict=True))
    for world in ("secure", "normal"):
        out = f"/tmp/two_head_{world}.npz"
        cmdline = tzinfer_run.command(TWO_HEAD, TWO_HEAD_INPUTS, labels=None, output=out, world=world)
        report = tzinfer_run.run(target, cmdline, timeout=RUN_TIMEOUT_S)
        assert report.ok, report.output
        assert [name for name, _ in report.outputs] == ["scores", "boxes", "features"]
        on_target = tzinfer_run.fetch_npz(target, out)
        assert list(on_target) == list(host) == ["scores", "boxes", "features"]
        for name, y in on_target.items():
            assert y.shape == host[name].shape == ort[name].shape, name
            assert relative_error(y, host[name]) <= 1e-5, (world, name)
            assert relative_error(y, ort[name]) <= 1e-4, (world, name)


def test_swapped_inputs_are_refused_and_ta_stays_usable(target: Console, two_head: tuple) -> None:
    """Each input file given under the other's name: refused with the input named (by libtzinfer,
    before RUN); then the right request works."""
    swapped = {"image": TWO_HEAD_INPUTS["side"], "side": TWO_HEAD_INPUTS["image"]}
    report = tzinfer_run.run(target, tzinfer_run.command(TWO_HEAD, swapped, labels=None),
                             timeout=RUN_TIMEOUT_S)
    assert not report.ok
    assert (f"{TWO_HEAD_INPUTS['side']} holds 4 floats but the model's input 'image' takes 768"
            in report.output)
    report = tzinfer_run.run(target, tzinfer_run.command(TWO_HEAD, TWO_HEAD_INPUTS, labels=None),
                             timeout=RUN_TIMEOUT_S)
    assert report.ok, report.output
