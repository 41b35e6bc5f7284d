"""pytest plugin for the isolated mode: the mutated module is loaded by an import hook.

Loaded with ``-p`` in a fresh pytest process, before the project is imported. The mutated
source never touches the disk of the project: the hook compiles it from a spec file in the
temp dir. Only the covering tests run, in the given order (fastest first), stopping at the
first failure; the outcome is written as JSON for the parent.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import sys
import time

import pytest

from mutgate import rewrite_cache
from mutgate.test_identity import resolve

rewrite_cache.install()  # before any conftest, test module or plugin package is rewritten

with open(os.environ["MUTGATE_MUTANT_SPEC"], encoding="utf-8") as _handle:
    _SPEC = json.load(_handle)
_TARGET = os.path.realpath(_SPEC["file"])


class _MutantLoader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname):
        _state["loaded"] = True
        return compile(_SPEC["source"], self.path, "exec", dont_inherit=True)

    def get_source(self, fullname):
        return _SPEC["source"]


class _MutantFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.origin and os.path.realpath(spec.origin) == _TARGET:
            spec.loader = _MutantLoader(fullname, spec.origin)
            return spec
        return None


_state = {"killed_by": None, "ran": 0, "collect_error": None, "loaded": False,
          "internal_error": None, "exitstatus": None, "elsewhere": None,
          "killers": [] if _SPEC.get("full") else None, "tests_ms": 0.0}
sys.meta_path.insert(0, _MutantFinder())


def pytest_configure(config):
    if _SPEC.get("full"):
        config.option.maxfail = 0  # every covering test runs: the kill matrix wants them all
    # At its end a session collects garbage five times to report unraisable exceptions; the
    # verdict is written by then, and the report would go nowhere.
    try:
        from _pytest.unraisableexception import gc_collect_iterations_key
    except ImportError:
        return
    config.stash[gc_collect_iterations_key] = 0


def pytest_collectreport(report):
    if report.failed and _state["collect_error"] is None:
        _state["collect_error"] = report.nodeid or "<collection>"


def pytest_collection_modifyitems(session, config, items):
    # Only the covering tests, fastest first; an id that names another case here than in the
    # coverage run stands for every case of its function (mutgate.test_identity).
    chosen = resolve({item.nodeid: item for item in items}, _SPEC["tests"],
                     _SPEC.get("digests", {}))
    kept = {id(item) for item in chosen}
    config.hook.pytest_deselected(items=[i for i in items if id(i) not in kept])
    items[:] = chosen


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.perf_counter()
    yield
    _state["tests_ms"] += (time.perf_counter() - started) * 1000


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _state["ran"] += report.when == "call" or report.failed
    if report.failed and _state["killed_by"] is None:
        _state["killed_by"] = report.nodeid
    if report.failed and _SPEC.get("full") and report.nodeid not in _state["killers"]:
        _state["killers"].append(report.nodeid)


def pytest_internalerror(excrepr, excinfo):
    # pytest ends a session this way when, say, importing a module raised SystemExit.
    _state["internal_error"] = f"{excinfo.typename}: {excinfo.value}"[:200]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    _state["exitstatus"] = int(exitstatus)
    if not _state["loaded"]:
        module = sys.modules.get(_SPEC.get("module", ""))
        _state["elsewhere"] = getattr(module, "__file__", None)
    with open(_SPEC["result"], "w", encoding="utf-8") as handle:
        json.dump(_state, handle)
