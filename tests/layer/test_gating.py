"""Adding the layers changes no other layer's recipe or setting until the tzinfer override is on.

A product may add the layers to its own distro and machine, with its own TF-A and OP-TEE (see
meta-tzinfer/README.md). So every statement of a .bbappend, and of every .inc file other than
those of the layers' own recipes (the includes the bbappends require, the board configuration
the distro requires), carries the `tzinfer` override, which the tzinfer distro sets. Per
statement, as bitbake's parser reads it (bbstatements.py):
- an assignment names `tzinfer` among its overrides (TFA_SPD:raspberrypi3-64:tzinfer), or sets
  one of the layers' own TZINFER_* variables, which no other layer reads;
- a variable flag takes no override, so its value may only be TZINFER_* variables, which do;
- a function names the override too (do_deploy:append:raspberrypi3-64:tzinfer); anonymous
  python cannot be gated this way;
- inherit / inherit_defer expands to no class without the override;
- include / require names a file of the layers, which is checked in turn;
- anything else (addtask, export, a python def, ...) is not allowed.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tzinfer import REPO_ROOT
from tzinfer.yocto import LAYERS

SCRIPT = Path(__file__).with_name("bbstatements.py")
#: ${TZINFER_...} references: the only thing a variable flag may add.
OWN_VARIABLE_REFERENCE = re.compile(r"\$\{TZINFER_\w+\}")


def parse(layer_tools: Path, files: list[Path]) -> dict[Path, list[dict]]:
    run = subprocess.run([str(layer_tools / "python"), str(SCRIPT), *map(str, files)],
                         capture_output=True, text=True)
    assert run.returncode == 0, f"bbstatements.py failed:\n{run.stderr[-3000:]}"
    return {Path(name): statements for name, statements in json.loads(run.stdout).items()}


def ungated(statement: dict) -> str | None:
    """Why the statement applies without the tzinfer override, or None when it does not."""
    kind = statement["kind"]
    if kind == "assign":
        name, *overrides = statement["var"].split(":")
        if statement["flag"]:
            if OWN_VARIABLE_REFERENCE.sub("", statement["value"]).strip():
                return f"{name}[{statement['flag']}] takes no override: it may only add TZINFER_* variables"
        elif "tzinfer" not in overrides and not name.startswith("TZINFER_"):
            return f"{statement['var']} has no tzinfer override"
    elif kind == "function":
        if "tzinfer" not in statement["name"].split(":")[1:]:
            return f"function {statement['name']} has no tzinfer override"
    elif kind == "inherit":
        if statement["without"]:
            return f"inherits {' '.join(statement['without'])} without the tzinfer override"
    elif kind != "include":
        return f"{kind} cannot be gated on an override"
    return None


def resolve(include: str, including: Path) -> Path | None:
    """The layer file an include/require names: beside the including file, else on BBPATH."""
    for base in (including.parent, *LAYERS):
        if (base / include).is_file():
            return (base / include).resolve()
    return None


def checked_files(statements: dict[Path, list[dict]]) -> list[Path]:
    """Every .bbappend and .inc, except the includes of the layers' own recipes (.bb)."""
    own, todo = set(), [path for path in statements if path.suffix == ".bb"]
    while todo:
        path = todo.pop()
        for statement in statements[path]:
            target = resolve(statement["what"], path) if statement["kind"] == "include" else None
            if target and target not in own:
                own.add(target)
                todo.append(target)
    return sorted(p for p in statements if p.suffix == ".bbappend" or (p.suffix == ".inc" and p not in own))


@pytest.fixture(scope="module")
def layer_statements(layer_tools: Path) -> dict[Path, list[dict]]:
    files = sorted(p.resolve() for layer in LAYERS for p in layer.rglob("*")
                   if p.suffix in (".bb", ".bbappend", ".inc"))
    return parse(layer_tools, files)


def test_the_changes_to_other_layers_are_found(layer_statements: dict[Path, list[dict]]) -> None:
    names = {p.name for p in checked_files(layer_statements)}
    assert {"trusted-firmware-a_%.bbappend", "optee-os_%.bbappend", "optee-os-tzinfer.inc",
            "tzinfer-rpi3.inc", "tzinfer-bsp.inc", "busybox_%.bbappend"} <= names
    own_recipes = {"tzinfer-ta.inc", "tzinfer-source.inc", "tzinfer-tee.inc"}
    assert not names & own_recipes, "the layers' own recipes are not checked"


def test_every_change_to_another_layer_needs_the_tzinfer_override(
        layer_statements: dict[Path, list[dict]]) -> None:
    findings = [f"{path.relative_to(REPO_ROOT)}:{statement['line']}: {reason}"
                for path in checked_files(layer_statements) for statement in layer_statements[path]
                if (reason := ungated(statement))]
    assert not findings, "applies without the tzinfer distro:\n" + "\n".join(findings)


def test_includes_of_those_files_are_checked_too(layer_statements: dict[Path, list[dict]]) -> None:
    checked = checked_files(layer_statements)
    for path in checked:
        for statement in layer_statements[path]:
            if statement["kind"] == "include":
                assert resolve(statement["what"], path) in checked, (
                    f"{path.relative_to(REPO_ROOT)}:{statement['line']}: {statement['what']} is not a "
                    "file of the layers, so its lines escape this check")


def test_an_ungated_line_is_reported(layer_tools: Path, tmp_path: Path) -> None:
    bbappend = tmp_path / "trusted-firmware-a_%.bbappend"
    bbappend.write_text(
        'TFA_SPD:tzinfer = "opteed"\n'
        'SRC_URI:append:tzinfer = " file://ok.patch"\n'
        'TZINFER_FLAGS:raspberrypi3-64 = "X=1"\n'
        'do_deploy[depends] += "${TZINFER_DEPLOY_DEPENDS}"\n'
        "inherit_defer ${@'deploy' if 'tzinfer' in d.getVar('DISTROOVERRIDES').split(':') else ''}\n"
        'TFA_SPD:raspberrypi3-64 = "opteed"\n'
        'DEPENDS += "optee-os"\n'
        'do_compile[depends] += "optee-os:do_deploy"\n'
        "do_deploy:append:raspberrypi3-64() {\n    true\n}\n"
        "python () {\n    pass\n}\n"
        "inherit deploy\n"
        "addtask tzinfer after do_compile\n"
    )
    statements = parse(layer_tools, [bbappend])[bbappend]
    reasons = [reason for statement in statements if (reason := ungated(statement))]
    assert reasons == [
        "TFA_SPD:raspberrypi3-64 has no tzinfer override",
        "DEPENDS has no tzinfer override",
        "do_compile[depends] takes no override: it may only add TZINFER_* variables",
        "function do_deploy:append:raspberrypi3-64 has no tzinfer override",
        "function __anonymous has no tzinfer override",
        "inherits deploy without the tzinfer override",
        "AddTaskNode cannot be gated on an override",
    ]
