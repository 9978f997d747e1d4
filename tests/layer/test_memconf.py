"""The committed memory includes of the layer are what board/<board>/ generates."""

from __future__ import annotations

import re

import pytest

from tzinfer import REPO_ROOT
from tzinfer import board as boards
from tzinfer.yocto import LAYERS, memconf


@pytest.fixture(params=boards.names())
def board(request: pytest.FixtureRequest) -> boards.Board:
    return boards.load(request.param)


def test_committed_include_is_up_to_date(board: boards.Board) -> None:
    path = memconf.include_path(board)
    assert path.is_file(), f"{path} is missing: run invoke yocto.memconf"
    assert path.read_text() == memconf.render(board), (
        f"{path.name} is stale: board/{board.name}/ changed; run invoke yocto.memconf and commit"
    )


def test_include_carries_the_map_values_under_the_machine_override(board: boards.Board) -> None:
    text = memconf.render(board)
    machine = board.yocto.machine
    memmap = board.memory
    for key, value in memmap.optee_flags().items():
        assert f"{key}={value}" in text
    assert f'TZINFER_TA_HEAP_BUDGET:{machine} = "0x{memmap.ta_heap_budget:08x}"' in text
    assert f'TZINFER_TA_WORKER_SLOTS:{machine} = "{memmap.ta_worker_slots}"' in text
    assert all(
        line.startswith(("#", "TZINFER_")) and (line.startswith("#") or f":{machine} = " in line)
        for line in text.splitlines()
    )


def test_rpi3_include_tells_the_firmware_where_to_load_kernel8() -> None:
    rpi3 = boards.load("rpi3")
    text = memconf.include_path(rpi3).read_text()
    config = re.search(r'^TZINFER_RPI_CONFIG:raspberrypi3-64 = "(.*)"$', text, re.M)
    assert config, "the rpi3 include sets no TZINFER_RPI_CONFIG"
    kernel8 = rpi3.memory.load_window("firmware_kernel8")
    assert f"kernel_address=0x{kernel8.base:08x}" in config[1].split("\\n")


def test_only_the_generated_includes_set_memory_map_config_txt_lines() -> None:
    # A hand-written kernel_address= (or gpu_mem=, ...) elsewhere in the layer would bypass the
    # overlap check of the memory map.
    keys = {line.split("=")[0] for line in boards.load("rpi3").config_txt_lines()}
    generated = {memconf.include_path(boards.load(name)) for name in boards.names()}
    for path in (p for layer in LAYERS for p in layer.rglob("*")):
        if path.suffix in (".inc", ".conf", ".bb", ".bbappend", ".bbclass") and path not in generated:
            found = [key for key in keys if f"{key}=" in path.read_text()]
            assert not found, f"{path.relative_to(REPO_ROOT)} sets {found}; put it in board/rpi3/memory.yaml"
