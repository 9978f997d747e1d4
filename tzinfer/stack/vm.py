"""Launching the QEMU stack: `virt,secure=on` with TF-A + OP-TEE + U-Boot as -bios.

UART0 (`-serial stdio`) is the Linux console, UART1 (`-serial file:`) OP-TEE's log. U-Boot takes
the kernel and initramfs from QEMU's fw_cfg, so no disk image is needed. The stack's share
directory is passed in with virtio-9p (the initramfs mounts it at SHARE_MOUNT).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pexpect

from tzinfer.stack import StackError, hosttools
from tzinfer.stack.layout import SHARE_TAG, QemuStack
from tzinfer.target.console import Console


def qemu_command(stack: QemuStack, secure_log: Path, console: str = "stdio") -> list[str]:
    """The qemu-system-aarch64 command line; `console` is QEMU's -serial backend for UART0."""
    hosttools.require("qemu-system-aarch64")
    for path in (stack.firmware, stack.kernel, stack.initrd):
        if not path.is_file():
            raise StackError(f"{path} is missing: run `invoke qemu.build` first")
    ram_mib = stack.board.memory.dram.size >> 20
    stack.share.mkdir(parents=True, exist_ok=True)
    return [
        "qemu-system-aarch64",
        "-M", "virt,secure=on,gic-version=3,virtualization=off", "-cpu", "cortex-a57", "-smp", "2",
        # Multi-threaded TCG: one host thread per vCPU, so that the two cores really run at once
        # (docs/multicore.md). QEMU 7.2 defaults to it for this guest on x86_64; saying so makes
        # a QEMU that cannot do it fail at start instead of silently running the vCPUs in turn.
        "-accel", "tcg,thread=multi",
        "-m", str(ram_mib),
        # -nic none: otherwise QEMU wants efi-virtio.rom; -no-reboot: poweroff/reboot end QEMU.
        "-display", "none", "-nic", "none", "-monitor", "none", "-no-reboot",
        "-serial", console, "-serial", f"file:{secure_log}",
        "-bios", str(stack.firmware), "-kernel", str(stack.kernel), "-initrd", str(stack.initrd),
        "-append", stack.board.kernel_cmdline,
        "-fsdev", f"local,id=share,path={stack.share},security_model=none",
        "-device", f"virtio-9p-pci,fsdev=share,mount_tag={SHARE_TAG}",
    ]


class QemuVM:
    """One running VM whose console is a pexpect child; use as a context manager."""

    def __init__(self, stack: QemuStack, console_log: Path, secure_log: Path) -> None:
        self.command = qemu_command(stack, secure_log)
        self.console_log_path = console_log
        self.secure_log = secure_log
        self._log: IO[str] | None = None
        self.child: pexpect.spawn | None = None

    def start(self) -> Console:
        """Start QEMU and return the Console on its UART0."""
        self.console_log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.console_log_path.open("w", encoding="utf-8", errors="replace")
        self.child = pexpect.spawn(self.command[0], self.command[1:], encoding="utf-8",
                                   codec_errors="replace", dimensions=(50, 200))
        self.child.logfile_read = self._log
        return Console(self.child)

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Wait for QEMU to exit by itself (after poweroff); return its exit status."""
        assert self.child is not None
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus if self.child.exitstatus is not None else -1

    def stop(self) -> None:
        """Kill QEMU if it still runs and close the log."""
        if self.child is not None and self.child.isalive():
            self.child.terminate(force=True)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Console:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class BootedVM:
    """A VM that reached a shell: the VM, its console and the boot time it took."""

    vm: QemuVM
    console: Console
    stack: QemuStack
    boot_seconds: float
    powered_off: bool = False

    def poweroff(self, timeout: float = 30.0) -> int:
        """Power off from the shell and wait for QEMU to exit; returns QEMU's exit status."""
        self.console.poweroff(timeout)
        status = self.vm.wait_exit(timeout)
        self.powered_off = True
        return status


def boot(stack: QemuStack, console_log: Path, secure_log: Path, timeout: float = 180.0) -> BootedVM:
    """Start QEMU and wait for the shell. The caller must vm.stop() it (also on failure)."""
    vm = QemuVM(stack, console_log, secure_log)
    console = vm.start()
    try:
        return BootedVM(vm, console, stack, console.expect_boot(timeout=timeout))
    except Exception:
        vm.stop()
        raise
