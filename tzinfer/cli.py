"""The `tzinfer` command: convert ONNX to .tzm, run it on the host engine, inspect it, benchmark it.

Exit codes: 0 success, 1 error, 2 unsupported op/attribute (convert, convert --check) or bad
command line. Errors are one line on stderr, `tzinfer: error: <reason>`, except a model with
several unsupported parts: a summary line, then one indented line per kind (as --check prints)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from tzinfer import tzm

EXIT_ERROR = 1
EXIT_UNSUPPORTED = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line like every other error."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{message} (see `{self.prog} --help`)", EXIT_UNSUPPORTED)


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    print(f"tzinfer: error: {message}", file=sys.stderr)
    sys.exit(code)


def _shape(text: str) -> tuple[str, tuple[int, ...]]:
    """[NAME=]DIMS; an empty name stands for the model's only input."""
    name, _, dims_text = text.rpartition("=")
    try:
        dims = tuple(int(d) for d in dims_text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--input-shape {text!r} is not [NAME=]DIMS with DIMS a comma-"
                                         "separated list of integers, e.g. 1,3,224,224 or x=1,3,224,224") \
            from None
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"--input-shape {text!r} must list positive dims, e.g. 1,3,224,224")
    return name, dims


Shape = tuple[int, ...]


def _input_shapes(given: list[tuple[str, Shape]] | None) -> dict[str, Shape] | Shape | None:
    """--input-shape options as convert() takes them: by name, or one unnamed shape."""
    if not given:
        return None
    if len(given) == 1 and not given[0][0]:
        return given[0][1]
    if any(not name for name, _ in given):
        raise ValueError("give every --input-shape as NAME=DIMS when there are several")
    names = [name for name, _ in given]
    if len(set(names)) != len(names):
        raise ValueError(f"--input-shape names input {next(n for n in names if names.count(n) > 1)!r} twice")
    return dict(given)


def _io_summary(model: tzm.TzmModel) -> str:
    def one(b: tzm.Binding) -> str:
        return f"{b.name} {'x'.join(map(str, model.tensors[b.tensor].dims))}"
    return (f"input{'s' if len(model.inputs) > 1 else ''} {', '.join(map(one, model.inputs))}; "
            f"output{'s' if len(model.outputs) > 1 else ''} {', '.join(map(one, model.outputs))}")


def _cmd_convert(args: argparse.Namespace) -> None:
    from tzinfer.convert import Blocked, convert
    from tzinfer.convert.errors import report_lines

    if args.output is None and not args.check:
        raise ValueError("give the .tzm to write with -o, or --check to only check the model")
    try:
        result = convert(args.model, _input_shapes(args.input_shape))
    except Blocked as e:
        if not args.check:
            raise
        lines = report_lines(e.blockers)
        print(f"{args.model}: cannot be converted: {len(e.blockers)} unsupported "
              f"{'node or value' if len(e.blockers) == 1 else 'nodes or values'} ({len(lines)} "
              f"kind{'s' if len(lines) > 1 else ''}):")
        print("\n".join(f"  {line}" for line in lines))
        sys.exit(EXIT_UNSUPPORTED)
    plan, model = result.plan, result.model
    summary = (f"{len(model.ops)} ops, {_io_summary(model)}, weights {result.weights_bytes} bytes, "
               f"arena {model.arena_size} bytes (liveness bound {plan.liveness_bound}, "
               f"activations sum {plan.activations_sum})")
    if args.check:
        print(f"{args.model}: converts: {summary}")
        return
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(tzm.write(model))
    print(f"{args.output}: {summary}")


def _cmd_run(args: argparse.Namespace) -> None:
    from tzinfer import feeds, native

    engine = native.load(args.model.read_bytes())
    feeds.check_output_path(args.output, [d.name for d in engine.outputs])
    ys = engine.run_all(feeds.load_inputs(args.input, engine.inputs))
    feeds.save_outputs(args.output, ys)
    for name, y in ys.items():
        print(f"{args.output}: output {name!r} {list(y.shape)}, argmax {int(y.argmax())}")


def _cmd_inspect(args: argparse.Namespace) -> None:
    from tzinfer import native, report, tzm

    data = args.model.read_bytes()
    native.load(data)  # the engine's full validation first, so inspect and run judge a file alike
    model = tzm.read(data)
    print(report.io_table(model))
    print()
    print(report.layer_table(model))
    memory = report.memory_numbers(model)
    print(f"peak arena:      {memory.peak_arena_bytes} bytes")
    print(f"liveness bound:  {memory.liveness_bound_bytes} bytes "
          f"(peak/bound {memory.peak_arena_bytes / memory.liveness_bound_bytes:.3f})")
    print(f"activations sum: {memory.activations_sum_bytes} bytes")
    print(f"weights:         {memory.weights_bytes} bytes")
    if args.plot:
        report.plot_timeline(model, args.plot)
        print(f"wrote {args.plot}")


def _cmd_bench(args: argparse.Namespace) -> None:
    from tzinfer.bench import bench

    if args.runs < 1 or args.rounds < 1:
        raise ValueError("--runs and --rounds must be at least 1")
    if args.per_op:
        from tzinfer.bench_ops import format_profile, profile

        print(format_profile(profile(args.model, args.onnx, args.runs)))
        return
    print(json.dumps(bench(args.model, args.onnx, args.runs, args.rounds)))


def _cmd_seal(args: argparse.Namespace) -> None:
    from tzinfer import keys, seal

    sealed = seal.seal(args.model.read_bytes(), keys.read(args.key), args.key_id, args.model_version,
                       keep_floor=args.keep_floor)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(sealed)
    floor = ("leaves the minimum version as it is" if args.keep_floor
             else f"raises key id {args.key_id}'s minimum version to {args.model_version} on load")
    print(f"{args.output}: sealed for key id {args.key_id}, model version {args.model_version} "
          f"(AES-256-GCM, format {seal.FORMAT}, {len(sealed)} bytes); {floor}")


def _cmd_keys_generate(args: argparse.Namespace) -> None:
    from tzinfer import keys

    keys.generate(args.keyfile)
    print(f"{args.keyfile}: new 32-byte model key (mode 0600)")


def _cmd_keys_admin(args: argparse.Namespace) -> None:
    """provision/delete/lock/device-key: run the device's client, which talks to the TA."""
    import subprocess

    from tzinfer import keys

    if args.keys_command == "provision":
        keys.check_key_id(args.key_id)
        keys.read(args.key)  # a clear error here rather than the client's
        cmdline = [args.client, "--provision-key", str(args.key), "--key-id", str(args.key_id)]
        cmdline += ["--replace"] if args.replace else []
    elif args.keys_command == "delete":
        cmdline = [args.client, "--delete-key", str(keys.check_key_id(args.key_id))]
    elif args.keys_command == "lock":
        cmdline = [args.client, "--lock-keys"]
    else:
        cmdline = [args.client, "--device-key", str(args.output)]
    if getattr(args, "admin_group", None) is not None:
        cmdline += ["--admin-group", str(args.admin_group)]
    done = subprocess.run(cmdline, check=False)
    if done.returncode:
        raise ValueError(f"{args.client} failed (exit {done.returncode}); its message is above")


def _cmd_qemu(args: argparse.Namespace) -> None:
    """qemu run|start|stop: the resident QEMU VM (tzinfer/stack/resident.py, tzinfer/qemu_run.py)."""
    from tzinfer import sources

    if not sources.IN_CHECKOUT:
        raise ValueError("`tzinfer qemu` builds and boots the QEMU stack, which needs a source checkout: run "
                         "it from the repository after scripts/bootstrap")
    from tzinfer import qemu_run
    from tzinfer.stack import StackError, pipeline
    from tzinfer.stack.layout import QemuStack
    from tzinfer.stack.resident import ResidentVM
    from tzinfer.target.console import ConsoleError

    try:
        if args.qemu_command == "run":
            result = qemu_run.run(args.model, args.input, key_id=args.key_id, key=args.key,
                                  reference=args.reference)
            print(qemu_run.summary(result))
            if args.output:
                qemu_run.save(args.output, result.outputs)
                print(f"{args.output}: {', '.join(result.outputs)}")
        elif args.qemu_command == "start":
            vm = ResidentVM(pipeline.build())
            print(f"resident VM {'booted' if vm.start() else 'already running'} (pid {vm.pid()})")
        else:
            ResidentVM(QemuStack()).stop()
            print("resident VM stopped")
    except (StackError, ConsoleError) as err:
        raise ValueError(str(err)) from None


def _cmd_nonce(args: argparse.Namespace) -> None:
    from tzinfer import attest

    print(attest.new_nonce().hex())


def _cmd_verify(args: argparse.Namespace) -> None:
    from tzinfer import attest

    try:
        nonce = bytes.fromhex(args.nonce)
    except ValueError:
        raise ValueError(f"--nonce {args.nonce!r} is not hexadecimal") from None
    key = attest.load_device_key(args.device_key.read_bytes())
    report = attest.verify(args.report.read_bytes(), key, nonce,
                           model=args.model.read_bytes() if args.model else None,
                           inputs=attest.load_tensors(args.input) if args.input else None,
                           outputs=attest.load_tensors(args.output) if args.output else None)
    what = (f"sealed package for key id {report.key_id}, model version {report.model_version}"
            if report.sealed else "plaintext model")
    print(f"{args.report}: signed by the device key for this nonce; model: {what}")
    for name, given, digest in (("model file", args.model, report.model_sha256),
                                ("inputs", args.input, report.input_sha256),
                                ("outputs", args.output, report.output_sha256)):
        state = (f"matches {', '.join(map(str, given)) if isinstance(given, list) else given}" if given
                 else "not checked (give the files to check them)")
        print(f"  {name} sha256 {digest.hex()}: {state}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tzinfer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("convert", help="convert an ONNX model to .tzm (or --check what stops it)")
    p.add_argument("model", type=Path, help="the ONNX model")
    p.add_argument("-o", "--output", type=Path, help="the .tzm file to write")
    p.add_argument("--input-shape", type=_shape, action="append", metavar="[NAME=]DIMS",
                   help="an input's dims, e.g. 1,3,224,224 (fixes symbolic dims); repeat as NAME=DIMS for a "
                        "model with several inputs")
    p.add_argument("--check", action="store_true", help="write nothing; list every unsupported op, "
                   "attribute and value of the model, with counts, node names and what is supported instead "
                   "(exit 2 if any)")
    p.set_defaults(run=_cmd_convert)

    p = sub.add_parser("run", help="run a .tzm model on the host engine")
    p.add_argument("model", type=Path, help="the .tzm model")
    p.add_argument("--input", required=True, action="append", metavar="NAME=FILE.npy|FILE.npz",
                   help="float32 input in the model's input shape: NAME=FILE.npy for each input, or one .npz "
                        "with an array per input name, or FILE.npy for a model with one input")
    p.add_argument("--output", type=Path, required=True, metavar="FILE.npz|FILE.npy",
                   help=".npz to write every output to, by name (or .npy for a model with one output)")
    p.set_defaults(run=_cmd_run)

    p = sub.add_parser("inspect", help="print a .tzm model's layers and memory plan")
    p.add_argument("model", type=Path, help="the .tzm model")
    p.add_argument("--plot", type=Path, help="write a PNG timeline of live arena memory per op")
    p.set_defaults(run=_cmd_inspect)

    p = sub.add_parser("bench", help="time the host engine against ONNX Runtime (JSON)")
    p.add_argument("model", type=Path, help="the .tzm model")
    p.add_argument("--onnx", type=Path, required=True, help="the ONNX model it was converted from (checked "
                   "against the SHA-256 the .tzm records)")
    p.add_argument("--runs", type=int, default=50, help="timed runs of each engine per round (default 50)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of runs (default 3)")
    p.add_argument("--per-op", action="store_true", help="instead: a table of the median time per op type "
                   "and shape of both engines (ONNX Runtime's profiler), to find the ops that lose")
    p.set_defaults(run=_cmd_bench)

    p = sub.add_parser("seal", help="encrypt a .tzm for the TA (AES-256-GCM, docs/model-format.md)")
    p.add_argument("model", type=Path, help="the plaintext .tzm model")
    p.add_argument("-o", "--output", type=Path, required=True, help="the sealed package to write (.tzms)")
    p.add_argument("--key", type=Path, required=True, help="32-byte key file (`tzinfer keys generate`)")
    p.add_argument("--key-id", type=int, required=True, help="the id the key is provisioned under on "
                   "the device (1 … 4294967295)")
    p.add_argument("--model-version", type=int, default=0, help="the TA refuses this package once a "
                   "higher version for the same key id loaded there (0 … 4294967295, default 0)")
    p.add_argument("--keep-floor", action="store_true", help="loading this package does not raise the "
                   "key id's minimum version (e.g. a test package); default: it does")
    p.set_defaults(run=_cmd_seal)

    keys_parser = sub.add_parser("keys", help="model keys: generate on the provisioning host, "
                                 "provision or delete on the device (docs/security.md)")
    keys_sub = keys_parser.add_subparsers(dest="keys_command", required=True, parser_class=_Parser)
    p = keys_sub.add_parser("generate", help="write a fresh random 32-byte key file (mode 0600)")
    p.add_argument("keyfile", type=Path, help="the key file to create (never overwritten)")
    p.set_defaults(run=_cmd_keys_generate)
    p = keys_sub.add_parser("provision", help="on the device, as root: store a key in the TA's secure "
                            "storage")
    p.add_argument("--key", type=Path, required=True, help="32-byte key file")
    p.add_argument("--key-id", type=int, required=True, help="id the sealed models name (1 … 4294967295)")
    p.add_argument("--replace", action="store_true", help="overwrite the key the id already has")
    p = keys_sub.add_parser("delete", help="on the device, as root: delete a key from the TA's secure "
                            "storage")
    p.add_argument("--key-id", type=int, required=True, help="id of the key to delete")
    keys_sub.add_parser("lock", help="on the device, as root: refuse every later key change, for good "
                        "(until a factory reset, docs/security.md)")
    p = keys_sub.add_parser("device-key", help="on the device: write the TA's attestation public key")
    p.add_argument("-o", "--output", type=Path, required=True, help="the file for the 65-byte key")
    for name, p in keys_sub.choices.items():
        if name == "generate":
            continue
        p.add_argument("--client", default="tzinfer-run", help="the device client (default tzinfer-run)")
        if name != "device-key":
            p.add_argument("--admin-group", type=int, help="log in to the TA as this group (built in "
                           "with TZI_KEY_ADMIN_GID) instead of as root")
        p.set_defaults(run=_cmd_keys_admin)

    p = sub.add_parser("nonce", help="print a fresh 32-byte nonce (hex) for `tzinfer-run --attest`")
    p.set_defaults(run=_cmd_nonce)

    p = sub.add_parser("verify", help="check a result the TA attested (tzinfer-run --attest --report)")
    p.add_argument("report", type=Path, help="the 216-byte report")
    p.add_argument("--device-key", type=Path, required=True, help="the device's public key "
                   "(`tzinfer keys device-key`)")
    p.add_argument("--nonce", required=True, help="the nonce given to --attest (64 hex digits)")
    p.add_argument("--model", type=Path, help="the model file that was run (.tzm or .tzms)")
    p.add_argument("--input", type=Path, action="append", help="the inputs that were run: a .npy per "
                   "input in the model's order (repeat the option), or one .npz holding them in order")
    p.add_argument("--output", type=Path, action="append", help="the outputs tzinfer-run wrote (--output "
                   "OUT.npz, or OUT.npy for a model with one output)")
    p.set_defaults(run=_cmd_verify)

    qemu_parser = sub.add_parser("qemu", help="run a model in the TA of the QEMU stack, from the host "
                                 "(a resident VM: started once, reused)")
    qemu_sub = qemu_parser.add_subparsers(dest="qemu_command", required=True, parser_class=_Parser)
    p = qemu_sub.add_parser("run", help="run MODEL in the TA on the inputs; print the outputs, the secure "
                            "memory and the largest difference from the host engine")
    p.add_argument("model", type=Path, help="the .tzm model, or a sealed .tzms")
    p.add_argument("--input", required=True, action="append", metavar="X.npy|NAME=X.npy|X.npz|IMAGE",
                   help="the inputs as for `tzinfer run`, or an image (JPEG/PNG) for a model with one "
                        "[1, 3, 224, 224] input (ImageNet preprocessing)")
    p.add_argument("--output", type=Path, metavar="Y.npz|Y.npy", help="save the TA's outputs here")
    p.add_argument("--key-id", type=int, help="the key id a sealed model must be sealed for")
    p.add_argument("--key", type=Path, help="the model key file, provisioned in the VM under --key-id")
    p.add_argument("--reference", type=Path, help="the plaintext .tzm of a sealed model, for the host "
                   "engine's comparison")
    p.set_defaults(run=_cmd_qemu)
    p = qemu_sub.add_parser("start", help="build the stack if needed and boot the resident VM")
    p.set_defaults(run=_cmd_qemu)
    p = qemu_sub.add_parser("stop", help="power the resident VM off")
    p.set_defaults(run=_cmd_qemu)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tzinfer` console script."""
    from tzinfer.convert import UnsupportedError
    from tzinfer.extras import MissingExtra
    from tzinfer.native import EngineError
    from tzinfer.tzm import TzmError

    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except UnsupportedError as e:
        _fail(str(e), EXIT_UNSUPPORTED)
    except FileNotFoundError as e:
        _fail(f"{e.filename}: no such file")
    except TzmError as e:
        _fail(f"{args.model}: {e}")
    except (ValueError, OSError, EngineError, MissingExtra) as e:
        _fail(str(e).splitlines()[0] if str(e) else type(e).__name__)
    except Exception as e:  # a bug, but the contract is one line, never a traceback
        _fail(f"internal error ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
              "please report it with the model that caused it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
