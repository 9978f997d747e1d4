"""`tzinfer qemu run` from the host: a model the stack has never seen (the torch export two_head_net:
two inputs, three outputs; converted by the test) runs in the TA of the resident VM with no
manual step, its outputs equal to the host engine's; the next run reuses the VM, and takes an
image for an ImageNet model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.exported import exported
from tzinfer import cli, native
from tzinfer.fixtures import FixturePaths
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.payload import model_file
from tzinfer.stack.resident import ResidentVM

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module")
def resident() -> Iterator[ResidentVM]:
    """The resident VM is `tzinfer qemu run`'s own; stopped after these tests."""
    vm = ResidentVM(QemuStack())
    vm.stop()
    yield vm
    vm.stop()


def test_fresh_export_runs_in_the_ta_like_on_the_host(resident: ResidentVM, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "fresh.tzm"
    assert cli.main(["convert", str(exported("two_head_net_opset13")), "-o", str(model)]) == 0
    engine = native.load(model.read_bytes())
    rng = np.random.default_rng(8)
    xs = {d.name: rng.standard_normal(d.shape).astype(np.float32) for d in engine.inputs}
    np.savez(tmp_path / "x.npz", **xs)
    capsys.readouterr()
    assert cli.main(["qemu", "run", str(model), "--input", str(tmp_path / "x.npz"),
                     "--output", str(tmp_path / "y.npz")]) == 0
    printed = capsys.readouterr().out
    assert "vm: booted" in printed and resident.running()
    assert printed.count("max |TA - host engine|") == 3 and "secure memory: " in printed, printed
    expected = engine.run_all(xs)
    with np.load(tmp_path / "y.npz") as y:
        assert y.files == list(expected) == ["scores", "boxes", "features"]
        for name, ref in expected.items():
            assert np.max(np.abs(y[name] - ref)) <= 1e-5 * np.max(np.abs(ref)), name


def test_next_run_reuses_the_vm_and_takes_an_image(resident: ResidentVM, fixtures: FixturePaths,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    if not resident.running():
        pytest.skip("needs the VM the previous test booted")
    pid = resident.pid()
    capsys.readouterr()
    assert cli.main(["qemu", "run", str(model_file(QemuStack(), "mobilenetv2")),
                     "--input", str(fixtures.photo("chelsea"))]) == 0
    printed = capsys.readouterr().out
    assert "vm: reused" in printed and resident.pid() == pid
    assert f"argmax {fixtures.top1('mobilenetv2', 'chelsea')}," in printed, printed


def test_sealed_model_with_its_key_and_plaintext_reference(resident: ResidentVM, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A package sealed on the host: its key provisioned in the VM by the run, the plaintext model
    as the host engine's reference."""
    model, key, sealed = tmp_path / "m.tzm", tmp_path / "m.key", tmp_path / "m.tzms"
    assert cli.main(["convert", str(exported("mobile_block_net_opset13")), "-o", str(model)]) == 0
    assert cli.main(["keys", "generate", str(key)]) == 0
    assert cli.main(["seal", str(model), "-o", str(sealed), "--key", str(key), "--key-id", "11"]) == 0
    engine = native.load(model.read_bytes())
    np.save(tmp_path / "x.npy", np.random.default_rng(4).standard_normal(engine.inputs[0].shape)
            .astype(np.float32))
    capsys.readouterr()
    assert cli.main(["qemu", "run", str(sealed), "--input", str(tmp_path / "x.npy"), "--key-id", "11",
                     "--key", str(key), "--reference", str(model), "--output", str(tmp_path / "y.npy")]) == 0
    printed = capsys.readouterr().out
    assert printed.count("max |TA - host engine|") == 1, printed
    ref = engine.run(np.load(tmp_path / "x.npy"))
    assert np.max(np.abs(np.load(tmp_path / "y.npy") - ref)) <= 1e-5 * np.max(np.abs(ref))
