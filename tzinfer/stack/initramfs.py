"""The normal-world side: Debian binaries unpacked, the client sysroot, the kernel and the initramfs.

The initramfs runs busybox init: it mounts the pseudo file systems, brings `lo` up (xtest's
socket tests need it), loads the tee/optee modules, starts tee-supplicant and opens a root shell
on the console. Everything under build/qemu/overlay/ (TAs, client, models) is copied in verbatim.

Besides root it has two users for the key-management tests (tests/qemu/test_key_policy.py):
`tzuser`, an ordinary user, and `tzadmin`, a member of the key administrators' group the test
TA is built to trust (TZI_KEY_ADMIN_GID). Both may open /dev/tee0, which belongs to group `tee`
as Debian's udev rule makes it (tee-supplicant's /dev/teepriv0 stays root's).
"""

from __future__ import annotations

import gzip
import lzma
import shutil
import struct
import subprocess
from pathlib import Path

from tzinfer import REPO_ROOT
from tzinfer.stack import StackError, hosttools, target_users
from tzinfer.stack.debian import DebianArchive
from tzinfer.stack.layout import CROSS_COMPILE, SHARE_MOUNT, SHARE_TAG, QemuStack
from tzinfer.stack.steprun import Stamp, console, digest, run
from tzinfer.target.layout import TARGET_LIB_DIR

#: Debian binaries that make up the normal world, by suite. OP-TEE's user space comes from sid
#: to match optee-os 4.10 (xtest 4.10 checks the OS it runs on); the rest from trixie.
PACKAGES = {
    "trixie": ["busybox-static", "libc6", "libssl3t64", "libzstd1", "zlib1g"],
    "sid": ["tee-supplicant", "libteec2", "libckteec0t64", "optee-test-qemu", "optee-client-dev"],
}
#: linux-image-arm64 is a meta package; the image package it depends on is resolved at run time.
KERNEL_META = ("linux-image-arm64", "trixie")
#: Kernel modules in load order (Debian ships no modules.dep for them here).
TEE_MODULES = ("drivers/tee/tee.ko.xz", "drivers/tee/optee/optee.ko.xz")
#: virtio-9p, for the host directory (QemuStack.share); virtio-pci is built into Debian's kernel.
SHARE_MODULES = ("fs/netfs/netfs.ko.xz", "net/9p/9pnet.ko.xz", "net/9p/9pnet_virtio.ko.xz", "fs/9p/9p.ko.xz")
#: Not needed at run time on the target.
SKIP_DIRS = ("usr/share/doc", "usr/share/man", "usr/share/lintian", "usr/share/locale", "usr/include")
#: The program that scans physical memory (tests of the zeroisation patch) or a file on the target.
MEMSCAN_SOURCE = REPO_ROOT / "tzinfer/stack/target_tools/memscan.c"
#: The LD_PRELOAD shim that records a libteec client's shared-memory traffic (confidentiality tests).
TEEC_TRACE_SOURCE = REPO_ROOT / "tzinfer/stack/target_tools/teec_trace.c"
#: Where the shim is on the target (relative to /).
TARGET_TEEC_TRACE = "usr/lib/tzinfer/teec-trace.so"

INITTAB = """\
::sysinit:/etc/init.d/rcS
::respawn:/bin/cttyhack /bin/sh -l
::shutdown:/bin/umount -a -r
"""

RCS = """\
#!/bin/sh
# tzinfer QEMU initramfs: bring up the normal world for OP-TEE.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
ip link set lo up
for m in {modules}; do insmod /lib/modules/tee/$m || echo "tzinfer: insmod $m failed"; done
# Clients in group tee may use the TEE, as Debian's udev rule allows; the supplicant's device stays root's.
chgrp tee /dev/tee0 && chmod 0660 /dev/tee0
tee-supplicant >/tmp/tee-supplicant.log 2>&1 &
# The host's share (QEMU -fsdev ... mount_tag={share_tag}), when the VM was started with one.
for m in {share_modules}; do insmod /lib/modules/tee/$m || echo "tzinfer: insmod $m failed"; done
mkdir -p {share_mount}
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 {share_tag} {share_mount} 2>/dev/null \
    || rmdir {share_mount}
# Kernel messages stay in dmesg, off this console: the test drivers read command output line by line.
dmesg -n 1
# Under TCG on a busy host a vCPU that spends seconds in a TA gets too little host time for the
# buddy hard-lockup detector, which then reports a false lockup (the TA does return to Linux on
# foreign interrupts: OPTEE_SMC_RETURN_RPC_FOREIGN_INTR). Emulation only; boards keep it.
[ -w /proc/sys/kernel/nmi_watchdog ] && echo 0 > /proc/sys/kernel/nmi_watchdog
echo "tzinfer: normal world ready"
"""


def unpack_debian(stack: QemuStack, archive: DebianArchive) -> None:
    """Download the Debian binaries and unpack them into stack.debian_root; extract the kernel."""
    hosttools.require("dpkg-deb", "xz")
    debs = [archive.deb(name, suite) for suite, names in PACKAGES.items() for name in names]
    meta_name, suite = KERNEL_META
    image_pkg = next((d for d in archive.depends(meta_name, suite) if d.startswith("linux-image-")), None)
    if image_pkg is None:
        raise StackError(f"{meta_name} in {suite} depends on no linux-image-*; check the Debian index")
    kernel_deb = archive.deb(image_pkg, suite)
    stamp = Stamp(stack.debian_root / ".tzinfer-unpacked",
                  digest([*debs, kernel_deb.name, *TEE_MODULES, *SHARE_MODULES]))
    if stamp.fresh() and stack.kernel.is_file():
        return
    if stack.debian_root.exists():
        shutil.rmtree(stack.debian_root)
    stack.debian_root.mkdir(parents=True)
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(stack.debian_root)], check=True)
    _extract_kernel(stack, kernel_deb)
    stamp.done()


def _extract_kernel(stack: QemuStack, kernel_deb: Path) -> None:
    """Take vmlinuz (decompressed to Image) and the tee/optee modules out of the image package."""
    scratch = stack.root / "kernel-deb"
    if scratch.exists():
        shutil.rmtree(scratch)
    with console.status(f"unpacking {kernel_deb.name} …"):
        subprocess.run(["dpkg-deb", "-x", str(kernel_deb), str(scratch)], check=True)
    vmlinuz = next((scratch / "boot").glob("vmlinuz-*"), None)
    if vmlinuz is None:
        raise StackError(f"{kernel_deb.name} has no /boot/vmlinuz-*; check the kernel package")
    data = vmlinuz.read_bytes()
    # Debian's arm64 vmlinuz is a gzip'ed Image; U-Boot's booti wants it uncompressed.
    image = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    # arm64 Image header: text_offset at byte 8, image_size (bss included) at byte 16.
    text_offset, image_size = struct.unpack_from("<QQ", image, 8)
    _check_fits(stack, "kernel", text_offset + image_size)
    stack.kernel.write_bytes(image)
    modules_dir = stack.root / "modules"
    if modules_dir.exists():
        shutil.rmtree(modules_dir)
    modules_dir.mkdir()
    releases = [*(scratch / "usr/lib/modules").glob("*"), *(scratch / "lib/modules").glob("*")]
    if not releases:
        raise StackError(f"{kernel_deb.name} has no lib/modules/<release>; check the kernel package")
    release_dir = releases[0]
    for module in (*TEE_MODULES, *SHARE_MODULES):
        packed = release_dir / "kernel" / module
        if not packed.is_file():
            raise StackError(f"{kernel_deb.name} lacks {module}; this kernel has no OP-TEE driver module")
        (modules_dir / packed.name.removesuffix(".xz")).write_bytes(lzma.decompress(packed.read_bytes()))
    (modules_dir / "kernel-release").write_text(release_dir.name + "\n")
    shutil.rmtree(scratch)


def _check_fits(stack: QemuStack, window: str, size: int) -> None:
    """Raise StackError when `size` bytes overflow the memory map's load window `window`."""
    limit = stack.board.memory.load_window(window)
    if size > limit.size:
        raise StackError(
            f"the {window} ({size >> 20} MiB) overflows its load window {limit} in "
            f"{stack.board.memory.source.name}; move or grow the window there"
        )


def make_sysroot(stack: QemuStack) -> None:
    """stack.sysroot: libteec headers and libraries for cross-compiling the client (-I/-L)."""
    src = stack.debian_root
    if stack.sysroot.exists():
        shutil.rmtree(stack.sysroot)
    (stack.sysroot / "usr/lib").mkdir(parents=True)
    shutil.copytree(src / "usr/include", stack.sysroot / "usr/include")
    libdir = src / "usr/lib/aarch64-linux-gnu"
    (stack.sysroot / "usr/lib/aarch64-linux-gnu").mkdir()
    for lib in libdir.glob("libteec.so*"):
        shutil.copy2(lib, stack.sysroot / "usr/lib/aarch64-linux-gnu" / lib.name, follow_symlinks=False)
    if not (stack.sysroot / "usr/include/tee_client_api.h").is_file():
        raise StackError("optee-client-dev brought no tee_client_api.h; check the package contents")


def build_target_helper(stack: QemuStack, source: Path, name: str, flags: tuple[str, ...] = (),
                        headers: tuple[Path, ...] = ()) -> Path:
    """Cross-compile one target-side test helper (a C99 file under tzinfer/stack/target_tools/) to
    stack.root/name; `flags` are extra compiler flags (e.g. for a shared library), `headers`
    the files outside the source it includes, which rebuild it when they change."""
    hosttools.require(f"{CROSS_COMPILE}gcc")
    out = stack.root / name
    stamp = Stamp(stack.root / f".{name}-built", digest([source, *flags, *headers]))
    if not (stamp.fresh() and out.is_file()):
        run([f"{CROSS_COMPILE}gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", *flags, "-o", str(out),
             str(source)], label=f"{name} (target helper)", log=stack.logs / f"{name}.log")
        stamp.done()
    return out


def build_teec_trace(stack: QemuStack) -> Path:
    """The shared-memory trace shim, against the sysroot's libteec header (its structs)."""
    header = stack.sysroot / "usr/include/tee_client_api.h"
    return build_target_helper(stack, TEEC_TRACE_SOURCE, "teec-trace.so",
                               ("-shared", "-fPIC", f"-I{header.parent}"), (header,))


def check_dynamic_libteec(library: Path) -> None:
    """LD_PRELOAD reaches only libteec calls bound at run time: `library` (libtzinfer, which every
    client calls the TA through) must link libteec.so."""
    needed, undefined = dynamic_linking(library)
    if not (any(lib.startswith("libteec.so") for lib in needed) and "TEEC_InvokeCommand" in undefined):
        raise StackError(f"{library.name} does not link libteec dynamically, so teec-trace.so cannot "
                         "see its shared memory; link libteec.so, not a static libteec (libtzinfer/Makefile)")


def dynamic_linking(elf: Path) -> tuple[list[str], set[str]]:
    """The shared libraries an ELF file needs and the dynamic symbols it leaves undefined."""
    hosttools.require(f"{CROSS_COMPILE}readelf")
    readelf = [f"{CROSS_COMPILE}readelf", "-W", "-d", "--dyn-syms", str(elf)]
    out = subprocess.run(readelf, capture_output=True, text=True).stdout
    needed = [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]
    undefined = {fields[7].split("@")[0] for fields in map(str.split, out.splitlines())
                 if len(fields) >= 8 and fields[6] == "UND"}
    return needed, undefined


def _merge_usr(root: Path) -> None:
    """Make bin, sbin and lib symlinks into usr/ (merged /usr, as Debian's base-files does)."""
    for name in ("bin", "sbin", "lib"):
        top, usr = root / name, root / "usr" / name
        usr.mkdir(parents=True, exist_ok=True)
        if top.is_dir() and not top.is_symlink():
            shutil.copytree(top, usr, symlinks=True, dirs_exist_ok=True)
            shutil.rmtree(top)
        if not top.exists():
            top.symlink_to(f"usr/{name}")


def _check_libraries(root: Path) -> None:
    """Every ELF program and library in the image finds the shared libraries it needs."""
    have = {p.name for p in (root / "usr/lib/aarch64-linux-gnu").iterdir()} | {"ld-linux-aarch64.so.1"}
    for path in [*(root / "usr/bin").iterdir(), *(root / "usr/sbin").iterdir(),
                 *(root / "usr/lib/aarch64-linux-gnu").glob("*.so*"), root / TARGET_TEEC_TRACE]:
        if path.is_symlink() or not path.is_file() or path.read_bytes()[:4] != b"\x7fELF":
            continue
        for needed in dynamic_linking(path)[0]:
            if needed not in have:
                raise StackError(
                    f"initramfs: {path.relative_to(root)} needs {needed}, which no package brings; "
                    "add its package to tzinfer.stack.initramfs.PACKAGES"
                )


def build(stack: QemuStack) -> None:
    """Assemble stack.initrd from the Debian binaries, the in-tree TAs, the target helpers (memscan,
    teec-trace.so) and the overlay."""
    hosttools.require("cpio")
    inputs = [stack.debian_root, stack.root / "modules", stack.in_tree_tas, stack.overlay]
    users = target_users.etc_files()
    stamp = Stamp(stack.root / ".initramfs-built",
                  digest([INITTAB, RCS, *SHARE_MODULES, *users.values(), MEMSCAN_SOURCE, TEEC_TRACE_SOURCE,
                          *_tree_contents(inputs)]))
    if stamp.fresh() and stack.initrd.is_file():
        return
    staging = stack.root / "initramfs-root"
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(stack.debian_root, staging, symlinks=True,
                    ignore=lambda d, names: [n for n in names
                                             if str(Path(d, n).relative_to(stack.debian_root)) in SKIP_DIRS
                                             or n == ".tzinfer-unpacked"])
    _merge_usr(staging)
    if not (staging / "usr/bin/busybox").is_file():
        raise StackError("busybox-static brought no /usr/bin/busybox; check the package contents")
    for applet in ("sh", "cttyhack"):
        link = staging / "usr/bin" / applet
        if not link.exists():
            link.symlink_to("busybox")
    (staging / "init").symlink_to("bin/busybox")
    if not (staging / "sbin/init").exists():
        (staging / "sbin/init").symlink_to("../bin/busybox")
    etc = staging / "etc"
    (etc / "init.d").mkdir(parents=True, exist_ok=True)
    (etc / "inittab").write_text(INITTAB)
    for name, text in users.items():
        (etc / name).write_text(text)
    (etc / "shadow").chmod(0o600)
    rcs = etc / "init.d/rcS"
    rcs.write_text(RCS.format(modules=_module_names(TEE_MODULES), share_modules=_module_names(SHARE_MODULES),
                              share_tag=SHARE_TAG, share_mount=SHARE_MOUNT))
    rcs.chmod(0o755)
    for name in ("proc", "sys", "dev", "tmp", "root", "lib/modules/tee"):
        (staging / name).mkdir(parents=True, exist_ok=True)
    for module in (stack.root / "modules").glob("*.ko"):
        shutil.copy2(module, staging / "lib/modules/tee" / module.name)
    tas = stack.board.target.ta_dir_under(staging)
    tas.mkdir(parents=True, exist_ok=True)
    for ta in stack.in_tree_tas.glob("*/*.ta"):
        shutil.copy2(ta, tas / ta.name)
    shutil.copy2(build_target_helper(stack, MEMSCAN_SOURCE, "memscan"), staging / "usr/bin/memscan")
    (staging / TARGET_TEEC_TRACE).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(build_teec_trace(stack), staging / TARGET_TEEC_TRACE)
    if stack.overlay.is_dir():
        shutil.copytree(stack.overlay, staging, symlinks=True, dirs_exist_ok=True)
    check_dynamic_libteec(staging / TARGET_LIB_DIR / "libtzinfer.so.1")
    _check_libraries(staging)
    _write_cpio(stack, staging)
    stamp.done()


def _module_names(modules: tuple[str, ...]) -> str:
    return " ".join(Path(m).name.removesuffix(".xz") for m in modules)


def _tree_contents(roots: list[Path]) -> list[str | Path]:
    """Relative names, link targets and files under `roots`, in a stable order, for a digest."""
    parts: list[str | Path] = []
    for root in roots:
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            parts.append(str(path.relative_to(root.parent)))
            if path.is_symlink():
                parts.append(str(path.readlink()))
            elif path.is_file():
                parts.append(path)
    return parts


def build_layer(stack: QemuStack) -> None:
    """A layout variant's initramfs (stack.base): the base's, then a gzip'ed cpio of the variant's
    overlay. Linux unpacks concatenated archives in order, so the overlay's files (the TA built for
    the variant's heap) replace the base's; the rest of the normal world is not packed again."""
    if stack.base is None:
        raise StackError("build_layer() is for a layout variant (variant_stack); build() packs a stack")
    hosttools.require("cpio")
    stamp = Stamp(stack.root / ".initramfs-built",
                  digest([stack.base.initrd, *_tree_contents([stack.overlay])]))
    if stamp.fresh() and stack.initrd.is_file():
        return
    _write_cpio(stack, stack.overlay, prefix=stack.base.initrd.read_bytes())
    stamp.done()


def _write_cpio(stack: QemuStack, staging: Path, prefix: bytes = b"") -> None:
    """stack.initrd: `prefix` (an initramfs to extend, or nothing) and the gzip'ed newc cpio of
    `staging`, owned by root."""
    out = stack.initrd
    files = subprocess.run(["find", "."], cwd=staging, capture_output=True, text=True, check=True).stdout
    cpio = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"], cwd=staging,
                          input=files.encode(), capture_output=True, check=True).stdout
    packed = prefix + gzip.compress(cpio, compresslevel=6)
    _check_fits(stack, "initrd", len(packed))
    out.write_bytes(packed)
    console.print(f"[green]✓[/] initramfs {out} ({len(cpio) >> 20} MiB, {out.stat().st_size >> 20} MiB gz)")
