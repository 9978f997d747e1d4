"""Host engine benchmarks."""

import json
import os

from invoke import Context, task

BENCH_MODELS = ("mobilenetv2", "squeezenet1_1")


@task(help={"runs": "timed runs per engine and model (default 50)",
            "models": f"comma-separated subset of {', '.join(BENCH_MODELS)} (default: all)"})
def bench(c: Context, runs: int = 50, models: str = "") -> None:
    """Convert the fixture models and time the host engine against ONNX Runtime (single thread).

    Runs `tzinfer convert` and `tzinfer bench` per model and prints one table; it reports the
    latency ratio and memory numbers, it does not assert targets."""
    from tzinfer import BUILD_DIR
    from tzinfer.fixtures import FixtureError, ensure

    names = [m for m in models.split(",") if m] or list(BENCH_MODELS)
    unknown = sorted(set(names) - set(BENCH_MODELS))
    if unknown:
        raise SystemExit(f"bench: unknown model {unknown[0]!r}; choose from {', '.join(BENCH_MODELS)}")
    try:
        paths = ensure(names)
    except FixtureError as e:
        raise SystemExit(f"bench: {e}") from None
    out_dir = BUILD_DIR / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    header = (f"{'model':14} {'engine ms':>10} {'ORT ms':>8} {'ratio':>6} {'arena MB':>9} {'bound MB':>9} "
              f"{'peak/bound':>10} {'acts sum MB':>11} {'weights MB':>10}")
    rows = []
    for name in names:
        onnx_path, tzm_path = paths.onnx(name), out_dir / f"{name}.tzm"
        c.run(f".venv/bin/tzinfer convert {onnx_path} -o {tzm_path}", hide="out")
        result = c.run(f".venv/bin/tzinfer bench {tzm_path} --onnx {onnx_path} --runs {runs}", hide="out")
        r = json.loads(result.stdout)
        print(f"{name}: {result.stdout.strip()}")
        rows.append(f"{name:14} {r['engine_ms']:10.2f} {r['ort_ms']:8.2f} {r['ratio']:6.2f} "
                    f"{r['peak_arena_bytes'] / 1e6:9.3f} {r['liveness_bound_bytes'] / 1e6:9.3f} "
                    f"{r['peak_arena_bytes'] / r['liveness_bound_bytes']:10.3f} "
                    f"{r['activations_sum_bytes'] / 1e6:11.3f} {r['weights_bytes'] / 1e6:10.3f}")
    print(header)
    print("\n".join(rows))
    load = os.getloadavg()[0]
    print(f"1-min load average {load:.1f} on {os.cpu_count()} CPUs (other work inflates both timings)")


@task(help={"models": f"comma-separated subset of {', '.join(BENCH_MODELS)} (default: all)",
            "onnx": "comma-separated further ONNX models to convert and count (e.g. held-out ones)",
            "relock": "take the newest Debian packages for the ORT sysroot (board/qemu/bench-aarch64.lock)"})
def bench_aarch64(c: Context, models: str = "", onnx: str = "", relock: bool = False) -> None:
    """Executed instructions per inference and per MAC on aarch64 (qemu-aarch64 -cpu cortex-a53),
    the engine against ONNX Runtime's own aarch64 build on the same models (docs/performance.md)."""
    from pathlib import Path

    from tzinfer import BUILD_DIR
    from tzinfer.bench_aarch64 import CPU, WHEELS, BenchAarch64Error, bench, build_tools
    from tzinfer.convert import convert
    from tzinfer.fixtures import FixtureError, ensure
    from tzinfer.tzm import write

    names = [m for m in models.split(",") if m] or ([] if onnx else list(BENCH_MODELS))
    unknown = sorted(set(names) - set(BENCH_MODELS))
    if unknown:
        raise SystemExit(f"bench-aarch64: unknown model {unknown[0]!r}; "
                         f"choose from {', '.join(BENCH_MODELS)}")
    try:
        pairs = [(name, ensure(names).onnx(name)) for name in names] if names else []
    except FixtureError as e:
        raise SystemExit(f"bench-aarch64: {e}") from None
    pairs += [(Path(p).stem, Path(p)) for p in onnx.split(",") if p]
    out_dir = BUILD_DIR / "bench-aarch64"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        build_tools()
        for name, onnx_path in pairs:
            tzm_path = out_dir / f"{name}.tzm"
            tzm_path.write_bytes(write(convert(onnx_path).model))
            engine, ort = bench(tzm_path, onnx_path, relock)
            relock = False
            rows.append(f"{name:22} {engine.macs / 1e6:9.1f} {engine.per_inference / 1e6:11.1f} "
                        f"{engine.per_mac:8.3f} {ort.per_inference / 1e6:11.1f} {ort.per_mac:8.3f} "
                        f"{engine.per_inference / ort.per_inference:10.2f}")
            print(rows[-1], flush=True)
    except BenchAarch64Error as e:
        raise SystemExit(f"bench-aarch64: {e}") from None
    ort_version = next(req for req in WHEELS if req.startswith("onnxruntime"))
    print(f"\nqemu-aarch64 -cpu {CPU}; instructions per inference = (count for 4 - count for 1) / 3, "
          f"main thread; engine: stl-run (-mcpu=cortex-a53 -mstrict-align), ORT: {ort_version} aarch64 "
          "wheel, 1 thread")
    print(f"{'model':22} {'MMAC':>9} {'engine Minsn':>11} {'insn/MAC':>8} {'ORT Minsn':>11} {'insn/MAC':>8} "
          f"{'engine/ORT':>10}")
    print("\n".join(rows))
