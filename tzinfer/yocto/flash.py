"""Is a block device safe to overwrite with an SD-card image? (used by `invoke flash`)

Everything is read from sysfs and procfs, whose roots are parameters so that tests can hand in
a fake tree: no real device is needed to check the refusal logic.

Refused always: something that is not a whole disk, a disk with a mounted (or swap, or
device-mapper/RAID-held) partition, and the disk that holds the running system's root.
Refused unless forced: a disk that does not look removable (not flagged removable, not on USB,
not an SD card).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Mount points whose backing disk is "the system disk".
SYSTEM_MOUNTS = ("/", "/boot", "/usr", "/var", "/home")


class UnsafeDeviceError(Exception):
    """Writing to the device would be unsafe; the message names the cause and the fix."""


@dataclass(frozen=True)
class Host:
    """Where the kernel's views of block devices and mounts are found."""

    sys_root: Path = Path("/sys")
    proc_root: Path = Path("/proc")
    dev_root: Path = Path("/dev")


@dataclass(frozen=True)
class Disk:
    """A whole disk, as sysfs describes it."""

    name: str
    size_bytes: int
    model: str
    removable: bool


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _block_name(device: str, host: Host) -> str:
    """Kernel name ("sdb", "mmcblk0") of a /dev path, following /dev/disk/by-* symlinks."""
    path = Path(device)
    if not path.is_absolute():
        raise UnsafeDeviceError(f"{device}: give the device as an absolute path, e.g. /dev/sdb")
    resolved = Path(os.path.realpath(path))
    try:
        relative = resolved.relative_to(os.path.realpath(host.dev_root))
    except ValueError as err:
        raise UnsafeDeviceError(
            f"{device} is not under {host.dev_root}: give a block device like /dev/sdb"
        ) from err
    return relative.name


def _partitions(name: str, host: Host) -> list[str]:
    """Kernel names of the partitions of disk `name`."""
    disk_dir = host.sys_root / "block" / name
    if not disk_dir.is_dir():
        return []
    return sorted(p.name for p in disk_dir.iterdir() if (p / "partition").exists())


def _dev_numbers(names: list[str], host: Host) -> set[str]:
    """"major:minor" of each named block device."""
    numbers = set()
    for name in names:
        number = _read(host.sys_root / "class" / "block" / name / "dev")
        if number:
            numbers.add(number)
    return numbers


def _disk_of(number: str, host: Host) -> set[str]:
    """The whole disk(s) under block device "major:minor", through partitions and dm/md slaves."""
    node = host.sys_root / "dev" / "block" / number
    if not node.exists():
        return set()
    real = Path(os.path.realpath(node))
    if (real / "partition").exists():
        real = real.parent
    slaves_dir = real / "slaves"
    slaves = sorted(slaves_dir.iterdir()) if slaves_dir.is_dir() else []
    if not slaves:
        return {real.name}
    disks: set[str] = set()
    for slave in slaves:
        disks |= _disk_of(_read(host.sys_root / "class" / "block" / slave.name / "dev"), host)
    return disks


def _mounts(host: Host) -> list[tuple[str, str, str]]:
    """(major:minor, mount point, source) of every mount, from /proc/self/mountinfo."""
    mounts = []
    for line in _read(host.proc_root / "self" / "mountinfo").splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        source = line.split(" - ", 1)[1].split()[1:2]
        mounts.append((fields[2], fields[4], source[0] if source else ""))
    return mounts


def _is_removable(name: str, host: Host) -> bool:
    block = host.sys_root / "block" / name
    if _read(block / "removable") == "1":
        return True
    # USB card readers and sticks; built-in SD slots (mmcblk) often report removable=0.
    if "/usb" in os.path.realpath(block):
        return True
    return _read(block / "device" / "type") == "SD"


def describe(name: str, host: Host) -> Disk:
    """Size, model and removability of disk `name`."""
    block = host.sys_root / "block" / name
    sectors = _read(block / "size")
    model = _read(block / "device" / "model") or _read(block / "device" / "name") or "unknown model"
    return Disk(name, int(sectors) * 512 if sectors.isdigit() else 0, model, _is_removable(name, host))


def check_target(device: str, *, force: bool = False, host: Host | None = None) -> Disk:
    """Return the disk behind `device` if an image may be written to it, else raise UnsafeDeviceError."""
    host = host or Host()
    name = _block_name(device, host)
    if (host.sys_root / "class" / "block" / name / "partition").exists():
        raise UnsafeDeviceError(
            f"{device} is a partition: give the whole disk (e.g. /dev/sdb, not /dev/sdb1)"
        )
    if not (host.sys_root / "block" / name).is_dir():
        raise UnsafeDeviceError(
            f"{device} is not a disk this kernel knows (no /sys/block/{name}): check the name with lsblk"
        )
    members = [name, *_partitions(name, host)]
    numbers = _dev_numbers(members, host)

    for number, mount_point, source in _mounts(host):
        if mount_point in SYSTEM_MOUNTS and name in _disk_of(number, host):
            raise UnsafeDeviceError(
                f"{device} holds the running system ({mount_point}): pick the SD card's disk (see lsblk)"
            )
        if number in numbers or Path(source).name in members:
            raise UnsafeDeviceError(
                f"{device} is mounted at {mount_point}: unmount it first (sudo umount {source})"
            )
    for line in _read(host.proc_root / "swaps").splitlines()[1:]:
        swap = Path(line.split()[0]).name if line.split() else ""
        if swap in members:
            raise UnsafeDeviceError(f"{device} is in use as swap ({swap}): swapoff it first")
    for member in members:
        holders = host.sys_root / "class" / "block" / member / "holders"
        held = sorted(h.name for h in holders.iterdir()) if holders.is_dir() else []
        if held:
            raise UnsafeDeviceError(
                f"{device} is in use by {', '.join(held)} (device-mapper/RAID): release it first"
            )

    disk = describe(name, host)
    if not disk.removable and not force:
        raise UnsafeDeviceError(
            f"{device} ({disk.model}, {disk.size_bytes / 1e9:.1f} GB) is not a removable disk: "
            "if it really is your SD card, pass --force"
        )
    return disk
