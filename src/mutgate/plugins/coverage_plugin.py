"""pytest plugin loaded (``-p``) in the coverage run: one coverage context per test item.

It starts coverage.py when imported, which happens before the project's conftest files and
packages are imported, records each test's outcome and duration, and writes them as JSON.
Configured through environment variables set by `mutgate.coverage_map`.
"""

from __future__ import annotations

import json
import os
import sys

import coverage
import pytest

from mutgate.module_names import module_files
from mutgate.test_identity import param_digest

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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _cov.switch_context(item.nodeid)
    yield
    _cov.switch_context("")


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


def pytest_runtest_logreport(report):
    entry = _tests.setdefault(report.nodeid, {"duration": 0.0, "outcome": "passed"})
    entry["duration"] += report.duration
    if report.failed:
        entry["outcome"] = "failed"
    elif report.skipped and report.when != "teardown" and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def pytest_collectreport(report):
    if report.failed:
        _errors.append(report.nodeid or "<session>")


def pytest_collection_finish(session):
    for item in session.items:
        _tests.setdefault(item.nodeid, {"duration": 0.0, "outcome": "not-run"})
        digest = param_digest(item)
        if digest is not None:
            _params[item.nodeid] = digest


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    _cov.stop()
    _cov.save()
    out = {"tests": _tests, "collect_errors": _errors, "exitstatus": int(exitstatus),
           "modules": sorted(sys.modules), "module_files": module_files(sys.modules),
           "params": _params}
    with open(os.environ["MUTGATE_COV_TESTS"], "w", encoding="utf-8") as handle:
        json.dump(out, handle)
