"""The README's two commands on a new machine: a minimal Debian root filesystem made with
debootstrap, a `git archive` of HEAD copied in, and the commands run inside with chroot.

From the host only what reaching the package registries needs goes in: resolv.conf, apt's
settings (/etc/apt/apt.conf.d), the CA bundle, and proxy or index variables. Never host packages,
venvs or build outputs. Download caches (apt archives, pip, the private Debian pool, the fixture
archives) are bind-mounted from .cache/fresh/ so that a second run downloads less; everything
else starts empty on every run."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tzinfer import CACHE_DIR, REPO_ROOT

RELEASES = ("bookworm", "trixie")
MIRROR = "http://deb.debian.org/debian"
FRESH_DIR = CACHE_DIR / "fresh"
#: Where the checkout lives inside the root filesystem.
CHECKOUT = Path("/root/tzinfer")
#: The host's CA bundle, copied in and named to pip, npm, OpenSSL and requests.
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CA_INSIDE = Path("/usr/local/share/tzinfer-host-ca.pem")
#: apt.conf.d files not passed in: docker-clean deletes the downloaded .debs after every install,
#: which would empty the archive cache that is bind-mounted to save downloads between runs.
APT_CONF_SKIPPED = ("docker-clean",)
#: Host variables that say how to reach a registry (never PIP_FIND_LINKS: that points at host files).
PASSED_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
                    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "npm_config_registry")
#: Download caches: path inside the root filesystem -> folder under .cache/fresh/ ({release} filled in).
DOWNLOAD_CACHES = {
    Path("/var/cache/apt/archives"): "{release}/apt-archives",
    Path("/root/.cache/pip"): "pip",
    CHECKOUT / ".cache/debian/pool": "debian-pool",
    CHECKOUT / ".cache/downloads": "downloads",
}


class FreshRootError(RuntimeError):
    """The fresh root could not be made or a README command failed; the message says which."""


def readme_commands(readme: Path = REPO_ROOT / "README.md") -> list[str]:
    """The commands of the README's quick-start block (the first ```sh block), comments removed."""
    match = re.search(r"```sh\n(.*?)```", readme.read_text(), re.DOTALL)
    if match is None:
        raise FreshRootError(f"{readme} has no ```sh block with the quick-start commands")
    commands = [line.split("#", 1)[0].strip() for line in match.group(1).splitlines()]
    return [command for command in commands if command]


@dataclass
class Run:
    """What one fresh-check measured."""

    release: str
    seconds: dict[str, float] = field(default_factory=dict)
    venv_bytes: dict[str, int] = field(default_factory=dict)
    cuda_packages: list[str] = field(default_factory=list)


class FreshRoot:
    """A root filesystem of `release` under .cache/fresh/<release>/root, rebuilt from the cached
    debootstrap tarball for every check."""

    def __init__(self, release: str) -> None:
        if release not in RELEASES:
            raise FreshRootError(f"unknown release {release!r}; choose one of {', '.join(RELEASES)}")
        self.release = release
        self.dir = FRESH_DIR / release
        self.root = self.dir / "root"
        self.base = self.dir / "minbase.tar"
        self.mounts: list[Path] = []

    # -- the root filesystem -------------------------------------------------------------------
    def _debootstrap(self) -> None:
        """debootstrap --variant=minbase once; the result is kept as a tarball."""
        if self.base.is_file():
            return
        staging = self.dir / "debootstrap"
        shutil.rmtree(staging, ignore_errors=True)
        archives = self.dir / "debootstrap-cache"
        archives.mkdir(parents=True, exist_ok=True)
        print(f"fresh-check: debootstrap --variant=minbase {self.release} (once; cached in {self.base})")
        _run(["debootstrap", "--variant=minbase", f"--cache-dir={archives}", self.release, str(staging),
              MIRROR])
        partial = self.base.with_suffix(".tar.partial")
        _run(["tar", "-C", str(staging), "--numeric-owner", "-cf", str(partial), "."])
        partial.replace(self.base)
        shutil.rmtree(staging)

    def _unpack(self) -> None:
        if self.root.exists():
            self._release_leftovers()
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        _run(["tar", "-C", str(self.root), "--numeric-owner", "-xf", str(self.base)])

    def _configure(self) -> None:
        etc = self.root / "etc"
        (etc / "apt" / "sources.list").write_text(
            f"deb {MIRROR} {self.release} main\n"
            f"deb {MIRROR} {self.release}-updates main\n"
            f"deb http://deb.debian.org/debian-security {self.release}-security main\n")
        shutil.copyfile("/etc/resolv.conf", etc / "resolv.conf")
        for conf in sorted(Path("/etc/apt/apt.conf.d").glob("*")):
            if conf.is_file() and conf.name not in APT_CONF_SKIPPED:
                shutil.copyfile(conf, etc / "apt" / "apt.conf.d" / conf.name)
        if CA_BUNDLE.is_file():
            self._inside(CA_INSIDE).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(CA_BUNDLE, self._inside(CA_INSIDE))

    def _copy_checkout(self) -> None:
        """A `git archive` of HEAD: exactly what a clone has, no build outputs, no venv."""
        target = self._inside(CHECKOUT)
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--format=tar", "HEAD"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-C", str(target), "-xf", "-"], input=archive, check=True)

    # -- mounts --------------------------------------------------------------------------------
    def _inside(self, path: Path) -> Path:
        return self.root / path.relative_to("/")

    def _mount(self, *args: str, target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        _run(["mount", *args, str(target)])
        self.mounts.append(target)

    def _mount_all(self) -> None:
        self._mount("-t", "proc", "proc", target=self.root / "proc")
        for system in ("sys", "dev"):
            self._mount("--rbind", f"/{system}", target=self.root / system)
            _run(["mount", "--make-rslave", str(self.root / system)])
        for inside, cache in DOWNLOAD_CACHES.items():
            host = FRESH_DIR / cache.format(release=self.release)
            host.mkdir(parents=True, exist_ok=True)
            self._mount("--bind", str(host), target=self._inside(inside))

    def _processes_inside(self) -> list[int]:
        pids = []
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    if Path(os.readlink(proc / "root")).is_relative_to(self.root):
                        pids.append(int(proc.name))
                except OSError:
                    continue
        return pids

    def _release_leftovers(self) -> None:
        """Stop what still runs inside (a VM of a failed test, say), then unmount everything."""
        for pid in self._processes_inside():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2 if self.mounts else 0)
        for target in reversed(self.mounts):
            if subprocess.run(["umount", "-R", str(target)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-R", "-l", str(target)], capture_output=True)
        self.mounts.clear()
        # A run killed before it cleaned up leaves mounts under the root; never delete through them.
        for line in reversed(Path("/proc/self/mounts").read_text().splitlines()):
            mountpoint = Path(line.split()[1].replace("\\040", " "))
            if mountpoint.is_relative_to(self.root):
                subprocess.run(["umount", "-R", "-l", str(mountpoint)], capture_output=True)

    @contextmanager
    def prepared(self) -> Iterator[FreshRoot]:
        """The root filesystem, freshly unpacked, configured and mounted; unmounted on every exit
        path (an exception, Ctrl-C or SIGTERM)."""
        if os.geteuid() != 0:
            raise FreshRootError("fresh-check needs root (debootstrap, chroot, mounts): run it with sudo")
        self._debootstrap()
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            self._unpack()
            self._configure()
            self._copy_checkout()
            self._mount_all()
            yield self
        finally:
            self._release_leftovers()
            signal.signal(signal.SIGTERM, previous)

    # -- running -------------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        env = {"HOME": "/root", "LANG": "C.UTF-8", "TERM": "dumb", "DEBIAN_FRONTEND": "noninteractive",
               "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        if self._inside(CA_INSIDE).is_file():
            for variable in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
                env[variable] = str(CA_INSIDE)
        env.update({name: os.environ[name] for name in PASSED_VARIABLES if name in os.environ})
        return env

    def shell(self, command: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
        """Run `command` with bash in the checkout inside the root filesystem."""
        argv = ["chroot", str(self.root), "/usr/bin/env", "-i",
                *(f"{k}={v}" for k, v in self.environment().items()),
                "/bin/bash", "-c", f"cd {CHECKOUT} && {command}"]
        return subprocess.run(argv, text=True, capture_output=capture)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _run(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise FreshRootError(f"`{' '.join(argv[:3])} …` failed: {' | '.join(tail)}")


#: Names that mark a GPU stack in a pip or dpkg package list.
CUDA_MARKERS = re.compile(r"nvidia|cuda", re.IGNORECASE)


def check(release: str) -> Run:
    """Run the README's commands in a fresh root of `release`; raises FreshRootError on the first
    that fails. Returns the times, the venv sizes and the CUDA packages found."""
    run = Run(release)
    with FreshRoot(release).prepared() as fresh:
        for command in readme_commands():
            print(f"fresh-check [{release}]: $ {command}", flush=True)
            started = time.monotonic()
            result = fresh.shell(command)
            run.seconds[command] = time.monotonic() - started
            venv = fresh.shell("du -sb .venv 2>/dev/null | cut -f1", capture=True).stdout.strip()
            run.venv_bytes[command] = int(venv or 0)
            print(f"fresh-check [{release}]: exit {result.returncode} after {run.seconds[command]:.0f} s; "
                  f".venv {run.venv_bytes[command] / 1e9:.2f} GB", flush=True)
            if result.returncode != 0:
                raise FreshRootError(f"`{command}` failed with exit code {result.returncode} on a "
                                     f"fresh {release}")
        packages = ".venv/bin/python -m pip list --format=freeze; dpkg-query -W -f='${Package}\\n'"
        listing = fresh.shell(packages, capture=True).stdout
        run.cuda_packages = [line for line in listing.splitlines() if CUDA_MARKERS.search(line)]
    return run
