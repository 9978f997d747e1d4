"""OP-TEE's whole xtest on our patched OS, optionally against the same OS without our patches."""

from __future__ import annotations

import sys

from invoke import Context, task

from tzinfer import REPO_ROOT
from tzinfer.stack import StackError


@task(help={"unpatched": "also build OP-TEE without our patches (build/qemu-unpatched/), run xtest "
                         "there and report the cases that fail only on the patched OS",
            "minutes": "give up on one xtest run after this many minutes (default 60)"})
def xtest_full(c: Context, unpatched: bool = False, minutes: int = 60) -> None:
    """Boot the QEMU stack and run OP-TEE's whole xtest (about 14 min); logs in artifacts/xtest/.
    Not part of CI. Exits 1 on failed cases (with --unpatched: on new ones only)."""
    from tzinfer.stack import pipeline, xtest
    from tzinfer.stack.layout import QemuStack

    logs = REPO_ROOT / "artifacts" / "xtest"
    try:
        patched = xtest.run_full(pipeline.build(), logs / "patched", timeout=minutes * 60.0)
        print(f"xtest, patched OS:   {patched.line()}")
        if not unpatched:
            sys.exit(1 if patched.cases_failed else 0)
        baseline_stack = pipeline.build(stack=QemuStack(root=xtest.UNPATCHED_ROOT), optee_patched=False)
        baseline = xtest.run_full(baseline_stack, logs / "unpatched", timeout=minutes * 60.0)
    except StackError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    print(f"xtest, unpatched OS: {baseline.line()}")
    new = xtest.new_failures(patched, baseline)
    print(f"new failures with our patches: {len(new)}" + (f" ({' '.join(sorted(new))})" if new else ""))
    sys.exit(1 if new else 0)
