"""Host engine benchmarks."""

import json
import os
import sys
from pathlib import Path

from invoke import Context, task

BENCH_MODELS = ("mobilenetv2", "squeezenet1_1")


def _model_pairs(task: str, models: str, onnx: str) -> list[tuple[str, Path]]:
    """(name, ONNX file) of the fixture models named (all of BENCH_MODELS by default, none when
    only ONNX files are given) and of the further ONNX files."""
    from tzinfer.fixtures import FixtureError, ensure

    names = [m for m in models.split(",") if m] or ([] if onnx else list(BENCH_MODELS))
    unknown = sorted(set(names) - set(BENCH_MODELS))
    if unknown:
        raise SystemExit(f"{task}: unknown model {unknown[0]!r}; choose from {', '.join(BENCH_MODELS)}")
    try:
        paths = ensure(names) if names else None
    except FixtureError as e:
        raise SystemExit(f"{task}: {e}") from None
    return [(n, paths.onnx(n)) for n in names] + [(Path(p).stem, Path(p)) for p in onnx.split(",") if p]


@task(help={"runs": "timed runs per engine, model and round (default 50)", "rounds": "rounds (default 3)",
            "models": f"comma-separated subset of {', '.join(BENCH_MODELS)} (default: all)",
            "onnx": "comma-separated further ONNX models to convert and time (e.g. held-out ones)"})
def bench(c: Context, runs: int = 50, rounds: int = 3, models: str = "", onnx: str = "") -> None:
    """Convert the models and time the host engine against ONNX Runtime (single thread).

    Runs `tzinfer convert` and `tzinfer bench` per model and prints one table: CPU-time ratios
    (minimum, median, and each round's median) and the memory numbers; it does not assert
    targets."""
    from tzinfer import BUILD_DIR

    out_dir = BUILD_DIR / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, r = [], {}
    for name, onnx_path in _model_pairs("bench", models, onnx):
        tzm_path = out_dir / f"{name}.tzm"
        c.run(f"{sys.executable} -m tzinfer.cli convert {onnx_path} -o {tzm_path}", hide="out")
        result = c.run(f"{sys.executable} -m tzinfer.cli bench {tzm_path} --onnx {onnx_path} --runs {runs} "
                       f"--rounds {rounds}", hide="out")
        r = json.loads(result.stdout)
        low, mid, arena = r["cpu_min"], r["cpu_median"], r["peak_arena_bytes"]
        rows.append(f"{name:22} {low['engine_ms']:8.2f} {low['ort_ms']:8.2f} {low['ratio']:6.2f} "
                    f"{mid['engine_ms']:8.2f} {mid['ort_ms']:8.2f} {mid['ratio']:6.2f}  "
                    f"{' '.join(f'{x:.2f}' for x in r['round_ratios']):16} "
                    f"{arena / 1e6:8.3f} {arena / r['liveness_bound_bytes']:10.3f} {r['load_average']:5.1f}")
        print(rows[-1], flush=True)
    if not r:
        return
    print(f"\n{r['cpu']} ({', '.join(r['vector_flags'])}), {os.cpu_count()} CPUs; CPU time of the calling "
          f"thread, {runs} alternating runs x {rounds} rounds; ratio = engine / ONNX Runtime")
    print(f"{'model':22} {'min: eng':>8} {'ORT':>8} {'ratio':>6} {'med: eng':>8} {'ORT':>8} {'ratio':>6}  "
          f"{'round medians':16} {'arena MB':>8} {'peak/bound':>10} {'load':>5}")
    print("\n".join(rows))


@task(help={"models": f"comma-separated subset of {', '.join(BENCH_MODELS)} (default: all)",
            "onnx": "comma-separated further ONNX models to convert and count (e.g. held-out ones)",
            "relock": "take the newest Debian packages for the ORT sysroot (board/qemu/bench-aarch64.lock)"})
def bench_aarch64(c: Context, models: str = "", onnx: str = "", relock: bool = False) -> None:
    """Executed instructions per inference and per MAC on aarch64 (qemu-aarch64 -cpu cortex-a53),
    the engine against ONNX Runtime's own aarch64 build on the same models (docs/performance.md)."""
    from tzinfer import BUILD_DIR
    from tzinfer.bench_aarch64 import CPU, WHEELS, BenchAarch64Error, bench, build_tools
    from tzinfer.convert import convert
    from tzinfer.tzm import write

    pairs = _model_pairs("bench-aarch64", models, onnx)
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


#: Element-wise ops timed by bench-elementwise: ONNX nodes from "x" to "y", and the opset.
ELEMENTWISE_OPS = {
    "Sigmoid": ([("Sigmoid", ["x"], ["y"], {})], 13),
    "Tanh": ([("Tanh", ["x"], ["y"], {})], 13),
    "SiLU (x*Sigmoid(x))": ([("Sigmoid", ["x"], ["s"], {}), ("Mul", ["x", "s"], ["y"], {})], 13),
    "HardSwish": ([("HardSwish", ["x"], ["y"], {})], 14),
    "HardSigmoid": ([("HardSigmoid", ["x"], ["y"], {"alpha": 0.2, "beta": 0.5})], 13),
    "Relu": ([("Relu", ["x"], ["y"], {})], 13),
    # Neg keeps the chain finite (e^e^x overflows by the third copy): both engines pay for it
    "Exp (-e^x)": ([("Exp", ["x"], ["e"], {}), ("Neg", ["e"], ["y"], {})], 13),
    "GELU (erf)": ([("Gelu", ["x"], ["y"], {})], 20),
    "Softmax (last axis)": ([("Softmax", ["x"], ["y"], {"axis": -1})], 13),
    "Softmax (channels)": ([("Softmax", ["x"], ["y"], {"axis": 1})], 13),
}
#: Each op is timed in a chain of 1 and of CHAIN copies: the difference over CHAIN − 1 is the
#: op's own cost, without what a run costs besides (the engine copies input and output).
CHAIN = 9


def _chain_model(name: str, nodes: list, opset: int, dims: list[int], copies: int) -> object:
    """An ONNX model applying the op `copies` times in a row."""
    from onnx import TensorProto, helper

    graph_nodes = []
    for k in range(copies):
        rename = {"x": f"t{k}" if k else "x", "y": f"t{k + 1}" if k + 1 < copies else "y"}
        names = lambda values, k=k, rename=rename: [rename.get(v, f"{v}{k}") for v in values]  # noqa: E731
        graph_nodes += [helper.make_node(op, names(i), names(o), **a) for op, i, o, a in nodes]
    value = lambda v: helper.make_tensor_value_info(v, TensorProto.FLOAT, dims)  # noqa: E731
    graph = helper.make_graph(graph_nodes, name, [value("x")], [value("y")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


@task(help={"runs": "timed runs per engine, model and round (default 30)", "rounds": "rounds (default 3)",
            "shape": "input shape, comma-separated (default 1,64,56,56: 200704 floats)"})
def bench_elementwise(c: Context, runs: int = 30, rounds: int = 3, shape: str = "1,64,56,56") -> None:
    """Time the element-wise activations against ONNX Runtime (one thread, one process, runs
    alternating): nanoseconds per element of one op, from `tzinfer bench` on a chain of CHAIN
    copies minus a chain of one, and the ratio."""
    import onnx

    from tzinfer import BUILD_DIR, tzm
    from tzinfer.bench import bench
    from tzinfer.convert import convert

    dims = [int(d) for d in shape.split(",")]
    elements = 1
    for d in dims:
        elements *= d
    out_dir = BUILD_DIR / "bench-elementwise"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, r = [], {}
    for name, (nodes, opset) in ELEMENTWISE_OPS.items():
        results = []
        for copies in (1, CHAIN):
            stem = "".join(ch if ch.isalnum() else "_" for ch in name)
            onnx_path = out_dir / f"{stem}_{copies}.onnx"
            onnx.save(_chain_model(name, nodes, opset, dims, copies), onnx_path)
            tzm_path = onnx_path.with_suffix(".tzm")
            tzm_path.write_bytes(tzm.write(convert(onnx_path).model))
            results.append(bench(tzm_path, onnx_path, runs, rounds))
        r = results[1]
        cells = []
        for stat in ("cpu_min", "cpu_median"):
            chain, single = results[1][stat], results[0][stat]
            ns = {e: (chain[f"{e}_ms"] - single[f"{e}_ms"]) / (CHAIN - 1) * 1e6 / elements
                  for e in ("engine", "ort")}
            cells.append(f"{ns['engine']:8.3f} {ns['ort']:8.3f} {ns['engine'] / ns['ort']:6.2f}")
        rows.append(f"{name:22} {cells[0]} {cells[1]} {r['load_average']:5.1f}")
        print(rows[-1], flush=True)
    print(f"\n{r['cpu']} ({', '.join(r['vector_flags'])}); {elements} elements ({shape}); CPU time, "
          f"{runs} alternating runs x {rounds} rounds; ns per element of one op "
          f"((chain of {CHAIN} - chain of 1) / {CHAIN - 1}); ratio = engine / ONNX Runtime")
    print(f"{'op':22} {'min: eng':>8} {'ORT':>8} {'ratio':>6} {'med: eng':>8} {'ORT':>8} {'ratio':>6} "
          f"{'load':>5}")
    print("\n".join(rows))
