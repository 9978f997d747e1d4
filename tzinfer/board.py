"""A board: its folder board/<board>/ with the memory map (memory.yaml) and the platform (board.yaml).

`load(board)` reads both; the `Board` it returns is what every consumer asks instead of testing a
board's name:
- the quick stack (tzinfer/stack): OP-TEE's and TF-A's platform and make arguments (`optee`, `tfa`,
  `tfa_map_make_args()`; tzinfer.stack.optee/tfa.make_args put them together), the firmware image
  and where its FIP starts, the BL33 U-Boot and firmware DTB to take from Debian, the kernel's
  console, and where the initramfs puts TAs (`target.ta_dir`);
- the Yocto layer's generated include (tzinfer/yocto/memconf.py): the same values, the MACHINE
  override, the Raspberry Pi config.txt lines (`config_txt_lines()`);
- the board tests: the console (device, line speed, login prompt), and the TF-A patch's defines
  (`tfa_patch_defines()`), which tests/test_board.py holds against the map;
- the target checks and the board harness (tests/qemu, tzinfer/hw): where the image puts TAs.

Adding a board is one folder here plus the layer's machine file (docs/development.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tzinfer import REPO_ROOT, templating
from tzinfer.memmap import BOARD_DIR, MemoryMap, MemoryMapError
from tzinfer.memmap import load as load_memory_map

#: The platform description inside a board's folder (memory.yaml is the memory map).
PLATFORM_FILE = "board.yaml"


class BoardError(ValueError):
    """A board folder that is missing or malformed; the message names the cause and the fix."""


@dataclass(frozen=True)
class DebianFile:
    """A file inside a Debian binary package: the stack unpacks it from `package` of `suite`."""

    package: str
    suite: str
    file: str


@dataclass(frozen=True)
class Optee:
    """OP-TEE OS's platform: PLATFORM=<platform>[-<flavour>] and the make arguments it needs."""

    platform: str
    flavour: str
    make_args: dict[str, str]

    @property
    def platform_arg(self) -> str:
        """The value of PLATFORM= (OPTEEMACHINE in the layer)."""
        return f"{self.platform}-{self.flavour}" if self.flavour else self.platform


@dataclass(frozen=True)
class Tfa:
    """TF-A's platform: PLAT=, its make arguments, and what our patch for it sets."""

    plat: str
    make_args: dict[str, str]
    #: make argument -> memory-map value (e.g. "firmware_dtb.base").
    map_make_args: dict[str, str]
    #: The patch file (in meta-tzinfer-bsp's TF-A files) that writes patch_defines.
    patch: str
    #: platform_def.h define -> memory-map value it must equal.
    patch_defines: dict[str, str]


@dataclass(frozen=True)
class ConfigTxt:
    """The Raspberry Pi config.txt lines the memory map dictates."""

    sdram_size: int
    kernel_window: str
    dtb_window: str


@dataclass(frozen=True)
class Firmware:
    """The boot firmware: the image the boot runs (bl1 padded to fip_offset, then the FIP) and what
    goes into it or beside it."""

    image: str
    fip_offset: int
    bl33: DebianFile
    dtb: DebianFile | None
    config_txt: ConfigTxt | None


@dataclass(frozen=True)
class Yocto:
    """The bitbake MACHINE the layer builds the board as, and the kas file that builds its image
    (None for a board that only the quick QEMU stack boots)."""

    machine: str
    kas: Path | None


@dataclass(frozen=True)
class SerialConsole:
    """Linux's console on the board: device, line speed (8N1) and the login prompt a getty prints."""

    device: str
    baud: int
    login_prompt: str


@dataclass(frozen=True)
class Target:
    """Where the board's image puts things that differ between images (absolute paths on the
    target); the paths all images share are tzinfer.target.layout's."""

    #: The directory tee-supplicant loads TAs from, where the image installs them.
    ta_dir: str

    def ta_file(self, uuid: str) -> str:
        """The TA with `uuid` as OP-TEE loads it."""
        return f"{self.ta_dir}/{uuid}.ta"

    def ta_dir_under(self, root: Path) -> Path:
        """The TA directory in a root file system tree at `root` (an overlay, a staging tree)."""
        return root / self.ta_dir.lstrip("/")


@dataclass(frozen=True)
class Board:
    """One board: board/<name>/memory.yaml (`memory`) and board/<name>/board.yaml (the rest)."""

    name: str
    folder: Path
    description: str
    memory: MemoryMap
    optee: Optee
    tfa: Tfa
    firmware: Firmware
    yocto: Yocto
    target: Target
    console: SerialConsole

    @property
    def kernel_cmdline(self) -> str:
        """Linux's command line where the boot chain passes one (QEMU's -append)."""
        return f"console={self.console.device},{self.console.baud}"

    def tfa_map_make_args(self) -> dict[str, str]:
        """TF-A make variables whose values come from the memory map."""
        return {name: f"0x{self.memory.value(ref):08x}" for name, ref in self.tfa.map_make_args.items()}

    def tfa_patch_defines(self) -> dict[str, int]:
        """The platform_def.h values our TF-A patch must set, read from the memory map."""
        return {name: self.memory.value(ref) for name, ref in self.tfa.patch_defines.items()}

    def config_txt_lines(self) -> list[str]:
        """Raspberry Pi firmware config.txt lines that the memory map dictates (none elsewhere)."""
        config = self.firmware.config_txt
        if config is None:
            return []
        return templating.render("config.txt.j2", gpu_mib=(config.sdram_size - self.memory.dram.end) >> 20,
                                 kernel=self.memory.load_window(config.kernel_window),
                                 dtb=self.memory.load_window(config.dtb_window)).splitlines()

    def check(self) -> None:
        """Raise MemoryMapError unless the map is consistent and names every value board.yaml uses."""
        self.memory.check_no_overlap()
        self.tfa_map_make_args()
        self.tfa_patch_defines()
        self.config_txt_lines()


def names() -> list[str]:
    """The boards of this repository: the folders of board/ with a board.yaml."""
    return sorted(p.parent.name for p in BOARD_DIR.glob(f"*/{PLATFORM_FILE}"))


def load(board: str | Path, variant: str = "") -> Board:
    """Load a board by name ("qemu", "rpi3") or by the path of its folder; `variant` selects a
    layout variant of its memory.yaml (memmap.load)."""
    folder = Path(board) if isinstance(board, Path) or "/" in board else BOARD_DIR / board
    source = folder / PLATFORM_FILE
    if not source.is_file():
        raise BoardError(f"no board description {source}; known boards: {', '.join(names())}")
    try:
        data = yaml.safe_load(source.read_text())
    except yaml.YAMLError as err:
        raise BoardError(f"{source}: not valid YAML ({err}); fix the syntax") from err
    fields = _Fields(data, source, "")
    optee, tfa, firmware = fields.section("optee"), fields.section("tfa"), fields.section("firmware")
    yocto, target, console = fields.section("yocto"), fields.section("target"), fields.section("console")
    config_txt = firmware.section("config_txt", optional=True)
    try:
        memory = load_memory_map(folder / "memory.yaml", variant)
    except MemoryMapError as err:
        raise BoardError(str(err)) from None
    return Board(
        name=folder.name, folder=folder, description=fields.get("description", str), memory=memory,
        optee=Optee(optee.get("platform", str), optee.get("flavour", str), optee.strings("make_args")),
        tfa=Tfa(tfa.get("plat", str), tfa.strings("make_args"), tfa.strings("map_make_args"),
                tfa.get("patch", str), tfa.strings("patch_defines")),
        firmware=Firmware(
            firmware.get("image", str), firmware.get("fip_offset", int), firmware.debian_file("bl33"),
            firmware.debian_file("dtb") if firmware.has("dtb") else None,
            None if config_txt is None else ConfigTxt(config_txt.get("sdram_size", int),
                                                      config_txt.get("kernel_window", str),
                                                      config_txt.get("dtb_window", str))),
        yocto=Yocto(yocto.get("machine", str),
                    REPO_ROOT / yocto.get("kas", str) if yocto.has("kas") else None),
        target=Target(target.path("ta_dir")),
        console=SerialConsole(console.get("device", str), console.get("baud", int),
                              console.get("login_prompt", str)),
    )


class _Fields:
    """A mapping of board.yaml, read with type checks; errors name the file and the key."""

    def __init__(self, data: Any, source: Path, where: str) -> None:
        if not isinstance(data, dict):
            raise BoardError(f"{source}: {where or 'the top level'} must be a mapping")
        self.data, self.source, self.where = data, source, where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def get(self, key: str, kind: type) -> Any:
        value = self.data.get(key)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            raise BoardError(f"{self.source}: missing or invalid `{self._name(key)}` ({kind.__name__} "
                             "expected); see board/qemu/board.yaml")
        return value

    def section(self, key: str, optional: bool = False) -> Any:
        if optional and not self.has(key):
            return None
        return _Fields(self.get(key, dict), self.source, self._name(key))

    def strings(self, key: str) -> dict[str, str]:
        """A mapping of names to strings (make arguments, map references); may be empty."""
        value = self.get(key, dict) if self.has(key) else {}
        if not all(isinstance(v, str) for v in value.values()):
            raise BoardError(f"{self.source}: every value of `{self._name(key)}` must be a string "
                             "(quote numbers: \"0x1000\")")
        return dict(value)

    def path(self, key: str) -> str:
        """An absolute path on the target, without a trailing slash."""
        value = self.get(key, str)
        if not value.startswith("/") or value.endswith("/"):
            raise BoardError(f"{self.source}: `{self._name(key)}` must be an absolute path on the target "
                             f"without a trailing slash, e.g. /lib/optee_armtz (it is {value!r})")
        return value

    def debian_file(self, key: str) -> DebianFile:
        part = self.section(key)
        return DebianFile(part.get("package", str), part.get("suite", str), part.get("file", str))
