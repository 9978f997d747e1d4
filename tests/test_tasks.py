"""invoke's namespaces (tasks.py): every area's tasks under its namespace, and the names the
README and the design card use kept as top-level aliases of the same tasks."""

import importlib.util

from invoke import Collection

from tests.repo_files import grep
from tzinfer import REPO_ROOT


def _collection() -> Collection:
    spec = importlib.util.spec_from_file_location("tzinfer_invoke_tasks", REPO_ROOT / "tasks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ns


def test_the_design_card_names_are_aliases_of_the_namespaced_tasks() -> None:
    ns = _collection()
    for alias, target in {"test-qemu": "qemu.test", "test-hw": "hw.test", "demo": "qemu.demo",
                          "build": "yocto.build", "flash": "yocto.flash"}.items():
        assert ns[alias] is ns[target], f"`invoke {alias}` is not `invoke {target}`"
    assert ns["test"].body.__module__ == "tzinfer.tasks.test"


def test_each_area_has_its_namespace() -> None:
    ns = _collection()
    assert set(ns.collections) == {"qemu", "yocto", "hw", "fuzz", "engine"}
    for name in ("qemu.build", "qemu.boot", "qemu.bench", "qemu.xtest-full", "yocto.memconf", "hw.console",
                 "hw.qemu-pty", "fuzz.run", "fuzz.corpus", "fuzz.coverage", "engine.bench",
                 "engine.tinylibm-sweep"):
        assert ns[name], name
    assert ns["fuzz"] is ns["fuzz.run"]  # `invoke fuzz` still fuzzes
    # No task of a namespaced area is left at the top level under its old flat name.
    assert not {"build-qemu", "bench-qemu", "fuzz-corpus", "yocto-memconf", "console"} & set(ns.tasks)


#: Words that follow "invoke" in Python and prose, not task names (`from invoke import`, "invoke tasks").
NOT_TASKS = {"import", "task", "tasks", "entry"}


def test_every_task_the_repository_names_exists() -> None:
    """Docs, comments and messages name tasks as `invoke NAME`; a renamed or removed task fails here
    with the file and line to fix."""
    ns = _collection()
    known = set(ns.task_names) | set(ns.collections)
    named = r"invoke [a-z][a-z0-9.-]*[a-z0-9]"
    listed = [f"{name}:{number}:{match}" for name, number, match in grep(named, skip_suffix=".onnx")]
    stale = [line for line in listed if line.rsplit("invoke ", 1)[1] not in known | NOT_TASKS]
    assert not stale, "tasks that do not exist (see `invoke --list`):\n" + "\n".join(stale)
