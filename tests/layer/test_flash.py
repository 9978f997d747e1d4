"""`invoke flash` refuses unsafe targets: checked against fake sysfs/procfs trees, no real device."""

from __future__ import annotations

from pathlib import Path

import pytest

from tzinfer.yocto.flash import Host, UnsafeDeviceError, check_target


class FakeHost:
    """A minimal /sys, /proc and /dev with disks, partitions and mounts as the kernel shows them."""

    def __init__(self, root: Path) -> None:
        self.host = Host(sys_root=root / "sys", proc_root=root / "proc", dev_root=root / "dev")
        self.mountinfo: list[str] = []
        self.swaps = ["Filename\tType\tSize\tUsed\tPriority"]
        self._next_minor = 0
        for d in ("sys/block", "sys/class/block", "sys/dev/block", "proc/self", "dev/disk/by-id"):
            (root / d).mkdir(parents=True)
        self._write_proc()

    def _write_proc(self) -> None:
        (self.host.proc_root / "self" / "mountinfo").write_text("\n".join(self.mountinfo) + "\n")
        (self.host.proc_root / "swaps").write_text("\n".join(self.swaps) + "\n")

    def _register(self, name: str, node: Path) -> str:
        self._next_minor += 1
        number = f"8:{self._next_minor}"
        (node / "dev").write_text(number + "\n")
        (self.host.sys_root / "class" / "block" / name).symlink_to(node)
        (self.host.sys_root / "dev" / "block" / number).symlink_to(node)
        (self.host.dev_root / name).write_text("")
        return number

    def disk(self, name: str, *, removable: bool = False, bus: str = "pci", sd_type: str = "",
             partitions: int = 2) -> None:
        node = self.host.sys_root / "devices" / bus / "host0" / "block" / name
        node.mkdir(parents=True)
        (node / "removable").write_text("1\n" if removable else "0\n")
        (node / "size").write_text("31116288\n")
        (node / "device").mkdir()
        (node / "device" / "model").write_text("Fake Disk\n")
        if sd_type:
            (node / "device" / "type").write_text(sd_type + "\n")
        (self.host.sys_root / "block" / name).symlink_to(node)
        self._register(name, node)
        for i in range(1, partitions + 1):
            part = f"{name}p{i}" if name[-1].isdigit() else f"{name}{i}"
            (node / part).mkdir()
            (node / part / "partition").write_text(f"{i}\n")
            self._register(part, node / part)

    def number(self, name: str) -> str:
        return (self.host.sys_root / "class" / "block" / name / "dev").read_text().strip()

    def mount(self, name: str, mount_point: str) -> None:
        self.mountinfo.append(
            f"{len(self.mountinfo) + 20} 1 {self.number(name)} / {mount_point} rw - ext4 /dev/{name} rw"
        )
        self._write_proc()

    def dm(self, name: str, slaves: list[str]) -> None:
        node = self.host.sys_root / "devices" / "virtual" / "block" / name
        (node / "slaves").mkdir(parents=True)
        for slave in slaves:
            (node / "slaves" / slave).symlink_to(self.host.sys_root / "class" / "block" / slave)
            holders = (self.host.sys_root / "class" / "block" / slave).resolve() / "holders"
            holders.mkdir(exist_ok=True)
            (holders / name).symlink_to(node)
        (self.host.sys_root / "block" / name).symlink_to(node)
        self._register(name, node)

    def check(self, name: str, force: bool = False) -> str:
        return check_target(str(self.host.dev_root / name), force=force, host=self.host).name


@pytest.fixture
def fake(tmp_path: Path) -> FakeHost:
    host = FakeHost(tmp_path)
    host.disk("nvme0n1")
    host.mount("nvme0n1p2", "/")
    host.mount("nvme0n1p1", "/boot")
    return host


def test_usb_card_reader_is_accepted(fake: FakeHost) -> None:
    fake.disk("sdb", removable=True, bus="pci0000:00/usb1")
    assert fake.check("sdb") == "sdb"


def test_sd_slot_reporting_not_removable_is_accepted_as_sd_card(fake: FakeHost) -> None:
    fake.disk("mmcblk0", sd_type="SD")
    assert fake.check("mmcblk0") == "mmcblk0"


def test_by_id_symlink_resolves_to_the_disk(fake: FakeHost) -> None:
    fake.disk("sdb", removable=True)
    link = fake.host.dev_root / "disk" / "by-id" / "usb-Card_Reader-0:0"
    link.symlink_to(fake.host.dev_root / "sdb")
    assert check_target(str(link), host=fake.host).name == "sdb"


def test_system_disk_is_refused_even_with_force(fake: FakeHost) -> None:
    with pytest.raises(UnsafeDeviceError, match=r"holds the running system \(/\)"):
        fake.check("nvme0n1", force=True)


def test_system_disk_behind_device_mapper_is_refused(tmp_path: Path) -> None:
    fake = FakeHost(tmp_path)
    fake.disk("sda", removable=True)
    fake.dm("dm-0", ["sda2"])
    fake.mount("dm-0", "/")
    with pytest.raises(UnsafeDeviceError, match="holds the running system"):
        fake.check("sda", force=True)


def test_mounted_partition_is_refused_even_with_force(fake: FakeHost) -> None:
    fake.disk("sdb", removable=True)
    fake.mount("sdb1", "/media/me/boot")
    expected = r"mounted at /media/me/boot: unmount it first \(sudo umount /dev/sdb1\)"
    with pytest.raises(UnsafeDeviceError, match=expected):
        fake.check("sdb", force=True)


def test_swap_partition_is_refused(fake: FakeHost) -> None:
    fake.disk("sdb", removable=True)
    fake.swaps.append(f"{fake.host.dev_root}/sdb2\tpartition\t1024\t0\t-2")
    fake._write_proc()
    with pytest.raises(UnsafeDeviceError, match="swap"):
        fake.check("sdb")


def test_disk_held_by_device_mapper_is_refused(fake: FakeHost) -> None:
    fake.disk("sdb", removable=True)
    fake.dm("dm-3", ["sdb1"])
    with pytest.raises(UnsafeDeviceError, match="in use by dm-3"):
        fake.check("sdb", force=True)


def test_non_removable_disk_needs_force(fake: FakeHost) -> None:
    fake.disk("sdc")
    with pytest.raises(UnsafeDeviceError, match="not a removable disk: .* pass --force"):
        fake.check("sdc")
    assert fake.check("sdc", force=True) == "sdc"


def test_partition_is_refused(fake: FakeHost) -> None:
    fake.disk("sdb", removable=True)
    with pytest.raises(UnsafeDeviceError, match="is a partition: give the whole disk"):
        fake.check("sdb1")


def test_unknown_device_is_refused(fake: FakeHost) -> None:
    (fake.host.dev_root / "sdz").write_text("")
    with pytest.raises(UnsafeDeviceError, match="not a disk this kernel knows"):
        fake.check("sdz")


def test_path_outside_dev_is_refused(fake: FakeHost, tmp_path: Path) -> None:
    image = tmp_path / "image.wic"
    image.write_text("")
    with pytest.raises(UnsafeDeviceError, match="is not under"):
        check_target(str(image), host=fake.host)
