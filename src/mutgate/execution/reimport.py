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

Two things keep that cheap. The files are collected one at a time, each just before its tests
run, so a mutant the first file kills never pays for the rest (`collect_and_run`). And the new
session starts from the worker's fixture manager with the project's own fixtures taken out,
instead of reading every plugin's fixtures again (`plugin_fixtures`).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import time
from typing import Any

from mutgate.execution.child_wait import COLLECT, TESTS
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


def prepare(config: Any, project: set[str]) -> Any:
    """Make the worker's configured pytest ready for a new session in this child: unregister
    the conftest plugins and pytest's cache of them, so that collecting imports them again
    with the mutant in place (their historic hooks, ``pytest_configure``, replay when they
    register anew), and the old session and fixture manager. Raises when this pytest keeps
    these elsewhere, or when a plugin that is one of the ``project`` modules is registered by
    name: the caller then starts a whole new session instead. Returns the old fixture manager
    with only the plugins' fixtures left in it (`plugin_fixtures`), or None."""
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
    fixtures = plugin_fixtures(manager.get_plugin("funcmanage"))
    for name in ("session", "funcmanage"):
        if manager.get_plugin(name) is not None:
            manager.unregister(name=name)
    return fixtures


def plugin_fixtures(manager: Any) -> Any:
    """The worker's fixture manager with every fixture of a conftest, test module or test
    class taken out (they are collected again, from the new modules), or None where this
    pytest does not say which is which. What is left are the installed and builtin plugins'
    fixtures, which no test has run in the worker: a new session can start from them instead
    of reading every plugin's fixtures again (a third of a static mutant's cost on a small
    project)."""
    defs = getattr(manager, "_arg2fixturedefs", None)
    autouse = getattr(manager, "_nodeid_autousenames", None)
    # The layout of pytest 8.4 to 9.0: later ones register plugins' fixtures per session.
    if not isinstance(defs, dict) or not isinstance(autouse, dict) or not isinstance(
            getattr(manager, "_holderobjseen", None), set) or not hasattr(manager, "session"):
        return None
    for name, found in list(defs.items()):
        kept = []
        for fixture in found:
            located = getattr(fixture, "has_location", None)  # False: defined by a plugin
            is_autouse = getattr(fixture, "_autouse", None)
            if located is None or is_autouse is None or getattr(fixture, "cached_result",
                                                                   None) is not None:
                return None
            if not located:
                kept.append(fixture)
            elif is_autouse:
                names = autouse.get(fixture.baseid or "", [])
                if name in names:
                    names.remove(name)
        if kept:
            found[:] = kept
        else:
            del defs[name]
    return manager


def collect_and_run(config: Any, files: list[str], tests: list[str], digests: dict[str, str],
                    finder: MutantFinder, full: bool, failed, fixtures: Any = None,
                    staged: bool = True, phase=lambda name: None) -> dict[str, Any]:
    """Collect the files of ``tests`` (ids of the coverage run) in a new session and run them
    until the first failure (all of them with ``full``); the state in the isolated plugin's
    shape. With ``staged`` the files are collected one at a time, in the order of their first
    test, each just before its tests run: most static mutants fail the first test, and
    collecting every file the import-time rule names would cost more than running it. A file
    collected after some tests ran is not what one collection of every file gives (pytest
    imports them all before the first test), so a failure from the second file on is marked
    (`beyond_first_file`) for the caller to judge again with ``staged=False``. ``phase`` is
    told when a collection (``"collect"``) and the tests of a stage (``"tests"``) start."""
    from _pytest.main import Session
    from _pytest.runner import runtestprotocol

    collected = _Collected()
    config.pluginmanager.register(collected, "mutgate-collected")
    sys.meta_path.insert(0, finder)
    state: dict[str, Any] = {"killed_by": None, "ran": 0, "collect_error": None,
                             "loaded": False, "internal_error": None, "exitstatus": 0,
                             "elsewhere": None, "killers": [] if full else None}
    session = _staged_session(Session).from_config(config)
    _start(config, session, fixtures)
    testing = 0.0
    stages = _stages(files, tests, staged=staged and hasattr(Session, "_collect_path"))
    for number, (stage_files, stage_tests) in enumerate(stages):
        try:
            testing += _run_stage(session, collected, state, stage_files, stage_tests, digests,
                                  number == len(stages) - 1, full, failed, runtestprotocol,
                                  phase)
        except Exception:
            if number == 0:
                raise
            state[_LATE] = True  # what one collection of every file would do is not known
            break
        if (state["killed_by"] or state["collect_error"]) and number > 0:
            state[_LATE] = True
        if not full and (state["killed_by"] or state["collect_error"]):
            break
    state["loaded"] = finder.loaded
    state["tests_ms"] = testing * 1000
    return state


_LATE = "beyond_first_file"


def beyond_first_file(state: dict[str, Any]) -> bool:
    """Whether a staged child's verdict came from a file collected after tests had run."""
    return bool(state.get(_LATE))


def _run_stage(session: Any, collected: _Collected, state: dict[str, Any], files: list[str],
               tests: list[str], digests: dict[str, str], last: bool, full: bool, failed,
               runtestprotocol, phase) -> float:
    """Collect ``files`` into ``session`` and run ``tests`` of them; seconds spent in tests."""
    phase(COLLECT)
    session.perform_collect(files, genitems=True)
    phase(TESTS)
    state["collect_error"] = state["collect_error"] or collected.error
    items = resolve({item.nodeid: item for item in session.items}, tests, digests)
    testing = 0.0
    for position, item in enumerate(items):
        if position == 0 and state["ran"]:
            session._setupstate.teardown_exact(item)
        # Within a stage the next item is known. After the last item of the last stage
        # nothing is torn down; after a stage's last item its test and module are (they
        # belong to no later file), before the next file is imported.
        if position + 1 < len(items):
            nextitem = items[position + 1]
        else:
            nextitem = item if last else _file_node(item).parent
        state["ran"] += 1
        started = time.perf_counter()
        failing = failed(item, nextitem, runtestprotocol)
        testing += time.perf_counter() - started
        if failing:
            state["killed_by"] = state["killed_by"] or item.nodeid
            if not full:
                break
            state["killers"].append(item.nodeid)
    return testing


def _start(config: Any, session: Any, fixtures: Any) -> None:
    """``pytest_sessionstart``, with ``fixtures`` (`plugin_fixtures`) as the session's
    fixture manager instead of a new one where there is one."""
    builtin = config.pluginmanager.get_plugin("fixtures")
    if fixtures is None or builtin is None:
        config.hook.pytest_sessionstart(session=session)
        return
    fixtures.session = session
    session._fixturemanager = fixtures
    config.pluginmanager.register(fixtures, "funcmanage")
    others = config.pluginmanager.subset_hook_caller("pytest_sessionstart", [builtin])
    others(session=session)


def _stages(files: list[str], tests: list[str], staged: bool) -> list[tuple[list[str], list[str]]]:
    """Each file with its tests in their order, the file of the first test first; a single
    stage of every file where this pytest cannot collect in stages."""
    if not staged:
        return [(files, tests)]
    by_file: dict[str, list[str]] = {}
    for test in tests:
        by_file.setdefault(test.split("::", 1)[0], []).append(test)
    return [([file], ids) for file, ids in by_file.items()]


def _file_node(item: Any) -> Any:
    """The collector of the file ``item`` was collected from."""
    from _pytest.nodes import File

    node = item
    while node.parent is not None and not isinstance(node, File):
        node = node.parent
    return node


def _staged_session(base: type) -> type:
    """A `Session` whose directory collectors stay the same objects from one
    ``perform_collect`` to the next: pytest's set-up state then keeps a shared directory or
    package set up between files, as one collection would, instead of tearing it down and
    running its package-scoped fixtures again."""

    class StagedSession(base):  # type: ignore[misc, valid-type]
        _paths: dict
        _reports: dict

        def _collect_path(self, path, path_cache):
            if not hasattr(self, "_paths"):
                self._paths = {}
            return super()._collect_path(path, self._paths)

        @property
        def _collection_cache(self):
            if not hasattr(self, "_reports"):
                self._reports = {}
            return self._reports

        @_collection_cache.setter
        def _collection_cache(self, value):
            pass  # perform_collect clears it at its start and end

    return StagedSession
