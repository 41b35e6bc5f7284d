"""End to end: verdicts that coverage-based test selection alone would get wrong.

Each case was a silent wrong verdict on a released project: the killing test never chosen
(a multi-line condition decided on its first line, a cache filled by another test), a
parametrized id naming another case in the worker than in the coverage run, an import-time
``SystemExit`` recorded as ``no-tests``, and tests that import another copy of the package.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from helpers.commands import plugins_env
from helpers.projects import copy_fixture, write_project

pytestmark = pytest.mark.e2e


def mutgate(project: Path, *args: str, env: dict | None = None,
            command: tuple[str, ...] = ("mutgate",)) -> subprocess.CompletedProcess:
    return subprocess.run([*command, "-C", str(project), *args], capture_output=True,
                          text=True, timeout=600, env=env or plugins_env())


def mutants(project: Path, **kwargs) -> dict[tuple[str, int, str], dict]:
    done = mutgate(project, "results", "--json", **kwargs)
    assert done.returncode == 0, done.stderr
    return {(m["file"].rsplit("/", 1)[-1], m["line"], m["operator"]): m
            for m in json.loads(done.stdout)["mutants"]}


@pytest.fixture(scope="module")
def trust_run(tmp_path_factory):
    project = copy_fixture("trust", tmp_path_factory.mktemp("trust") / "trust")
    done = mutgate(project, "run", "-j", "2")
    assert done.returncode == 0, done.stderr
    return project, done, mutants(project)


def test_a_test_that_decides_a_condition_on_its_first_line_is_run_for_the_last(trust_run):
    _, _, found = trust_run
    # `or` -> `and` on the condition's second line: only the None test fails, and it never
    # executes that line.
    mutant = found[("text.py", 6, "operator.bool")]
    assert "tests/test_text.py::test_none_is_blank" in mutant["covered_by"]
    assert mutant["status"] == "killed"
    assert mutant["killed_by"] == "tests/test_text.py::test_none_is_blank"


def test_a_test_reading_a_cache_another_test_filled_kills_the_cached_function(trust_run):
    _, done, found = trust_run
    for operator in ("operator.arith", "return.none"):
        mutant = found[("cache.py", 13, operator)]
        assert mutant["covered_by"] == ["tests/test_cache.py::test_square_fills_the_cache"]
        assert mutant["status"] == "killed"
        assert mutant["killed_by"] == "tests/test_cache.py::test_square_reads_the_cache"
        assert "never ran its lines" in mutant["detail"]
    assert "confirming 3 survivor(s)" in done.stderr


def test_a_test_module_that_imports_a_constant_second_confirms_its_survivor(trust_run):
    _, _, found = trust_run
    # test_a_imports_first's collection ran limits.py; test_b_reads_limit found it imported.
    mutant = found[("limits.py", 4, "operator.arith")]
    assert mutant["covered_by"] == ["tests/test_a_imports_first.py::test_cap_runs"]
    assert mutant["status"] == "killed"
    assert mutant["killed_by"] == "tests/test_b_reads_limit.py::test_limit"
    assert mutant["path"] == "fresh"


def test_an_import_time_system_exit_is_a_kill_with_its_reason(trust_run):
    _, _, found = trust_run
    mutant = found[("__main__.py", 5, "operator.compare")]
    assert mutant["status"] == "killed"
    assert "SystemExit" in mutant["detail"]


def test_each_worker_reports_its_memory_after_its_first_and_last_batch(trust_run):
    project, _, _ = trust_run
    done = mutgate(project, "results", "--json")
    rss = json.loads(done.stdout)["run"]["worker_rss_mb"]
    assert 1 <= len(rss) <= 2
    assert all(len(pair) == 2 and 10 < pair[0] < 2000 and 10 < pair[1] < 2000 for pair in rss)


def test_the_run_says_how_busy_its_workers_were(trust_run):
    project, _, _ = trust_run
    run = json.loads(mutgate(project, "results", "--json").stdout)["run"]
    busy, wall = run["worker_busy_s"], run["mutants_wall_s"]
    assert len(busy) == len(run["worker_rss_mb"])
    # Each worker's batches fit in the phase; the idle share is what the two leave over.
    assert all(0 < b <= wall + 0.05 for b in busy)
    # Busy and wall are stored to 0.01 s, the idle share to 0.001, from the unrounded times.
    rounding = 0.005 * (len(busy) + 2) / (2 * wall) + 0.0005
    assert run["worker_idle"] == pytest.approx(max(0.0, 1 - sum(busy) / (2 * wall)),
                                               abs=rounding)


def test_every_trust_mutant_is_killed_and_nothing_is_left_unexplained(trust_run):
    _, done, found = trust_run
    assert {m["status"] for m in found.values()} == {"killed"}
    assert "mutation score: 100.0%" in done.stdout


def test_without_confirmation_the_cache_survivors_say_they_are_unconfirmed(tmp_path):
    project = copy_fixture("trust", tmp_path / "trust")
    done = mutgate(project, "run", "-j", "2", "--confirm", "off")
    assert done.returncode == 0, done.stderr
    found = mutants(project)
    cached = [found[("cache.py", 13, op)] for op in ("operator.arith", "return.none")]
    assert [m["status"] for m in cached] == ["survived", "survived"]
    assert found[("limits.py", 4, "operator.arith")]["status"] == "survived"
    assert [m["confirmed"] for m in cached] == [None, None]
    assert "3 not confirmed against the wider tests" in done.stdout
    # The parametrized ids name the other case in the workers than in the coverage run: each
    # mutant still meets the case that tests its function, so none survives there.
    scale = [m for key, m in found.items() if key[0] == "scale.py"]
    assert len(scale) == 4 and {m["status"] for m in scale} == {"killed"}


def _src_project(root: Path) -> Path:
    return write_project(root, {
        "pyproject.toml": """
            [project]
            name = "copied"
            version = "0.1.0"

            [tool.pytest.ini_options]
            testpaths = ["tests"]
            """,
        "src/copied/__init__.py": "",
        "src/copied/calc.py": """
            def add(a, b):
                return a + b
            """,
        "tests/test_calc.py": """
            from copied.calc import add


            def test_add():
                assert add(2, 3) == 5
            """,
    })


def test_tests_that_import_another_copy_stop_the_run_with_the_fix(tmp_path, hash_tree):
    project = _src_project(tmp_path / "checkout")
    elsewhere = tmp_path / "installed"
    shutil.copytree(project / "src", elsewhere)
    before = hash_tree(project)
    done = mutgate(project, "run", env=plugins_env(PYTHONPATH=str(elsewhere)))
    assert done.returncode == 2, done.stdout + done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("mutgate: error: src/copied/calc.py: the tests import copied.calc")
    assert str(elsewhere / "copied" / "calc.py") in message
    assert "pip install -e ." in message
    assert "mutation score" not in done.stdout
    assert "Traceback" not in done.stderr
    assert hash_tree(project) == before


@pytest.fixture(scope="module")
def non_editable(tmp_path_factory):
    """A flat-layout project installed with ``pip install .`` into its own venv."""
    base = tmp_path_factory.mktemp("non-editable")
    project = write_project(base / "flatcalc", {
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools>=64"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "flatcalc"
            version = "0.1.0"

            [tool.setuptools]
            packages = ["flatcalc"]
            """,
        "flatcalc/__init__.py": "",
        "flatcalc/ops.py": """
            def mul(a, b):
                return a * b


            def sub(a, b):
                return a - b
            """,
        "tests/test_ops.py": """
            from flatcalc.ops import mul, sub


            def test_mul():
                assert mul(2, 3) == 6


            def test_sub():
                assert sub(5, 3) == 2
            """,
    })
    env_dir = base / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = env_dir / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "."],
                               cwd=project, capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    where = subprocess.run([str(python), "-c", "import flatcalc.ops as m; print(m.__file__)"],
                           cwd=base, capture_output=True, text=True, check=True).stdout
    assert "site-packages" in where
    shutil.rmtree(project / "build", ignore_errors=True)
    return project, (str(python), "-m", "mutgate.cli")


@pytest.mark.skipif(sys.platform != "linux", reason="venv layout of Linux")
def test_a_non_editable_install_gives_the_score_of_the_tree(non_editable, hash_tree):
    project, command = non_editable
    before = hash_tree(project)
    done = mutgate(project, "run", "-j", "2", command=command)
    assert done.returncode == 0, done.stderr
    fork = {m["id"]: m["status"] for m in mutants(project, command=command).values()}
    assert fork and set(fork.values()) == {"killed"}
    done = mutgate(project, "run", "-j", "2", "--isolation", "subprocess", "--no-reuse",
                   command=command)
    assert done.returncode == 0, done.stderr
    isolated = {m["id"]: m["status"] for m in mutants(project, command=command).values()}
    assert isolated == fork
    assert hash_tree(project) == before
