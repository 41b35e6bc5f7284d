"""pytest plugin loaded (``-p``) in the coverage run: which module imports which.

Coverage credits a line that runs at import time to the test module whose collection first
imported it; every later test module that imports the same module finds it in `sys.modules`
and runs none of its lines, yet a mutant there (a module constant, a table built at import)
changes what those tests see. So while the coverage run imports and collects, every
``import`` statement executed is recorded as an edge from the importing module to the
imported one (and to the submodules its ``from ... import`` names). The graph is written as
JSON to the path in ``MUTGATE_IMPORTS`` when the session ends.
"""

from __future__ import annotations

import builtins
import importlib.util
import json
import os
import sys

_edges: dict[str, set[str]] = {}
_real_import = builtins.__import__


def _recording_import(name, globals=None, locals=None, fromlist=(), level=0):
    module = _real_import(name, globals, locals, fromlist, level)
    importer = globals.get("__name__") if isinstance(globals, dict) else None
    if isinstance(importer, str):
        try:
            target = importlib.util.resolve_name("." * level + name, globals.get(
                "__package__") or importer) if level else name
        except (ImportError, ValueError):
            return module
        found = _edges.setdefault(importer, set())
        found.add(target)
        for item in fromlist or ():
            if isinstance(item, str) and f"{target}.{item}" in sys.modules:
                found.add(f"{target}.{item}")
    return module


builtins.__import__ = _recording_import


def pytest_sessionfinish(session, exitstatus):
    builtins.__import__ = _real_import
    with open(os.environ["MUTGATE_IMPORTS"], "w", encoding="utf-8") as handle:
        json.dump({name: sorted(targets) for name, targets in _edges.items()}, handle)
