"""Provisioning a board over its console: missing programs are named (the TA looked for where
the board's image puts TAs), data files are uploaded where they are missing or differ, and only
there (against a shell on a pty)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pty_board import Pty

from tzinfer import board as boards
from tzinfer.hw import SerialError, provision
from tzinfer.hw.target import SerialTarget, SerialTargetConfig
from tzinfer.target.layout import TA_UUID


def test_missing_client_is_named(shell_board: Pty, tmp_path: Path) -> None:
    # The host's shell stands in for the board: it has no tzinfer-run.
    with SerialTarget(SerialTargetConfig(shell_board.port), tmp_path / "serial.log", [].append) as shell:
        with pytest.raises(SerialError, match=r"^/usr/bin/tzinfer-run is not on the board: flash an image"):
            provision.check_programs(shell, boards.load("rpi3").target)


def test_the_ta_is_looked_for_where_the_boards_image_puts_tas(shell_board: Pty, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provision, "TARGET_CLIENT", "bin/sh")  # a client the host's shell has
    target = boards.Target(str(tmp_path / "optee_armtz"))
    with SerialTarget(SerialTargetConfig(shell_board.port), tmp_path / "serial.log", [].append) as shell:
        missing = rf"^the tzinfer TA {tmp_path}/optee_armtz/{TA_UUID}\.ta is not on the board: flash an image"
        with pytest.raises(SerialError, match=missing + r" with tzinfer-ta .*target\.ta_dir"):
            provision.check_programs(shell, target)
        target.ta_dir_under(Path("/")).mkdir()
        Path(target.ta_file(TA_UUID)).write_bytes(b"a signed TA")
        provision.check_programs(shell, target)


def test_sync_uploads_missing_and_changed_files_only(shell_board: Pty, tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    model = host / "model.tzm"
    model.write_bytes(os.urandom(10_000))  # several base64 lines
    labels = host / "labels.txt"
    labels.write_text("tabby\n")
    board = tmp_path / "board"
    files = {f"{board}/models/model.tzm": model, f"{board}/labels.txt": labels}
    board.mkdir()
    (board / "labels.txt").write_text("tabby\n")  # already there and equal
    told: list[str] = []
    with SerialTarget(SerialTargetConfig(shell_board.port), tmp_path / "serial.log", [].append) as shell:
        assert provision.sync(shell, files, told.append) == [f"{board}/models/model.tzm"]
        assert (board / "models/model.tzm").read_bytes() == model.read_bytes()
        assert told == ["uploading 1 file(s), 0.0 MB, to the board (about 0 min at 115200 baud)"]
        model.write_bytes(os.urandom(5_000))
        assert provision.sync(shell, files, told.append) == [f"{board}/models/model.tzm"]
        assert (board / "models/model.tzm").read_bytes() == model.read_bytes()
        assert provision.sync(shell, files, told.append) == []
