"""Build step: what tzinfer puts on the QEMU target, collected in the stack's overlay directory.

- the S-Tinylib TA, cross-built with OP-TEE's TA dev kit, TA_DATA_SIZE = the board's
  ta_heap_budget (board/qemu/memory.yaml), key management open to root and the initramfs'
  `tzkeys` group (TZI_KEY_ADMIN_GID); its test build with the WIPE_AUDIT command; and its
  sealed-only build (TZI_SEALED_ONLY=y), which tests/qemu/test_sealed_only.py swaps in;
- libtzinfer (libtzinfer/) and `tzinfer-run` on it, cross-built against the stack's arm64 sysroot
  (libteec); the C example of docs/integrating.md, built the way an application is: against the
  installed header, through the pkg-config file;
- the fixture models converted to .tzm (the `tzinfer convert` code), their sample inputs and
  the ImageNet labels;
- the committed torch exports of EXPORTED_MODELS (tests/exported/: detector, segmenter and
  transformer families of issue 10) converted the same way, each with a seeded random input.

The initramfs step copies `stack.overlay` verbatim, so the paths of tzinfer.target.layout are the
paths on the target. Every part is incremental: make rebuilds what changed, and a model is
converted again only when its ONNX file or the converter changed. `install_data` alone is the host
side of the target checks on a board (pipeline.build_target_data).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from tzinfer import REPO_ROOT
from tzinfer.stack import StackError, hosttools, signing
from tzinfer.stack.layout import CROSS_COMPILE, QemuStack
from tzinfer.stack.steprun import Stamp, console, digest, run
from tzinfer.stack.target_users import KEY_ADMIN_GID
from tzinfer.target.layout import (
    TA_UUID,
    TARGET_C_EXAMPLE,
    TARGET_CLIENT,
    TARGET_DATA_DIR,
    TARGET_FOREIGN_TA_DIR,
    TARGET_HOSTILE,
    TARGET_LIB_DIR,
    TARGET_SEALED_ONLY_TA_DIR,
    TEST_CONCURRENT_TA_UUID,
    TEST_TA_UUID,
)

if TYPE_CHECKING:
    import numpy as np

#: The C example of docs/integrating.md (installed as TARGET_C_EXAMPLE).
C_EXAMPLE_SOURCE = REPO_ROOT / "docs/examples/sessions.c"

#: Sources whose change means the .tzm files must be produced again: the converter, and the
#: engine (the converter asks the host build of it for the conv scratch sizes).
CONVERTER_SOURCES = ("tzinfer/convert", "tzinfer/tzm.py", "tzinfer/planner.py", "tzinfer/native.py",
                     "stinylib/src", "stinylib/include")


#: Committed torch exports (tests/exported/onnx/) the TA runs too: the op coverage of issue 10
#: (Split/Slice, Resize, ConvTranspose, LayerNorm, attention MatMul, GELU) inside the TEE.
EXPORTED_MODELS = ("yolo_like_opset17", "unet_like_opset13", "vit_tiny_dynamo_opset18", "dbnet_like_opset17")
EXPORTED_DIR = REPO_ROOT / "tests" / "exported" / "onnx"
#: The name of each exported model's one sample input.
EXPORTED_SAMPLE = "random"




def build(stack: QemuStack) -> None:
    """Build the TA and the client, convert the models, and fill stack.overlay."""
    hosttools.require("make", f"{CROSS_COMPILE}gcc")
    ta = build_ta(stack)
    test_ta = build_ta(stack, test_hooks=True)
    concurrent_flag_ta = build_ta(stack, test_hooks=True, concurrent_flag=True)
    sealed_only_ta = build_ta(stack, sealed_only=True)
    client = build_client(stack)
    library = install_library(stack)
    overlay = stack.overlay
    ta_dir = stack.board.target.ta_dir_under(overlay)
    _install(ta, ta_dir / ta.name)
    _install(test_ta, ta_dir / test_ta.name)
    _install(concurrent_flag_ta, ta_dir / concurrent_flag_ta.name)
    _install(sealed_only_ta, overlay / TARGET_SEALED_ONLY_TA_DIR / ta.name)
    _install(foreign_signed_ta(stack), overlay / TARGET_FOREIGN_TA_DIR / ta.name)
    _install(client, overlay / TARGET_CLIENT)
    _install(client.with_name("tzinfer-hostile"), overlay / TARGET_HOSTILE)
    for so in sorted((library / "usr/lib").glob("libtzinfer.so.*")):
        _install_entry(so, overlay / TARGET_LIB_DIR / so.name)
    _install(build_c_example(stack, library), overlay / TARGET_C_EXAMPLE)
    install_data(stack)
    console.print(f"[green]✓[/] tzinfer payload in {overlay}")


def build_variant(stack: QemuStack) -> None:
    """A layout variant's payload (stack.base): the TA for the variant's heap in stack.overlay; the
    client, the test TAs and the data stay its base's, in the base's initramfs."""
    ta = build_ta(stack)
    _install(ta, stack.board.target.ta_dir_under(stack.overlay) / ta.name)


def ta_data_size(stack: QemuStack) -> int:
    """The TA heap: the largest one the board's memory map allows."""
    return stack.board.memory.ta_heap_budget


def build_ta(stack: QemuStack, test_hooks: bool = False, sealed_only: bool = False,
             concurrent_flag: bool = False) -> Path:
    """Cross-build the TA (or its test build, its test build with TA_FLAG_CONCURRENT, or its
    sealed-only build) with the stack's dev kit; returns the signed .ta file."""
    if not (stack.ta_devkit / "mk" / "ta_dev_kit.mk").is_file():
        raise StackError(f"the TA dev kit {stack.ta_devkit} is missing: build OP-TEE first "
                         "(invoke qemu.build)")
    out, uuid, name = (
        (stack.root / "ta-test-concurrent", TEST_CONCURRENT_TA_UUID, "tzinfer test TA, TA_FLAG_CONCURRENT")
        if concurrent_flag
        else (stack.root / "ta-test", TEST_TA_UUID, "tzinfer test TA") if test_hooks
        else (stack.root / "ta-sealed-only", TA_UUID, "tzinfer sealed-only TA") if sealed_only
        else (stack.root / "ta", TA_UUID, "tzinfer TA"))
    args = [f"TA_DEV_KIT_DIR={stack.ta_devkit}", f"CROSS_COMPILE={CROSS_COMPILE}",
            f"TA_DATA_SIZE=0x{ta_data_size(stack):x}", f"O={out}",
            f"TA_WORKER_SLOTS={stack.board.memory.ta_worker_slots}",
            # Empty values: the product's defaults, whatever the environment says.
            f"TZI_TEST_HOOKS={'y' if test_hooks else ''}", f"TZI_SEALED_ONLY={'y' if sealed_only else ''}",
            f"TZI_TEST_TA_FLAG_CONCURRENT={'y' if concurrent_flag else ''}",
            f"TZI_KEY_ADMIN_GID={KEY_ADMIN_GID}"]
    if stack.board.memory.stock_layout:  # OP-TEE's default pool holds one int8 model: one session
        # may take the whole heap
        args.append(f"TZI_SESSION_QUOTA=0x{ta_data_size(stack):x}")
    key = signing.user_key()
    args += signing.make_args(key)
    if key is None:  # a test stack on an OP-TEE that trusts the public key: say so (ta/Makefile)
        args.append("TZI_ALLOW_PUBLIC_TA_KEY=y")
    if not (test_hooks or sealed_only):  # one warning per build is enough
        signing.warn_if_default(key)
    # make re-signs only when the .ta is older than the key: force it when the key changed.
    signed_with = Stamp(out / ".signed-with", digest([key] if key else ["default key"]))
    if not signed_with.fresh():
        (out / f"{uuid}.ta").unlink(missing_ok=True)
    # The dev kit's signing script imports cryptography: run it with the venv's python.
    env = {"PATH": f"{REPO_ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    run(["make", "-C", str(REPO_ROOT / "ta"), f"-j{os.cpu_count() or 2}", *args],
        label=name, log=stack.logs / f"{out.name}.log", env=env)
    signed_with.done()
    return out / f"{uuid}.ta"


def foreign_signed_ta(stack: QemuStack) -> Path:
    """The same TA signed with a key no OS of ours trusts (tests/qemu/test_signing.py)."""
    elf = stack.root / "ta" / f"{TA_UUID}.stripped.elf"
    key = signing.foreign_key(stack.root / "keys")
    signed = stack.root / "ta" / "foreign-key" / f"{TA_UUID}.ta"
    # Signatures are randomised (PSS): sign again only when the TA changed, so that the
    # initramfs stays stable.
    stamp = Stamp(signed.with_name(".signed"), digest([elf, key]))
    if not (stamp.fresh() and signed.is_file()):
        signing.sign_ta(stack.ta_devkit, elf, TA_UUID, key, signed)
        stamp.done()
    return signed


def build_client(stack: QemuStack) -> Path:
    """Cross-build tzinfer-run (and tzinfer-hostile beside it) against the stack's sysroot;
    returns tzinfer-run. The dev kit gives the engine inside the client the TA's code
    generation (the benchmark baseline)."""
    out = stack.root / "client"
    run(["make", "-C", str(REPO_ROOT / "client"), f"-j{os.cpu_count() or 2}",
         f"CROSS_COMPILE={CROSS_COMPILE}", f"TEEC_SYSROOT={stack.sysroot}",
         f"TA_DEV_KIT_DIR={stack.ta_devkit}", f"O={out}", str(out / "tzinfer-run"),
         str(out / "tzinfer-hostile")],
        label="tzinfer-run client", log=stack.logs / "client.log")
    return out / "tzinfer-run"


def install_library(stack: QemuStack) -> Path:
    """libtzinfer as `make install` lays it out (header, libraries, pkg-config file) in a staging
    root; returns the root. build_client() built it."""
    root = stack.root / "libtzinfer-root"
    run(["make", "-C", str(REPO_ROOT / "libtzinfer"), f"CROSS_COMPILE={CROSS_COMPILE}",
         f"TEEC_SYSROOT={stack.sysroot}", f"O={stack.root / 'client' / 'libtzinfer'}", "PREFIX=/usr",
         f"DESTDIR={root}", "install"], label="libtzinfer install", log=stack.logs / "libtzinfer.log")
    return root


def build_c_example(stack: QemuStack, library: Path) -> Path:
    """docs/examples/sessions.c, compiled as an application would be: with the flags
    `pkg-config --cflags --libs tzinfer` gives for the staged install."""
    hosttools.require("pkg-config")
    env = {**os.environ, "PKG_CONFIG_LIBDIR": str(library / "usr/lib/pkgconfig"),
           "PKG_CONFIG_SYSROOT_DIR": str(library)}
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "tzinfer"], env=env, capture_output=True,
                           text=True, check=True).stdout.split()
    out = stack.root / "examples" / "tzinfer-example"
    out.parent.mkdir(parents=True, exist_ok=True)
    libteec_dir = next(stack.sysroot.glob("usr/lib/*/libteec.so*")).parent
    run([f"{CROSS_COMPILE}gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-pthread",
         "-o", str(out), str(C_EXAMPLE_SOURCE), *flags, f"-Wl,-rpath-link,{libteec_dir}"],
        label="C example", log=stack.logs / "c-example.log")
    return out


def _converter_digest_parts() -> list[Path]:
    files: list[Path] = []
    for name in CONVERTER_SOURCES:
        path = REPO_ROOT / name
        files.extend(sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
                     if path.is_dir() else [path])
    return files


def model_file(stack: QemuStack, name: str) -> Path:
    """The .tzm that convert_models() writes for fixture model `name` (copied to the target)."""
    return stack.root / "models" / f"{name}.tzm"


def convert_models(stack: QemuStack) -> dict[str, Path]:
    """The fixture models as .tzm under build/qemu/models/, converted when out of date."""
    from tzinfer.convert import ConvertError, convert
    from tzinfer.fixtures import FixtureError, ensure
    from tzinfer.fixtures.paths import INPUT_SHAPES, MODELS
    from tzinfer.tzm import write

    try:
        fixtures = ensure()
    except FixtureError as e:
        raise StackError(f"fixtures: {e}") from None
    converter = _converter_digest_parts()
    models: dict[str, Path] = {}
    for name in MODELS:
        onnx = fixtures.onnx(name)
        tzm = model_file(stack, name)
        stamp = Stamp(tzm.with_name(f".{name}.converted"), digest([onnx, *converter]))
        if not (stamp.fresh() and tzm.is_file()):
            try:
                emitted = convert(onnx, INPUT_SHAPES[name])
            except ConvertError as e:
                raise StackError(f"converting {onnx.name}: {e}") from None
            tzm.parent.mkdir(parents=True, exist_ok=True)
            tzm.write_bytes(write(emitted.model))
            stamp.done()
            console.print(f"[green]✓[/] converted {name} ({tzm.stat().st_size / 1e6:.1f} MB)")
        models[name] = tzm
    return models


def exported_input(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """The sample input of exported model `name`: standard normal, seeded by the name."""
    import numpy as np

    seed = int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "little")
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def convert_exported_models(stack: QemuStack) -> dict[str, Path]:
    """EXPORTED_MODELS as .tzm under build/qemu/models/, with their sample inputs beside them
    (inputs/<name>/random.npy), converted when out of date."""
    import numpy as np

    from tzinfer.convert import ConvertError, convert
    from tzinfer.tzm import write

    converter = _converter_digest_parts()
    models: dict[str, Path] = {}
    for name in EXPORTED_MODELS:
        onnx = EXPORTED_DIR / f"{name}.onnx"
        tzm = model_file(stack, name)
        sample = exported_sample_file(stack, name)
        stamp = Stamp(tzm.with_name(f".{name}.converted"), digest([onnx, *converter]))
        if not (stamp.fresh() and tzm.is_file() and sample.is_file()):
            try:
                emitted = convert(onnx)
            except ConvertError as e:
                raise StackError(f"converting {onnx.name}: {e}") from None
            tzm.parent.mkdir(parents=True, exist_ok=True)
            tzm.write_bytes(write(emitted.model))
            sample.parent.mkdir(parents=True, exist_ok=True)
            np.save(sample, exported_input(name, emitted.model.tensors[emitted.model.inputs[0].tensor].dims))
            stamp.done()
            console.print(f"[green]✓[/] converted {name} ({tzm.stat().st_size / 1e3:.0f} kB)")
        models[name] = tzm
    return models


def exported_sample_file(stack: QemuStack, name: str) -> Path:
    """The sample input convert_exported_models() writes for exported model `name`."""
    return stack.root / "inputs" / name / f"{EXPORTED_SAMPLE}.npy"


def install_data(stack: QemuStack) -> None:
    """The data files the target checks read (the models plain, sealed and exported, their inputs,
    the labels) into the overlay's data tree: all a board needs from the host besides its image.
    Needs neither the cross toolchain nor the OP-TEE build."""
    data_dir = stack.overlay / TARGET_DATA_DIR
    from tzinfer.fixtures import FixturePaths
    from tzinfer.fixtures.paths import MODELS
    from tzinfer.stack.sealed_models import seal_models

    fixtures = FixturePaths()
    models = convert_models(stack)
    for tzm in [*models.values(), *seal_models(stack, models).values()]:
        _install(tzm, data_dir / "models" / tzm.name)
    for name, tzm in convert_exported_models(stack).items():
        _install(tzm, data_dir / "models" / tzm.name)
        _install(exported_sample_file(stack, name), data_dir / "inputs" / name / f"{EXPORTED_SAMPLE}.npy")
    for model in MODELS:
        for sample in fixtures.inputs(model):
            _install(fixtures.input(model, sample), data_dir / "inputs" / model / f"{sample}.npy")
    labels = data_dir / "imagenet_labels.txt"
    text = "\n".join(fixtures.labels) + "\n"
    if not labels.is_file() or labels.read_text() != text:
        labels.write_text(text)


def _install_entry(src: Path, dest: Path) -> None:
    """_install() for a file, or the same symbolic link for a link (a library's soname)."""
    if not src.is_symlink():
        _install(src, dest)
        return
    if dest.is_symlink() and dest.readlink() == src.readlink():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.unlink(missing_ok=True)
    dest.symlink_to(src.readlink())


def _install(src: Path, dest: Path) -> None:
    """Copy src to dest when the contents differ (keeps the initramfs step's inputs stable)."""
    if not src.is_file():
        raise StackError(f"{src} was not built; see the logs under build/qemu/logs")
    if dest.is_file() and dest.read_bytes() == src.read_bytes():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    dest.chmod(src.stat().st_mode & 0o777)
