"""Static mutants at fork-path cost: a new collection in the warm worker's configured pytest.

A mutant in code that runs at import (module constants, class bodies, default values,
decorators) needs the project imported anew. Starting a whole pytest session for it in a
forked child (`fresh.py`) spends most of its time configuring pytest again: registering the
builtin plugins, replaying their historic hooks, loading entry-point plugins. None of that can
change between mutants, so the child here keeps the worker's configuration and redoes only
what depends on the project's code: it forgets every module of the project (its code, its
test modules and its conftest files, which are unregistered as plugins so that collection
imports them again), loads the mutated module through an import hook, collects the covering
test files in a new `Session`, and runs the covering items with pytest's run protocol. The
report has the shape of the isolated plugin's, so one `isolated.verdict` judges both.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import time
from typing import Any

from mutgate.test_identity import resolve


class MutantFinder(importlib.abc.MetaPathFinder):
    """Loads ``source`` instead of the file at ``path`` (real path) when it is imported."""

    def __init__(self, path: str, source: str) -> None:
        self.path = os.path.realpath(path)
        self.source = source
        self.loaded = False

    def find_spec(self, fullname, path, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.origin and os.path.realpath(spec.origin) == self.path:
            spec.loader = _MutantLoader(fullname, spec.origin, self)
            return spec
        return None


class _MutantLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, finder: MutantFinder) -> None:
        super().__init__(fullname, path)
        self.finder = finder

    def get_code(self, fullname):
        self.finder.loaded = True
        return compile(self.finder.source, self.path, "exec", dont_inherit=True)

    def get_source(self, fullname):
        return self.finder.source


class _Collected:
    """The first collection error of the new session."""

    def __init__(self) -> None:
        self.error: str | None = None

    def pytest_collectreport(self, report) -> None:
        if report.failed and self.error is None:
            self.error = report.nodeid or "<collection>"


class Unsuitable(Exception):
    """This project's pytest set-up needs a whole new session per mutant."""


def prepare(config: Any, project: set[str]) -> None:
    """Make the worker's configured pytest ready for a new session in this child: unregister
    the conftest plugins and pytest's cache of them, so that collecting imports them again
    with the mutant in place (their historic hooks, ``pytest_configure``, replay when they
    register anew), and the old session and fixture manager. Raises when this pytest keeps
    these elsewhere, or when a plugin that is one of the ``project`` modules is registered by
    name: the caller then starts a whole new session instead."""
    manager = config.pluginmanager
    for name, plugin in manager.list_name_plugin():
        # A plugin module of the project's own, loaded by name (`-p pkg.plugin`,
        # `pytest_plugins = [...]`, an entry point), stays registered with the old code.
        module = getattr(plugin, "__name__", None)
        if (plugin not in manager._conftest_plugins and isinstance(module, str)
                and module in project):
            raise Unsuitable(f"plugin {name} is the project's own module {module}")
    for module in list(manager._conftest_plugins):
        manager.unregister(module)
    manager._conftest_plugins.clear()
    manager._dirpath2confmods.clear()
    for name in ("session", "funcmanage"):
        if manager.get_plugin(name) is not None:
            manager.unregister(name=name)


def collect_and_run(config: Any, files: list[str], tests: list[str], digests: dict[str, str],
                    finder: MutantFinder, full: bool, failed) -> dict[str, Any]:
    """Collect ``files`` in a new session and run ``tests`` (ids of the coverage run) until
    the first failure (all of them with ``full``); the state in the isolated plugin's shape."""
    from _pytest.main import Session
    from _pytest.runner import runtestprotocol

    collected = _Collected()
    config.pluginmanager.register(collected, "mutgate-collected")
    sys.meta_path.insert(0, finder)
    state: dict[str, Any] = {"killed_by": None, "ran": 0, "collect_error": None,
                             "loaded": False, "internal_error": None, "exitstatus": 0,
                             "elsewhere": None, "killers": [] if full else None}
    session = Session.from_config(config)
    config.hook.pytest_sessionstart(session=session)
    session.perform_collect(files, genitems=True)
    state["collect_error"] = collected.error
    items = resolve({item.nodeid: item for item in session.items}, tests, digests)
    started = time.perf_counter()
    for position, item in enumerate(items):
        # The last item names itself as the next: nothing is torn down after it.
        nextitem = items[position + 1] if position + 1 < len(items) else item
        state["ran"] += 1
        if failed(item, nextitem, runtestprotocol):
            state["killed_by"] = state["killed_by"] or item.nodeid
            if not full:
                break
            state["killers"].append(item.nodeid)
    state["loaded"] = finder.loaded
    state["tests_ms"] = (time.perf_counter() - started) * 1000
    return state
