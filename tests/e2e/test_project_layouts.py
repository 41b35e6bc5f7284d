"""End to end: where the installed `mutgate` finds the project, which files it takes for tests
and never mutates, and a source file that does not parse.

Every case runs the console script in a real process, from the folder a user would type it
in (no ``-C`` unless the case is about ``-C``), in the hermetic environment of
``helpers.commands`` (no autoloaded pytest plugins, so the printed pytest command is exact).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.commands import ok, sh
from helpers.expectations import check_expectations, read_expectations
from helpers.projects import copy_fixture, write_project

pytestmark = pytest.mark.e2e

_SCRIPT = Path(sys.executable).with_name("mutgate")
MUTGATE = str(_SCRIPT) if _SCRIPT.exists() else "mutgate"
COVERAGE_RUN = "Running the test suite once under coverage"


def mutgate(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return sh(cwd, MUTGATE, *args)


def results(cwd: Path, *args: str) -> dict:
    return json.loads(ok(mutgate(cwd, *args, "results", "--json")).stdout)


def error_line(done: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    """The single line a failed command printed, after checking the code and the silence."""
    where = f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    assert done.returncode == code, where
    assert "Traceback" not in done.stdout + done.stderr, where
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mutgate: error: "), where
    for fragment in fragments:
        assert fragment in lines[0], where
    return lines[0]


def state_dirs(top: Path) -> list[Path]:
    return sorted(p for p in top.rglob(".mutgate") if p.is_dir())


def no_project_above(path: Path) -> None:
    markers = [p / m for p in path.resolve().parents
               for m in ("pyproject.toml", "setup.cfg", "setup.py") if (p / m).is_file()]
    assert not markers, f"a project above the temporary directory hides the case: {markers}"


# -- a top-level tests.py --------------------------------------------------------------------


def test_a_top_level_tests_py_without_configuration_is_run_and_never_mutated(tmp_path,
                                                                              hash_tree):
    project = copy_fixture("tests_py", tmp_path / "tests_py")
    before = hash_tree(project)
    done = ok(mutgate(project, "run", "-j", "2"))
    said = done.stderr.splitlines()
    # what it mutates and how it runs the tests, before the coverage run
    assert said[:3] == [
        f"mutating geometry.py (1 file) in {project.resolve()}",
        "tests: python -m pytest -p no:cacheprovider -p no:randomly tests.py",
        f"{COVERAGE_RUN} to map tests to lines...",
    ], done.stderr
    data = results(project)
    assert data["total"] > 0
    assert {m["file"] for m in data["mutants"]} == {"geometry.py"}
    assert {t.split("::")[0] for m in data["mutants"] for t in m["covered_by"]} == {"tests.py"}
    assert check_expectations(data, read_expectations(project)) == []
    assert data["counts"].get("survived") == 3, "fits_inside's untested boundaries"
    assert hash_tree(project) == before


@pytest.mark.parametrize(("test_file", "table"), [
    ("tests.py", 'pytest_args = ["tests.py"]'),
    ("tests.py", 'tests = ["tests.py"]'),
    # Neither its name nor its folder says checks.py is a test: pytest collecting tests from it
    # in the coverage run does.
    ("checks.py", 'pytest_args = ["checks.py"]'),
], ids=["pytest_args", "tests", "collected"])
def test_a_test_file_pytest_is_pointed_at_is_never_mutated(tmp_path, test_file, table):
    project = copy_fixture("tests_py", tmp_path / "tests_py")
    (project / "tests.py").rename(project / test_file)
    with open(project / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write(f'\n[tool.mutgate]\npaths = ["."]\n{table}\n')  # "." holds the tests too
    done = ok(mutgate(project, "run", "-j", "2"))
    assert "tests: python -m pytest -p no:cacheprovider -p no:randomly " \
           f"{test_file}\n" in done.stderr
    data = results(project)
    assert {m["file"] for m in data["mutants"]} == {"geometry.py"}
    assert check_expectations(data, read_expectations(project)) == []


# -- the project's root ---------------------------------------------------------------------


def test_a_run_from_a_subfolder_uses_the_project_root(tmp_path):
    project = copy_fixture("weak", tmp_path / "weak").resolve()
    package = project / "src" / "weakpkg"
    done = ok(mutgate(package, "run", "-j", "2"))
    assert done.stderr.startswith(f"mutating src/weakpkg (3 files) in {project}\n"), done.stderr
    assert "tests: python -m pytest -p no:cacheprovider -p no:randomly  (testpaths from " \
           "pyproject.toml: tests)\n" in done.stderr
    assert "mutation score:" in done.stdout
    assert state_dirs(tmp_path) == [project / ".mutgate"]
    # every other command, from anywhere inside the project, reads the same run
    data = results(project)
    assert {m["file"] for m in data["mutants"]} == {"src/weakpkg/report.py",
                                                    "src/weakpkg/units.py"}
    assert results(package) == data
    assert results(tmp_path, "-C", str(package)) == data
    ok(mutgate(project / "tests", "baseline"))
    assert (project / "mutgate-baseline.json").is_file()
    assert not (project / "tests" / "mutgate-baseline.json").exists()
    assert "gate: passed" in ok(mutgate(package, "gate")).stdout
    survivor = next(m for m in data["mutants"] if m["status"] == "survived")
    shown = ok(mutgate(package, "show", survivor["id"])).stdout
    assert f"mutant {survivor['id']}: survived" in shown
    # a path to mutate is taken from where the user stands
    again = ok(mutgate(package, "run", "units.py"))
    assert again.stderr.startswith(f"mutating src/weakpkg/units.py (1 file) in {project}\n")
    assert state_dirs(tmp_path) == [project / ".mutgate"]


def test_a_folder_outside_any_project_is_refused(tmp_path):
    no_project_above(tmp_path)
    loose = write_project(tmp_path / "loose", {
        "mod.py": "def add(a, b):\n    return a + b\n",
        "tests.py": "from mod import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"})
    inner = write_project(loose / "pkg", {"__init__.py": ""})
    for cwd, args in [(loose, ()), (inner, ()), (tmp_path, ("-C", str(loose)))]:
        for command in (["run"], ["results"], ["baseline"], ["gate"],
                        ["report", "--markdown", "r.md"]):
            done = mutgate(cwd, *args, *command)
            line = error_line(done, 2, "not inside a Python project",
                              "no pyproject.toml, setup.cfg or setup.py", "pass -C")
            assert str((cwd if not args else loose).resolve()) in line, line
    assert sorted(os.listdir(loose)) == ["mod.py", "pkg", "tests.py"]
    assert os.listdir(inner) == ["__init__.py"]
    assert sorted(os.listdir(tmp_path)) == ["loose"]


# -- source that does not parse ---------------------------------------------------------------


def test_a_syntax_error_is_named_by_file_and_line_before_the_coverage_run(tmp_path,
                                                                          hash_tree):
    """The tests import the broken module: the coverage run would only name the test files
    that could not be collected."""
    project = copy_fixture("broken_syntax", tmp_path / "broken_syntax")
    write_project(project, {"tests/test_broken.py": """
        from brokenpkg.broken import triple


        def test_triple():
            assert triple(2) == 6
        """})
    before = hash_tree(project)
    done = mutgate(project / "tests", "run")
    error_line(done, 2, "src/brokenpkg/broken.py:5: syntax error: ")
    assert COVERAGE_RUN not in done.stderr
    assert "tests/" not in done.stderr
    assert hash_tree(project) == before
