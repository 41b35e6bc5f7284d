"""End to end: code the project's coverage configuration excludes is not mutated by default."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from helpers.commands import plugins_env
from helpers.projects import write_project

pytestmark = pytest.mark.e2e


def mutgate(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mutgate", "-C", str(project), *args], capture_output=True,
                          text=True, timeout=600, env=plugins_env())


@pytest.fixture
def project(tmp_path) -> Path:
    return write_project(tmp_path / "excl", {
        "pyproject.toml": """
            [project]
            name = "excl"
            version = "0.1.0"

            [tool.pytest.ini_options]
            pythonpath = ["."]
            testpaths = ["tests"]

            [tool.coverage.report]
            exclude_also = ["def __repr__"]
            """,
        "excl/__init__.py": "",
        "excl/core.py": """
            def add(a, b):
                return a + b


            def debug_only(x):  # pragma: no cover
                return x * 2


            class Box:
                def __init__(self, n):
                    self.n = n

                def __repr__(self):
                    return f"Box({self.n + 1})"
            """,
        "tests/test_core.py": """
            from excl.core import Box, add, debug_only


            def test_add():
                assert add(2, 3) == 5


            def test_smoke():
                debug_only(1)
                repr(Box(1))
            """,
    })


def _by_function(project: Path) -> dict[str, set[str]]:
    done = mutgate(project, "results", "--json")
    assert done.returncode == 0, done.stderr
    found: dict[str, set[str]] = {}
    for m in json.loads(done.stdout)["mutants"]:
        found.setdefault(m["qualname"], set()).add(m["status"])
        if m["status"] == "skipped":
            assert "excluded from coverage" in m["detail"]
    return found


def test_excluded_code_is_skipped_with_its_reason_and_an_option_mutates_it(project):
    done = mutgate(project, "run", "-j", "1")
    assert done.returncode == 0, done.stderr
    found = _by_function(project)
    assert found["add"] == {"killed"}
    assert found["debug_only"] == {"skipped"}
    assert found["Box.__repr__"] == {"skipped"}
    assert "mutation score: 100.0%" in done.stdout
    said = re.search(r"\d+ selected \((\d+) skipped on lines the coverage configuration "
                     r"excludes\)", done.stderr)
    shown = json.loads(mutgate(project, "results", "--json").stdout)["mutants"]
    assert said and int(said[1]) == sum(m["status"] == "skipped" for m in shown) > 0
    done = mutgate(project, "run", "-j", "1", "--mutate-excluded")
    assert done.returncode == 0, done.stderr
    found = _by_function(project)
    assert found["debug_only"] == {"survived"}
    assert "skipped" not in found["Box.__repr__"] and "survived" in found["Box.__repr__"]
