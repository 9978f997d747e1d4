"""The quick secure stack: Debian binaries + our OP-TEE and TF-A builds for a board (tzinfer.board),
booted in QEMU. What runs on the target and how the host talks to it is tzinfer.target.

Modules, one per concept:
- `hosttools`: checks that the host tools a step needs are installed.
- `steprun`: runs a build command with a live status line, a log file and an input stamp.
- `debian`: a private apt (own sources/state under .cache/debian) that resolves, downloads,
  verifies and pins Debian packages and sources (lock file board/qemu/debian.lock).
- `layout`: where everything lives under build/qemu/ (TA dev kit, sysroot, overlay, images).
- `patching`: a patched copy of a source tree (the patch files of meta-tzinfer-bsp).
- `optee`, `tfa`, `initramfs`, `payload`: the build steps; `pipeline`: their order (and
  `build_target_data`, the host side of the target checks on a board).
- `vm`: launching QEMU; `pty_vm`: the same with its console on a pty, a stand-in board.
- `target_tools/memscan.c`: a target-side tool that searches physical memory (zeroisation checks)
  or a file; `target_tools/teec_trace.c`: an LD_PRELOAD shim that records a libteec client's
  shared-memory traffic (confidentiality checks); `initramfs` cross-compiles both.
  `target_tools/bench_session.py`: the frames-per-second session of `invoke qemu.bench`.
"""

from tzinfer import BUILD_DIR, CACHE_DIR


class StackError(RuntimeError):
    """A failure with a one-line message that names the cause and the fix."""


#: Where the private apt and the downloaded .deb/.dsc files live.
DEBIAN_CACHE = CACHE_DIR / "debian"
#: Build products of the QEMU stack.
QEMU_BUILD = BUILD_DIR / "qemu"
