"""The incremental coverage map (issue 13), with real pytest + coverage runs in a temp project.

Each test maps the project, changes it, maps it again (incrementally) and compares the result
with a full measurement of the changed project: the merged map must be the one a full run
gives (lines, import-time lines, tests, raw contexts), and only the tests that can have changed
coverage may have run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mutgate import coverage_map
from mutgate.config import load_config
from mutgate.coverage_map import CoverageMap

pytestmark = pytest.mark.usefixtures("fast_pytest_subprocesses")

CALC = '''
from pkg.deco import label

OFFSET = 0


@label
def add(a, b):
    return a + b + OFFSET


def mul(a, b):
    if a == 0:
        return 0
    return a * b
'''

DECO = '''
def label(fn):
    fn.tag = fn.__name__.upper()
    return fn
'''

MOD = '''
THRESHOLD = 10


def below(value):
    return value < THRESHOLD


def size(value):
    label = "medium"
    if value > 100:
        label = "large"
    return label
'''

OTHER = '''
RATE = 2 * 3
'''

TEST_CALC = '''
from pkg.calc import add, mul
from pkg.deco import label


@label
def helper():
    return 1


def test_add():
    assert add(1, 2) == 3


def test_mul():
    assert mul(2, 3) == 6


def test_mul_zero():
    assert mul(0, 3) == 0
'''

TEST_MOD = '''
import testutil
from pkg.mod import below, size


def test_below():
    assert below(3)


def test_medium():
    assert size(5) == "medium"


def test_large():
    assert size(testutil.LARGE) == "large"
'''

CONFTEST = '''
import pytest

import pkg.other  # noqa: F401


@pytest.fixture
def two():
    return 2
'''

FILES = {
    "pkg/__init__.py": "", "pkg/calc.py": CALC, "pkg/deco.py": DECO, "pkg/mod.py": MOD,
    "pkg/other.py": OTHER, "testutil.py": "LARGE = 500\n", "scripts/release.py": "print(1)\n",
    "tests/conftest.py": CONFTEST, "tests/test_calc.py": TEST_CALC,
    "tests/test_mod.py": TEST_MOD,
}
CALC_TESTS = {"tests/test_calc.py::test_add", "tests/test_calc.py::test_mul",
              "tests/test_calc.py::test_mul_zero"}
MOD_TESTS = {"tests/test_mod.py::test_below", "tests/test_mod.py::test_medium",
             "tests/test_mod.py::test_large"}


@pytest.fixture
def project(tmp_path: Path, make_project) -> tuple[Path, CoverageMap]:
    """The project, mapped once (a full measurement)."""
    root = make_project(tmp_path / "proj", FILES)
    said: list[str] = []
    cov = coverage_map.build(load_config(root), echo=said.append)
    assert said[-1] == "coverage: measured all 6 tests (no map from an earlier run)"
    return root, cov


def remap(root: Path, **settings: str) -> tuple[CoverageMap, str, set[str]]:
    """Map again: the map, the line the run printed, and the tests pytest ran."""
    report = root / ".mutgate" / "coverage-tests.json"  # the coverage plugin's, if pytest ran
    report.unlink(missing_ok=True)
    said: list[str] = []
    cov = coverage_map.build(load_config(root, settings or None), echo=said.append)
    ran = set(json.loads(report.read_text())["tests"]) if report.exists() else set()
    return cov, said[-1], ran


def full_map(root: Path) -> CoverageMap:
    said: list[str] = []
    cov = coverage_map.build(load_config(root), reuse=False, echo=said.append)
    assert said[-1] == f"coverage: measured all {len(cov.durations)} tests (--no-reuse)"
    return cov


def assert_same_map(merged: CoverageMap, full: CoverageMap) -> None:
    assert merged.lines == full.lines
    assert merged.import_lines == full.import_lines
    assert sorted(merged.durations) == sorted(full.durations)
    assert merged.contexts == full.contexts
    assert (merged.test_files, merged.params, merged.key) == (
        full.test_files, full.params, full.key)


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def remapped(root: Path, edits: list[tuple[str, str, str]], said: str, ran: set[str]
             ) -> CoverageMap:
    """Apply ``edits`` (file, old text, new text), map again, and check what the run printed
    and which tests it ran."""
    for rel, old, new in edits:
        edit(root, rel, old, new)
    merged, printed, measured = remap(root)
    assert (printed, measured) == (said, ran)
    return merged


def test_a_change_inside_a_function_re_measures_only_the_tests_that_ran_it(project) -> None:
    root, before = project
    graph = root / ".mutgate" / "imports.json"
    edges = json.loads(graph.read_text())
    assert "tests.test_mod" in edges or "test_mod" in edges
    merged = remapped(
        root, [("pkg/calc.py", "    return a * b\n", "    product = a * b\n    return product\n")],
        said="coverage: re-measured 2 of 6 tests (1 changed file: pkg/calc.py; only the tests "
             "that ran mul)", ran=CALC_TESTS - {"tests/test_calc.py::test_add"})
    report = json.loads((root / ".mutgate" / "coverage-tests.json").read_text())
    assert set(report["collected"]) == CALC_TESTS  # only test_calc.py was collected
    # test_mod.py was not imported this time: its import edges are kept (confirmation uses them).
    assert json.loads(graph.read_text()) == edges
    assert merged.lines["pkg/calc.py"][14] == ["tests/test_calc.py::test_mul"]  # new line
    assert {t: merged.durations[t] for t in MOD_TESTS} == {
        t: before.durations[t] for t in MOD_TESTS}  # not run: their old durations
    assert_same_map(merged, full_map(root))


def test_lines_below_a_changed_function_move_for_the_tests_not_measured_again(project) -> None:
    root, before = project
    # add() grows by a line: test_mul's and test_mul_zero's lines of mul() move down by one.
    merged = remapped(
        root, [("pkg/calc.py", "    return a + b + OFFSET\n",
                "    total = a + b\n    return total + OFFSET\n")],
        said="coverage: re-measured 1 of 6 tests (1 changed file: pkg/calc.py; only the tests "
             "that ran add)", ran={"tests/test_calc.py::test_add"})
    moved = {line + 1: tests for line, tests in before.lines["pkg/calc.py"].items() if line > 10}
    assert {line: tests for line, tests in merged.lines["pkg/calc.py"].items()
            if line > 11} == moved
    assert_same_map(merged, full_map(root))


def test_a_change_outside_function_bodies_re_measures_every_test_of_the_file(project) -> None:
    root, _ = project
    merged = remapped(
        root, [("pkg/calc.py", "def mul(a, b):\n", "def mul(a, b=1):\n")],
        said="coverage: re-measured 3 of 6 tests (1 changed file: pkg/calc.py)", ran=CALC_TESTS)
    assert_same_map(merged, full_map(root))


def test_a_function_that_ran_at_import_time_is_no_narrower_than_its_file(project) -> None:
    root, _ = project
    # label() runs while test_calc.py is imported (@label): every test of deco.py, as before.
    merged = remapped(
        root, [("pkg/deco.py", "    return fn\n", "    fn.seen = True\n    return fn\n")],
        said="coverage: re-measured 0 of 6 tests (1 changed file: pkg/deco.py)", ran=set())
    assert_same_map(merged, full_map(root))


def test_a_comment_moves_a_files_lines_and_nothing_runs_again(project) -> None:
    root, before = project
    merged = remapped(
        root, [("pkg/mod.py", "THRESHOLD = 10\n", "# the threshold\n\nTHRESHOLD = 10\n")],
        said="coverage: reused the map, lines moved (only lines without code changed in the "
             "1 changed file: pkg/mod.py)", ran=set())
    shifted = {line + 2: tests for line, tests in before.lines["pkg/mod.py"].items()}
    assert merged.lines["pkg/mod.py"] == shifted
    assert merged.import_lines["pkg/mod.py"] == {
        line + 2 for line in before.import_lines["pkg/mod.py"]}
    assert merged.lines["pkg/calc.py"] == before.lines["pkg/calc.py"]
    assert_same_map(merged, full_map(root))


def test_a_file_only_imported_has_its_import_time_lines_measured_again(project) -> None:
    root, before = project
    # conftest.py imports it and no test runs a line: every test ran after its import.
    assert before.lines["pkg/other.py"] == {1: sorted(before.durations)}
    merged = remapped(
        root, [("pkg/other.py", "RATE = 2 * 3\n", "BASE = 2\nRATE = BASE * 3\n")],
        said="coverage: re-measured 0 of 6 tests (1 changed file: pkg/other.py)", ran=set())
    assert merged.import_lines["pkg/other.py"] == {1, 2}
    assert_same_map(merged, full_map(root))


def test_code_run_while_a_test_module_is_collected_moves_with_its_lines(project) -> None:
    root, before = project
    # @label, applied while test_calc.py is imported: no test runs a line of deco.py itself,
    # so its import-time lines are covered by test_calc.py's tests, and only by them.
    assert before.contexts.collected["pkg/deco.py"][2] == ["tests/test_calc.py"]
    assert before.lines["pkg/deco.py"]
    assert {t for tests in before.lines["pkg/deco.py"].values() for t in tests} == {
        t for t in before.durations if t.startswith("tests/test_calc.py::")}
    merged = remapped(
        root, [("pkg/deco.py", "def label(fn):\n", "def label(fn):\n    # tag it\n")],
        said="coverage: reused the map, lines moved (only lines without code changed in the "
             "1 changed file: pkg/deco.py)", ran=set())
    assert merged.contexts.collected["pkg/deco.py"][3] == ["tests/test_calc.py"]
    assert_same_map(merged, full_map(root))


def test_a_changed_test_file_re_measures_only_its_tests(project) -> None:
    root, before = project
    # test_mul goes, test_mul_zero changes, test_sub is new: mul's `a == 0` branch is now
    # exercised by none, and the import-time lines of calc.py follow calc's tests.
    now_tests = {"tests/test_calc.py::test_add", "tests/test_calc.py::test_sub",
                 "tests/test_calc.py::test_mul_zero"}
    merged = remapped(
        root, [("tests/test_calc.py", "def test_mul():\n    assert mul(2, 3) == 6\n",
                "def test_sub():\n    assert add(5, -2) == 3\n"),
               ("tests/test_calc.py", "assert mul(0, 3) == 0", "assert mul(1, 3) == 3")],
        said="coverage: re-measured 3 of 6 tests (1 changed file: tests/test_calc.py)",
        ran=now_tests)
    assert "tests/test_calc.py::test_mul" not in merged.durations
    assert 13 not in merged.lines["pkg/calc.py"]  # `return 0`: no test gets there now
    assert merged.lines["pkg/calc.py"][1] == sorted(now_tests)  # import time: calc's tests
    assert before.lines["pkg/calc.py"][1] == sorted(CALC_TESTS)
    assert_same_map(merged, full_map(root))


def test_a_new_test_file_is_collected_and_measured(project) -> None:
    root, _ = project
    (root / "tests/test_more.py").write_text(
        "from pkg.mod import size\n\n\ndef test_more(two):\n    assert size(two) == 'medium'\n")
    merged = remapped(
        root, [], said="coverage: re-measured 1 of 7 tests (1 changed file: tests/test_more.py)",
        ran={"tests/test_more.py::test_more"})
    assert "tests/test_more.py::test_more" in merged.lines["pkg/mod.py"][12]
    assert_same_map(merged, full_map(root))


def test_an_inherited_test_class_is_re_measured_with_the_file_that_defines_it(
        tmp_path: Path, make_project) -> None:
    root = make_project(tmp_path / "proj", {
        "pkg/__init__.py": "", "pkg/mod.py": MOD, "tests/__init__.py": "",
        "tests/test_base.py": "from pkg.mod import below\n\n\nclass TestBelow:\n"
                              "    def test_below(self):\n        assert below(1)\n",
        "tests/test_child.py": "from tests.test_base import TestBelow\n\n\n"
                               "class TestChild(TestBelow):\n    pass\n",
        "tests/test_size.py": "from pkg.mod import size\n\n\ndef test_size():\n"
                              "    assert size(1) == 'medium'\n"})
    coverage_map.build(load_config(root))
    # test_child.py collects TestBelow too (it imports it), and TestChild inherits its test.
    merged = remapped(
        root, [("tests/test_base.py", "assert below(1)", "assert below(1) and not below(99)")],
        said="coverage: re-measured 3 of 4 tests (1 changed file: tests/test_base.py)",
        ran={"tests/test_base.py::TestBelow::test_below",
             "tests/test_child.py::TestBelow::test_below",
             "tests/test_child.py::TestChild::test_below"})
    assert_same_map(merged, full_map(root))


@pytest.mark.parametrize(("rel", "old", "new", "why"), [
    ("tests/conftest.py", "return 2", "return 1 + 1", "tests/conftest.py changed"),
    ("pyproject.toml", "testpaths", "# a comment\ntestpaths", "pyproject.toml changed"),
    ("testutil.py", "500", "501", "testutil.py changed, which the tests import and coverage "
                                  "does not measure"),
])
def test_what_every_test_depends_on_re_measures_all_of_them(project, rel, old, new, why):
    root, _ = project
    merged = remapped(root, [(rel, old, new)], said=f"coverage: measured all 6 tests ({why})",
                      ran=CALC_TESTS | MOD_TESTS)
    assert_same_map(merged, full_map(root))


def test_other_settings_or_no_reuse_re_measure_all(project) -> None:
    root, _ = project
    _, said, ran = remap(root, pytest_args="-p no:warnings")
    assert said == "coverage: measured all 6 tests (the test settings changed)"
    assert ran == CALC_TESTS | MOD_TESTS
    assert full_map(root).durations.keys() == CALC_TESTS | MOD_TESTS


def test_a_file_no_test_imports_leaves_the_map_as_it_is(project) -> None:
    root, before = project
    merged = remapped(
        root, [("scripts/release.py", "print(1)", "print(2)")],
        said="coverage: reused the map (no test imports the 1 changed file: scripts/release.py)",
        ran=set())
    assert (merged.lines, merged.durations) == (before.lines, before.durations)
    assert merged.key != before.key
    _, again, _ = remap(root)
    assert again == "coverage: reused the map (nothing changed)"


def test_a_saved_map_of_another_format_is_measured_again(project) -> None:
    root, _ = project
    cache = root / ".mutgate" / "coverage-map.json"
    data = json.loads(cache.read_text())
    cache.write_text(json.dumps({**data, "version": data["version"] - 1}))
    _, said, _ = remap(root)
    assert said == "coverage: measured all 6 tests (the saved map is of another format)"
    cache.write_text("{not json")
    _, said, _ = remap(root)
    assert said == "coverage: measured all 6 tests (the saved map is unreadable)"


def test_a_doctest_text_file_is_watched_like_a_test_file(tmp_path: Path, make_project) -> None:
    root = make_project(tmp_path / "proj", {
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n'
                          'testpaths = ["tests"]\naddopts = "--doctest-glob=*.txt"\n',
        "pkg/__init__.py": "", "pkg/mod.py": MOD, "tests/test_mod.py": TEST_MOD,
        "testutil.py": "LARGE = 500\n",
        "tests/guide.txt": ">>> from pkg.mod import below\n>>> below(1)\nTrue\n"})
    coverage_map.build(load_config(root))
    _, said, _ = remap(root)
    assert said == "coverage: reused the map (nothing changed)"
    merged = remapped(
        root, [("tests/guide.txt", "below(1)\nTrue", "below(99)\nFalse")],
        said="coverage: re-measured 1 of 4 tests (1 changed file: tests/guide.txt)",
        ran={"tests/guide.txt::guide.txt"})
    assert_same_map(merged, full_map(root))


def test_an_incremental_run_counts_the_tests_it_measures_again(project) -> None:
    root, _ = project
    edit(root, "pkg/calc.py", "    return a * b\n", "    product = a * b\n    return product\n")
    shown: list[tuple[str, int, int | None]] = []
    said: list[str] = []
    coverage_map.build(load_config(root), echo=said.append,
                       progress=lambda *state: shown.append(state))
    assert said[-1] == ("coverage: re-measured 2 of 6 tests (1 changed file: pkg/calc.py; "
                        "only the tests that ran mul)")
    running = [state for state in shown if state[0] == "coverage"]
    assert running[-1] == ("coverage", 2, 2)  # of the 2 it runs, not of the 6 it collects
    assert {total for _, _, total in running} == {2}
