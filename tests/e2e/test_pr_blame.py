"""End to end: what a PR check costs and whom it blames (issue 13).

A git repo in a temp dir: a small package with strong tests on ``main``, fully run and
baselined. A comment-only change must reuse every result; a PR that adds code with a test that
calls it without asserting must fail the gate naming exactly that test and the survivors'
lines, while a test in the same PR that asserts is never named — the diff run ran every
covering test against each mutant on a changed line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.commands import commit, ok, sh
from helpers.projects import write_project

pytestmark = pytest.mark.e2e

GEOMETRY = "src/shapes/geometry.py"
SMOKE = "tests/test_new.py::test_new_functions_run"
CHECKS = "tests/test_new.py::test_perimeter_values"


def results(repo: Path) -> dict:
    return json.loads(ok(sh(repo, "mutgate", "results", "--json")).stdout)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = write_project(tmp_path_factory.mktemp("blame") / "shapes", {
        "pyproject.toml": """
            [project]
            name = "shapes"
            version = "0.1.0"

            [tool.pytest.ini_options]
            pythonpath = ["src"]
            testpaths = ["tests"]
            """,
        ".gitignore": ".mutgate/\n__pycache__/\n",
        "src/shapes/__init__.py": "",
        GEOMETRY: """
            def square_area(side):
                return side * side


            def is_big(area):
                return area > 100
            """,
        "src/shapes/units.py": """
            def to_cm(mm):
                return mm / 10
            """,
        "tests/test_geometry.py": """
            from shapes.geometry import is_big, square_area
            from shapes.units import to_cm


            def test_square_area():
                assert square_area(3) == 9


            def test_is_big():
                assert is_big(101) and not is_big(100)


            def test_to_cm():
                assert to_cm(25) == 2.5
            """,
    })
    ok(sh(root, "git", "init", "-q", "-b", "main"))
    commit(root, "shapes")
    ok(sh(root, "mutgate", "run", "-j", "2"))
    ok(sh(root, "mutgate", "baseline"))
    commit(root, "baseline")
    return root


def test_a_comment_only_change_reuses_every_result(repo):
    before = results(repo)
    units = repo / "src/shapes/units.py"
    original = units.read_text(encoding="utf-8")
    units.write_text("# Millimetres to centimetres.\n\n" + original, encoding="utf-8")
    try:
        done = ok(sh(repo, "mutgate", "run", "-j", "2"))
        total = before["total"]
        assert f"{total} mutants on covered lines, {total} results reused, 0 to run" in (
            done.stderr)
        after = {m["id"]: m["status"] for m in results(repo)["mutants"]}
        assert after == {m["id"]: m["status"] for m in before["mutants"]}
    finally:
        units.write_text(original, encoding="utf-8")


def test_a_pr_with_a_test_that_asserts_nothing_names_exactly_that_test(repo):
    ok(sh(repo, "git", "checkout", "-q", "-B", "pr-smoke", "main"))
    geometry = repo / GEOMETRY
    geometry.write_text(geometry.read_text(encoding="utf-8") + (
        "\n\ndef rectangle_area(width, height):\n    return width * height\n"
        "\n\ndef perimeter(width, height):\n    return 2 * (width + height)\n"),
        encoding="utf-8")
    (repo / "tests/test_new.py").write_text(
        "from shapes.geometry import perimeter, rectangle_area\n\n\n"
        "def test_new_functions_run():\n    rectangle_area(2, 3)\n    perimeter(2, 3)\n\n\n"
        "def test_perimeter_values():\n    assert perimeter(2, 3) == 10\n"
        "    assert perimeter(1, 1) == 4\n", encoding="utf-8")
    commit(repo, "rectangles")
    done = ok(sh(repo, "mutgate", "run", "-j", "2", "--diff", "main"))
    assert "on lines changed since main" in done.stderr
    data = results(repo)
    on_changed = set(data["run"]["on_changed_lines"])
    new = [m for m in data["mutants"] if m["id"] in on_changed]
    assert new and all(m["file"] == GEOMETRY and m["line"] >= 9 for m in new)
    for m in new:  # every covering test ran against every mutant on a changed line
        assert m["killers"] is not None
        assert m["tests_run"] == len(m["covered_by"]) or m["status"] != "killed"
    area = [m for m in new if m["qualname"] == "rectangle_area"]
    assert area and {m["status"] for m in area} == {"survived"}
    perimeter = [m for m in new if m["qualname"] == "perimeter"]
    assert perimeter and {m["status"] for m in perimeter} == {"killed"}
    assert all(m["killers"] == [CHECKS] for m in perimeter)

    gate = sh(repo, "mutgate", "gate", "--diff", "main")
    assert gate.returncode == 1, gate.stdout + gate.stderr
    out = gate.stdout
    header = "tests that cover changed lines and kill none of their mutants (1):"
    assert header in out
    blamed = out.split(header, 1)[1].lstrip("\n").splitlines()[0]
    assert blamed.strip().startswith(SMOKE)
    lines = sorted({m["line"] for m in new})
    assert f"at {', '.join(f'{GEOMETRY}:{n}' for n in lines)}" in blamed
    assert CHECKS not in out.split(header, 1)[1].split("\n\n", 1)[0]
    for m in area:
        assert f"{GEOMETRY}:{m['line']}" in out.split(header, 1)[0]
