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

import pytest

with open(os.environ["MUTGATE_MUTANT_SPEC"], encoding="utf-8") as _handle:
    _SPEC = json.load(_handle)
_TARGET = os.path.realpath(_SPEC["file"])


class _MutantLoader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname):
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


sys.meta_path.insert(0, _MutantFinder())
_state = {"killed_by": None, "ran": 0, "collect_error": None}


def pytest_configure(config):
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
    # An id not collected here (parameters in an order that differs between processes) stands
    # for every parametrization of its test function, as in the fork engine.
    wanted = _SPEC["tests"]
    collected = {item.nodeid for item in items}
    order = {nodeid: n for n, nodeid in enumerate(wanted) if nodeid in collected}
    for n, nodeid in enumerate(wanted):
        if nodeid not in collected and "[" in nodeid:
            prefix = nodeid.split("[", 1)[0] + "["
            for other in collected:
                if other.startswith(prefix):
                    order.setdefault(other, n)
    chosen = [item for item in items if item.nodeid in order]
    chosen.sort(key=lambda item: order[item.nodeid])
    config.hook.pytest_deselected(items=[i for i in items if i.nodeid not in order])
    items[:] = chosen


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _state["ran"] += report.when == "call" or report.failed
    if report.failed and _state["killed_by"] is None:
        _state["killed_by"] = report.nodeid


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    with open(_SPEC["result"], "w", encoding="utf-8") as handle:
        json.dump(_state, handle)
