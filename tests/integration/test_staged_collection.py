"""Static mutants collect the first test's file first (`execution/reimport.py`).

A project whose module-level constants are covered by three test files through the import-time
rule: the fast file first, the slow ones after. The default mode must give the verdicts of the
isolated reference, must not import the second file when the first one kills, and must import
the others only as one collection of every file does: before any test ran, with a package
fixture set up once. A conftest fixture must read the mutated module, though the child starts
its session from the worker's fixture manager (`reimport.plugin_fixtures`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.runs import mutants_of_run

pytestmark = pytest.mark.usefixtures("fast_pytest_subprocesses")

CONSTS = """\
KILLED_IN_A = 1 + 1
KILLED_IN_B = 4 * 2
UNCHECKED = 2 + 1
READ_BY_A_FIXTURE = 5 + 5


def same(value):  # every test calls it: then every test covers the constants' lines
    return value  # pragma: no mutate
"""

CONFTEST = """\
import os

import pytest

from pkg import consts

SET_UP = []


@pytest.fixture(scope="session")
def session_flag():  # set up by test_a's first test, torn down at the session's end
    os.environ["MUTGATE_T_SESSION_FLAG"] = "1"
    yield
    del os.environ["MUTGATE_T_SESSION_FLAG"]


@pytest.fixture
def read_by_a_fixture():  # the conftest's own module object, imported anew with the mutant
    return consts.READ_BY_A_FIXTURE


@pytest.fixture(scope="package", autouse=True)
def once():
    SET_UP.append(1)
    with open(os.environ["MUTGATE_T_LOG"], "a") as log:
        log.write(f"package-set-up-{os.getpid()}\\n")
    assert len(SET_UP) == 1, "the package fixture was set up again"
    yield
"""

TEST_A = """\
import time

from pkg import consts


def test_a_checks_its_constant(session_flag):
    assert consts.same(consts.KILLED_IN_A) == 2


def test_a_uses_a_conftest_fixture(read_by_a_fixture):
    assert consts.same(read_by_a_fixture) == 10


def test_a_sets_an_environment_variable(monkeypatch):  # the file's slower test: run last
    time.sleep(0.02)
    consts.same(0)
    monkeypatch.setenv("MUTGATE_T_STAGED", "set by test_a")
"""

# Imported at collection: what it sees then is written to the log, and must be what a plain
# collection sees (no variable set by a test of test_a).
TEST_B = """\
import os
import time

from pkg import consts

SEEN = os.environ.get("MUTGATE_T_STAGED")
with open(os.environ["MUTGATE_T_LOG"], "a") as log:
    log.write(f"{consts.KILLED_IN_A}\\nseen-{SEEN}\\n".replace(" ", "-"))


def test_b_checks_its_constant():
    time.sleep(0.05)
    assert consts.same(consts.KILLED_IN_B) == 8


def test_b_saw_a_clean_environment():
    time.sleep(0.05)
    assert consts.same(SEEN) is None
"""

# pytest imports every test module before the first test, so no session fixture has run yet;
# a child that imported this file after test_a's tests would fail here. Its test is the
# slowest: its file comes last.
TEST_C = """\
import os
import time

from pkg import consts

if os.environ.get("MUTGATE_T_SESSION_FLAG"):
    raise RuntimeError("imported after a session fixture was set up")


def test_c_runs():
    time.sleep(0.1)
    consts.same(0)
"""

EXPECTED = {
    ("KILLED_IN_A", "+"): "killed",
    ("KILLED_IN_B", "*"): "killed",
    ("UNCHECKED", "+"): "survived",
    ("READ_BY_A_FIXTURE", "+"): "killed",
}


def verdicts(root: Path, isolation: str) -> dict[tuple[str, str], dict]:
    lines = CONSTS.splitlines()
    return {(lines[m["line"] - 1].split(" ")[0], m["original"]): m
            for m in mutants_of_run(root, {"jobs": 1, "isolation": isolation})
            if m["file"] == "pkg/consts.py"}


@pytest.fixture(scope="module")
def staged(fast_pytest_subprocesses, tmp_path_factory, make_project):
    root = make_project(tmp_path_factory.mktemp("staged"), {
        "pkg/__init__.py": "", "pkg/consts.py": CONSTS, "tests/__init__.py": "",
        "tests/conftest.py": CONFTEST, "tests/test_a.py": TEST_A, "tests/test_b.py": TEST_B,
        "tests/test_c.py": TEST_C})
    log = tmp_path_factory.mktemp("log") / "imports.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MUTGATE_T_LOG", str(log))
        patch.delenv("MUTGATE_T_STAGED", raising=False)
        default = verdicts(root, "auto")
        default_log = log.read_text().split()
        isolated = verdicts(root, "subprocess")
    return default, isolated, default_log


def test_the_default_mode_gives_the_expected_verdicts_on_the_fresh_path(staged) -> None:
    default = staged[0]
    assert {key: m["status"] for key, m in default.items()} == EXPECTED
    assert {m["path"] for m in default.values()} == {"fresh"}


def test_the_isolated_reference_agrees(staged) -> None:
    assert {key: m["status"] for key, m in staged[1].items()} == EXPECTED


def test_a_kill_in_the_first_file_never_imports_the_second(staged) -> None:
    # test_b.py logs KILLED_IN_A as it saw it at import: 2 unmutated, 0 under that mutant.
    log = staged[2]
    assert "2" in log
    assert "0" not in log


def test_the_second_file_is_imported_as_one_collection_would_leave_it(staged) -> None:
    # What test_b.py saw at import, and the package fixture's set-ups per process: a failure
    # here would also be judged again with every file collected first, so the log, not the
    # verdicts, shows whether the staged child itself left the right state.
    log = staged[2]
    assert "seen-None" in log
    assert "seen-set-by-test_a" not in log
    setups = [line for line in log if line.startswith("package-set-up-")]
    assert setups and len(setups) == len(set(setups))


def test_a_failure_in_a_file_collected_after_tests_ran_is_judged_again(staged) -> None:
    # test_c.py cannot be imported after test_a's session fixture was set up, as the staged
    # child does: every mutant whose tests reach it fails there first, and is judged again
    # with every file collected before the first test, as pytest does.
    assert staged[0][("UNCHECKED", "+")]["status"] == "survived"
    assert staged[0][("KILLED_IN_B", "*")]["killed_by"] == (
        "tests/test_b.py::test_b_checks_its_constant")


def test_the_second_file_runs_when_the_first_does_not_kill(staged) -> None:
    killed_in_b = staged[0][("KILLED_IN_B", "*")]
    assert killed_in_b["killed_by"] == "tests/test_b.py::test_b_checks_its_constant"
    assert killed_in_b["covered_by"][0].startswith("tests/test_a.py::")
    # UNCHECKED survives only if test_b's import saw no variable of test_a's and the package
    # fixture was not set up a second time for test_b.
    assert staged[0][("UNCHECKED", "+")]["tests_run"] == 6
