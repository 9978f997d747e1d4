"""invoke entry point: the tasks of every area module under tzinfer/tasks/, in one namespace per area.

    invoke qemu.build, qemu.test, qemu.demo, ...    the QEMU stack (stack, demo, xtest modules)
    invoke yocto.build, yocto.flash, yocto.memconf  the Yocto image and the SD card
    invoke yocto.firmware                           the layer's firmware include (board/firmware.lock.yaml)
    invoke hw.test, hw.console, hw.qemu-pty         a board over its serial console
    invoke fuzz, fuzz.corpus, fuzz.coverage         the libFuzzer harness
    invoke engine.bench, engine.tinylibm-sweep      the host engine and its math library

A task's name in its namespace is its function's name without the namespace's word
(`build_qemu` is `qemu.build`); a function named only that word is the namespace's `run` and its
default task (`invoke fuzz` is `invoke fuzz.run`). Modules not in NAMESPACES (test, fixtures, docs,
fresh) stay at the top level.
The names the README and the design card use are kept as top-level aliases (ALIASES).
"""

import importlib
import pkgutil

from invoke import Collection, Task

import tzinfer.tasks as task_modules

#: Task module -> the namespace its tasks go in.
NAMESPACES = {"stack": "qemu", "demo": "qemu", "xtest": "qemu", "yocto": "yocto", "hw": "hw", "fuzz": "fuzz",
              "engine": "engine", "tinylibm": "engine"}
#: Top-level alias -> namespaced task.
ALIASES = {"test-qemu": "qemu.test", "test-hw": "hw.test", "demo": "qemu.demo", "build": "yocto.build",
           "flash": "yocto.flash"}


def _name_in(namespace: str, function: str) -> str:
    return "-".join(w for w in function.split("_") if w != namespace) or "run"


ns = Collection()
areas = {name: Collection(name) for name in sorted(set(NAMESPACES.values()))}
for info in sorted(pkgutil.iter_modules(task_modules.__path__), key=lambda m: m.name):
    module = importlib.import_module(f"{task_modules.__name__}.{info.name}")
    area = areas.get(NAMESPACES.get(info.name, ""))
    for value in vars(module).values():
        if not (isinstance(value, Task) and value.__module__ == module.__name__):
            continue
        if area is None:
            ns.add_task(value)
        else:
            name = _name_in(area.name, value.name)
            area.add_task(value, name=name, default=name == "run")
for area in areas.values():
    ns.add_collection(area)
for alias, target in ALIASES.items():
    area_name, task_name = target.split(".")
    ns.add_task(areas[area_name][task_name], name=alias)
