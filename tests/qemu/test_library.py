"""libtzinfer and tzinfer.runtime in the TA: the C example (docs/examples/sessions.c, built through
the pkg-config file into the stack) and the Python example (docs/examples/classify.py, on Debian's
python3 from the share), each checked against the host engine on the same .tzm and input:
- two sessions in two threads, with different models;
- a sealed model, with the key id the application asks for (and a wrong one refused);
- a cancelled run, then a good run in the same session;
and tzinfer-run's --frames: many inputs, the model loaded once.

Inputs and outputs travel through the stack's share (virtio-9p), so these tests need the VM.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tzinfer import keys, native
from tzinfer.fixtures import FixturePaths
from tzinfer.stack import python_root
from tzinfer.stack.layout import SHARE_MOUNT, QemuStack
from tzinfer.stack.payload import model_file
from tzinfer.stack.sealed_models import TEST_KEY_ID, stack_key
from tzinfer.stack.vm import BootedVM
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console
from tzinfer.target.layout import TARGET, TARGET_C_EXAMPLE

pytestmark = pytest.mark.qemu

#: Two models of different sizes, each with one input, and the sample each runs on.
MODELS = {"lenet5": "digit3", "squeezenet1_1": "chelsea"}
RUN_TIMEOUT_S = 900.0


def relative_error(a: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(a.ravel() - ref.ravel())) / np.max(np.abs(ref)))


@pytest.fixture(scope="module")
def share(qemu_vm: BootedVM) -> Iterator[tuple[Path, str]]:
    """A directory of the share: (its host path, its path in the VM)."""
    host = QemuStack().share / "tests-library"
    shutil.rmtree(host, ignore_errors=True)
    host.mkdir(parents=True)
    yield host, f"{SHARE_MOUNT}/{host.name}"
    shutil.rmtree(host, ignore_errors=True)


@pytest.fixture(scope="module")
def samples(fixtures: FixturePaths, share: tuple[Path, str]) -> dict[str, np.ndarray]:
    """Each model's input, as .npy and as raw float32 in the share."""
    host, _ = share
    arrays = {}
    for model, sample in MODELS.items():
        x = np.load(fixtures.input(model, sample)).astype(np.float32)
        np.save(host / f"{model}.npy", x)
        x.astype("<f4").tofile(host / f"{model}.f32")
        arrays[model] = x
    return arrays


def host_outputs(model: str, x: np.ndarray) -> list[np.ndarray]:
    """The host engine's outputs on the same .tzm, in the model's order."""
    engine = native.load(model_file(QemuStack(), model).read_bytes())
    return list(engine.run_all({engine.inputs[0].name: x}).values())


def c_outputs(path: Path, model: str, x: np.ndarray) -> list[np.ndarray]:
    """The C example's raw OUTPUT.f32 cut into the model's outputs."""
    flat, at, ys = np.fromfile(path, dtype="<f4"), 0, []
    for ref in host_outputs(model, x):
        ys.append(flat[at:at + ref.size].reshape(ref.shape))
        at += ref.size
    assert at == flat.size
    return ys


def py_outputs(path: Path) -> list[np.ndarray]:
    with np.load(path) as npz:
        return [npz[name] for name in npz.files]


def assert_like_host(ys: list[np.ndarray], model: str, x: np.ndarray) -> None:
    refs = host_outputs(model, x)
    assert len(ys) == len(refs)
    for y, ref in zip(ys, refs, strict=True):
        assert y.shape == ref.shape
        assert relative_error(y, ref) <= 1e-5


@pytest.fixture(scope="module")
def provisioned(target: Console) -> None:
    report = tzinfer_run.provision_key(target, keys.read(stack_key(QemuStack())), TEST_KEY_ID)
    assert report.ok, report.output


def c_example(target: Console, args: list[str]) -> tuple[int, str]:
    return target.run(" ".join([f"/{TARGET_C_EXAMPLE}", *args]) + " 2>&1", timeout=RUN_TIMEOUT_S)


def py_example(target: Console, args: list[str]) -> tuple[int, str]:
    return target.run(" ".join([python_root.interpreter(), python_root.example(), *args]) + " 2>&1",
                      timeout=RUN_TIMEOUT_S)


def two_model_args(remote: str, suffix: str, out: str) -> list[str]:
    return [arg for model in MODELS for arg in (TARGET.model(model), f"{remote}/{model}.{suffix}",
                                                f"{remote}/{model}.{out}")]


def test_c_example_two_sessions_in_two_threads(target: Console, share: tuple[Path, str],
                                               samples: dict[str, np.ndarray]) -> None:
    host, remote = share
    code, output = c_example(target, two_model_args(remote, "f32", "c.out"))
    assert code == 0, output
    assert output.count("run: TZI_OK") == 2, output
    for model, x in samples.items():
        assert_like_host(c_outputs(host / f"{model}.c.out", model, x), model, x)


def test_python_example_two_sessions_in_two_threads(target: Console, share: tuple[Path, str],
                                                    samples: dict[str, np.ndarray]) -> None:
    host, remote = share
    code, output = py_example(target, two_model_args(remote, "npy", "py.npz"))
    assert code == 0, output
    assert output.count("on TrustZoneExecutionProvider") == 2, output
    for model, x in samples.items():
        assert_like_host(py_outputs(host / f"{model}.py.npz"), model, x)


def sealed(model: str, key_id: int) -> str:
    return TARGET.model(model).removesuffix(".tzm") + f".tzms@{key_id}"


def test_c_example_sealed_model(target: Console, provisioned: None, share: tuple[Path, str],
                                samples: dict[str, np.ndarray]) -> None:
    host, remote = share
    code, output = c_example(target, [sealed("lenet5", TEST_KEY_ID), f"{remote}/lenet5.f32",
                                      f"{remote}/sealed.c.out"])
    assert code == 0, output
    assert_like_host(c_outputs(host / "sealed.c.out", "lenet5", samples["lenet5"]), "lenet5",
                     samples["lenet5"])
    # The application asks for another key: refused before anything is sent.
    code, output = c_example(target, [sealed("lenet5", TEST_KEY_ID + 1), f"{remote}/lenet5.f32",
                                      f"{remote}/sealed.c.out"])
    assert code != 0
    assert f"TZI_E_KEY_ID: {TARGET.model('lenet5').removesuffix('.tzm')}.tzms is sealed for key id " \
           f"{TEST_KEY_ID}, not {TEST_KEY_ID + 1}" in output, output


def test_python_example_sealed_model(target: Console, provisioned: None, share: tuple[Path, str],
                                     samples: dict[str, np.ndarray]) -> None:
    host, remote = share
    code, output = py_example(target, [sealed("lenet5", TEST_KEY_ID), f"{remote}/lenet5.npy",
                                       f"{remote}/sealed.py.npz"])
    assert code == 0, output
    assert_like_host(py_outputs(host / "sealed.py.npz"), "lenet5", samples["lenet5"])


def test_c_example_cancelled_run_then_good_run(target: Console, share: tuple[Path, str],
                                               samples: dict[str, np.ndarray]) -> None:
    host, remote = share
    model = "squeezenet1_1"  # seconds per run under emulation: time to cancel it
    code, output = c_example(target, ["--cancel", TARGET.model(model), f"{remote}/{model}.f32",
                                      f"{remote}/cancel.c.out"])
    assert code == 0 and "cancelled run: TZI_E_CANCELLED" in output, output
    assert_like_host(c_outputs(host / "cancel.c.out", model, samples[model]), model, samples[model])


def test_python_example_cancelled_run_then_good_run(target: Console, share: tuple[Path, str],
                                                    samples: dict[str, np.ndarray]) -> None:
    host, remote = share
    model = "squeezenet1_1"
    code, output = py_example(target, ["--cancel", TARGET.model(model), f"{remote}/{model}.npy",
                                       f"{remote}/cancel.py.npz"])
    assert code == 0 and "cancelled run: TZI_E_CANCELLED" in output, output
    assert_like_host(py_outputs(host / "cancel.py.npz"), model, samples[model])


TIME_LIMIT_SCRIPT = """
import sys
import numpy as np
from tzinfer.runtime import InferenceSession, TzinferError
model, x_path, y_path = sys.argv[1:]
x = np.load(x_path)
limited = InferenceSession(model, time_limit_s=0.001)
name = limited.get_inputs()[0].name
try:
    limited.run(None, {name: x})
    print("limited run: completed")
except TzinferError as err:
    print(f"limited run: {err.status}")
print(f"cancelled runs: {limited.stats()['cancelled_runs']}")
limited.close()
y, = InferenceSession(model).run(None, {name: x})
np.savez(y_path, y=y)
"""


def test_python_time_limit_stops_a_run_in_the_ta(target: Console, share: tuple[Path, str],
                                                 samples: dict[str, np.ndarray]) -> None:
    """InferenceSession(time_limit_s=) is libtzinfer's tzi_set_time_limit: a 1 ms limit stops a
    SqueezeNet run after its first op (TZI_E_TIMEOUT), and the next session runs it whole."""
    host, remote = share
    model = "squeezenet1_1"
    (host / "time_limit.py").write_text(TIME_LIMIT_SCRIPT)
    code, output = target.run(f"{python_root.interpreter()} {remote}/time_limit.py {TARGET.model(model)} "
                              f"{remote}/{model}.npy {remote}/time_limit.npz 2>&1", timeout=RUN_TIMEOUT_S)
    assert code == 0, output
    assert "limited run: TZI_E_TIMEOUT" in output and "cancelled runs: 1" in output, output
    assert_like_host(py_outputs(host / "time_limit.npz"), model, samples[model])


def test_frames_run_many_inputs_with_the_model_loaded_once(target: Console, share: tuple[Path, str],
                                                           fixtures: FixturePaths) -> None:
    """--frames from a directory and from .npy frames on stdin: one result per input, each the
    host engine's, and one load."""
    host, remote = share
    frames = host / "frames"
    frames.mkdir()
    rng = np.random.default_rng(3)
    xs = {f"f{i}": rng.standard_normal((1, 1, 28, 28)).astype(np.float32) for i in range(3)}
    for name, x in xs.items():
        np.save(frames / f"{name}.npy", x)
    with (host / "stream.bin").open("wb") as stream:
        for x in xs.values():
            np.save(stream, x)
    out = host / "frames-out"
    out.mkdir()
    for source in (f"{remote}/frames", "-"):
        feed = f"cat {remote}/stream.bin | " if source == "-" else ""
        code, output = target.run(f"{feed}{TARGET.client} {TARGET.model('lenet5')} --frames {source} "
                                  f"--output-dir {remote}/frames-out 2>&1", timeout=RUN_TIMEOUT_S)
        assert code == 0, output
        report = tzinfer_run.parse(code, output)
        assert report.fields["mode"] == "stream" and report.number("frames") == 3, output
        assert output.count("result ") == 3 and output.count("load ms") == 1, output
        labels = list(xs) if source != "-" else [f"frame-{i:06d}" for i in range(3)]
        for label, x in zip(labels, xs.values(), strict=True):
            assert_like_host(py_outputs(out / f"{label}.npz"), "lenet5", x)
