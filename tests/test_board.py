"""The board profiles (board/<board>/): every board loads, its TF-A patch agrees with its memory
map, and a new board is one folder: a stub board is loaded and rendered into the layer's include
and the quick stack's make arguments without building anything."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tzinfer import REPO_ROOT
from tzinfer import board as boards
from tzinfer.memmap import MemoryMapError
from tzinfer.stack import optee, tfa
from tzinfer.stack.layout import TFA_PATCH_DIR, QemuStack
from tzinfer.yocto import memconf


@pytest.fixture(params=boards.names())
def board(request: pytest.FixtureRequest) -> boards.Board:
    return boards.load(request.param)


def test_the_boards_are_the_folders() -> None:
    assert boards.names() == ["qemu", "rpi3"]


def test_board_is_consistent(board: boards.Board) -> None:
    board.check()
    assert board.name == board.folder.name
    if board.yocto.kas is not None:
        assert board.yocto.kas.is_file()
        # The kas file builds the board's MACHINE.
        assert yaml.safe_load(board.yocto.kas.read_text())["machine"] == board.yocto.machine


def _patch_defines(patch: Path) -> tuple[dict[str, int], set[str]]:
    """(`#define NAME 0x...` as the patched file has them, the names the patch adds or changes)."""
    found = re.findall(r"^([ +])#define\s+(\w+)\s+(?:ULL\()?(0x[0-9a-fA-F]+)\)?", patch.read_text(), re.M)
    changed = {name for mark, name, _ in found if mark == "+"}
    return {name: int(value, 16) for _, name, value in found}, changed


def test_tfa_patch_agrees_with_the_map(board: boards.Board) -> None:
    patch = TFA_PATCH_DIR / board.tfa.patch
    assert patch.is_file(), f"{board.folder}/board.yaml names {patch}, which does not exist"
    defined, changed = _patch_defines(patch)
    assert {name: defined.get(name) for name in board.tfa_patch_defines()} == board.tfa_patch_defines()
    # Every address the patch writes is one the board's map owns.
    assert changed <= set(board.tfa.patch_defines), (
        f"{patch.name} sets {sorted(changed - set(board.tfa.patch_defines))} that "
        f"{board.folder.name}/board.yaml does not take from the map: add them to tfa.patch_defines")


def test_no_code_tests_a_board_name() -> None:
    """Platform behaviour comes from board.yaml: nothing compares with or indexes by a board name."""
    names = "|".join(boards.names())
    quoted = rf"""["']({names})["']"""
    pattern = re.compile(rf"(==|!=|\bin)\s*\(?{quoted}|\[{quoted}\]|{quoted}\s*:")
    found = [f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
             for path in sorted((REPO_ROOT / "tzinfer").rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert not found, "\n".join(found)


def _stub_board(tmp_path: Path) -> Path:
    """A new board folder, as a developer would start one: qemu's files with a new platform."""
    folder = tmp_path / "stubboard"
    folder.mkdir()
    shutil.copy(boards.load("qemu").memory.source, folder / "memory.yaml")
    platform = (REPO_ROOT / "board/qemu/board.yaml").read_text()
    for old, new in [("platform: vexpress", "platform: stubsoc"), ("flavour: qemu_armv8a", "flavour: evk"),
                     ("{CFG_ARM_GICV3: y}", "{CFG_STUB_UART: \"2\"}"), ("plat: qemu", "plat: stub_plat"),
                     ("{QEMU_USE_GIC_DRIVER: QEMU_GICV3, BL32_RAM_LOCATION: tdram}", "{STUB_GIC: v2}"),
                     ("map_make_args: {}", "map_make_args: {STUB_DTB_BASE: fdt.base}"),
                     ("image: qemu_fw.bios", "image: stub_fw.bin"),
                     ("machine: qemuarm64-secureboot", "machine: stub-machine"),
                     ("device: ttyAMA0", "device: ttyS2")]:
        assert platform.count(old) == 1, old
        platform = platform.replace(old, new)
    (folder / "board.yaml").write_text(platform)
    return folder


def test_a_stub_board_renders_into_the_layer_and_the_stack_without_code_changes(tmp_path: Path) -> None:
    stub = boards.load(_stub_board(tmp_path))
    assert stub.name == "stubboard"

    include = memconf.render(stub)
    assert 'TZINFER_OPTEE_PLATFORM:stub-machine = "stubsoc-evk"' in include
    assert 'TZINFER_TFA_PLATFORM:stub-machine = "stub_plat"' in include
    assert 'TZINFER_TFA_MEMORY_FLAGS:stub-machine = "STUB_DTB_BASE=0x40000000"' in include
    assert 'TZINFER_TA_HEAP_BUDGET:stub-machine = "0x03000000"' in include
    assert "TZINFER_RPI_CONFIG" not in include
    assert memconf.include_path(stub).name == "tzinfer-memory-stubboard.inc"

    optee_args = optee.make_args(stub)
    assert optee_args["PLATFORM"] == "stubsoc-evk" and optee_args["CFG_STUB_UART"] == "2"
    assert optee_args["CFG_TZDRAM_START"] == f"0x{stub.memory.tzdram.base:08x}"
    assert "CFG_ARM_GICV3" not in optee_args
    tfa_args = tfa.make_args(stub)
    assert tfa_args[:2] == ["PLAT=stub_plat", "SPD=opteed"] and "STUB_DTB_BASE=0x40000000" in tfa_args
    assert "STUB_GIC=v2" in tfa_args and not [a for a in tfa_args if a.startswith("QEMU_")]

    stack = QemuStack(root=tmp_path / "build", board=stub)
    assert stack.firmware == tmp_path / "build" / "stub_fw.bin"
    assert stub.kernel_cmdline == "console=ttyS2,115200"
    assert not (tmp_path / "build").exists()  # nothing was built


def test_each_board_names_where_its_image_puts_tas() -> None:
    # The quick stack's initramfs (tzinfer/stack/payload.py installs the TAs to the qemu board's).
    assert boards.load("qemu").target.ta_file("x") == "/usr/lib/optee_armtz/x.ta"
    # The Yocto image: where the layer installs the TA, ${nonarch_base_libdir}/optee_armtz, is
    # /lib/optee_armtz (through /lib -> usr/lib with usrmerge), tee-supplicant's default.
    recipe = (REPO_ROOT / "meta-tzinfer/recipes-tzinfer/tzinfer-ta/tzinfer-ta.inc").read_text()
    installed = re.findall(r"install .*\$\{D\}(\S+)/\$\{TZINFER_TA_UUID\}\.ta", recipe)
    assert installed == ["${nonarch_base_libdir}/optee_armtz"]
    rpi3 = boards.load("rpi3").target
    assert rpi3.ta_dir == installed[0].replace("${nonarch_base_libdir}", "/lib")
    assert rpi3.ta_dir_under(Path("/image")) == Path("/image/lib/optee_armtz")


def test_missing_board_lists_the_known_ones() -> None:
    with pytest.raises(boards.BoardError, match="known boards: qemu, rpi3"):
        boards.load("nosuchboard")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("plat: qemu", "plat: [qemu]", r"`tfa.plat` \(str expected\)"),
    ("fip_offset: 0x40000", "fip_offset: yes", r"`firmware.fip_offset` \(int expected\)"),
    ("{CFG_ARM_GICV3: y}", "{CFG_ARM_GICV3: 1}", "`optee.make_args` must be a string"),
    ("ta_dir: /usr/lib/optee_armtz", "ta_dir: usr/lib/optee_armtz",
     "`target.ta_dir` must be an absolute path on the target without a trailing slash"),
])
def test_a_malformed_board_yaml_names_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder = _stub_board(tmp_path)
    text = (REPO_ROOT / "board/qemu/board.yaml").read_text()
    (folder / "board.yaml").write_text(text.replace(old, new))
    with pytest.raises(boards.BoardError, match=message) as err:
        boards.load(folder)
    assert "\n" not in str(err.value)


def test_a_map_reference_that_names_nothing_is_refused(tmp_path: Path) -> None:
    folder = _stub_board(tmp_path)
    text = (folder / "board.yaml").read_text().replace("fdt.base", "fdt.start")
    (folder / "board.yaml").write_text(text)
    with pytest.raises(MemoryMapError, match="'fdt.start' names no map value"):
        boards.load(folder).check()
