"""pytest plugin loaded (``-p``) in the coverage run: one coverage context per test item.

It starts coverage.py when imported, which happens before the project's conftest files and
packages are imported, records each test's outcome and duration, and writes them as JSON.
Configured through environment variables set by `mutgate.coverage_map`. With
``MUTGATE_COV_SELECT`` (a JSON file: the ids of the tests to measure again, every id of the
earlier map and its parameter digests) the whole suite is still collected, but only those
tests, and tests the earlier map did not know, run: `mutgate.coverage_delta`. With
``MUTGATE_COV_PROGRESS`` it keeps the counts of tests found and run in that file
(`mutgate.coverage_progress`).
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import time

import coverage
import pytest

from mutgate import coverage_progress, rewrite_cache, tree_writes
from mutgate.module_names import module_files
from mutgate.test_identity import param_digest, resolve

rewrite_cache.install()  # before any conftest, test module or plugin package is rewritten
_cov = coverage.Coverage(
    data_file=os.environ["MUTGATE_COV_DATA"],
    include=json.loads(os.environ["MUTGATE_COV_INCLUDE"]),
    config_file=False,
    branch=False,
)
_cov.set_option("run:disable_warnings", ["module-not-measured", "no-data-collected",
                                          "module-not-imported", "couldnt-parse",
                                          "no-ctracer", "already-imported"])
_cov.start()

_tests: dict[str, dict] = {}
_errors: list[str] = []
_params: dict[str, str] = {}
_ROOT = os.path.realpath(os.getcwd())  # mutgate starts pytest in the project's root
_collected: list[str] = []
_defined_in: dict[str, str] = {}
_counts = (coverage_progress.CountsWriter(os.environ[coverage_progress.ENV])
           if os.environ.get(coverage_progress.ENV) else None)


_dirs = tree_writes.project_dirs(_ROOT)
_writes: dict[str, list[str]] = {}
_first_test_at: list[float] = []  # wall clock (seconds since the epoch): mutgate's start-up cost


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not _first_test_at:
        _first_test_at.append(time.time())
    before = tree_writes.stamps(_dirs)
    _cov.switch_context(item.nodeid)
    yield
    _cov.switch_context("")
    touched = tree_writes.changed(_dirs, before, tree_writes.stamps(_dirs), _ROOT)
    if touched:
        _writes[item.nodeid] = touched[:3]


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    # A test module's import and collection (decorators, parametrize tables) run project code
    # that only this module's tests can notice: give it a context naming the module.
    module = collector if isinstance(collector, pytest.Module) else None
    if isinstance(collector, pytest.Class):
        module = collector.getparent(pytest.Module)
    if module is None:
        yield
        return
    _cov.switch_context(os.environ["MUTGATE_COLLECT_CONTEXT"] + module.nodeid)
    yield
    _cov.switch_context("")


def pytest_itemcollected(item):
    if _counts is not None:
        _counts.found()


def pytest_runtest_logfinish(nodeid, location):
    if _counts is not None:
        _counts.finished()


def pytest_runtest_logreport(report):
    entry = _tests.setdefault(report.nodeid, {"duration": 0.0, "outcome": "passed"})
    entry["duration"] += report.duration
    if report.failed:
        entry["outcome"] = "failed"
        entry.setdefault("failure", _first_error(report.longreprtext))
    elif report.skipped and report.when != "teardown" and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def _first_error(text: str) -> str:
    """The line of a failure report that says what went wrong (pytest marks it ``E``)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    return (errors[0] if errors else lines[-1] if lines else "")[:200]


def pytest_collectreport(report):
    if report.failed:
        _errors.append(report.nodeid or "<session>")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    # After the -k/-m deselection of pytest's own hooks: what a full run would run.
    for item in items:
        _collected.append(item.nodeid)
        defined = _defining_file(item)
        if defined is not None:
            _defined_in[item.nodeid] = defined
    chosen_file = os.environ.get("MUTGATE_COV_SELECT")
    if not chosen_file:
        return
    with open(chosen_file, encoding="utf-8") as handle:
        chosen = json.load(handle)
    known = set(chosen["known"])
    by_id = {item.nodeid: item for item in items}
    # An id whose parameters differ here stands for every case of its function.
    keep = {id(item) for item in resolve(by_id, chosen["run"], chosen["params"])}
    selected = [item for item in items if id(item) in keep or item.nodeid not in known]
    deselected = [item for item in items if id(item) not in keep and item.nodeid in known]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def _defining_file(item) -> str | None:
    """The project file that defines ``item``'s test function, when it is not the file the
    item was collected from (a test class inherited from another test module)."""
    function = getattr(item, "function", None)
    try:
        code = inspect.unwrap(function).__code__ if function is not None else None
    except (AttributeError, ValueError):  # not a plain function, or a wrapper loop
        return None
    if code is None or not os.path.isabs(code.co_filename):
        return None
    defined = os.path.realpath(code.co_filename)
    if defined == os.path.realpath(str(item.path)):
        return None
    rel = os.path.relpath(defined, _ROOT)
    return None if rel.startswith("..") else rel.replace(os.sep, "/")


def pytest_collection_finish(session):
    if _counts is not None:  # what runs, after any deselection
        _counts.start(len(session.items))
    if os.environ.get("MUTGATE_COV_COLLECTED"):  # mutgate may start its workers now
        open(os.environ["MUTGATE_COV_COLLECTED"], "w").close()
    for item in session.items:
        _tests.setdefault(item.nodeid, {"duration": 0.0, "outcome": "not-run"})
        digest = param_digest(item)
        if digest is not None:
            _params[item.nodeid] = digest


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    _cov.stop()
    _cov.save()
    if _counts is not None:
        _counts.close()
    out = {"tests": _tests, "collect_errors": _errors, "exitstatus": int(exitstatus),
           "modules": sorted(sys.modules), "module_files": module_files(sys.modules),
           "params": _params, "collected": _collected, "defined_in": _defined_in,
           "tree_writes": _writes,
           "first_test_at": _first_test_at[0] if _first_test_at else None}
    # mutgate reads the report as soon as it exists (`coverage_progress.run_watched`): whole.
    target = os.environ["MUTGATE_COV_TESTS"]
    with open(target + ".part", "w", encoding="utf-8") as handle:
        json.dump(out, handle)
    os.replace(target + ".part", target)
