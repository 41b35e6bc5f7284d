"""End to end: results are reused across runs even when test ids are built from the time.

marshmallow parametrizes a test with ``datetime.now()`` formatted into its id: every
collection names that case anew. Its cases are in the covering tests of most mutants, so a
comment-only change reused 36 of 577 results. Such a test function counts by its cases' number
in the fingerprint; every other id counts as itself.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from helpers.commands import plugins_env
from helpers.projects import write_project

pytestmark = pytest.mark.e2e

PROJECT = {
    "pyproject.toml": """
        [project]
        name = "clockpkg"
        version = "0.1.0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        """,
    "clockpkg/__init__.py": "",
    "clockpkg/label.py": """
        def label(text):
            if len(text) > 3:
                return text[:3] + "..."
            return text
        """,
    "clockpkg/other.py": """
        def double(x):
            return x * 2
        """,
    "tests/test_label.py": """
        import time

        import pytest

        from clockpkg.label import label


        @pytest.mark.parametrize("stamp", [str(time.time_ns())])
        def test_label_of_a_stamp(stamp):
            assert label(stamp) == stamp[:3] + "..."


        def test_short():
            assert label("ab") == "ab"
        """,
    "tests/test_other.py": """
        from clockpkg.other import double


        def test_double():
            assert double(2) == 4
        """,
}


def mutgate(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mutgate", "-C", str(project), *args], capture_output=True,
                          text=True, timeout=600, env=plugins_env())


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True)


def test_a_comment_only_change_reuses_results_covered_by_a_time_stamped_case(tmp_path):
    project = write_project(tmp_path / "clockpkg", PROJECT)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "one")
    first = mutgate(project, "run", "-j", "2")
    assert first.returncode == 0, first.stderr
    total = int(re.search(r"(\d+) mutants on covered lines", first.stderr)[1])
    assert total >= 5
    other = project / "clockpkg" / "other.py"
    other.write_text("# a comment-only change\n" + other.read_text(encoding="utf-8"),
                     encoding="utf-8")
    # The comment moves every line of other.py: its tests are measured again, and so is the
    # time-stamped case, whose id changed.
    again = mutgate(project, "run", "-j", "2")
    assert again.returncode == 0, again.stderr
    assert f"{total} mutants on covered lines, {total} results reused, 0 to run" in again.stderr
    results = mutgate(project, "results")
    assert "killed" in results.stdout
