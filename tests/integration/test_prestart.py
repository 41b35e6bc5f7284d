"""Workers that start their test sessions while the coverage run goes on (`pool.prestart`).

The project's conftest logs the process id of every pytest session that is not the coverage
run, so the tests see which processes configured pytest: a run's workers configure it once
each, and workers started for a run that then has nothing to run are stopped, not left idle.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from mutgate import coverage_map
from mutgate.config import load_config
from mutgate.execution.pool import discard_unused, prestart
from mutgate.runner import Selection, run
from mutgate.store import Store

pytestmark = pytest.mark.usefixtures("fast_pytest_subprocesses")

CALC = """\
def add(a, b):
    return a + b


def half(x):
    return x // 2
"""

TEST_CALC = """\
from pkg.calc import add, half


def test_add():
    assert add(2, 3) == 5


def test_half_runs():
    half(4)
"""

CONFTEST = """\
import os


def pytest_configure(config):
    if "MUTGATE_COV_DATA" not in os.environ:
        with open(os.environ["MUTGATE_T_SESSIONS"], "a") as log:
            log.write(f"{os.getpid()}\\n")
"""


@pytest.fixture
def project(tmp_path: Path, make_project, monkeypatch) -> tuple[Path, Path]:
    root = make_project(tmp_path / "p", {
        "pkg/__init__.py": "", "pkg/calc.py": CALC, "tests/conftest.py": CONFTEST,
        "tests/test_calc.py": TEST_CALC})
    log = tmp_path / "sessions.log"
    monkeypatch.setenv("MUTGATE_T_SESSIONS", str(log))
    return root, log


def sessions(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_runs_workers_configure_pytest_once_each_and_give_the_verdicts(project) -> None:
    root, log = project
    outcome = run(load_config(root, {"jobs": 2}), Selection(reuse=False))
    store = Store.open(root / ".mutgate", must_exist=True)
    try:
        verdicts = {(m["line"], m["original"]): m["status"]
                    for m in store.results_dict(outcome.run_id)["mutants"]}
    finally:
        store.close()
    # half's mutants survive the main pass and are confirmed by the same two workers.
    assert verdicts == {(2, "+"): "killed", (2, "a + b"): "killed", (6, "//"): "survived",
                        (6, "x // 2"): "survived"}
    started = sessions(log)
    assert 1 <= len(started) <= 2
    assert len(set(started)) == len(started)


def test_workers_started_for_a_run_that_runs_nothing_are_stopped(project) -> None:
    root, log = project
    config = load_config(root, {"jobs": 2})
    key = f"{root}:test:{time.time_ns()}"
    prestart(key, str(root), tuple(coverage_map.pytest_base_args(config)), 2)
    deadline = time.monotonic() + 120
    while len(set(sessions(log))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    started = set(sessions(log))
    assert len(started) == 2  # both sessions started without any batch
    discard_unused(key)
    deadline = time.monotonic() + 60
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in started)
