"""Tinylibm: the exhaustive accuracy sweep, `invoke engine.tinylibm-sweep` (minutes; `invoke test` runs
the 10^6-point sampled check instead)."""

import shlex

from invoke import Context, task

from tzinfer import REPO_ROOT


@task(help={
    "jobs": "parallel processes (default: one per core)",
    "cflags": "compiler flags instead of tinylibm/Makefile's, e.g. '-O2 -ffp-contract=fast'",
})
def tinylibm_sweep(c: Context, jobs: int = 0, cflags: str = "") -> None:
    """Check tlm_expf, tlm_logf and tlm_tanhf on all 2^32 float inputs against glibc."""
    args = (f" --jobs {jobs}" if jobs else "") + (f" --cflags {shlex.quote(cflags)}" if cflags else "")
    c.run(f"{REPO_ROOT / 'scripts' / 'tinylibm-sweep'}{args}", pty=False)
