"""tzinfer.runtime.InferenceSession on the host: onnxruntime's names and semantics, the host engine
only when asked for, and no silent fallback when libtzinfer is missing. (In the TA it runs in
tests/qemu/test_library.py.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.exported import exported
from tzinfer import runtime, tzm
from tzinfer.convert import convert
from tzinfer.ort import reference_session


@pytest.fixture(scope="module")
def two_head(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The two-input, three-output torch export and its .tzm."""
    onnx_path = exported("two_head_net_opset17")
    model = tmp_path_factory.mktemp("runtime") / "two_head.tzm"
    model.write_bytes(tzm.write(convert(onnx_path).model))
    return onnx_path, model


def feeds_for(sess: runtime.InferenceSession) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    return {a.name: rng.standard_normal(a.shape).astype(np.float32) for a in sess.get_inputs()}


def test_host_engine_mirrors_onnxruntime(two_head: tuple[Path, Path]) -> None:
    onnx_path, model = two_head
    ort = reference_session(onnx_path)
    sess = runtime.InferenceSession(model, providers=["HostEngineExecutionProvider"])
    assert sess.get_providers() == ["HostEngineExecutionProvider"]
    assert [(a.name, a.shape, a.type) for a in sess.get_inputs()] == \
        [(a.name, a.shape, a.type) for a in ort.get_inputs()]
    assert [a.name for a in sess.get_outputs()] == [a.name for a in ort.get_outputs()]
    feeds = feeds_for(sess)
    ours, theirs = sess.run(None, feeds), ort.run(None, feeds)
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape and a.dtype == np.float32
        assert np.max(np.abs(a - b)) <= 1e-4 * np.max(np.abs(b))
    # A subset of outputs, in the order asked for, as onnxruntime gives it.
    names = ["features", "scores"]
    for a, b in zip(sess.run(names, feeds), ort.run(names, feeds), strict=True):
        assert a.shape == b.shape


def test_backend_host_is_the_same_choice(two_head: tuple[Path, Path]) -> None:
    assert runtime.InferenceSession(two_head[1], backend="host").provider == runtime.HOST_PROVIDER


def test_bad_feeds_are_refused_with_the_reason(two_head: tuple[Path, Path]) -> None:
    sess = runtime.InferenceSession(two_head[1], backend="host")
    feeds = feeds_for(sess)
    with pytest.raises(runtime.InvalidArgument, match="missing \\['side'\\]"):
        sess.run(None, {"image": feeds["image"]})
    with pytest.raises(runtime.InvalidArgument, match="is float64, the model takes float32"):
        sess.run(None, {**feeds, "side": feeds["side"].astype(np.float64)})
    with pytest.raises(runtime.InvalidArgument, match="has shape \\[4\\], the model takes \\[1, 4\\]"):
        sess.run(None, {**feeds, "side": feeds["side"][0]})
    with pytest.raises(runtime.InvalidArgument, match="output names \\['nope'\\]"):
        sess.run(["nope"], feeds)
    sess.close()
    with pytest.raises(runtime.TzinferError, match="closed"):
        sess.run(None, feeds)


def test_no_silent_fallback_to_the_host(two_head: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Without libtzinfer the default (the TA) fails and says how to ask for the host engine."""
    monkeypatch.setattr(runtime, "_lib", None)
    monkeypatch.setenv(runtime.LIBRARY_ENV, "/nonexistent/libtzinfer.so.1")
    with pytest.raises(runtime.TzinferError, match="HostEngineExecutionProvider") as err:
        runtime.InferenceSession(two_head[1])
    assert err.value.status == "TZI_E_NO_TA"


def test_providers_must_name_one_known_provider(two_head: tuple[Path, Path]) -> None:
    with pytest.raises(runtime.InvalidArgument, match="unknown provider 'CPUExecutionProvider'"):
        runtime.InferenceSession(two_head[1], providers=["CPUExecutionProvider"])
    with pytest.raises(runtime.InvalidArgument, match="no fallback"):
        runtime.InferenceSession(two_head[1], providers=["TrustZoneExecutionProvider", "HostEngine"])
    with pytest.raises(runtime.InvalidArgument, match="sealed models run only in the TA"):
        runtime.InferenceSession(two_head[1], key_id=3, backend="host")


def test_threads_are_the_tas(two_head: tuple[Path, Path]) -> None:
    with pytest.raises(runtime.InvalidArgument, match="threads=2: team runs are the TA's"):
        runtime.InferenceSession(two_head[1], backend="host", threads=2)
    with pytest.raises(runtime.InvalidArgument, match="threads=0: give 1 or more"):
        runtime.InferenceSession(two_head[1], backend="host", threads=0)
    assert runtime.InferenceSession(two_head[1], backend="host", threads=1).provider == runtime.HOST_PROVIDER


def test_a_time_limit_is_the_tas(two_head: tuple[Path, Path]) -> None:
    with pytest.raises(runtime.InvalidArgument, match="time_limit_s=1.5: the time limit is kept by the TA"):
        runtime.InferenceSession(two_head[1], backend="host", time_limit_s=1.5)
    for bad in (-1.0, float("nan"), 5e6):
        with pytest.raises(runtime.InvalidArgument, match="give 0 \\(none\\) up to 4294967 s"):
            runtime.InferenceSession(two_head[1], backend="host", time_limit_s=bad)
    sess = runtime.InferenceSession(two_head[1], backend="host", time_limit_s=0)
    assert sess.provider == runtime.HOST_PROVIDER
