"""Running build commands: a live one-line status, a full log file, and input stamps for caching."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import subprocess
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from tzinfer import CACHE_DIR
from tzinfer.stack import StackError

console = Console(stderr=True, highlight=False)


def digest(parts: Iterable[str | Path]) -> str:
    """sha256 over strings and file contents (a Path is read), in order."""
    h = hashlib.sha256()
    for part in parts:
        data = part.read_bytes() if isinstance(part, Path) else part.encode()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


@contextmanager
def one_build_at_a_time(lock: Path = CACHE_DIR / "stack-build.lock") -> Iterator[None]:
    """Hold the checkout's stack-build lock: two builds at once (a test session and `invoke demo`,
    say) would rewrite the same trees and the shared Debian cache under each other. A second
    build waits for the first, then finds most of its work done."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            console.print(f"waiting for another stack build in this checkout to finish ({lock})")
            fcntl.flock(held, fcntl.LOCK_EX)
        yield  # the lock goes with the file


class Stamp:
    """A file that records the input digest a step last succeeded with."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key

    def fresh(self) -> bool:
        """True when the step already ran with exactly these inputs."""
        return self.path.is_file() and self.path.read_text().strip() == self.key

    def done(self) -> None:
        """Record success for these inputs."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.key + "\n")


def run(
    cmd: list[str],
    *,
    label: str,
    log: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> None:
    """Run `cmd`, showing its latest output line live and saving all of it to `log`.

    On failure raise StackError with the exit code, the log path and the first error line of
    the output's tail (or its last line).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **(env or {})}
    tail: deque[str] = deque(maxlen=200)
    start = time.monotonic()
    with log.open("w") as out, console.status(f"{label} …") as status:
        out.write("$ " + " ".join(cmd) + "\n")
        try:
            proc = subprocess.Popen(
                cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                errors="replace",
            )
        except FileNotFoundError as err:
            raise StackError(f"{label}: cannot run {cmd[0]} ({err.strerror}); run scripts/bootstrap") from err
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            line = line.strip()
            if line:
                tail.append(line)
                status.update(f"{label} [{time.monotonic() - start:4.0f}s] {line[:100]}")
        code = proc.wait()
    seconds = time.monotonic() - start
    if code != 0:
        errors = [line for line in tail if re.search(r"\berror\b|\*\*\*", line, re.IGNORECASE)]
        cause = errors[0] if errors else (tail[-1] if tail else "(no output)")
        raise StackError(f"{label} failed (exit {code}) after {seconds:.0f}s: {cause[:300]!r}; log: {log}")
    console.print(f"[green]✓[/] {label} ({seconds:.0f}s, log {log})")
