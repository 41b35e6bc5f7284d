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

Three things keep that cheap. A child first collects only the file of its first test and runs
the tests at the head of its list in that file, so a mutant that file kills never pays for the
rest; any other verdict is reached again with every covering file collected
(`collect_and_run`). Only the files of the tests that run are collected, and in that first
step only their functions (`_OnlyThese`). And the new
session starts from the worker's fixture manager with the project's own fixtures taken out,
instead of reading every plugin's fixtures again (`plugin_fixtures`).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import itertools
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mutgate.execution.child_wait import COLLECT, TESTS
from mutgate.execution.module_code import ModuleCode
from mutgate.test_identity import resolve


class MutantFinder(importlib.abc.MetaPathFinder):
    """Loads ``source`` instead of the file at ``path`` (real path) when it is imported: where
    ``module`` (the unmutated module's `ModuleCode`) is given, compiled in part, the edit
    being on ``lines`` (first and last). Its ``on_import``, when set, is called once, when
    that import starts (`import_template.py` forks there)."""

    def __init__(self, path: str, source: str, module: ModuleCode | None = None,
                 lines: tuple[int, int] = (0, 0)) -> None:
        self.path = os.path.realpath(path)
        self.source = source
        self.module, self.lines = module, lines
        self.loaded = False
        self.on_import: Callable[[], None] | None = None

    def find_spec(self, fullname, path, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.origin and os.path.realpath(spec.origin) == self.path:
            hook, self.on_import = self.on_import, None
            if hook is not None:
                hook()
            spec.loader = _MutantLoader(fullname, spec.origin, self)
            return spec
        return None

    def code(self, filename: str):
        if self.module is not None and self.module.path == filename:
            return self.module.compile(self.source, *self.lines)
        return compile(self.source, filename, "exec", dont_inherit=True)


class _MutantLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, finder: MutantFinder) -> None:
        super().__init__(fullname, path)
        self.finder = finder

    def get_code(self, fullname):
        self.finder.loaded = True
        return self.finder.code(self.path)

    def get_source(self, fullname):
        return self.finder.source


@dataclass
class Target:
    """What a child runs: ``tests`` (ids of the coverage run, in the order to run them), the
    coverage run's parameter digests of the parametrized ones, whether every test runs (the
    kill matrix) rather than up to the first failure, and whether only the first test's file
    is collected (``staged``). A paused child (`import_template.py`) sets the first three
    anew for each mutant; nothing reads them before the mutated module is imported."""

    tests: list[str]
    digests: dict[str, str]
    full: bool
    staged: bool

    def run(self) -> list[str]:
        """The tests to run: with ``staged`` only those at the head of the list that are in
        the first test's file."""
        return _leading(self.tests) if self.staged else self.tests


class _Collected:
    """The first collection error of the new session, and the files it collected."""

    def __init__(self) -> None:
        self.error: str | None = None
        self.files: set[str] = set()

    def pytest_collectreport(self, report) -> None:
        if report.failed and self.error is None:
            self.error = report.nodeid or "<collection>"
        if report.nodeid and "::" not in report.nodeid:
            self.files.add(report.nodeid)


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


def collect_and_run(config: Any, files: list[str], target: Target, finder: MutantFinder,
                    failed, fixtures: Any = None, phase=lambda name: None) -> dict[str, Any]:
    """Collect the files of ``target``'s tests in a new session and run them until the first
    failure (all of them with ``target.full``); the state in the isolated plugin's shape. Only
    ``files`` are collected (`_OnlyThese`). With ``target.staged`` only the file of the first
    test is collected, only its functions that run, and only the tests that come first in the
    list and are in that file run: most static mutants fail the first test, and collecting
    every covering file would cost more than running it. When none of them fails and other
    tests remain, the state is marked (`beyond_first_file`) for the caller to judge the mutant
    again with ``staged`` off: pytest imports every test file before the first test runs, and
    a file imported after another file's tests is not what it imports.
    ``phase`` is told when the collection (``"collect"``) and the tests (``"tests"``) start."""
    from _pytest.main import Session
    from _pytest.runner import runtestprotocol

    if target.staged:
        files = [_file_of(target.tests[0])]
    collected = _Collected()
    config.pluginmanager.register(collected, "mutgate-collected")
    # Only the leading run leaves out the other functions' items: its only final verdict is a
    # failing test. A judgement with every file collected generates every item, as pytest
    # does, so a mutant that breaks another function's parametrization is a collection error.
    config.pluginmanager.register(_OnlyThese(target.run(), config.rootpath, items=target.staged),
                                  ONLY_THESE)
    sys.meta_path.insert(0, finder)
    state: dict[str, Any] = {"killed_by": None, "ran": 0, "collect_error": None,
                             "loaded": False, "internal_error": None, "exitstatus": 0,
                             "elsewhere": None, "killers": None}
    session = Session.from_config(config)
    _start(config, session, fixtures)

    def enter(name: str) -> None:
        if name == TESTS:  # an import in a test is not where a template can stand
            finder.on_import = None
        phase(name)

    testing = _run(session, collected, state, files, target, failed, runtestprotocol, enter)
    if len(target.run()) < len(target.tests) and not (state["killed_by"]
                                                      or state["collect_error"]):
        state[_LATE] = True
    state["loaded"] = finder.loaded
    state["tests_ms"] = testing * 1000
    return state


#: The name `collect_and_run` registers its `_OnlyThese` under.
ONLY_THESE = "mutgate-only-these"

_LATE = "beyond_first_file"


def beyond_first_file(state: dict[str, Any]) -> bool:
    """Whether a staged child left tests of other files to a judgement with every file
    collected."""
    return bool(state.get(_LATE))


def _file_of(test: str) -> str:
    return test.split("::", 1)[0]


def _leading(tests: list[str]) -> list[str]:
    """The tests at the head of ``tests`` that are in the first test's file."""
    first = _file_of(tests[0])
    return list(itertools.takewhile(lambda test: _file_of(test) == first, tests))


class _OnlyThese:
    """Collects only what holds one of ``tests``: of the directories, the files of those tests
    (and every conftest and package ``__init__``); of the test modules and classes, every
    parametrization of their functions and none of the other functions' items. A module's and
    a class's fixtures are read as before; the rest would only be thrown away."""

    def __init__(self, tests: list[str], rootpath: Path, items: bool = True) -> None:
        self.items = items
        self.rootpath = rootpath
        #: How many names it was asked about: until then, ``wanted`` has decided nothing.
        self.asked = 0
        self.wanted, self.paths = self._of(tests)

    def _of(self, tests: list[str]) -> tuple[set[str], set[Path]]:
        wanted: set[str] = set()
        paths: set[Path] = set()
        for test in tests:
            file = _file_of(test)
            parts = [file, *test[len(file) + 2:].split("[", 1)[0].split("::")]
            wanted.update("::".join(parts[:end]) for end in range(2, len(parts) + 1))
            path = Path(os.path.normpath(self.rootpath / file))
            paths.add(path)
            paths.update(path.parents)
        return wanted, paths

    def retarget(self, tests: list[str]) -> bool:
        """Collect the functions of ``tests`` instead, where that can still make no
        difference: no name asked about yet, and the same files."""
        wanted, paths = self._of(tests)
        if paths != self.paths or (self.asked and self.items and wanted != self.wanted):
            return False
        self.wanted = wanted
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_ignore_collect(self, collection_path: Path, config):
        if collection_path.name in ("conftest.py", "__init__.py"):
            return None
        return None if Path(os.path.normpath(collection_path)) in self.paths else True

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makeitem(self, collector, name, obj):
        self.asked += 1
        if self.items and isinstance(collector, (pytest.Module, pytest.Class)) and (
                f"{collector.nodeid}::{name}" not in self.wanted):
            return []
        return None


def _run(session: Any, collected: _Collected, state: dict[str, Any], files: list[str],
         target: Target, failed, runtestprotocol, phase) -> float:
    """Collect ``files`` into ``session`` and run ``target``'s tests of them (read once the
    collection is done); seconds spent in tests."""
    phase(COLLECT)
    # Node ids are relative to pytest's rootdir, which need not be where it was started.
    lost = False
    try:
        session.perform_collect([str(session.config.rootpath / f) for f in files],
                                genitems=True)
    except pytest.UsageError:
        # A file whose collection failed (a conftest the mutant breaks) is not found either:
        # that is the collection error plain pytest reports. Any other is mutgate's to say.
        lost = collected.error is None
    tests, full = target.run(), target.full
    state["killers"] = [] if full else None
    if lost:
        state["lost"] = files[0]
        return 0.0
    phase(TESTS)
    state["collect_error"] = collected.error
    if collected.error:  # pytest runs no test after a collection error
        return 0.0
    items = resolve({item.nodeid: item for item in session.items}, tests, target.digests)
    lost = sorted({_file_of(test) for test in tests} - collected.files)
    if lost:  # never a verdict from fewer files than asked for
        state["lost"] = lost[0]
        return 0.0
    testing = 0.0
    for position, item in enumerate(items):
        nextitem = items[position + 1] if position + 1 < len(items) else item
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
