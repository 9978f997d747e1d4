"""One QEMU VM for the whole pytest session (marker `qemu`).

The session builds the stack if needed (incremental: seconds when nothing changed), boots it
once, hands out its serial Console as `target`, keeps the console and secure-world logs under
artifacts/qemu/ and powers the VM off at the end. Tests that must see the whole session's
history run last: the zeroisation scan, then the clean poweroff.

The target checks also run on a board over its serial console with `--target-port` (`invoke
test-hw`). A target check is a test that takes `target` and not `qemu_vm`; on a board, `target`
is the board's shell and every other test is deselected (they need the VM itself: its secure-world
log, its exit, the initramfs' memscan, or QEMU for another machine). The data files the checks
read are uploaded to the board where its copies differ from the host's. The host side
(references, models) comes from the same build steps in both cases; on a board only those run
(`qemu_stack` is pipeline.build_target_data()), not the stack build.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tzinfer import REPO_ROOT
from tzinfer import board as boards
from tzinfer.hw import SerialError, provision
from tzinfer.hw.login import Credentials
from tzinfer.hw.target import DEFAULT_BOOT_TIMEOUT_S, SerialTarget, SerialTargetConfig
from tzinfer.stack.debian import LOCK_FILE
from tzinfer.stack.layout import QemuStack
from tzinfer.stack.vm import BootedVM, boot
from tzinfer.target.console import Console

ARTIFACTS = REPO_ROOT / "artifacts" / "qemu"
#: Tests moved to the end of the session, in this order.
LAST = ("test_freed_ta_pages_are_zero", "test_clean_poweroff")
BOOT_TIMEOUT_S = 180.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("target", "run the target checks on a board over its serial console")
    group.addoption("--target-port", default="", help="serial port of the board, e.g. /dev/ttyUSB0 "
                    "(default: boot the QEMU stack)")
    group.addoption("--target-board", default="rpi3", help="the board (a folder of board/) whose console "
                    "settings (line speed, login prompt) apply")
    group.addoption("--target-baud", type=int, default=0, help="line speed, 8N1 (default: the board's)")
    group.addoption("--target-login", default="root", help="user to log in as at a login prompt")
    group.addoption("--target-password", default=None, help="password, if the board asks for one")
    group.addoption("--target-power-cycle", default="", help="shell command that power-cycles the "
                    "board (e.g. a USB relay); without it a silent board is awaited")
    group.addoption("--target-boot-timeout", type=float, default=DEFAULT_BOOT_TIMEOUT_S,
                    help="seconds to wait for a login prompt or shell")
    group.addoption("--target-log", default=str(REPO_ROOT / "artifacts" / "hw" / "serial.log"),
                    help="where the full serial log goes")
    group.addoption("--target-optee-version", default="", help="major.minor the board's OP-TEE must "
                    "report in dmesg (default: any)")


def on_board(config: pytest.Config) -> bool:
    return bool(config.getoption("target_port"))


def is_target_check(item: pytest.Item) -> bool:
    """Needs only a shell on the target, so it runs on a board too."""
    fixtures = getattr(item, "fixturenames", ())
    return "target" in fixtures and "qemu_vm" not in fixtures


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the LAST tests after every other test, so they see the whole session; on a board,
    keep only the target checks."""
    if on_board(config):
        deselected = [item for item in items if not is_target_check(item)]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if is_target_check(item)]

    def rank(item: pytest.Item) -> int:
        name = getattr(item, "originalname", item.name)
        return LAST.index(name) + 1 if name in LAST else 0

    items.sort(key=rank)  # stable: everything else keeps its order


@pytest.fixture(scope="session")
def qemu_vm(qemu_stack: QemuStack) -> Iterator[BootedVM]:
    """Boot the QEMU stack once (built if needed); power it off after the session."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    booted = boot(qemu_stack, ARTIFACTS / "console.log", ARTIFACTS / "secure.log", timeout=BOOT_TIMEOUT_S)
    try:
        (ARTIFACTS / "boot-seconds.txt").write_text(f"{booted.boot_seconds:.1f}\n")
        yield booted
        if not booted.powered_off:
            booted.poweroff()
    finally:
        booted.vm.stop()


@pytest.fixture(scope="session")
def target_board(request: pytest.FixtureRequest, qemu_stack: QemuStack) -> boards.Board:
    """The board the target checks run on: --target-board's on a board, the stack's on QEMU (where
    its image puts TAs, how its console logs in)."""
    if not on_board(request.config):
        return qemu_stack.board
    try:
        return boards.load(request.config.getoption("target_board"))
    except boards.BoardError as err:
        pytest.exit(str(err), returncode=2)


@pytest.fixture(scope="session")
def board_shell(request: pytest.FixtureRequest, qemu_stack: QemuStack,
                target_board: boards.Board) -> Iterator[Console]:
    """The root shell of the board at --target-port, holding the host's data files (`qemu_stack`:
    on a board, the host side of the checks only)."""
    config = request.config
    console = target_board.console
    settings = SerialTargetConfig(
        port=config.getoption("target_port"), baud=config.getoption("target_baud") or console.baud,
        credentials=Credentials(config.getoption("target_login"), config.getoption("target_password"),
                                console.login_prompt),
        power_cycle=config.getoption("target_power_cycle"),
        boot_timeout=config.getoption("target_boot_timeout"))
    capture = config.pluginmanager.getplugin("capturemanager")

    def tell(message: str) -> None:  # e.g. "power on the board now": past pytest's capture
        with capture.global_and_fixture_disabled():
            print(f"\n{message}", flush=True)

    try:
        serial_target = SerialTarget(settings, Path(config.getoption("target_log")), tell)
    except SerialError as err:
        pytest.exit(str(err), returncode=2)
    try:
        try:
            provision.check_programs(serial_target.console, target_board.target)
            provision.sync(serial_target.console, provision.data_files(qemu_stack.overlay), tell)
        except SerialError as err:
            pytest.exit(str(err), returncode=2)
        yield serial_target.console
    finally:
        serial_target.close()


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Console:
    """The root shell on the target's serial console: the booted VM's, or the board's."""
    if on_board(request.config):
        return request.getfixturevalue("board_shell")
    return request.getfixturevalue("qemu_vm").console


@pytest.fixture(scope="session")
def optee_version(request: pytest.FixtureRequest) -> str:
    """major.minor of the OP-TEE the target must run: the optee-os source the QEMU stack was
    built from (lock file); on a board, --target-optee-version ("" = any)."""
    if on_board(request.config):
        return request.config.getoption("target_optee_version")
    for line in LOCK_FILE.read_text().splitlines():
        fields = line.split()
        if fields[:1] == ["src"] and fields[2] == "optee-os":
            return ".".join(fields[3].split(".")[:2])
    raise AssertionError(f"no optee-os source pin in {LOCK_FILE}")
