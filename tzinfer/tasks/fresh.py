"""The README's commands on a new machine, proven in a fresh Debian root filesystem."""

from invoke import Context, task

from tzinfer.fresh_root import RELEASES


@task(name="fresh-check", help={"release": f"Debian release of the fresh root: {', '.join(RELEASES)}"})
def fresh_check(c: Context, release: str = "trixie") -> None:
    """Run the README's two commands in a minimal Debian root filesystem (debootstrap, chroot) with
    a `git archive` of HEAD: commit first. Needs root; prints each command's time, the venv size
    and any CUDA package installed (there must be none)."""
    from tzinfer.fresh_root import FreshRootError, check

    c.run("scripts/bootstrap fresh-check")
    try:
        run = check(release)
    except FreshRootError as e:
        raise SystemExit(f"fresh-check: {e}") from None
    except KeyboardInterrupt:
        raise SystemExit("fresh-check: interrupted; mounts released") from None
    print(f"fresh-check [{release}] passed:")
    for command, seconds in run.seconds.items():
        print(f"  {seconds / 60:5.1f} min  .venv {run.venv_bytes[command] / 1e9:4.2f} GB  $ {command}")
    print(f"  CUDA/NVIDIA packages installed: {', '.join(run.cuda_packages) or 'none'}")
    if run.cuda_packages:
        raise SystemExit("fresh-check: a CPU-only machine got CUDA packages")
