"""ctypes binding to the host build of S-Tinylib (stinylib/include/stinylib.h).

In a source checkout the shared library is built with `make -C stinylib host` into
build/host/stinylib/ the first time it is needed; make itself decides whether the sources changed
since the last build. An installed wheel carries the library, built when it was installed
(setup.py).

    model = native.load(Path("m.tzm").read_bytes())
    ys = model.run_all({"x": x, "mask": m})   # every input by name -> every output by name
    y = model.run(x)                          # a model with one input and one output
"""

from __future__ import annotations

import ctypes
import fcntl
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tzinfer import BUILD_DIR, REPO_ROOT, sources

LIB_PATH = BUILD_DIR / "host" / "stinylib" / "libstinylib.so"
_MAX_DIMS = 6
_ALIGN = 16


class EngineError(RuntimeError):
    """S-Tinylib refused a model or a run; `status` is the STL_E_* name, `reason` the engine's text."""

    def __init__(self, status: str, reason: str, op: int = -1, tensor: int = -1) -> None:
        where = "".join(f", {name} {i}" for name, i in (("op", op), ("tensor", tensor)) if i >= 0)
        super().__init__(f"{status}: {reason}{where}")
        self.status = status
        self.reason = reason
        self.op = op
        self.tensor = tensor


class _Error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("reason", ctypes.c_char_p), ("op", ctypes.c_int32),
                ("tensor", ctypes.c_int32)]


class _Tensor(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_uint8), ("dtype", ctypes.c_uint8), ("ndim", ctypes.c_uint8),
                ("zero_point", ctypes.c_uint8), ("dims", ctypes.c_uint32 * _MAX_DIMS),
                ("offset", ctypes.c_uint32), ("size", ctypes.c_uint32), ("scale", ctypes.c_float)]


class _Model(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("size", ctypes.c_size_t), ("tensors", ctypes.POINTER(_Tensor)),
                ("ops", ctypes.c_void_p), ("io", ctypes.c_void_p), ("source_sha256", ctypes.c_void_p),
                ("bindings", ctypes.c_void_p), ("names", ctypes.c_void_p), ("weights", ctypes.c_void_p),
                ("n_tensors", ctypes.c_uint32), ("n_ops", ctypes.c_uint32), ("n_io", ctypes.c_uint32),
                ("n_inputs", ctypes.c_uint32), ("n_outputs", ctypes.c_uint32),
                ("arena_size", ctypes.c_uint32), ("error", _Error), ("op_hook", ctypes.c_void_p),
                ("op_hook_ctx", ctypes.c_void_p)]


class _IoDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("name_len", ctypes.c_uint32), ("tensor", ctypes.c_uint32),
                ("dtype", ctypes.c_uint8), ("ndim", ctypes.c_uint8),
                ("dims", ctypes.POINTER(ctypes.c_uint32)), ("bytes", ctypes.c_uint32)]


class _Buffer(ctypes.Structure):
    """struct stl_input and struct stl_output: a pointer and a length."""

    _fields_ = [("data", ctypes.c_void_p), ("len", ctypes.c_size_t)]


@dataclass(frozen=True)
class TensorDesc:
    """A model input or output as the engine describes it."""

    name: str
    shape: tuple[int, ...]
    nbytes: int
    dtype: np.dtype = np.dtype(np.float32)  # the only element type of the format


def build() -> Path:
    """Build (or bring up to date) the host library and return its path; an installed wheel's
    library was built at install time.

    A file lock serialises concurrent builds from several processes (pytest, the CLI)."""
    if not sources.IN_CHECKOUT:
        installed = sources.NATIVE_DIR / LIB_PATH.name
        if not installed.is_file():
            raise EngineError("BUILD", f"{installed} is missing: reinstall tzinfer (`pip install .` from its "
                              "source tree builds the engine; it needs cc and make)")
        return installed
    LIB_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(LIB_PATH.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(["make", "-s", "-C", str(REPO_ROOT / "stinylib"), "host",
                                 f"BUILD={BUILD_DIR}"], capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise EngineError("BUILD", "building the host engine with `make -C stinylib host` failed "
                          "(need gcc and make; see scripts/bootstrap): " + " | ".join(tail))
    return LIB_PATH


_lib: ctypes.CDLL | None = None


def library() -> ctypes.CDLL:
    """The loaded host library, built on first use."""
    global _lib
    if _lib is None:
        lib = ctypes.CDLL(str(build()))
        lib.stl_load.argtypes = [ctypes.POINTER(_Model), ctypes.c_void_p, ctypes.c_size_t]
        lib.stl_load.restype = ctypes.c_int
        buffers = ctypes.POINTER(_Buffer)
        lib.stl_run.argtypes = [ctypes.POINTER(_Model), ctypes.c_void_p, ctypes.c_size_t,
                                buffers, ctypes.c_uint32, buffers, ctypes.c_uint32]
        lib.stl_run.restype = ctypes.c_int
        lib.stl_run_begin.argtypes = [ctypes.POINTER(_Model), ctypes.c_void_p, ctypes.c_size_t, buffers,
                                      ctypes.c_uint32]
        lib.stl_run_end.argtypes = lib.stl_run_begin.argtypes
        u32 = ctypes.c_uint32
        lib.stl_op_chunk.argtypes = [ctypes.POINTER(_Model), ctypes.c_void_p, u32, u32, u32, ctypes.c_void_p]
        for name in ("stl_run_begin", "stl_run_end", "stl_op_chunk"):
            getattr(lib, name).restype = ctypes.c_int
        for name in ("stl_arena_bytes", "stl_n_inputs", "stl_n_outputs", "stl_n_ops"):
            getattr(lib, name).argtypes = [ctypes.POINTER(_Model)]
            getattr(lib, name).restype = ctypes.c_uint32
        for name in ("stl_input_desc", "stl_output_desc"):
            getattr(lib, name).argtypes = [ctypes.POINTER(_Model), ctypes.c_uint32, ctypes.POINTER(_IoDesc)]
            getattr(lib, name).restype = ctypes.c_int
        lib.stl_source_sha256.argtypes = [ctypes.POINTER(_Model)]
        lib.stl_source_sha256.restype = ctypes.POINTER(ctypes.c_uint8)
        u32p, i32p = ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_int32)
        lib.stl_conv_scratch_bytes.argtypes = [u32p, u32p, i32p]
        lib.stl_conv_scratch_bytes.restype = ctypes.c_uint32
        lib.stl_status_name.argtypes = [ctypes.c_int]
        lib.stl_status_name.restype = ctypes.c_char_p
        _lib = lib
    return _lib


def _aligned(nbytes: int) -> np.ndarray:
    """A zeroed uint8 buffer of nbytes whose data starts on a 16-byte boundary."""
    raw = np.zeros(nbytes + _ALIGN, dtype=np.uint8)
    skip = -raw.ctypes.data % _ALIGN
    return raw[skip:skip + nbytes]


def _ptr(a: np.ndarray) -> ctypes.c_void_p:
    return ctypes.c_void_p(a.ctypes.data)


class Model:
    """A model loaded and verified by the engine, with its own arena; not thread-safe."""

    def __init__(self, data: bytes) -> None:
        self._lib = library()
        self._buf = _aligned(len(data))
        self._buf[:] = np.frombuffer(data, dtype=np.uint8)
        self._m = _Model()
        if self._lib.stl_load(ctypes.byref(self._m), _ptr(self._buf), len(data)) != 0:
            raise self._error()
        model = ctypes.byref(self._m)
        self.arena_bytes: int = self._lib.stl_arena_bytes(model)
        self.inputs = [self._describe(self._lib.stl_input_desc, i)
                       for i in range(self._lib.stl_n_inputs(model))]
        self.outputs = [self._describe(self._lib.stl_output_desc, i)
                        for i in range(self._lib.stl_n_outputs(model))]
        self.source_sha256 = bytes(self._lib.stl_source_sha256(model)[:32])
        self._arena = _aligned(self.arena_bytes)

    def _describe(self, function: Callable[..., int], index: int) -> TensorDesc:
        d = _IoDesc()
        function(ctypes.byref(self._m), index, ctypes.byref(d))
        return TensorDesc(d.name.decode(), tuple(d.dims[:d.ndim]), d.bytes)

    def _error(self) -> EngineError:
        e = self._m.error
        name = self._lib.stl_status_name(e.status).decode()
        return EngineError(name, (e.reason or b"").decode(), e.op, e.tensor)

    def _buffers(self, feeds: Mapping[str, np.ndarray]) -> tuple[list[np.ndarray], ctypes.Array, ctypes.Array,
                                                                  dict[str, np.ndarray]]:
        """The input arrays (checked against the inputs' names and shapes) and their buffers, the
        output buffers and the output arrays they point to; the caller holds the arrays for the run."""
        names = [d.name for d in self.inputs]
        if sorted(feeds) != sorted(names):
            raise EngineError("STL_E_ARG", f"inputs {sorted(feeds)} given, the model takes {names}")
        arrays = []
        for d in self.inputs:
            x = np.ascontiguousarray(feeds[d.name], dtype=np.float32)
            if x.shape != d.shape:
                raise EngineError("STL_E_ARG", f"input {d.name!r} has shape {x.shape}, the model takes "
                                  f"{d.shape}")
            arrays.append(x)
        ys = {d.name: np.empty(d.shape, dtype=np.float32) for d in self.outputs}
        ins = (_Buffer * len(arrays))(*(_Buffer(x.ctypes.data, x.nbytes) for x in arrays))
        outs = (_Buffer * len(ys))(*(_Buffer(y.ctypes.data, y.nbytes) for y in ys.values()))
        return arrays, ins, outs, ys

    def run_all(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run the model on one float32 array per input name (exactly the input's shape); returns
        every output by name, in the model's order."""
        _arrays, ins, outs, ys = self._buffers(feeds)
        if self._lib.stl_run(ctypes.byref(self._m), _ptr(self._arena), self._arena.nbytes, ins, len(ins),
                             outs, len(outs)) != 0:
            raise self._error()
        return ys

    def op_times(self, feeds: Mapping[str, np.ndarray]) -> list[int]:
        """Run the model as run_all() does, one op at a time (stl_op_chunk, one chunk each), and return
        each op's CPU time in nanoseconds (the calling thread's clock): a profile for the bench
        tooling, not a second way to run models."""
        _arrays, ins, outs, _ = self._buffers(feeds)
        model, arena = ctypes.byref(self._m), _ptr(self._arena)
        if self._lib.stl_run_begin(model, arena, self._arena.nbytes, ins, len(ins)) != 0:
            raise self._error()
        times = []
        for op in range(self._lib.stl_n_ops(model)):
            t0 = time.thread_time_ns()
            status = self._lib.stl_op_chunk(model, arena, op, 0, 1, None)
            times.append(time.thread_time_ns() - t0)
            if status != 0:
                name = self._lib.stl_status_name(status).decode()
                raise EngineError(name, "stl_op_chunk refused the op", op)
        if self._lib.stl_run_end(model, arena, self._arena.nbytes, outs, len(outs)) != 0:
            raise self._error()
        return times

    def run(self, x: np.ndarray) -> np.ndarray:
        """run_all() for a model with one input and one output: x in, the output out."""
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            raise EngineError("STL_E_ARG", f"the model has {len(self.inputs)} inputs and {len(self.outputs)} "
                              "outputs: use run_all() with inputs by name")
        return next(iter(self.run_all({self.inputs[0].name: x}).values()))


def load(data: bytes) -> Model:
    """Verify and load a .tzm model from its bytes; raises EngineError naming the status and reason."""
    return Model(data)


def conv_scratch_bytes(x_dims: Sequence[int], w_dims: Sequence[int], iattr: Sequence[int]) -> int:
    """Scratch bytes a CONV op needs (0: none), from the engine's single formula."""
    if len(x_dims) != 4 or len(w_dims) != 4 or len(iattr) != 12:
        raise ValueError("conv_scratch_bytes needs 4 input dims, 4 weight dims and 12 iattr values")
    if any(not 0 <= d < 2**32 for d in (*x_dims, *w_dims)) or any(not -2**31 <= a < 2**31 for a in iattr):
        raise ValueError("conv_scratch_bytes: dims must fit uint32 and iattr int32")
    x = (ctypes.c_uint32 * 4)(*x_dims)
    w = (ctypes.c_uint32 * 4)(*w_dims)
    a = (ctypes.c_int32 * 12)(*iattr)
    return int(library().stl_conv_scratch_bytes(x, w, a))
