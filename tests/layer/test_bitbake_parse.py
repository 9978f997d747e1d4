"""bitbake's own parser (bb.parse) accepts every file of the tzinfer layers, the layers depend
on what their part needs, and the tzinfer distro yields the OP-TEE / TF-A settings of the board
memory maps (see bbparse.py for what is done offline and what needs the upstream layers)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tzinfer import REPO_ROOT
from tzinfer.memmap import load
from tzinfer.stack.payload import TA_UUID, TEST_TA_UUID
from tzinfer.yocto import LAYERS
from tzinfer.yocto.memconf import BOARD_MACHINES

MACHINES = {machine: board for board, machine in BOARD_MACHINES.items()}
RECIPES = "meta-tzinfer/recipes-tzinfer"


def bbparse(layer_tools: Path, machine: str, *settings: str) -> dict:
    """bbparse.py's JSON for `machine`, with local.conf-like VAR=VALUE `settings`."""
    run = subprocess.run(
        [str(layer_tools / "python"), str(Path(__file__).with_name("bbparse.py")), machine,
         *map(str, LAYERS), *settings],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, f"bbparse.py failed:\n{run.stderr[-3000:]}"
    result = json.loads(run.stdout)
    result["machine"] = machine
    return result


#: The TA build options of ta/ta_config.h, as make variables.
TA_OPTIONS = ("TZI_SEALED_ONLY", "TZI_KEY_ADMIN_GID", "TZI_SESSION_QUOTA")


def ta_make_flags(parsed: dict, recipe: str = "tzinfer-ta") -> list[str]:
    return parsed["values"][f"{RECIPES}/tzinfer-ta/{recipe}_0.1.0.bb"]["EXTRA_OEMAKE"].split()


@pytest.fixture(scope="module", params=sorted(MACHINES))
def parsed(request: pytest.FixtureRequest, layer_tools: Path) -> dict:
    return bbparse(layer_tools, request.param)


def test_every_layer_file_parses(parsed: dict) -> None:
    assert not parsed["errors"], json.dumps(parsed["errors"], indent=1)
    parsed_files = set(parsed["values"])
    on_disk = {
        str(p.relative_to(REPO_ROOT)) for layer in LAYERS for p in layer.rglob("*")
        if p.suffix in (".bb", ".bbappend", ".bbclass", ".inc") and "conf" not in p.relative_to(layer).parts
    }
    assert parsed_files == on_disk


def test_layer_confs_split_the_dependencies_like_meta_arm(parsed: dict) -> None:
    """A product takes the software layer with core and meta-arm alone; only the distro needs
    meta-poky (yocto)."""
    assert Path(parsed["layer"]["TZINFER_SRCDIR"]) == REPO_ROOT
    assert {name: value["LAYERDEPENDS"].split() for name, value in parsed["collections"].items()} == {
        "tzinfer": ["core", "meta-arm"],
        "tzinfer-bsp": ["core", "meta-arm", "tzinfer"],
        "tzinfer-distro": ["core", "yocto", "tzinfer-bsp"],
    }
    assert {value["LAYERSERIES_COMPAT"] for value in parsed["collections"].values()} == {"wrynose"}
    # The distro conf needs only poky.conf from outside the layers.
    assert parsed["distro_upstream_includes"] == ["conf/distro/poky.conf"]


def test_bsp_machines_are_the_boards_under_their_own_names(parsed: dict) -> None:
    """conf/machine/tzinfer-<board>.conf is the board's upstream machine with all its overrides."""
    assert parsed["machines"] == {
        f"tzinfer-{board}": {"requires": [f"conf/machine/{machine}.conf"],
                             "MACHINEOVERRIDES": f"{machine}:tzinfer-{board}"}
        for board, machine in BOARD_MACHINES.items()
    }


def test_distro_gives_optee_the_board_memory_flags(parsed: dict) -> None:
    board = load(MACHINES[parsed["machine"]])
    expected = " ".join(f"{k}={v}" for k, v in board.optee_flags().items())
    optee = parsed["values"]["meta-tzinfer-bsp/recipes-security/optee/optee-os_%.bbappend"]["EXTRA_OEMAKE"]
    assert expected in optee
    assert parsed["values"][f"{RECIPES}/tzinfer-ta/tzinfer-ta_0.1.0.bb"]["EXTRA_OEMAKE"].split().count(
        f"TA_DATA_SIZE=0x{board.ta_heap_budget:08x}") == 1


def test_test_ta_is_the_product_build_plus_the_hooks(parsed: dict) -> None:
    """tzinfer-ta-test makes the product TA with TZI_TEST_HOOKS=y and nothing else different:
    same heap, dev kit and signing flags (both from tzinfer-ta.inc)."""
    product, test = ta_make_flags(parsed), ta_make_flags(parsed, "tzinfer-ta-test")
    assert [f for f in product if f.startswith("TZI_TEST_HOOKS")] == ["TZI_TEST_HOOKS="]
    assert [f for f in test if f.startswith("TZI_TEST_HOOKS")] == ["TZI_TEST_HOOKS=y"]
    assert [f for f in product if not f.startswith("TZI_TEST_HOOKS")] == \
        [f for f in test if not f.startswith("TZI_TEST_HOOKS")]


def test_ta_recipes_read_their_uuid_from_the_headers(parsed: dict) -> None:
    """Each TA recipe installs <uuid>.ta with the UUID its header defines (tzinfer_c_string at
    parse time), the one the TA Makefile builds under."""
    for recipe, uuid in (("tzinfer-ta", TA_UUID), ("tzinfer-ta-test", TEST_TA_UUID)):
        assert parsed["values"][f"{RECIPES}/tzinfer-ta/{recipe}_0.1.0.bb"]["TZINFER_TA_UUID"] == uuid


def test_ta_build_options_reach_make_only_when_set(parsed: dict, layer_tools: Path) -> None:
    """TZINFER_SEALED_ONLY, TZINFER_KEY_ADMIN_GID and TZINFER_SESSION_QUOTA become the TA
    Makefile's options (ta/ta_config.h) for the product and the test TA alike; unset, the TA
    keeps its defaults (plaintext allowed, root only, half the heap)."""
    assert not [f for f in ta_make_flags(parsed) if f.startswith(TA_OPTIONS)]
    product = bbparse(layer_tools, parsed["machine"], "TZINFER_SEALED_ONLY=1", "TZINFER_KEY_ADMIN_GID=4242",
                      "TZINFER_SESSION_QUOTA=16777216")
    expected = ["TZI_SEALED_ONLY=y", "TZI_KEY_ADMIN_GID=4242", "TZI_SESSION_QUOTA=16777216"]
    for recipe in ("tzinfer-ta", "tzinfer-ta-test"):
        assert [f for f in ta_make_flags(product, recipe) if f.startswith(TA_OPTIONS)] == expected
    off = bbparse(layer_tools, parsed["machine"], "TZINFER_SEALED_ONLY=0")
    assert not [f for f in ta_make_flags(off) if f.startswith("TZI_SEALED_ONLY")]


def test_rpi3_tfa_builds_armstub_with_opteed(parsed: dict) -> None:
    tfa = parsed["values"]["meta-tzinfer-bsp/recipes-bsp/trusted-firmware-a/trusted-firmware-a_%.bbappend"]
    if parsed["machine"] != "raspberrypi3-64":
        assert "rpi3" not in (tfa.get("SRC_URI") or "")
        return
    board = load("rpi3")
    assert tfa["TFA_PLATFORM"] == board.tfa_platform
    assert tfa["TFA_SPD"] == "opteed"
    assert tfa["TFA_INSTALL_TARGET"] == "armstub8.bin"
    for key, value in board.tfa_make_flags().items():
        assert f"{key}={value}" in tfa["EXTRA_OEMAKE"]
    config = parsed["layer"]["RPI_EXTRA_CONFIG"].split("\\n")
    assert set(board.config_txt_lines()) <= set(config) and "dtoverlay=tzinfer-optee" in config


def test_the_recipes_skip_where_they_cannot_build(parsed: dict, layer_tools: Path) -> None:
    """A world build must not stop at our recipes: without models tzinfer-models is skipped, and
    on a machine without a TA heap budget (no memory map: no OP-TEE configured for tzinfer) so
    are the recipes that need OP-TEE's TA dev kit, which such a machine mostly lacks, and those
    that need the TA at run time (libtzinfer and its Python binding RDEPEND on it)."""
    models = f"{RECIPES}/tzinfer-models/tzinfer-models_0.1.0.bb"
    assert set(parsed["skipped"]) == {models}
    assert "TZINFER_MODELS is empty" in parsed["skipped"][models]
    skipped = bbparse(layer_tools, "qemuarm64")["skipped"]
    needs_the_ta = {f"{RECIPES}/{recipe}_0.1.0.bb"
                    for recipe in ("tzinfer-ta/tzinfer-ta", "tzinfer-ta/tzinfer-ta-test",
                                   "tzinfer-client/tzinfer-client", "libtzinfer/libtzinfer",
                                   "python3-tzinfer-runtime/python3-tzinfer-runtime")}
    assert set(skipped) == needs_the_ta | {models}
    assert all("no TA heap budget for MACHINE qemuarm64" in skipped[recipe] for recipe in needs_the_ta)
