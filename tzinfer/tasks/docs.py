"""Documentation generated from the code."""

from invoke import Context, task

from tzinfer import REPO_ROOT

SUPPORTED_OPS = REPO_ROOT / "docs" / "supported-ops.md"


@task
def docs_ops(c: Context) -> None:
    """Write docs/supported-ops.md, the table of supported ONNX ops and attributes, from the
    converter's registry (tzinfer/convert/registry.py); a test fails when the committed file is stale."""
    from tzinfer.convert.registry import supported_ops_markdown

    SUPPORTED_OPS.write_text(supported_ops_markdown())
    print(f"wrote {SUPPORTED_OPS.relative_to(REPO_ROOT)}")
