"""The whole test suite."""

from invoke import Context, task


@task(help={"k": "only tests matching this pytest -k expression"})
def test(c: Context, k: str = "") -> None:
    """Run the whole test suite (host engine, tinylibm, layer checks, and the QEMU boot tests),
    after installing the test-only host packages and Python tools (`scripts/bootstrap test`)."""
    c.run("scripts/bootstrap test")
    select = f" -k {k!r}" if k else ""
    c.run(f".venv/bin/python -m pytest -q -ra{select}", pty=False)
