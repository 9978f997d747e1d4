"""invoke entry point: collects the tasks of every area module under tzinfer/tasks/.

Each area (engine, stack, yocto, ...) keeps its tasks in its own module; this file only
puts them side by side in the root namespace so that `invoke --list` shows them all.
"""

import importlib
import pkgutil

from invoke import Collection, Task

import tzinfer.tasks as task_modules

ns = Collection()
for info in sorted(pkgutil.iter_modules(task_modules.__path__), key=lambda m: m.name):
    module = importlib.import_module(f"{task_modules.__name__}.{info.name}")
    for value in vars(module).values():
        if isinstance(value, Task) and value.__module__ == module.__name__:
            ns.add_task(value)
