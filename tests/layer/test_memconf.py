"""The committed memory includes of the layer are what board/<board>/memory.yaml generates."""

from __future__ import annotations

import pytest

from tzinfer.memmap import load
from tzinfer.yocto import memconf


@pytest.mark.parametrize("board", sorted(memconf.BOARD_MACHINES))
def test_committed_include_is_up_to_date(board: str) -> None:
    path = memconf.include_path(board)
    assert path.is_file(), f"{path} is missing: run invoke yocto-memconf"
    assert path.read_text() == memconf.render(board), (
        f"{path.name} is stale: board/{board}/memory.yaml changed; run invoke yocto-memconf and commit"
    )


@pytest.mark.parametrize("board", sorted(memconf.BOARD_MACHINES))
def test_include_carries_the_map_values_under_the_machine_override(board: str) -> None:
    text = memconf.render(board)
    machine = memconf.BOARD_MACHINES[board]
    memmap = load(board)
    for key, value in memmap.optee_flags().items():
        assert f"{key}={value}" in text
    assert f'TZINFER_TA_HEAP_BUDGET:{machine} = "0x{memmap.ta_heap_budget:08x}"' in text
    assert all(
        line.startswith(("#", "TZINFER_")) and (line.startswith("#") or f":{machine} = " in line)
        for line in text.splitlines()
    )


def test_unknown_board_is_refused() -> None:
    with pytest.raises(ValueError, match="no bitbake MACHINE known for board 'nosuch'"):
        memconf.render("nosuch")
