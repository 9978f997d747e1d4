"""The arrays a model run takes and gives, as files: `tzinfer run --input ... --output ...`.

Inputs are named: `NAME=FILE.npy` per input, or one `.npz` holding an array per input name; a
bare `FILE.npy` is the input of a model that has one. Every input must be given exactly once,
as float32 in the input's shape, so that an input meant for another model is refused. Outputs go
to one `.npz` (an array per output name, in the model's order) or, for a model with one output,
to a `.npy`."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from tzinfer.native import TensorDesc


class FeedError(ValueError):
    """Inputs that do not fit the model, or an output path that cannot hold its outputs."""


def describe(descs: Sequence[TensorDesc]) -> str:
    """e.g. "a [1, 4], b [1, 3, 8, 8]"."""
    return ", ".join(f"{d.name} {list(d.shape)}" for d in descs)


def _array(path: Path, value: object, what: str) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.dtype != np.float32:
        raise FeedError(f"{what} holds {getattr(value, 'dtype', type(value).__name__)}, not float32; save it "
                        "with numpy.save(path, x.astype(numpy.float32))")
    return value


def _load(path: Path) -> np.ndarray | dict[str, np.ndarray]:
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile) as e:
        raise FeedError(f"{path} is not a .npy or .npz file ({e}); save it with numpy.save or numpy.savez") \
            from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            return {name: _array(path, loaded[name], f"{path}[{name!r}]") for name in loaded.files}
    return _array(path, loaded, str(path))


def load_inputs(specs: Sequence[str], inputs: Sequence[TensorDesc]) -> dict[str, np.ndarray]:
    """One array per model input from `--input` specs (NAME=FILE.npy, FILE.npz, or FILE.npy for a
    model with one input), each checked against the input's name, shape and dtype."""
    names = [d.name for d in inputs]
    given: dict[str, tuple[str, np.ndarray]] = {}  # name -> (where it came from, array)

    def take(name: str, source: str, array: np.ndarray) -> None:
        if name not in names:
            raise FeedError(f"{source}: the model has no input {name!r}; its inputs are {describe(inputs)}")
        if name in given:
            raise FeedError(f"input {name!r} is given twice ({given[name][0]} and {source})")
        given[name] = (source, array)

    for spec in specs:
        name, sep, file = spec.partition("=")
        if sep and name in names:
            loaded = _load(Path(file))
            if isinstance(loaded, dict):
                raise FeedError(f"--input {spec}: give one .npy per NAME=, or the .npz alone")
            take(name, file, loaded)
            continue
        loaded = _load(Path(spec))
        if isinstance(loaded, dict):
            for key, array in loaded.items():
                take(key, f"{spec}[{key!r}]", array)
        elif len(inputs) == 1:
            take(names[0], spec, loaded)
        else:
            raise FeedError(f"--input {spec}: the model has {len(inputs)} inputs ({describe(inputs)}); give "
                            "each as --input NAME=FILE.npy, or one .npz with an array per input name")
    for d in inputs:
        if d.name not in given:
            raise FeedError(f"input {d.name!r} {list(d.shape)} is missing: give --input {d.name}=FILE.npy")
        source, array = given[d.name]
        if array.shape != d.shape:
            raise FeedError(f"input {d.name!r} ({source}) has shape {list(array.shape)}, the model takes "
                            f"{list(d.shape)}")
    return {name: given[name][1] for name in names}


def check_output_path(path: Path, names: Sequence[str]) -> None:
    """Refuse, before anything runs, an --output that cannot hold outputs of these names."""
    if path.suffix == ".npy" and len(names) != 1:
        raise FeedError(f"{path}: the model has {len(names)} outputs ({', '.join(names)}); write them all "
                        "to an .npz (--output FILE.npz)")
    if path.suffix not in (".npy", ".npz"):
        raise FeedError(f"{path}: --output takes a .npz (every output by name) or, for a model with one "
                        "output, a .npy")


def save_outputs(path: Path, outputs: Mapping[str, np.ndarray]) -> None:
    """Every output into an .npz (an array per name, in order), or the only one into an .npy."""
    check_output_path(path, list(outputs))
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".npy":
        np.save(path, next(iter(outputs.values())))
        return
    # Written entry by entry rather than with numpy.savez, whose keyword arguments cannot hold
    # every name (an output called "file", say).
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, array in outputs.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
