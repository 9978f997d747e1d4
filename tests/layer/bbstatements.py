"""The statements of bitbake files as bitbake's parser (bb.parse) reads them; prints JSON.

Run by tests/layer/test_gating.py with the Python of the layer-tools venv, like bbparse.py.

    python bbstatements.py FILE...

One list per file, one entry per statement, in order:
- assign: the variable as written (with its overrides, SRC_URI:append:tzinfer), the flag if it
  sets one, and the value;
- function: the name as written (do_deploy:append:raspberrypi3-64:tzinfer; __anonymous);
- inherit: the classes, expanded once without and once with the tzinfer override in
  DISTROOVERRIDES (an inline ${@...} may pick the classes from the overrides);
- include: the file named by include/require, as written;
- anything else (addtask, export, python def, ...) by the parser's node type.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# bbparse sets up the `bb` package of the venv (see there).
from bbparse import BBHandler, ast, bb


def expanded_classes(expression: str, distro_overrides: str) -> list[str]:
    d = bb.data.init()
    d.setVar("DISTROOVERRIDES", distro_overrides)
    d.setVar("OVERRIDES", "${DISTROOVERRIDES}")
    return d.expand(expression).split()


def describe(node: ast.AstNode) -> dict:
    if isinstance(node, ast.DataNode):
        return {"kind": "assign", "var": node.groupd["var"], "flag": node.groupd.get("flag"),
                "value": node.groupd["value"]}
    if isinstance(node, ast.MethodNode):
        return {"kind": "function", "name": node.func_name}
    if isinstance(node, (ast.InheritNode, ast.InheritDeferredNode)):
        expression = node.inherit[0] if isinstance(node, ast.InheritDeferredNode) else node.classes
        return {"kind": "inherit", "without": expanded_classes(expression, "poky"),
                "with": expanded_classes(expression, "poky:tzinfer")}
    if isinstance(node, ast.IncludeNode):
        return {"kind": "include", "what": node.what_file}
    return {"kind": type(node).__name__}


def main() -> None:
    result = {}
    for name in sys.argv[1:]:
        path = Path(name).resolve()
        statements = BBHandler.get_statements(str(path), str(path), path.stem)
        result[name] = [{"line": node.lineno, **describe(node)} for node in statements]
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
