"""Team runs against one-thread runs in the TA (`invoke qemu.bench --threads 1,2`;
docs/multicore.md §8, §9 step 5).

For each model, every thread count runs `runs` inferences in one tzinfer-run (`--threads N`),
alternating the counts `rounds` times so that load from other processes on the host hits them
alike. Per count: the minimum of the engine-time minima (a busy host only ever adds time) and the
median of the medians; the speed-up is the one-thread minimum over the N-thread minimum. The
host's load average is read before every invocation and printed with the figures: on a busy host
QEMU's vCPU threads share cores, and no speed-up can show (docs/multicore.md §8).
"""

from __future__ import annotations

import os
import statistics
from typing import Any

from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console, ConsoleError
from tzinfer.target.layout import TARGET

RUN_TIMEOUT_S = 3600.0


def parse_counts(text: str) -> list[int]:
    """"1,2" -> [1, 2]; each from 1 up, no repeats, at least two."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if len(counts) < 2 or len(set(counts)) != len(counts) or min(counts) < 1:
        raise ValueError(f"--threads {text}: give two or more different thread counts from 1, e.g. 1,2")
    return counts


def _one(console: Console, model: str, sample: str, runs: int, threads: int) -> dict[str, float]:
    labels = None if model == "lenet5" else TARGET.labels
    load = os.getloadavg()[0]
    cmdline = tzinfer_run.command(TARGET.model(model), TARGET.input(model, sample), labels=labels,
                                  repeat=runs, threads=threads)
    report = tzinfer_run.run(console, cmdline, timeout=RUN_TIMEOUT_S)
    if not report.ok:
        raise ConsoleError(f"{cmdline} failed:\n{report.output}")
    return {"engine_min_ms": report.number("inference min ms"),
            "engine_median_ms": report.number("inference ms"), "host_load": load}


def bench_model(console: Console, model: str, sample: str, runs: int, rounds: int,
                counts: list[int]) -> dict[str, Any]:
    """The counts alternated `rounds` times on one model; per count its figures, and the speed-up
    of each over the first count."""
    samples: dict[int, list[dict[str, float]]] = {n: [] for n in counts}
    for r in range(rounds):
        for n in counts:
            samples[n].append(s := _one(console, model, sample, runs, n))
            print(f"  round {r + 1} threads {n}: engine min {s['engine_min_ms']:.1f} ms, "
                  f"host load {s['host_load']:.2f}", flush=True)
    per_count = {n: {"engine_min_ms": min(v["engine_min_ms"] for v in values),
                     "engine_median_ms": statistics.median(v["engine_median_ms"] for v in values),
                     "host_load_min": min(v["host_load"] for v in values),
                     "host_load_max": max(v["host_load"] for v in values)}
                 for n, values in samples.items()}
    base = per_count[counts[0]]["engine_min_ms"]
    for n in counts:
        per_count[n]["speedup"] = base / per_count[n]["engine_min_ms"]
    return {str(n): figures for n, figures in per_count.items()}


def print_table(results: dict[str, Any], models: list[str], counts: list[int]) -> None:
    print(f"\nTeam runs in the TA (QEMU TCG, -smp 2), engine time per inference; {results['runs']} runs per "
          f"invocation, {results['rounds']} rounds alternating the thread counts; speed-up = "
          f"{counts[0]}-thread minimum / N-thread minimum:")
    print(f"{'model':14} {'threads':>7} {'min ms':>10} {'median ms':>10} {'speed-up':>8} {'host load':>12}")
    for model in models:
        for n in counts:
            r = results["threads"][model][str(n)]
            print(f"{model:14} {n:7d} {r['engine_min_ms']:10.1f} {r['engine_median_ms']:10.1f} "
                  f"{r['speedup']:8.2f} {r['host_load_min']:5.2f}-{r['host_load_max']:<5.2f}")
