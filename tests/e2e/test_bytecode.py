"""End to end: with PYTHONDONTWRITEBYTECODE set, the run's processes keep pytest's rewrites under
``.mutgate/pycache`` (so only the first pytest process rewrites the tests), nothing lands in
the project's tree, and no cached bytecode stands in for a mutant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.commands import ok, sh
from helpers.projects import write_project

pytestmark = pytest.mark.e2e

PROJECT = {
    "calc/__init__.py": "",
    "calc/core.py": """
        LIMIT = 5 + 5


        def clip(x):
            return min(x, LIMIT)
        """,
    "tests/test_core.py": """
        from calc import core


        def test_clip():
            assert core.clip(3) == 3
            assert core.clip(30) == 10
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        testpaths = ["tests"]
        """,
}


def statuses(root: Path) -> dict[tuple[int, str, str], str]:
    data = json.loads(ok(sh(root, "mutgate", "results", "--json")).stdout)
    return {(m["line"], m["original"], m["replacement"]): m["status"] for m in data["mutants"]}


@pytest.mark.parametrize("mode", [(), ("--isolation", "subprocess")], ids=["default", "subprocess"])
def test_bytecode_goes_under_the_state_dir_and_never_masks_a_mutant(tmp_path, mode):
    root = write_project(tmp_path / "calc", PROJECT)
    first = {}
    for attempt in range(2):  # the second run finds the first one's bytecode
        ok(sh(root, "mutgate", "run", "--no-reuse", "-j", "1", *mode,
              PYTHONDONTWRITEBYTECODE="1"))
        found = statuses(root)
        # The module constant is a static mutant: a fresh import must compile the mutated
        # source, not load the cached original.
        assert found[(1, "+", "-")] == "killed", found
        first = first or found
        assert found == first, attempt
    assert not list(root.rglob("__pycache__")) or all(
        ".mutgate" in p.relative_to(root).parts for p in root.rglob("__pycache__"))
    cached = [p.name for p in (root / ".mutgate" / "pycache").rglob("*.pyc")]
    assert any(n.startswith("test_core.") and "-pytest-" in n for n in cached), cached
