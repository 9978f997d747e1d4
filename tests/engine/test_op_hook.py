"""stl_run's op hook (stinylib.h, stl_set_op_hook): called before every op and once after the
last, in order; a non-zero return stops the run with STL_E_CANCELLED at that op, and the model
still runs afterwards. The TA checks its cancellation flag there (RUN is cancellable); the fuzz
harness re-poisons the tensors the next op must not touch."""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pytest

from tzinfer import native
from tzinfer.fixtures import FixturePaths

HOOK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32)


def set_hook(m: native.Model, hook: object) -> None:
    lib = native.library()
    lib.stl_set_op_hook.argtypes = [ctypes.POINTER(native._Model), ctypes.c_void_p, ctypes.c_void_p]
    lib.stl_set_op_hook.restype = None
    lib.stl_set_op_hook(ctypes.byref(m._m), ctypes.cast(hook, ctypes.c_void_p) if hook else None, None)


@pytest.fixture(scope="module")
def lenet_model(lenet: Path) -> native.Model:
    return native.load(lenet.read_bytes())


def test_hook_sees_every_op_in_order_and_changes_nothing(lenet_model: native.Model,
                                                         fixtures: FixturePaths) -> None:
    x = np.load(fixtures.input("lenet5", "digit3"))
    plain = lenet_model.run(x)
    seen: list[int] = []

    @HOOK
    def record(ctx: int, model: int, next_op: int) -> int:
        seen.append(next_op)
        return 0

    set_hook(lenet_model, record)
    try:
        hooked = lenet_model.run(x)
    finally:
        set_hook(lenet_model, None)
    n_ops = lenet_model._m.n_ops
    assert seen == list(range(n_ops + 1))
    assert np.array_equal(hooked, plain)


@pytest.mark.parametrize("stop_at", [0, 3, -1])
def test_hook_cancels_the_run_and_the_model_still_runs(lenet_model: native.Model, fixtures: FixturePaths,
                                                       stop_at: int) -> None:
    x = np.load(fixtures.input("lenet5", "digit3"))
    n_ops = lenet_model._m.n_ops
    stop = n_ops if stop_at < 0 else stop_at  # -1: after the last op, before the output copy

    @HOOK
    def cancel(ctx: int, model: int, next_op: int) -> int:
        return int(next_op == stop)

    set_hook(lenet_model, cancel)
    try:
        with pytest.raises(native.EngineError, match="STL_E_CANCELLED") as err:
            lenet_model.run(x)
    finally:
        set_hook(lenet_model, None)
    assert err.value.op == stop
    assert int(np.argmax(lenet_model.run(x))) == 3


def test_a_fresh_load_has_no_hook(lenet: Path) -> None:
    assert native.load(lenet.read_bytes())._m.op_hook is None
