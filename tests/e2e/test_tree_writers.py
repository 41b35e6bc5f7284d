"""End to end: a kill by a test that writes into the project's tree is checked with one worker.

python-box's autouse fixture empties and refills ``test/tmp/`` in the project around every
test; with two workers, a test failed because the other worker's test had just emptied the
folder, and a mutant the plain suite lets live was recorded killed. The coverage run now names
the tests that create or delete files in the tree, and the mutants they kill run again alone.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers.commands import plugins_env
from helpers.projects import write_project

pytestmark = pytest.mark.e2e

PROJECT = {
    "pyproject.toml": """
        [project]
        name = "writerpkg"
        version = "0.1.0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        """,
    "writerpkg/__init__.py": "",
    "writerpkg/store.py": """
        from pathlib import Path


        def save(folder, name, text):
            path = Path(folder) / name
            path.write_text(text + "!")
            return path


        def shout(text):
            return text.upper()


        def pad(text, width):
            return text.ljust(width + 1)
        """,
    "tests/test_store.py": """
        from pathlib import Path

        from writerpkg.store import pad, save, shout

        HERE = Path(__file__).parent / "tmp"


        def test_save_writes_into_the_tree():
            HERE.mkdir(exist_ok=True)
            path = save(HERE, "a.txt", "hi")
            try:
                assert path.read_text() == "hi!"
            finally:
                path.unlink()
                HERE.rmdir()


        def test_shout():
            assert shout("a") == "A"


        def test_pad_runs():
            pad("a", 2)  # asserts nothing: its mutants survive and are confirmed
        """,
}


def mutgate(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mutgate", "-C", str(project), *args], capture_output=True,
                          text=True, timeout=600, env=plugins_env())


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("writer") / "writerpkg", PROJECT)


def test_the_coverage_map_names_the_tests_that_write_into_the_tree(project):
    done = mutgate(project, "run", "-j", "2", "--no-reuse")
    assert done.returncode == 0, done.stderr
    writers = json.loads((project / ".mutgate" / "coverage-map.json").read_text())[
        "tree_writers"]
    assert writers == {"tests/test_store.py::test_save_writes_into_the_tree": ["tests"]}
    # Each mutant of save() was killed by that test, and run again with one worker.
    found = json.loads(mutgate(project, "results", "--json").stdout)["mutants"]
    saved = [m for m in found if m["qualname"] == "save"]
    assert saved and {m["status"] for m in saved} == {"killed"}
    assert {m["killed_by"] for m in saved} == {
        "tests/test_store.py::test_save_writes_into_the_tree"}
    assert (f"running {len(saved)} mutant(s) again with one worker: their killing tests "
            "write into the project's tree") in done.stderr
    # The survivors are confirmed with two workers after that one-worker pass.
    assert "confirming" in done.stderr
    assert {m["status"] for m in found if m["qualname"] == "pad"} == {"survived"}


def test_with_one_worker_nothing_runs_again(project):
    done = mutgate(project, "run", "-j", "1", "--no-reuse")
    assert done.returncode == 0, done.stderr
    assert "again with one worker" not in done.stderr
