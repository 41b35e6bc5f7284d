"""Which test files import a module, directly or through other modules.

A line run at import time is credited by coverage to the test module that first imported it.
Every other test module that imports it, directly or through another module, sees what that
line did, so a surviving mutant there is confirmed against their tests too. The edges come
from the coverage run (`mutgate.plugins.import_graph`); module names are mapped to files with
the coverage run's ``{module name: file}`` view of `sys.modules`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path


def load_graph(path: Path) -> dict[str, list[str]]:
    """The recorded import edges, or none when the coverage run left no readable graph."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def importing_test_files(graph: Mapping[str, Iterable[str]], module: str,
                         test_modules: Mapping[str, str]) -> set[str]:
    """The test files (``test_modules``: module name → file) whose module reaches
    ``module`` through import edges."""
    importers: dict[str, set[str]] = {}
    for importer, targets in graph.items():
        for target in targets:
            importers.setdefault(target, set()).add(importer)
    seen = {module}
    todo = [module]
    while todo:
        for importer in importers.get(todo.pop(), ()):
            if importer not in seen:
                seen.add(importer)
                todo.append(importer)
    return {test_modules[name] for name in seen if name in test_modules}


def modules_of_test_files(root: Path, module_files: Mapping[str, str], test_files: Iterable[str]
                 ) -> dict[str, str]:
    """``{module name: test file}`` for the collected test files, relative to ``root``."""
    by_path = {os.path.realpath(root / rel): rel for rel in test_files}
    return {name: by_path[path] for name, path in module_files.items() if path in by_path}
