"""Parse meta-tzinfer with bitbake's own parser (bb.parse from PyPI bitbake-setup); print JSON.

Run by tests/layer/test_bitbake_parse.py with the Python of the layer-tools venv, never imported
by pytest itself (the `bb` package lives only in that venv).

    python bbparse.py LAYER_DIR MACHINE

Without the upstream layers (no network in CI) a full `bitbake -p` is impossible, so this does
what can be done offline, with the real parser:
- every .bb/.bbappend/.bbclass/.inc is turned into bitbake statements (syntax), each python
  function compiles, and the statements other than inherit/include are evaluated;
- conf/layer.conf is evaluated like bitbake does for a layer (LAYERDIR set);
- conf/distro/tzinfer.conf is evaluated with the files it requires from this layer (poky.conf,
  from meta-yocto, is left out) and the OVERRIDES of the given MACHINE and the tzinfer distro;
  then each recipe/append is evaluated on top of it and the variables it sets are expanded, which
  runs every inline ${@...} expression. The expanded values are printed for the test to check;
- each recipe's anonymous python runs, and the recipes it skips are listed with the reason.
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


def evaluate(statements: ast.StatementGroup, d: bb.data_smart.DataSmart, layer: Path) -> list[str]:
    """Evaluate the statements; includes and classes outside this layer are listed, not followed."""
    upstream = []
    for node in statements:
        if isinstance(node, SKIPPED_NODES):
            continue
        if isinstance(node, (ast.InheritNode, ast.InheritDeferredNode)):
            expression = node.inherit[0] if isinstance(node, ast.InheritDeferredNode) else node.classes
            for name in d.expand(expression).split():
                own = layer / "classes-recipe" / f"{name}.bbclass"
                if own.is_file():
                    upstream += evaluate(BBHandler.get_statements(str(own), str(own), name), d, layer)
                else:
                    upstream.append(f"{name}.bbclass")
            continue
        if isinstance(node, ast.IncludeNode):
            # Looked up as bitbake does: beside the including file first, then on BBPATH (the
            # layer). Our own includes are evaluated here, not by node.eval, so that an inherit
            # in one (tzinfer-ta.inc) is followed or listed like a recipe's.
            target = d.expand(node.what_file)
            found = [p for p in (Path(node.filename).parent / target, layer / target) if p.is_file()]
            if not found:
                upstream.append(target)
            elif found[0].suffix == ".conf":
                upstream += evaluate(conf_statements(found[0]), d, layer)
            else:
                upstream += evaluate(BBHandler.get_statements(str(found[0]), str(found[0]), found[0].stem),
                                     d, layer)
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


def base_data(layer: Path, machine: str) -> tuple[bb.data_smart.DataSmart, list[str]]:
    """Config data: layer.conf, then the tzinfer distro conf, with MACHINE and distro overrides."""
    d = bb.data.init()
    d.setVar("LAYERDIR", str(layer))
    d.setVar("BBPATH", str(layer))
    ConfHandler.handle(str(layer / "conf/layer.conf"), d, 0, baseconfig=True)
    d.expandVarref("LAYERDIR")
    d.delVar("LAYERDIR")
    d.setVar("MACHINE", machine)
    d.setVar("MACHINEOVERRIDES", machine)
    d.setVar("OVERRIDES", "${MACHINEOVERRIDES}:${DISTROOVERRIDES}")
    distro = layer / "conf/distro/tzinfer.conf"
    d.setVar("FILE", str(distro))
    upstream = evaluate(conf_statements(distro), d, layer)
    return d, upstream


def main() -> None:
    layer, machine = Path(sys.argv[1]).resolve(), sys.argv[2]
    result: dict = {"bitbake": bb.__version__, "errors": {}, "values": {}, "skipped": {}}
    config, upstream = base_data(layer, machine)
    result["distro_upstream_includes"] = upstream
    result["layer"] = {
        name: config.getVar(name)
        for name in ("TZINFER_SRCDIR", "BBFILE_COLLECTIONS", "LAYERSERIES_COMPAT_tzinfer", "DISTRO",
                     "TZINFER_OPTEE_MEMORY_FLAGS", "TZINFER_TFA_MEMORY_FLAGS", "TZINFER_RPI_CONFIG",
                     "TZINFER_TA_HEAP_BUDGET", "RPI_EXTRA_CONFIG", "IMAGE_BOOT_FILES")
    }
    files = sorted(
        p for p in layer.rglob("*")
        if p.suffix in (".bb", ".bbappend", ".bbclass", ".inc") and "conf" not in p.relative_to(layer).parts
    )
    for path in files:
        rel = str(path.relative_to(layer))
        try:
            statements = BBHandler.get_statements(str(path), str(path), path.stem)
            compile_python(statements)
            d = bb.data.createCopy(config)
            d.setVar("FILE", str(path))
            d.setVar("PN", path.stem.split("_")[0])
            evaluate(statements, d, layer)
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
