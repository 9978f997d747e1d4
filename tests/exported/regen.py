"""Write tests/exported/onnx/<name>.onnx for every Export in recipes.py, and manifest.json with
each file's SHA-256 and how it was made. Needs torch: run it through `invoke regen-models`."""

from __future__ import annotations

import json
import warnings
from importlib import metadata
from pathlib import Path

import onnx

from tests.exported import MANIFEST, ONNX_DIR, RECIPES, recipes_sha256
from tests.exported.recipes import EXPORTS, Export
from tzinfer.hashing import sha256_file


def export(spec: Export, path: Path) -> None:
    import torch

    module = spec.build()
    args = tuple(torch.zeros(shape) for shape in spec.input_shapes)
    partial = path.with_suffix(".onnx.partial")
    # The TorchScript exporter announces its deprecation on every call; that notice is expected.
    # dynamo would write the weights to a side file: keep them in the one committed file.
    embedded = {"external_data": False} if spec.dynamo else {}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(module, args, str(partial), opset_version=spec.opset, dynamo=spec.dynamo,
                          input_names=list(spec.input_names), output_names=list(spec.output_names),
                          **embedded, **spec.options)
    model = onnx.load(str(partial))
    if spec.dynamo:  # its per-node source stack traces are most of the bytes and no part of the model
        for node in model.graph.node:
            del node.metadata_props[:]
        onnx.save(model, str(partial))
    onnx.checker.check_model(model, full_check=True)
    partial.replace(path)


def main() -> None:
    ONNX_DIR.mkdir(exist_ok=True)
    files = {}
    for spec in EXPORTS:
        path = ONNX_DIR / f"{spec.name}.onnx"
        export(spec, path)
        files[spec.name] = {"sha256": sha256_file(path), "opset": spec.opset,
                            "exporter": "dynamo" if spec.dynamo else "torchscript",
                            "bytes": path.stat().st_size}
        print(f"{path.relative_to(RECIPES.parents[2])}: {files[spec.name]}")
    for stale in set(ONNX_DIR.glob("*.onnx")) - {ONNX_DIR / f"{name}.onnx" for name in files}:
        stale.unlink()
        print(f"removed {stale.name} (no recipe)")
    manifest = {"recipes_sha256": recipes_sha256(),
                "made_with": {tool: metadata.version(tool) for tool in ("torch", "onnx")},
                "files": files}
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
