"""The layers' recipes that need OP-TEE's TA dev kit, or a recipe that does, skip where it is missing.

tzinfer-tee.inc skips a recipe where the machine has no OP-TEE for tzinfer. A recipe that
(R)DEPENDS on the TA dev kit or on such a recipe, without requiring tzinfer-tee.inc itself, stops
a world build there at "Nothing PROVIDES" or "Nothing RPROVIDES": yocto-check-layer found
libtzinfer doing so. Per recipe, as bitbake's parser reads it (bbstatements.py): its require
chain and its DEPENDS/RDEPENDS assignments.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.layer.test_gating import parse, resolve
from tzinfer.yocto import LAYERS

TEE_GUARD = "tzinfer-tee.inc"
#: What a machine without OP-TEE for tzinfer lacks, besides the recipes that require the guard.
TEE_ONLY = {"optee-os-tadevkit"}
DEPENDENCY = re.compile(r"R?DEPENDS(:|$)")


def required_files(recipe: Path, statements: dict[Path, list[dict]]) -> set[Path]:
    """The recipe and every layer file it includes or requires, directly or not."""
    found, todo = {recipe}, [recipe]
    while todo:
        path = todo.pop()
        for statement in statements.get(path, []):
            target = resolve(statement["what"], path) if statement["kind"] == "include" else None
            if target and target not in found:
                found.add(target)
                todo.append(target)
    return found


def recipe_name(recipe: Path) -> str:
    return recipe.name.split("_")[0]


def dependencies(files: set[Path], statements: dict[Path, list[dict]]) -> set[str]:
    return {word for path in files for statement in statements.get(path, [])
            if statement["kind"] == "assign" and not statement["flag"]
            and DEPENDENCY.match(statement["var"])
            for word in statement["value"].split() if not word.startswith("${")}


def unguarded_tee_users(statements: dict[Path, list[dict]]) -> tuple[set[str], list[str]]:
    """The guarded recipes, and each unguarded recipe that depends on one of them."""
    recipes = {path: required_files(path, statements) for path in statements if path.suffix == ".bb"}
    guarded = {recipe_name(path) for path, files in recipes.items()
               if any(f.name == TEE_GUARD for f in files)}
    findings = [f"{recipe_name(path)} depends on {', '.join(sorted(needs))} but does not require {TEE_GUARD}"
                for path, files in recipes.items() if recipe_name(path) not in guarded
                if (needs := dependencies(files, statements) & (guarded | TEE_ONLY))]
    return guarded, findings


@pytest.fixture(scope="module")
def recipe_statements(layer_tools: Path) -> dict[Path, list[dict]]:
    files = sorted(p.resolve() for layer in LAYERS for p in layer.rglob("*") if p.suffix in (".bb", ".inc"))
    return parse(layer_tools, files)


def test_recipes_that_need_the_tee_skip_with_it(recipe_statements: dict[Path, list[dict]]) -> None:
    guarded, findings = unguarded_tee_users(recipe_statements)
    assert not findings, "\n".join(findings)
    assert {"tzinfer-ta", "tzinfer-ta-test", "tzinfer-client", "libtzinfer"} <= guarded


def test_a_recipe_that_forgets_the_guard_is_reported(layer_tools: Path, tmp_path: Path) -> None:
    guard = tmp_path / TEE_GUARD
    guard.write_text('COMPATIBLE_HOST = "aarch64.*-linux"\n')
    (tmp_path / "tzinfer-ta_0.1.0.bb").write_text(f"require {TEE_GUARD}\n")
    (tmp_path / "libtzinfer_0.1.0.bb").write_text('RDEPENDS:${PN} += "tzinfer-ta"\n')
    (tmp_path / "tzinfer-tool_0.1.0.bb").write_text('DEPENDS += "optee-os-tadevkit zlib"\n')
    (tmp_path / "tzinfer-models_0.1.0.bb").write_text('RDEPENDS:${PN} += "python3-core"\n')
    statements = parse(layer_tools, sorted(tmp_path.glob("*.b*")) + [guard])
    guarded, findings = unguarded_tee_users(statements)
    assert guarded == {"tzinfer-ta"}
    assert sorted(findings) == [
        f"libtzinfer depends on tzinfer-ta but does not require {TEE_GUARD}",
        f"tzinfer-tool depends on optee-os-tadevkit but does not require {TEE_GUARD}",
    ]
