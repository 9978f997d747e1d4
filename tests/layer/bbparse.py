"""Parse the tzinfer layers with bitbake's own parser (bb.parse from PyPI bitbake-setup); print JSON.

Run by tests/layer/test_bitbake_parse.py with the Python of the layer-tools venv, never imported
by pytest itself (the `bb` package lives only in that venv).

    python bbparse.py MACHINE LAYER_DIR... [VAR=VALUE...]

Without the upstream layers (no network in CI) a full `bitbake -p` is impossible, so this does
what can be done offline, with the real parser:
- every .bb/.bbappend/.bbclass/.inc is turned into bitbake statements (syntax), each python
  function compiles, and the statements other than inherit/include are evaluated;
- each conf/layer.conf is evaluated like bitbake does for a layer (LAYERDIR set);
- conf/distro/tzinfer.conf is evaluated with the files it requires from the layers (poky.conf,
  from meta-yocto, is left out) and the OVERRIDES of the given MACHINE and the tzinfer distro;
  then each recipe/append is evaluated on top of it and the variables it sets are expanded, which
  runs every inline ${@...} expression. The expanded values are printed for the test to check;
- VAR=VALUE settings are set after the distro conf, as a project's local.conf would set them;
- each recipe's anonymous python runs, and the recipes it skips are listed with the reason;
- each conf/machine/*.conf is evaluated on its own: what it requires, its MACHINEOVERRIDES.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

# bitbake-setup ships `bb` but not bitbake's `hashserv`, which bb.siggen imports at module level
# for its hash-equivalence client. Parsing never calls it; an empty module satisfies the import.
for name in ("hashserv", "hashserv.client"):
    sys.modules.setdefault(name, types.ModuleType(name))

import bb  # noqa: E402
import bb.data  # noqa: E402
import bb.parse  # noqa: E402
from bb.parse import ast  # noqa: E402
from bb.parse.parse_py import BBHandler, ConfHandler  # noqa: E402

SKIPPED_NODES = (ast.IncludeAllNode, ast.ExportFuncsNode)


def conf_statements(path: Path) -> ast.StatementGroup:
    """The statements of a configuration file, joined and fed line by line as ConfHandler does."""
    statements = ast.StatementGroup()
    lines = path.read_text().splitlines()
    lineno = 0
    while lineno < len(lines):
        line = lines[lineno].rstrip()
        lineno += 1
        while line.endswith("\\") and lineno < len(lines):
            line = line[:-1] + lines[lineno].rstrip()
            lineno += 1
        if line.strip() and not line.lstrip().startswith("#"):
            ConfHandler.feeder(lineno, line, str(path), statements)
    return statements


def find(name: str, bases: list[Path]) -> Path | None:
    """The first base that holds the file, as bitbake looks it up (the including file's
    directory, then BBPATH: the layers)."""
    return next((base / name for base in bases if (base / name).is_file()), None)


def evaluate(statements: ast.StatementGroup, d: bb.data_smart.DataSmart, layers: list[Path]) -> list[str]:
    """Evaluate the statements; includes and classes outside the layers are listed, not followed."""
    upstream = []
    for node in statements:
        if isinstance(node, SKIPPED_NODES):
            continue
        if isinstance(node, (ast.InheritNode, ast.InheritDeferredNode)):
            expression = node.inherit[0] if isinstance(node, ast.InheritDeferredNode) else node.classes
            for name in d.expand(expression).split():
                own = find(f"classes-recipe/{name}.bbclass", layers)
                if own:
                    upstream += evaluate(BBHandler.get_statements(str(own), str(own), name), d, layers)
                else:
                    upstream.append(f"{name}.bbclass")
            continue
        if isinstance(node, ast.IncludeNode):
            # Our own includes are evaluated here, not by node.eval, so that an inherit in one
            # (tzinfer-ta.inc) is followed or listed like a recipe's.
            target = d.expand(node.what_file)
            found = find(target, [Path(node.filename).parent, *layers])
            if not found:
                upstream.append(target)
            elif found.suffix == ".conf":
                upstream += evaluate(conf_statements(found), d, layers)
            else:
                upstream += evaluate(BBHandler.get_statements(str(found), str(found), found.stem), d, layers)
            continue
        node.eval(d)
    return upstream


def compile_python(statements: ast.StatementGroup) -> None:
    """Compile every python function body (anonymous ones too) to catch syntax errors."""
    for node in statements:
        if isinstance(node, ast.MethodNode) and node.python:
            compile("def f(d):\n" + "\n".join(node.body) + "\n", node.filename, "exec")
        elif isinstance(node, ast.PythonMethodNode):
            compile("\n".join(node.body) + "\n", node.filename, "exec")


def assigned_names(statements: ast.StatementGroup) -> set[str]:
    """Variables a file sets, without override/operation suffixes (SRC_URI:append:x -> SRC_URI)."""
    names = {node.groupd["var"].split(":")[0] for node in statements if isinstance(node, ast.DataNode)}
    return {name for name in names if "${" not in name}


def base_data(layers: list[Path], machine: str,
              settings: dict[str, str]) -> tuple[bb.data_smart.DataSmart, list[str]]:
    """Config data: each layer.conf, then the tzinfer distro conf, with MACHINE and distro
    overrides, then `settings` (what a local.conf would set)."""
    d = bb.data.init()
    for layer in layers:
        d.setVar("LAYERDIR", str(layer))
        ConfHandler.handle(str(layer / "conf/layer.conf"), d, 0, baseconfig=True)
        d.expandVarref("LAYERDIR")
        d.delVar("LAYERDIR")
    d.setVar("MACHINE", machine)
    d.setVar("MACHINEOVERRIDES", machine)
    d.setVar("OVERRIDES", "${MACHINEOVERRIDES}:${DISTROOVERRIDES}")
    distro = find("conf/distro/tzinfer.conf", layers)
    d.setVar("FILE", str(distro))
    upstream = evaluate(conf_statements(distro), d, layers)
    for name, value in settings.items():
        d.setVar(name, value)
    return d, upstream


def main() -> None:
    machine, args = sys.argv[1], sys.argv[2:]
    layers = [Path(arg).resolve() for arg in args if "=" not in arg]
    settings = dict(arg.split("=", 1) for arg in args if "=" in arg)
    result: dict = {"bitbake": bb.__version__, "errors": {}, "values": {}, "skipped": {}}
    config, upstream = base_data(layers, machine, settings)
    result["distro_upstream_includes"] = upstream
    result["layer"] = {
        name: config.getVar(name)
        for name in ("TZINFER_SRCDIR", "BBPATH", "DISTRO", "TZINFER_OPTEE_MEMORY_FLAGS",
                     "TZINFER_TFA_MEMORY_FLAGS", "TZINFER_RPI_CONFIG", "TZINFER_TA_HEAP_BUDGET",
                     "RPI_EXTRA_CONFIG", "IMAGE_BOOT_FILES")
    }
    result["collections"] = {
        name: {key: config.getVar(f"{key}_{name}") for key in ("LAYERDEPENDS", "LAYERSERIES_COMPAT")}
        for name in config.getVar("BBFILE_COLLECTIONS").split()
    }
    result["machines"] = {}
    for conf in sorted(p for layer in layers for p in layer.glob("conf/machine/*.conf")):
        d = bb.data.init()
        d.setVar("MACHINE", conf.stem)
        d.setVar("MACHINEOVERRIDES", "${MACHINE}")
        result["machines"][conf.stem] = {"requires": evaluate(conf_statements(conf), d, layers),
                                         "MACHINEOVERRIDES": d.getVar("MACHINEOVERRIDES")}
    files = sorted(
        (layer, p) for layer in layers for p in layer.rglob("*")
        if p.suffix in (".bb", ".bbappend", ".bbclass", ".inc") and "conf" not in p.relative_to(layer).parts
    )
    for layer, path in files:
        rel = f"{layer.name}/{path.relative_to(layer)}"
        try:
            statements = BBHandler.get_statements(str(path), str(path), path.stem)
            compile_python(statements)
            d = bb.data.createCopy(config)
            d.setVar("FILE", str(path))
            d.setVar("PN", path.stem.split("_")[0])
            evaluate(statements, d, layers)
            result["values"][rel] = {name: d.getVar(name) for name in sorted(assigned_names(statements))}
            if path.suffix == ".bb":
                try:
                    ast.runAnonFuncs(d)
                except bb.parse.SkipRecipe as skip:
                    result["skipped"][rel] = str(skip)
        except Exception as err:  # noqa: BLE001 - every parse failure is reported, per file
            result["errors"][rel] = f"{type(err).__name__}: {err}"
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
