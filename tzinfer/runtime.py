"""An ONNX-Runtime-style session for tzinfer models, run in the TA through libtzinfer.

    from tzinfer.runtime import InferenceSession
    sess = InferenceSession("/usr/share/tzinfer/models/mobilenetv2.tzm")   # key_id=N: sealed for N
    name = sess.get_inputs()[0].name
    scores, = sess.run(None, {name: image})                               # as onnxruntime

`get_inputs()`, `get_outputs()` (NodeArg-like: .name, .shape, .type), `run(output_names,
input_feed)` and `get_providers()` have onnxruntime's names and meaning, so that an ORT user
changes the import and the model path. The model stays loaded in the TA between runs.

Where it runs is chosen, never guessed:
- `TrustZoneExecutionProvider` (the default): the S-Tinylib TA, through libtzinfer (ctypes). On a
  machine without it, the session fails and says how to ask for the host engine.
- `HostEngineExecutionProvider` (`providers=["HostEngineExecutionProvider"]` or
  `backend="host"`): the same engine built for this host (tzinfer.native), unprotected; for
  development and for comparison. Plaintext models only.
`sess.get_providers()` and `sess.provider` say which one runs.

`threads=N` runs each inference in the TA on N cores (libtzinfer's tzi_set_threads, as
`tzinfer-run --threads N`): the same outputs bit for bit; at most the TA's worker slots.
`time_limit_s=T` stops each inference in the TA that runs longer than T seconds, between two ops
(libtzinfer's tzi_set_time_limit, as `tzinfer-run --timeout T`): run() raises
TzinferError("TZI_E_TIMEOUT") and the model stays loaded.

On the device this module needs only numpy and libtzinfer.so.1; the host engine needs the tzinfer
package's host build.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

TEE_PROVIDER = "TrustZoneExecutionProvider"
HOST_PROVIDER = "HostEngineExecutionProvider"
#: Short names accepted for the providers, and the backend= spellings.
_PROVIDER_ALIASES = {"TrustZone": TEE_PROVIDER, "HostEngine": HOST_PROVIDER, TEE_PROVIDER: TEE_PROVIDER,
                     HOST_PROVIDER: HOST_PROVIDER, "tee": TEE_PROVIDER, "host": HOST_PROVIDER}
#: The environment variable that names libtzinfer's file when it is not on the loader's path.
LIBRARY_ENV = "TZINFER_LIBRARY"
_SONAME = "libtzinfer.so.1"
_MAX_DIMS = 6
#: tzi_set_time_limit's largest limit: 2**32 - 1 milliseconds, in whole seconds.
_MAX_TIME_LIMIT_S = 4294967
#: libtzinfer's status codes (tzinfer.h) that this module raises as ValueError.
_ARGUMENT_STATUSES = {"TZI_E_ARGUMENT", "TZI_E_INPUT", "TZI_E_OUTPUT", "TZI_E_KEY_ID"}


class TzinferError(RuntimeError):
    """libtzinfer (or the host engine) refused or failed; `status` is its code's name
    (e.g. "TZI_E_MODEL_FORMAT"), the message its sentence with cause and fix."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class InvalidArgument(TzinferError, ValueError):
    """A wrong input or output name, shape or type (onnxruntime's InvalidArgument)."""


def _error(status: str, message: str) -> TzinferError:
    return (InvalidArgument if status in _ARGUMENT_STATUSES else TzinferError)(status, message)


@dataclass(frozen=True)
class NodeArg:
    """An input or output as onnxruntime's NodeArg shows it."""

    name: str
    shape: list[int]
    type: str = "tensor(float)"


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_uint32), ("ndim", ctypes.c_uint32),
                ("dims", ctypes.c_uint32 * _MAX_DIMS), ("bytes", ctypes.c_size_t)]


class _Buffer(ctypes.Structure):
    """struct tzi_input and struct tzi_output: a name, a pointer and a size."""

    _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.c_void_p), ("bytes", ctypes.c_size_t)]


class _Stats(ctypes.Structure):
    _fields_ = [("model_bytes", ctypes.c_uint64), ("arena_bytes", ctypes.c_uint64),
                ("weights_bytes", ctypes.c_uint64), ("secure_in_use_bytes", ctypes.c_uint64),
                ("secure_peak_bytes", ctypes.c_uint64), ("secure_limit_bytes", ctypes.c_uint64),
                ("last_run_us", ctypes.c_uint32),
                ("load_transfer_ms", ctypes.c_double), ("load_verify_ms", ctypes.c_double),
                ("last_round_trip_ms", ctypes.c_double), ("runs", ctypes.c_uint64),
                ("cancelled_runs", ctypes.c_uint64)]


_lib: ctypes.CDLL | None = None


def library() -> ctypes.CDLL:
    """libtzinfer, loaded once: $TZINFER_LIBRARY, else the loader's search for its soname."""
    global _lib
    if _lib is None:
        name = os.environ.get(LIBRARY_ENV) or ctypes.util.find_library("tzinfer") or _SONAME
        try:
            lib = ctypes.CDLL(name)
        except OSError as err:
            raise TzinferError("TZI_E_NO_TA", f"libtzinfer is not installed here ({err}): install the "
                               "libtzinfer package on the device, set TZINFER_LIBRARY to its file, or run "
                               f"on the host engine explicitly: providers=[{HOST_PROVIDER!r}]") from None
        session = ctypes.c_void_p
        signatures: dict[str, tuple[list[Any], Any]] = {
            "tzi_open": ([ctypes.POINTER(session)], ctypes.c_int),
            "tzi_close": ([session], None),
            "tzi_load_file": ([session, ctypes.c_char_p, ctypes.c_uint32], ctypes.c_int),
            "tzi_load_buffer": ([session, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32], ctypes.c_int),
            "tzi_input_count": ([session], ctypes.c_uint32),
            "tzi_output_count": ([session], ctypes.c_uint32),
            "tzi_input_info": ([session, ctypes.c_uint32, ctypes.POINTER(_TensorInfo)], ctypes.c_int),
            "tzi_output_info": ([session, ctypes.c_uint32, ctypes.POINTER(_TensorInfo)], ctypes.c_int),
            "tzi_run": ([session, ctypes.POINTER(_Buffer), ctypes.c_size_t, ctypes.POINTER(_Buffer),
                         ctypes.c_size_t], ctypes.c_int),
            "tzi_cancel": ([session], ctypes.c_int),
            "tzi_set_threads": ([session, ctypes.c_uint32], ctypes.c_int),
            "tzi_set_time_limit": ([session, ctypes.c_double], ctypes.c_int),
            "tzi_get_stats": ([session, ctypes.POINTER(_Stats)], ctypes.c_int),
            "tzi_status_name": ([ctypes.c_int], ctypes.c_char_p),
            "tzi_errmsg": ([session], ctypes.c_char_p),
            "tzi_version": ([], ctypes.c_char_p),
        }
        for fn, (argtypes, restype) in signatures.items():
            getattr(lib, fn).argtypes = argtypes
            getattr(lib, fn).restype = restype
        _lib = lib
    return _lib


def _provider(providers: Sequence[str | tuple[str, dict]] | None, backend: str | None) -> str:
    """The one provider asked for: onnxruntime-style providers, or backend="tee"/"host"."""
    asked = [p[0] if isinstance(p, tuple) else p for p in providers or []]
    if backend is not None:
        asked.append(backend)
    known = [_PROVIDER_ALIASES.get(p) for p in asked]
    if None in known:
        bad = asked[known.index(None)]
        raise InvalidArgument("TZI_E_ARGUMENT", f"unknown provider {bad!r}: use {TEE_PROVIDER!r} (the TA) or "
                              f"{HOST_PROVIDER!r} (the host engine)")
    chosen = set(known) or {TEE_PROVIDER}
    if len(chosen) > 1:
        raise InvalidArgument("TZI_E_ARGUMENT", f"providers {asked} ask for both the TA and the host engine: "
                              "choose one (there is no fallback from one to the other)")
    return chosen.pop()


class _TeeBackend:
    """A libtzinfer session holding the model in the TA."""

    def __init__(self, model: str | bytes | os.PathLike[str], key_id: int, threads: int,
                 time_limit_s: float) -> None:
        self._lib = library()
        self._s = ctypes.c_void_p()
        status = self._lib.tzi_open(ctypes.byref(self._s))
        if not status and threads != 1:
            status = self._lib.tzi_set_threads(self._s, threads)
        if not status and time_limit_s:
            status = self._lib.tzi_set_time_limit(self._s, time_limit_s)
        if status:
            self._raise(status)
        if isinstance(model, bytes):
            buf = ctypes.create_string_buffer(model, len(model))
            status = self._lib.tzi_load_buffer(self._s, buf, len(model), key_id)
        else:
            status = self._lib.tzi_load_file(self._s, os.fsencode(model), key_id)
        if status:
            self._raise(status)
        self.inputs = self._describe(self._lib.tzi_input_count, self._lib.tzi_input_info)
        self.outputs = self._describe(self._lib.tzi_output_count, self._lib.tzi_output_info)

    def _raise(self, status: int) -> None:
        name = self._lib.tzi_status_name(status).decode()
        message = self._lib.tzi_errmsg(self._s).decode(errors="replace")
        self.close()
        raise _error(name, message)

    def _check(self, status: int) -> None:
        if status:
            raise _error(self._lib.tzi_status_name(status).decode(),
                         self._lib.tzi_errmsg(self._s).decode(errors="replace"))

    def _describe(self, count: Any, info: Any) -> list[NodeArg]:
        args = []
        for i in range(count(self._s)):
            t = _TensorInfo()
            self._check(info(self._s, i, ctypes.byref(t)))
            args.append(NodeArg(t.name.decode(), list(t.dims[:t.ndim])))
        return args

    def run(self, feeds: dict[str, np.ndarray], wanted: list[NodeArg]) -> list[np.ndarray]:
        names = {name: name.encode() for name in [*feeds, *(w.name for w in wanted)]}
        ins = (_Buffer * len(feeds))(*(_Buffer(names[n], x.ctypes.data, x.nbytes) for n, x in feeds.items()))
        ys = [np.empty(w.shape, dtype=np.float32) for w in wanted]
        outs = (_Buffer * len(ys))(*(_Buffer(names[w.name], y.ctypes.data, y.nbytes)
                                     for w, y in zip(wanted, ys, strict=True)))
        self._check(self._lib.tzi_run(self._s, ins, len(feeds), outs, len(ys)))
        return ys

    def cancel(self) -> bool:
        return self._s.value is not None and self._lib.tzi_cancel(self._s) == 0

    def stats(self) -> dict[str, float]:
        st = _Stats()
        self._check(self._lib.tzi_get_stats(self._s, ctypes.byref(st)))
        return {name: getattr(st, name) for name, _ in _Stats._fields_}

    def close(self) -> None:
        if self._s.value is not None:
            self._lib.tzi_close(self._s)
            self._s = ctypes.c_void_p()


class _HostBackend:
    """The engine built for this host (tzinfer.native): same .tzm, no TEE."""

    def __init__(self, model: str | bytes | os.PathLike[str], key_id: int, threads: int,
                 time_limit_s: float) -> None:
        from tzinfer import native  # the host build; not needed on a device

        data = model if isinstance(model, bytes) else Path(model).read_bytes()
        if threads != 1:
            raise InvalidArgument("TZI_E_ARGUMENT", f"threads={threads}: team runs are the TA's "
                                  f"({TEE_PROVIDER!r}); the host engine runs on one thread")
        if time_limit_s:
            raise InvalidArgument("TZI_E_ARGUMENT", f"time_limit_s={time_limit_s}: the time limit is kept "
                                  f"by the TA ({TEE_PROVIDER!r}); the host engine has none")
        if key_id:
            raise InvalidArgument("TZI_E_KEY_ID", f"key_id={key_id}: the host engine has no keys; sealed "
                                  f"models run only in the TA ({TEE_PROVIDER!r})")
        try:
            self._model = native.load(data)
        except native.EngineError as err:
            raise TzinferError("TZI_E_MODEL_FORMAT", f"the host engine refused the model: {err}") from None
        self.inputs = [NodeArg(d.name, list(d.shape)) for d in self._model.inputs]
        self.outputs = [NodeArg(d.name, list(d.shape)) for d in self._model.outputs]

    def run(self, feeds: dict[str, np.ndarray], wanted: list[NodeArg]) -> list[np.ndarray]:
        ys = self._model.run_all(feeds)
        return [ys[w.name] for w in wanted]

    def cancel(self) -> bool:
        return False

    def stats(self) -> dict[str, float]:
        return {"arena_bytes": self._model.arena_bytes}

    def close(self) -> None:
        pass


class InferenceSession:
    """One model, loaded once, run as often as needed (onnxruntime.InferenceSession's interface).

    `path_or_bytes`: a .tzm or a sealed .tzms (TA only). `key_id`: the key the package must be
    sealed for (None: any, or a plaintext model). `providers` / `backend`: see the module doc.
    `threads`: cores per inference in the TA (1 ... its worker slots). `time_limit_s`: each
    inference's limit in the TA (0: none).
    A session is used by one thread at a time; `cancel()` may be called from another."""

    def __init__(self, path_or_bytes: str | bytes | os.PathLike[str], key_id: int | None = None,
                 providers: Sequence[str | tuple[str, dict]] | None = None, backend: str | None = None,
                 threads: int = 1, time_limit_s: float = 0.0, **_ort_options: Any) -> None:
        if key_id is not None and not 0 < key_id < 2**32:
            raise InvalidArgument("TZI_E_ARGUMENT", f"key_id={key_id}: a key id is 1 ... 4294967295")
        if not 0 < threads < 2**32:
            raise InvalidArgument("TZI_E_ARGUMENT", f"threads={threads}: give 1 or more")
        if not 0 <= time_limit_s <= _MAX_TIME_LIMIT_S:  # NaN fails too
            raise InvalidArgument("TZI_E_ARGUMENT", f"time_limit_s={time_limit_s}: give 0 (none) up to "
                                  f"{_MAX_TIME_LIMIT_S} s")
        self.provider = _provider(providers, backend)
        backend_class = _TeeBackend if self.provider == TEE_PROVIDER else _HostBackend
        self._backend: _TeeBackend | _HostBackend | None = backend_class(path_or_bytes, key_id or 0, threads,
                                                                          time_limit_s)
        self._inputs = list(self._backend.inputs)
        self._outputs = list(self._backend.outputs)

    def get_inputs(self) -> list[NodeArg]:
        return list(self._inputs)

    def get_outputs(self) -> list[NodeArg]:
        return list(self._outputs)

    def get_providers(self) -> list[str]:
        """The provider this session runs on (one: there is no fallback)."""
        return [self.provider]

    def run(self, output_names: Sequence[str] | None, input_feed: Mapping[str, Any],
            run_options: object = None) -> list[np.ndarray]:
        """The outputs named (None: all, in the model's order) for one set of inputs by name.
        Every input must be given, as float32 of exactly its shape (as onnxruntime requires)."""
        backend = self._open()
        by_name = {a.name: a for a in self._outputs}
        names = [a.name for a in self._outputs] if output_names is None else list(output_names)
        unknown = [n for n in names if n not in by_name]
        if unknown or len(set(names)) != len(names):
            raise InvalidArgument("TZI_E_OUTPUT", f"output names {names}: each must be one of the model's "
                                  f"outputs {list(by_name)}, once")
        return backend.run(self._feeds(input_feed), [by_name[n] for n in names])

    def _feeds(self, input_feed: Mapping[str, Any]) -> dict[str, np.ndarray]:
        expected = {a.name: a for a in self._inputs}
        if set(input_feed) != set(expected):
            missing = sorted(set(expected) - set(input_feed))
            extra = sorted(set(input_feed) - set(expected))
            raise InvalidArgument("TZI_E_INPUT", f"inputs given {sorted(input_feed)}, the model takes "
                                  f"{list(expected)} (missing {missing}, unknown {extra})")
        feeds = {}
        for name, value in input_feed.items():
            x = np.asarray(value)
            if x.dtype != np.float32:
                raise InvalidArgument("TZI_E_INPUT", f"input {name!r} is {x.dtype}, the model takes float32 "
                                      "(tensor(float)): convert with x.astype(np.float32)")
            if list(x.shape) != expected[name].shape:
                raise InvalidArgument("TZI_E_INPUT", f"input {name!r} has shape {list(x.shape)}, the model "
                                      f"takes {expected[name].shape}")
            feeds[name] = np.ascontiguousarray(x)
        return feeds

    def cancel(self) -> bool:
        """Cancel this session's run in flight (from another thread): that run() raises
        TzinferError("TZI_E_CANCELLED"). False when no run was in flight (or on the host engine)."""
        return self._backend.cancel() if self._backend else False

    def stats(self) -> dict[str, float]:
        """Secure memory and timings of this session (tzinfer.h, struct tzi_stats)."""
        return self._open().stats()

    def close(self) -> None:
        """Unload the model (the TA wipes it) and end the session."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def _open(self) -> _TeeBackend | _HostBackend:
        if self._backend is None:
            raise TzinferError("TZI_E_STATE", "the session is closed: create a new InferenceSession")
        return self._backend

    def __enter__(self) -> InferenceSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        backend = getattr(self, "_backend", None)
        if backend is not None:
            backend.close()
