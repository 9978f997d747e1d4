"""Fuzzing S-Tinylib's loader and run path with libFuzzer (fuzz/fuzz_tzm.c, fuzz/Makefile).

Two harness builds share one target function: `plain` mutates raw bytes, `fixhash` re-hashes
the body after each mutation so that mutants get past the SHA-256 check (see fuzz/fuzz_tzm.c).
The helpers here (build, run, parse libFuzzer's report) are also used by tests/fuzz/.
"""

from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from invoke import Context, task

from tzinfer import BUILD_DIR, REPO_ROOT

FUZZ_SRC = REPO_ROOT / "fuzz"
SEED_CORPUS = FUZZ_SRC / "corpus"
REGRESSIONS = FUZZ_SRC / "regressions"
FUZZ_BUILD = BUILD_DIR / "fuzz"
MODES = {"plain": "fuzz-tzm", "fixhash": "fuzz-tzm-fixhash"}
#: The harness's check of its own per-op poisoning (fuzz/fuzz_tzm.c, FUZZ_POISON_SELFTEST).
POISON_CHECK = FUZZ_BUILD / "fuzz-tzm-poison-check"
#: libFuzzer's per-input time limit in wall seconds, generous for a busy shared machine: inputs run
#: in milliseconds (the harness caps the arena), so one that exceeds it hangs or loops, and is
#: reported as a `timeout-*` artifact, i.e. a failure.
UNIT_TIMEOUT_S = 20
#: Artifact prefixes libFuzzer writes for a failing input.
FAILURE_PREFIXES = ("crash-", "leak-", "timeout-", "oom-")
#: Lines of a sanitizer or harness report in libFuzzer's output.
REPORT_LINE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|"
                     r"engine contract broken|SUMMARY: ")
_STATUS = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/", re.M)


class FuzzError(RuntimeError):
    """The harness cannot be built or run; the message names the cause and the fix."""


@dataclass
class FuzzResult:
    """What one libFuzzer run reported."""

    mode: str
    execs: int = 0
    exec_per_s: int = 0
    cov: int = 0
    ft: int = 0
    corpus_units: int = 0
    returncode: int = 0
    failures: list[Path] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.returncode == 0 and not self.failures and not self.reports

    def summary(self) -> str:
        verdict = "clean" if self.clean else f"FAILED ({len(self.failures)} failing inputs)"
        return (f"{self.mode:8} execs {self.execs:>11,}  exec/s {self.exec_per_s:>7,}  cov {self.cov:>5}  "
                f"ft {self.ft:>6}  corpus {self.corpus_units:>6}  {verdict}")


def build() -> dict[str, Path]:
    """Build (or bring up to date) both harness binaries with `make -C fuzz`; returns mode → path.
    A file lock serialises builds from concurrent processes."""
    if shutil.which("clang") is None:
        raise FuzzError("clang not found: install clang and libclang-rt-14-dev (scripts/apt-packages.txt, "
                        "then scripts/bootstrap)")
    FUZZ_BUILD.mkdir(parents=True, exist_ok=True)
    with open(FUZZ_BUILD / ".build.lock", "w") as lock:  # concurrent test sessions share build/fuzz
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(["make", "-s", "-C", str(FUZZ_SRC), f"BUILD={BUILD_DIR}"],
                                capture_output=True, text=True)
    if result.returncode != 0:
        tail = " | ".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        hint = " (libFuzzer missing: install libclang-rt-14-dev)" if "fuzzer" in tail else ""
        raise FuzzError(f"building the fuzz harness with `make -C fuzz` failed{hint}: {tail}")
    return {mode: FUZZ_BUILD / name for mode, name in MODES.items()}


def engine_revision() -> str:
    """The commit the engine sources come from, with "+dirty" when stinylib/ or tinylibm/ has
    uncommitted changes: a campaign's numbers belong to that exact code."""
    git = ["git", "-C", str(REPO_ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True).stdout
    dirty = subprocess.run([*git, "diff", "--quiet", "HEAD", "--", "stinylib", "tinylibm"])
    return (head.strip() or "unknown") + ("+dirty" if dirty.returncode != 0 else "")


def stale_seeds() -> list[str]:
    """Seeds the current engine refuses ("name: reason"). A refused seed starts the fuzzer at the
    loader's first checks instead of past them, so a long run on stale seeds is mostly wasted."""
    from tzinfer import native

    stale = []
    for path in sorted(SEED_CORPUS.glob("*.tzm")):
        try:
            native.load(path.read_bytes())
        except native.EngineError as e:
            stale.append(f"{path.name}: {e}")
    return stale


def parse_output(mode: str, text: str, returncode: int, artifacts: Path,
                 earlier: frozenset[Path] = frozenset()) -> FuzzResult:
    """Read execs, speed, coverage and failures from libFuzzer's output and its artifact directory
    (files in `earlier` are an earlier run's failures and not counted)."""
    r = FuzzResult(mode, returncode=returncode)
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
    statuses = _STATUS.findall(text)
    if statuses:
        last = statuses[-1]
        r.cov, r.ft, r.corpus_units = int(last[1]), int(last[2]), int(last[3])
    r.execs = int(stats.get("number_of_executed_units", statuses[-1][0] if statuses else 0))
    r.exec_per_s = int(stats.get("average_exec_per_sec", 0))
    r.failures = sorted(p for p in artifacts.iterdir()
                        if p.name.startswith(FAILURE_PREFIXES) and p not in earlier)
    r.reports = [line for line in text.splitlines() if REPORT_LINE.search(line)]
    return r


def run(binary: Path, mode: str, seconds: int, corpus: Path, artifacts: Path, log: Path,
        seeds: tuple[Path, ...] = (SEED_CORPUS, REGRESSIONS)) -> FuzzResult:
    """One single-process libFuzzer run of `seconds`, growing `corpus` from `seeds`.

    libFuzzer's output streams to `log` (follow it with tail -f); failing inputs land in
    `artifacts`, and libFuzzer stops at the first one."""
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    earlier = frozenset(artifacts.iterdir())
    cmd = [str(binary), f"-max_total_time={seconds}", f"-timeout={UNIT_TIMEOUT_S}", "-print_final_stats=1",
           f"-artifact_prefix={artifacts}/", str(corpus), *(str(s) for s in seeds if s.is_dir())]
    with open(log, "w") as out:
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=seconds + 300)
    return parse_output(mode, log.read_text(errors="replace"), result.returncode, artifacts, earlier)


def replay(binary: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    """Run the harness once on each file (libFuzzer's reproduce mode); returncode 0 = no failure."""
    return subprocess.run([str(binary), f"-timeout={UNIT_TIMEOUT_S}", *map(str, files)], capture_output=True,
                          text=True, errors="replace")


@task(help={"minutes": "total wall time, split evenly between the modes (default 20)",
            "mode": "plain, fixhash or both (default both)"})
def fuzz(c: Context, minutes: int = 20, mode: str = "both") -> None:
    """Fuzz S-Tinylib's loader and run path with libFuzzer + ASan/UBSan on one core.

    Corpora grow in build/fuzz/corpus/<mode>/ across runs, seeded from fuzz/corpus and
    fuzz/regressions; failing inputs go to build/fuzz/artifacts/. Prints total execs, exec/s,
    coverage, corpus size and failures; exits non-zero on any failure."""
    modes = list(MODES) if mode == "both" else [mode]
    if any(m not in MODES for m in modes) or minutes <= 0:
        raise SystemExit(f"fuzz: --mode must be plain, fixhash or both and --minutes > 0 (got {mode!r}, "
                         f"{minutes})")
    try:
        binaries = build()
    except FuzzError as e:
        raise SystemExit(f"fuzz: {e}") from None
    stale = stale_seeds()
    if stale:
        raise SystemExit(f"fuzz: the engine refuses seed {stale[0]}; the format or converter changed: "
                         "regenerate fuzz/corpus/ with `invoke fuzz-corpus`")
    seconds = max(1, int(minutes * 60 / len(modes)))
    print(f"fuzz: engine sources at {engine_revision()}", flush=True)
    results = []
    for m in modes:
        log = FUZZ_BUILD / f"{m}.log"
        print(f"fuzz: {m} for {seconds} s (log {log})", flush=True)
        results.append(run(binaries[m], m, seconds, FUZZ_BUILD / "corpus" / m, FUZZ_BUILD / "artifacts", log))
        print(results[-1].summary(), flush=True)
    total = sum(r.execs for r in results)
    failures = [p for r in results for p in r.failures]
    print(f"total    execs {total:>11,}  failures {len(failures)}")
    for r in results:
        for line in r.reports[:5]:
            print(f"  {r.mode}: {line}")
    if failures or not all(r.clean for r in results):
        for p in failures:
            print(f"  failing input: {p} (replay: {binaries['plain']} {p}; keep it in fuzz/regressions/)")
        raise SystemExit(1)


@task
def fuzz_corpus(c: Context) -> None:
    """Regenerate the committed seed corpus fuzz/corpus/ from fuzz/seeds.py (tiny seeded-random
    models). Needed when the .tzm format or the converter's output changes."""
    c.run(f"{REPO_ROOT / '.venv/bin/python'} {FUZZ_SRC / 'seeds.py'} {SEED_CORPUS}")


@task(help={"html": "also write an annotated HTML report to build/fuzz/coverage/ (default off)"})
def fuzz_coverage(c: Context, html: bool = False) -> None:
    """Line and branch coverage of the engine reached by the fuzz corpora (build/fuzz/corpus/*,
    fuzz/corpus, fuzz/regressions), from a source-coverage build of the same harness (llvm-cov)."""
    for tool in ("clang", "llvm-profdata", "llvm-cov"):
        if shutil.which(tool) is None:
            raise SystemExit(f"fuzz-coverage: {tool} not found: install clang and llvm "
                             "(scripts/apt-packages.txt, then scripts/bootstrap)")
    c.run(f"make -s -C {FUZZ_SRC} coverage BUILD={BUILD_DIR}")
    out = FUZZ_BUILD / "coverage"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    grown = sorted((FUZZ_BUILD / "corpus").glob("*"))
    corpora = [d for d in (*grown, SEED_CORPUS, REGRESSIONS) if d.is_dir()]
    binary = FUZZ_BUILD / "fuzz-tzm-cov"
    c.run(f"{binary} -runs=0 {' '.join(map(str, corpora))}", hide=True,
          env={"LLVM_PROFILE_FILE": str(out / "tzm.profraw")})
    c.run(f"llvm-profdata merge -o {out / 'tzm.profdata'} {out / 'tzm.profraw'}")
    engine_c = [p for d in ("stinylib", "tinylibm") for p in sorted((REPO_ROOT / d / "src").glob("*.c"))]
    sources = " ".join(map(str, engine_c))
    print(f"corpora: {', '.join(str(d.relative_to(REPO_ROOT)) for d in corpora)}")
    c.run(f"llvm-cov report {binary} -instr-profile={out / 'tzm.profdata'} {sources}")
    if html:
        c.run(f"llvm-cov show {binary} -instr-profile={out / 'tzm.profdata'} -format=html "
              f"-output-dir={out / 'html'} {sources}")
        print(f"fuzz-coverage: annotated sources in {out / 'html' / 'index.html'}")
