"""Reference models and test fixtures (.cache/fixtures/)."""

import shutil
import time

from invoke import Context, task


@task(help={"clean": "delete .cache/fixtures first and rebuild everything (downloads stay cached)",
            "only": "comma-separated subset: images, mobilenetv2, squeezenet1_1, lenet5 (default: all)"})
def fixtures(c: Context, clean: bool = False, only: str = "") -> None:
    """Build the reference models, inputs and ONNX Runtime references, then print a summary."""
    from tzinfer.fixtures import FixtureError, ensure
    from tzinfer.fixtures.paths import FIXTURE_DIR

    if clean:
        shutil.rmtree(FIXTURE_DIR, ignore_errors=True)
    started = time.monotonic()
    try:
        paths = ensure([name for name in only.split(",") if name] or None)
    except FixtureError as e:
        raise SystemExit(f"fixtures: {e}") from None
    print(f"fixtures ready in {time.monotonic() - started:.1f} s under {paths.root}")
    steps = paths.manifest["steps"]
    for name, step in steps.items():
        size = sum((paths.root / output).stat().st_size for output in step["outputs"])
        files = len(step["outputs"])
        print(f"  {name:26} {files:3} files {size / 1e6:7.2f} MB  built in {step['seconds']} s")
    if "lenet5" in steps:
        accuracy = steps["lenet5"]["facts"]["holdout_accuracy"]
        print(f"  lenet5 held-out accuracy (ONNX Runtime): {accuracy:.4f}")
    for name, step in steps.items():
        if name.startswith("references/") and "top1_label" in step["facts"]:
            top1 = ", ".join(f"{image}={label}" for image, label in step["facts"]["top1_label"].items())
            print(f"  {name.removeprefix('references/')} top-1: {top1}")


@task(name="regen-models")
def regen_models(c: Context) -> None:
    """Re-export the torch models the tests use (tests/exported/recipes.py) and rewrite their
    manifest; needs torch, which neither the demo nor the tests install. Commit the result."""
    try:
        import torch  # noqa: F401 (only checks that it is there)
    except ImportError:
        raise SystemExit("regen-models needs torch, a development-only dependency: `.venv/bin/pip install "
                         "torch --index-url https://download.pytorch.org/whl/cpu` (the CPU build; PyPI's "
                         "default for x86_64 is a multi-GB CUDA build)") from None
    c.run(".venv/bin/python -m tests.exported.regen")
