"""The secure stack in use: `invoke demo` (one classification inside OP-TEE) and
`invoke qemu.bench` (the TA against the same engine in the normal world, and against re-sending
the model for every inference; then frames per second of a resident libtzinfer session, the
Python session and tzinfer-run started per frame), both in one QEMU VM."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from invoke import Context, task

from tzinfer import native
from tzinfer.stack import StackError, fps, pipeline, thread_bench
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.payload import EXPORTED_SAMPLE, model_file
from tzinfer.stack.vm import boot
from tzinfer.target import tzinfer_run
from tzinfer.target.console import Console, ConsoleError
from tzinfer.target.layout import TARGET

BOOT_TIMEOUT_S = 180.0
#: The demo's input: the chelsea photo of scikit-image, preprocessed for ImageNet models.
DEMO_MODEL, DEMO_IMAGE = "mobilenetv2", "chelsea"
#: Models and inputs of bench-qemu.
BENCH_SAMPLES = {"mobilenetv2": "chelsea", "squeezenet1_1": "chelsea", "lenet5": "digit3"}
#: Models of the frames-per-second part: MobileNetV2, and the YOLOv8n-like detector of tests/exported
#: (in the stack with its sample input: payload.EXPORTED_MODELS).
FPS_MODELS = ("mobilenetv2", "yolo_like_opset17")
FPS_WAYS = {"resident libtzinfer": fps.resident, "python session": fps.python_session,
            "re-exec per frame": fps.reexec}
#: A MobileNetV2 inference under QEMU's emulation takes seconds; reloads add more.
RUN_TIMEOUT_S = 1800.0


@contextmanager
def booted(stack: QemuStack, name: str) -> Iterator[Console]:
    """Boot the stack's VM, yield its console, power it off; logs in build/qemu/logs/<name>-*.log."""
    console_log, secure_log = stack.logs / f"{name}-console.log", stack.logs / f"{name}-secure.log"
    vm = boot(stack, console_log, secure_log, timeout=BOOT_TIMEOUT_S)
    try:
        print(f"booted in {vm.boot_seconds:.1f} s (console log {console_log}, OP-TEE log {secure_log})")
        yield vm.console
        vm.poweroff()
    finally:
        vm.vm.stop()


def _build() -> QemuStack:
    try:
        return pipeline.build()
    except StackError as e:
        raise SystemExit(f"build: {e}") from None


@task
def demo(c: Context) -> None:
    """Classify the chelsea photo with MobileNetV2 inside OP-TEE in QEMU and print the top-5,
    the secure memory used and the timings (builds whatever is missing first)."""
    stack = _build()
    try:
        with booted(stack, "demo") as console:
            cmdline = tzinfer_run.command(TARGET.model(DEMO_MODEL), TARGET.input(DEMO_MODEL, DEMO_IMAGE))
            print(f"$ {cmdline}")
            report = tzinfer_run.run(console, cmdline, timeout=RUN_TIMEOUT_S)
            print(report.output)
            if not report.ok:
                raise SystemExit(f"demo: tzinfer-run failed with exit code {report.exit_code}")
    except ConsoleError as e:
        raise SystemExit(f"demo: {e}; see the logs under {stack.logs}") from None


@dataclass(frozen=True)
class Mode:
    """One way of running a model with tzinfer-run."""

    world: str
    reload_each_run: bool = False


#: normal: the engine linked into the client, unprotected (the baseline); secure_resident: the
#: product, model held in the TA heap; secure_reload_each_run: the model sent through shared
#: memory again (and re-verified) before every inference, as when it does not fit (SmartZone).
MODES = {
    "normal": Mode("normal"),
    "secure_resident": Mode("secure"),
    "secure_reload_each_run": Mode("secure", reload_each_run=True),
}


def _timings_ms(console: Console, model: str, sample: str, runs: int, mode: Mode) -> dict[str, float]:
    """Run `runs` inferences in one tzinfer-run: the minimum and median of its engine times and
    round trips, and the time of its first load (transfer into place, verification)."""
    labels = None if model == "lenet5" else TARGET.labels
    cmdline = tzinfer_run.command(TARGET.model(model), TARGET.input(model, sample), labels=labels,
                                  repeat=runs, world=mode.world, reload_each_run=mode.reload_each_run)
    report = tzinfer_run.run(console, cmdline, timeout=RUN_TIMEOUT_S)
    if not report.ok:
        raise ConsoleError(f"{cmdline} failed:\n{report.output}")
    transfer_ms, verify_ms = report.load_parts_ms()
    return {"engine_min_ms": report.number("inference min ms"),
            "engine_median_ms": report.number("inference ms"),
            "round_trip_min_ms": report.number("round trip min ms"),
            "round_trip_median_ms": report.number("round trip ms"),
            "load_ms": report.number("load ms"), "transfer_ms": transfer_ms, "verify_ms": verify_ms}


def _bench_model(console: Console, model: str, sample: str, runs: int, rounds: int) -> dict[str, Any]:
    """Alternate the modes `rounds` times, so that load from other processes on the host hits
    them alike. Per mode: the minimum of the minima (the least disturbed run: a busy host only
    ever adds time) and the median of everything else. Ratios are of the round-trip minima."""
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in MODES}
    for _ in range(rounds):
        for name, mode in MODES.items():
            samples[name].append(_timings_ms(console, model, sample, runs, mode))
    result: dict[str, Any] = {
        name: {key: (min if "_min_" in key else statistics.median)(v[key] for v in values)
               for key in values[0]}
        for name, values in samples.items()
    }
    resident_ms = result["secure_resident"]["round_trip_min_ms"]
    result["ta_over_normal"] = resident_ms / result["normal"]["round_trip_min_ms"]
    result["reload_over_resident"] = result["secure_reload_each_run"]["round_trip_min_ms"] / resident_ms
    return result


def _fps_inputs(model: str) -> tuple[str, dict[str, str]]:
    """The model and its one input on the target: a fixture, or a torch export of the stack."""
    if model in BENCH_SAMPLES:
        return TARGET.model(model), {"input": TARGET.input(model, BENCH_SAMPLES[model])}
    stack = QemuStack()
    name = native.load(model_file(stack, model).read_bytes()).inputs[0].name
    return TARGET.model(model), {name: TARGET.input(model, EXPORTED_SAMPLE)}


def _bench_fps(console: Console, model: str, frames: int, rounds: int) -> dict[str, Any]:
    """Each way `rounds` times, alternating; per way the best frames per second (a busy host only
    slows) and the median load."""
    path, inputs = _fps_inputs(model)
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in FPS_WAYS}
    for _ in range(rounds):
        for name, way in FPS_WAYS.items():
            samples[name].append(way(console, path, inputs, frames))
    return {name: {"fps": max(v["fps"] for v in values),
                   **({"load_ms": statistics.median(v["load_ms"] for v in values)} if "load_ms" in values[0]
                      else {})}
            for name, values in samples.items()}


def _print_fps(results: dict[str, Any], models: list[str], frames: int) -> None:
    print(f"\nFrames per second in the TA, {frames} frames per way, best of {results['rounds']} rounds "
          "(QEMU TCG; ratios are what carry over to hardware):")
    print(f"{'model':14} " + " ".join(f"{way:>22}" for way in FPS_WAYS) + f" {'resident/re-exec':>17}")
    for model in models:
        r = results["fps"][model]
        ways = [r[way]["fps"] for way in FPS_WAYS]
        print(f"{model:14} " + " ".join(f"{v:22.4f}" for v in ways) + f" {ways[0] / ways[2]:17.2f}")
        print(f"{'':14} load ms: resident {r['resident libtzinfer']['load_ms']:.0f}, "
              f"python {r['python session']['load_ms']:.0f}")


@task(help={"runs": "inferences per tzinfer-run invocation",
            "rounds": "how many times the modes (or the fps ways) are alternated per model",
            "models": "comma-separated subset of mobilenetv2,squeezenet1_1,lenet5 (latency part)",
            "frames": "frames per way in the frames-per-second part",
            "part": "latency, fps or all",
            "threads": "thread counts to compare, e.g. 1,2: team runs in the TA (tzinfer-run --threads), "
                       "alternating; this part alone"})
def bench_qemu(c: Context, runs: int = 3, rounds: int = 2, models: str = "", frames: int = 3,
               part: str = "all", threads: str = "") -> None:
    """Measured in QEMU (TCG emulation, not hardware): TA latency / the same engine's latency in
    the normal world of the same VM (goal <= 1.05), and the model resident in sized secure memory
    against re-sending it through shared memory before every inference (SmartZone-style). Then
    frames per second of a resident libtzinfer session, the Python session and tzinfer-run
    started per frame, on MobileNetV2 and a detector-like model. With --threads 1,2: only team
    runs against one-thread runs (tzinfer/stack/thread_bench.py), with the host's load average."""
    if threads:
        _bench_threads(runs, rounds, models, threads)
        return
    if part not in ("latency", "fps", "all"):
        raise SystemExit(f"bench-qemu: --part {part}: choose latency, fps or all")
    chosen = [] if part == "fps" else [m for m in models.split(",") if m] or list(BENCH_SAMPLES)
    unknown = set(chosen) - set(BENCH_SAMPLES)
    if unknown:
        raise SystemExit(f"bench-qemu: unknown model(s) {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(BENCH_SAMPLES)}")
    stack = _build()
    results: dict[str, Any] = {
        "measured_in": "QEMU virt cortex-a57 (TCG), one VM", "runs": runs, "rounds": rounds,
        "frames": frames, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "fps": {},
    }
    fps_models = [] if part == "latency" else list(FPS_MODELS)
    try:
        with booted(stack, "bench-qemu") as console:
            for model in chosen:
                print(f"bench-qemu: {model} ...", flush=True)
                results[model] = _bench_model(console, model, BENCH_SAMPLES[model], runs, rounds)
            for model in fps_models:
                print(f"bench-qemu: frames per second, {model} ...", flush=True)
                results["fps"][model] = _bench_fps(console, model, frames, rounds)
    except ConsoleError as e:
        raise SystemExit(f"bench-qemu: {e}; see the logs under {stack.logs}") from None
    out = stack.root / "bench-qemu.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print("Measured in QEMU (TCG emulation): ratios only, absolute times are not hardware times.")
    print("Round trips per inference, minimum over all runs (a busy host only adds time).")
    print(f"{'model':14} {'normal ms':>10} {'TA ms':>10} {'TA/normal':>9} {'reload ms':>10} {'reload/TA':>9}")
    for model in chosen:
        r = results[model]
        normal, resident, reload = (r[m]["round_trip_min_ms"] for m in MODES)
        print(f"{model:14} {normal:10.1f} {resident:10.1f} {r['ta_over_normal']:9.3f} {reload:10.1f} "
              f"{r['reload_over_resident']:9.2f}")
    if fps_models:
        _print_fps(results, fps_models, frames)
    print(f"results: {out}")


def _bench_threads(runs: int, rounds: int, models: str, threads: str) -> None:
    try:
        counts = thread_bench.parse_counts(threads)
    except ValueError as e:
        raise SystemExit(f"bench-qemu: {e}") from None
    chosen = [m for m in models.split(",") if m] or [m for m in BENCH_SAMPLES if m != "lenet5"]
    unknown = set(chosen) - set(BENCH_SAMPLES)
    if unknown:
        raise SystemExit(f"bench-qemu: unknown model(s) {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(BENCH_SAMPLES)}")
    stack = _build()
    slots = stack.board.memory.ta_worker_slots
    if max(counts) > slots:
        raise SystemExit(f"bench-qemu: --threads {threads}: the TA of this stack runs at most {slots} "
                         "entries at once (ta_worker_slots in board/qemu/memory.yaml)")
    results: dict[str, Any] = {
        "measured_in": "QEMU virt (TCG, -smp 2), one VM", "runs": runs, "rounds": rounds, "counts": counts,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "host_cpus": os.cpu_count(),
        "threads": {},
    }
    try:
        with booted(stack, "bench-threads") as console:
            for model in chosen:
                print(f"bench-qemu --threads: {model} ...", flush=True)
                results["threads"][model] = thread_bench.bench_model(console, model, BENCH_SAMPLES[model],
                                                                     runs, rounds, counts)
    except ConsoleError as e:
        raise SystemExit(f"bench-qemu: {e}; see the logs under {stack.logs}") from None
    out = stack.root / "bench-threads.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    thread_bench.print_table(results, chosen, counts)
    print(f"results: {out}")
