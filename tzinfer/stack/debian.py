"""Debian packages and sources through a private apt: resolve, pin, download, verify, unpack.

The apt configuration, lists and downloads live under .cache/debian/; the host's apt state is
never touched. Versions are resolved at run time from the suite's index, pinned in a lock file
(board/qemu/debian.lock) and reused from then on; `relock=True` takes the newest again, except for
the versions the firmware lock fixes (board/firmware.lock.yaml, `fixed=`), which never move on
their own. Every file is checked against the sha256 in the (signed) index before it is used.

Debian drops superseded versions from its mirror (a trixie point release, a new sid upload), so
a pin can vanish. By default the newest version of the same suite is then taken, with a warning,
and the lock records it once the build worked; `frozen=True` (TZINFER_DEBIAN_FROZEN=1) fails
instead, for builds that must reproduce the pinned versions exactly.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from tzinfer import REPO_ROOT
from tzinfer.hashing import sha256_file
from tzinfer.stack import DEBIAN_CACHE, StackError, debversion, hosttools
from tzinfer.stack.steprun import console

MIRROR = "http://deb.debian.org/debian"
SUITES = ("trixie", "sid")
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
#: Options of every sources.list entry: only Debian's own archive key may sign the indexes.
SOURCE_OPTIONS = f"signed-by={KEYRING}"
#: What the lists directory holds for a complete refresh of one suite (file name suffixes).
INDEX_FILES = ("*Release", "main_binary-arm64_Packages*", "main_source_Sources*")
LOCK_FILE = REPO_ROOT / "board/qemu/debian.lock"
#: Indexes older than this are refreshed before a version is resolved.
INDEX_MAX_AGE_S = 24 * 3600


@dataclass(frozen=True)
class Pin:
    """One pinned package: `bin` (an arm64 .deb) or `src` (a source package, sha256 of its .dsc)."""

    kind: str
    suite: str
    name: str
    version: str
    sha256: str

    def line(self) -> str:
        return f"{self.kind} {self.suite} {self.name} {self.version} {self.sha256}"


def _stanzas(text: str) -> list[dict[str, str]]:
    """Parse deb822 stanzas (apt-cache show/showsrc output); continuation lines are kept joined."""
    stanzas: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if not line.strip():
            if current:
                stanzas.append(current)
            current, key = {}, ""
        elif line[0] in " \t" and key:
            current[key] += "\n" + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            current[key] = value.strip()
    if current:
        stanzas.append(current)
    return stanzas


#: Causes of a failed `apt-get update`, by the text apt prints for them, each with its fix.
REFRESH_CAUSES = (
    (("Could not resolve", "Temporary failure resolving", "Could not connect", "Connection timed out",
      "Network is unreachable", "No route to host", "Connection refused"),
     "no network: {mirror} cannot be reached; check the connection (and apt's proxy settings)"),
    (("is expired", "is not valid yet"),
     "the Release file of {suites} is expired or not yet valid: check this machine's clock (`date`)"),
    (("NO_PUBKEY", "is not signed", "couldn't be verified", "invalid signature", "EXPKEYSIG"),
     "the Release file of {suites} is unsigned or signed by a key this machine does not know: "
     "update the keyring (`apt-get install debian-archive-keyring`, newer releases need a newer one)"),
    (("404", "does not have a Release file"),
     "the mirror has no suite {suites}: Debian renamed or archived it; update SUITES in "
     "tzinfer/stack/debian.py"),
)


def refresh_failures(output: str) -> list[str]:
    """The suites whose index apt failed to fetch ("Err:" and "Failed to fetch" lines)."""
    failed = []
    for line in output.splitlines():
        if line.startswith("Err:") or "Failed to fetch" in line:
            failed += [suite for suite in SUITES if f" {suite} " in f"{line} " or f"/dists/{suite}/" in line]
    return sorted(set(failed), key=SUITES.index)


def diagnose(output: str, suites: list[str]) -> str:
    """One sentence on why a refresh of `suites` failed, and what fixes it."""
    for markers, cause in REFRESH_CAUSES:
        if any(marker in output for marker in markers):
            return cause.format(mirror=MIRROR, suites=", ".join(suites) or "a suite")
    errors = [ln for ln in output.splitlines() if ln.startswith(("E:", "W:", "Err:"))]
    detail = errors[0][:300] if errors else f"no index arrived for {', '.join(suites)}"
    return f"{detail}; re-run, and check the network and the mirror"


class DebianArchive:
    """Private apt over trixie + sid (arm64 binaries, sources) with a pinning lock file."""

    def __init__(self, root: Path = DEBIAN_CACHE, lock_file: Path = LOCK_FILE, relock: bool = False,
                 relock_command: str = "invoke qemu.build --relock", frozen: bool | None = None,
                 fixed: dict[tuple[str, str, str], str] | None = None) -> None:
        self.root = root
        #: Versions that neither the lock file nor --relock choose: (kind, name, suite) -> version.
        self.fixed = fixed or {}
        #: Fail on a vanished pin instead of taking the suite's newest version.
        self.frozen = os.environ.get("TZINFER_DEBIAN_FROZEN") == "1" if frozen is None else frozen
        #: What a user runs to re-resolve the pins (named in error messages and the lock file).
        self.relock_command = relock_command
        self.lock_file = lock_file
        self.relock = relock
        self.pins: dict[tuple[str, str, str], Pin] = {}
        self.locked = {} if relock else self._read_lock()
        self.downloads = root / "pool"
        #: Written after a refresh brought every suite's index: "<unix time> <suite> ...".
        self.refresh_stamp = root / "refreshed"

    # -- private apt -------------------------------------------------------------------------
    def _options(self) -> list[str]:
        r = self.root
        return [
            f"-oDir::Etc::SourceList={r / 'sources.list'}",
            "-oDir::Etc::SourceParts=/dev/null",
            "-oDir::Etc::Preferences=/dev/null",
            "-oDir::Etc::PreferencesParts=/dev/null",
            f"-oDir::State={r / 'state'}",
            f"-oDir::State::Lists={r / 'lists'}",
            "-oDir::State::status=/dev/null",
            f"-oDir::Cache={r / 'apt-cache'}",
            # Explicit, because container images often disable apt's binary caches in
            # /etc/apt/apt.conf.d, which makes every apt-cache call parse all indexes again.
            "-oDir::Cache::pkgcache=pkgcache.bin",
            "-oDir::Cache::srcpkgcache=srcpkgcache.bin",
            "-oAPT::Architecture=arm64",
            "-oAPT::Architectures::=arm64",
            "-oAcquire::Languages=none",
            "-oDebug::NoLocking=1",
        ]

    def _apt(self, tool: str, *args: str) -> str:
        proc = subprocess.run([tool, *self._options(), *args], capture_output=True, text=True)
        if proc.returncode != 0:
            error = next((ln for ln in proc.stderr.splitlines() if ln.startswith("E:")), proc.stderr.strip())
            raise StackError(
                f"{tool} {' '.join(args)} failed: {error[:300]}; check the network and the mirror"
            )
        return proc.stdout

    def _index_present(self, suite: str) -> bool:
        """Whether the lists hold the suite's Release and both its indexes (arm64 and sources)."""
        lists = self.root / "lists"
        return all(any(lists.glob(f"*_dists_{suite}_{name}")) for name in INDEX_FILES)

    def _refreshed_at(self) -> float | None:
        """When the last refresh that brought every suite's index completed, or None."""
        try:
            stamp = self.refresh_stamp.read_text().split()
        except FileNotFoundError:
            return None
        if stamp[1:] != list(SUITES) or not all(self._index_present(suite) for suite in SUITES):
            return None
        return float(stamp[0])

    def update(self) -> None:
        """Refresh the package and source indexes unless a complete refresh is less than a day
        old. The refresh counts only when every suite's index arrived: a partial one is an error
        that names its cause, and the next run tries again."""
        hosttools.require("apt-get", "apt-cache", "dpkg-deb", "dpkg-source")
        if not KEYRING.is_file():
            raise StackError(f"{KEYRING} is missing: apt-get install debian-archive-keyring")
        refreshed = self._refreshed_at()
        if refreshed is not None and time.time() - refreshed < INDEX_MAX_AGE_S:
            return
        self.refresh_stamp.unlink(missing_ok=True)
        for sub in ("lists/partial", "state", "apt-cache/archives/partial"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        entries = []
        for suite in SUITES:
            entries.append(f"deb [arch=arm64 {SOURCE_OPTIONS}] {MIRROR} {suite} main")
            entries.append(f"deb-src [{SOURCE_OPTIONS}] {MIRROR} {suite} main")
        (self.root / "sources.list").write_text("\n".join(entries) + "\n")
        with console.status(f"apt-get update (private, {' + '.join(SUITES)} arm64) …"):
            proc = subprocess.run(["apt-get", *self._options(), "update"], capture_output=True, text=True)
        failed = refresh_failures(proc.stdout + proc.stderr)
        missing = [suite for suite in SUITES if not self._index_present(suite)]
        if proc.returncode != 0 or failed or missing:
            raise StackError(f"refreshing the Debian indexes from {MIRROR} failed: "
                             f"{diagnose(proc.stdout + proc.stderr, failed or missing)}")
        self.refresh_stamp.write_text(" ".join([str(time.time()), *SUITES]) + "\n")
        console.print(f"[green]✓[/] Debian indexes ({', '.join(SUITES)}) refreshed")

    # -- resolving ---------------------------------------------------------------------------
    def _versions(self, kind: str, name: str, suite: str) -> list[str]:
        """Versions of `name` the suite's index has, newest first. apt-cache madison lists a source
        package's versions in index order, so they are sorted in Debian version order here."""
        index = "Sources" if kind == "src" else "Packages"
        found = []
        for line in self._apt("apt-cache", "madison", name).splitlines():
            fields = [f.strip() for f in line.split("|")]
            if len(fields) == 3 and fields[0] == name and f" {suite}/main " in f" {fields[2]}" \
                    and fields[2].endswith(index):
                found.append(fields[1])
        return debversion.newest_first(found)

    def _resolve(self, kind: str, name: str, suite: str) -> str:
        available = self._versions(kind, name, suite)
        fixed = self.fixed.get((kind, name, suite))
        if fixed is not None:
            if fixed not in available:
                raise StackError(
                    f"{name} {fixed} (board/firmware.lock.yaml) is not in Debian {suite} "
                    f"(it has {', '.join(available) or 'no version'}): lock a version the suite has "
                    "(docs/development.md, Firmware versions)")
            return fixed
        pinned = self.locked.get((kind, name, suite))
        if pinned is not None:
            if pinned.version in available:
                return pinned.version
            gone = f"{name} {pinned.version} (pinned in {self.lock_file.name}) is gone from {suite}"
            if self.frozen or not available:
                raise StackError(f"{gone}; run `{self.relock_command}` to take the newest version")
            console.print(f"[yellow]warning:[/] {gone}; using {available[0]} (verified against the "
                          "index) and pinning it once the build works; TZINFER_DEBIAN_FROZEN=1 fails instead")
            return available[0]
        if not available:
            raise StackError(f"{name} is not in Debian {suite} ({kind}); check the name or the suite")
        return available[0]

    # -- downloading -------------------------------------------------------------------------
    def _download(self, path_in_pool: str, sha256: str) -> Path:
        """Fetch MIRROR/path_in_pool into the cache (unless there and intact), verify sha256."""
        target = self.downloads / Path(path_in_pool).name
        if target.is_file() and sha256_file(target) == sha256:
            return target
        self.downloads.mkdir(parents=True, exist_ok=True)
        url = f"{MIRROR}/{path_in_pool}"
        partial = target.with_suffix(target.suffix + ".part")
        try:
            with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:
                total = int(response.headers.get("Content-Length") or 0)
                columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                           TransferSpeedColumn())
                with Progress(*columns, console=console, transient=True) as progress:
                    task = progress.add_task(target.name[:48], total=total or None)
                    for block in iter(lambda: response.read(1 << 16), b""):
                        out.write(block)
                        progress.advance(task, len(block))
        except urllib.error.HTTPError as err:
            raise StackError(
                f"{url}: HTTP {err.code}; the mirror no longer has it: run `{self.relock_command}`"
            ) from err
        except (urllib.error.URLError, TimeoutError) as err:
            raise StackError(f"{url}: {err}; check the network connection to the Debian mirror") from err
        if sha256_file(partial) != sha256:
            partial.unlink()
            raise StackError(f"{url}: sha256 differs from the index; retry, or the mirror is broken")
        partial.rename(target)
        console.print(f"[green]✓[/] {target.name}")
        return target

    def _binary_record(self, name: str, suite: str) -> dict[str, str]:
        """The index record of the version of `name` used from `suite`; pins that version."""
        version = self._resolve("bin", name, suite)
        records = [s for s in _stanzas(self._apt("apt-cache", "show", f"{name}={version}"))
                   if s.get("Version") == version]
        if not records:
            raise StackError(f"{name} {version}: no index record; run `{self.relock_command}`")
        self.pins[("bin", name, suite)] = Pin("bin", suite, name, version, records[0]["SHA256"])
        return records[0]

    def deb(self, name: str, suite: str) -> Path:
        """Download (or reuse) the arm64 .deb of `name` from `suite`; returns its verified path."""
        record = self._binary_record(name, suite)
        return self._download(record["Filename"], record["SHA256"])

    def depends(self, name: str, suite: str) -> list[str]:
        """Package names in the Depends of `name` from `suite` (pinned like a download)."""
        record = self._binary_record(name, suite)
        return [dep.split()[0] for dep in record.get("Depends", "").split(",") if dep.strip()]

    def source(self, name: str, suite: str, debian_patches: bool = True) -> Path:
        """Download the source package of `name` from `suite` and unpack it (once);
        debian_patches=False leaves Debian's patches out: the upstream release as it was tagged."""
        version = self._resolve("src", name, suite)
        stanza = next((s for s in _stanzas(self._apt("apt-cache", "showsrc", name))
                       if s.get("Version") == version and s.get("Package") == name), None)
        if stanza is None:
            raise StackError(f"{name} {version}: no source record; run `{self.relock_command}`")
        files = []
        for entry in stanza["Checksums-Sha256"].splitlines():
            parts = entry.split()
            if len(parts) == 3:
                files.append((parts[2], parts[0]))
        paths = [self._download(f"{stanza['Directory']}/{fname}", sha) for fname, sha in files]
        dsc = next(p for p in paths if p.suffix == ".dsc")
        flavour = "" if debian_patches else "+upstream"
        unpacked = self.root / "src" / f"{name}_{version.replace(':', '%')}{flavour}"
        if not (unpacked / ".unpacked").is_file():
            if unpacked.exists():
                subprocess.run(["rm", "-rf", str(unpacked)], check=True)
            unpacked.parent.mkdir(parents=True, exist_ok=True)
            skip = [] if debian_patches else ["--skip-patches"]
            proc = subprocess.run(["dpkg-source", "--no-check", *skip, "-x", str(dsc), str(unpacked)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise StackError(f"dpkg-source -x {dsc.name} failed: {proc.stderr.strip()[-200:]}")
            (unpacked / ".unpacked").write_text(version + "\n")
        self.pins[("src", name, suite)] = Pin("src", suite, name, version, dict(files)[dsc.name])
        return unpacked

    # -- lock file ---------------------------------------------------------------------------
    def _read_lock(self) -> dict[tuple[str, str, str], Pin]:
        pins: dict[tuple[str, str, str], Pin] = {}
        if not self.lock_file.is_file():
            return pins
        for number, line in enumerate(self.lock_file.read_text().splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split()
            if len(fields) != 5 or fields[0] not in ("bin", "src"):
                raise StackError(f"{self.lock_file}:{number}: malformed pin; delete the line or use --relock")
            pin = Pin(*fields)
            pins[(pin.kind, pin.name, pin.suite)] = pin
        return pins

    def write_lock(self) -> None:
        """Write every pin used in this run to the lock file (what worked)."""
        header = (
            "# Debian versions this stack was last built with (tzinfer.stack.debian).\n"
            "# kind suite name version sha256 (.deb, or .dsc for sources).\n"
            f"# Regenerate: {self.relock_command}\n"
        )
        lines = sorted(pin.line() for pin in self.pins.values())
        self.lock_file.write_text(header + "\n".join(lines) + "\n")
