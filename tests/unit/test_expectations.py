"""The `# expect: STATUS` markers of the fixtures: reading them and checking results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.expectations import VALID_STATUSES, check_expectations, read_expectations
from helpers.projects import write_project

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def mutant(file: str, line: int, status: str, operator: str = "operator.arith") -> dict[str, Any]:
    return {
        "file": file,
        "line": line,
        "operator": operator,
        "original": "a + b",
        "replacement": "a - b",
        "status": status,
    }


# read_expectations


def test_reads_markers_with_relative_posix_paths_and_line_numbers(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "src/pkg/mod.py":
            "def f(a, b):\n"
            "    return a + b  # expect: killed\n"
            "\n"
            "def g(n):\n"
            "    while n:  # expect: none\n"
            "        n -= 1  # expect: timeout\n",
        "src/pkg/sub/deep.py": "X = 1 + 1  # expect: survived\n",
    })

    assert read_expectations(tmp_path) == {
        ("src/pkg/mod.py", 2): "killed",
        ("src/pkg/mod.py", 5): "none",
        ("src/pkg/mod.py", 6): "timeout",
        ("src/pkg/sub/deep.py", 1): "survived",
    }


def test_skips_tests_conftest_caches_and_hidden_directories(tmp_path: Path) -> None:
    marked = "x = 1 + 1  # expect: killed\n"
    skipped = (
        "tests/test_mod.py",
        "tests/helpers.py",
        "pkg/tests/test_inner.py",
        "pkg/test_beside.py",
        "pkg/beside_test.py",
        "conftest.py",
        ".venv/lib/site.py",
        "pkg/__pycache__/mod.py",
    )
    write_project(tmp_path, dict.fromkeys([*skipped, "pkg/mod.py"], marked))

    assert read_expectations(tmp_path) == {("pkg/mod.py", 1): "killed"}


def test_only_comments_count_not_strings(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "mod.py":
            'TEXT = "# expect: killed"\n'
            'DOC = """\n'
            "# expect: survived\n"
            '"""\n'
            "y = 2 * 3  # a comment first # expect: killed\n",
    })

    assert read_expectations(tmp_path) == {("mod.py", 5): "killed"}


def test_marker_after_a_pragma(tmp_path: Path) -> None:
    write_project(tmp_path, {"mod.py": "z = 1 - 1  # pragma: no mutate  # expect: none\n"})

    assert read_expectations(tmp_path) == {("mod.py", 1): "none"}


def test_file_with_a_syntax_error_is_still_read(tmp_path: Path) -> None:
    write_project(tmp_path, {"broken.py": "def f(x):\n    return (x +  # expect: killed\n"})

    assert read_expectations(tmp_path) == {("broken.py", 2): "killed"}


def test_unknown_status_is_an_error(tmp_path: Path) -> None:
    write_project(tmp_path, {"pkg/mod.py": "a = 1\nb = a + 1  # expect: kiled\n"})

    with pytest.raises(ValueError, match=r"pkg/mod.py:2: unknown expected status 'kiled'"):
        read_expectations(tmp_path)


def test_project_without_markers(tmp_path: Path) -> None:
    write_project(tmp_path, {"pkg/mod.py": "a = 1 + 1\n"})

    assert read_expectations(tmp_path) == {}


# check_expectations


def test_all_matching_gives_no_problems() -> None:
    expectations = {("m.py", 1): "killed", ("m.py", 2): "none", ("m.py", 3): "timeout"}
    results = {
        "mutants": [
            mutant("m.py", 1, "killed"),
            mutant("m.py", 1, "killed", "boundary.relational"),
            mutant("m.py", 3, "timeout"),
            mutant("m.py", 9, "survived"),  # an unmarked line is not checked
            mutant("other.py", 2, "survived"),  # nor a line of another file
        ]
    }

    assert check_expectations(results, expectations) == []


def test_one_mutant_with_another_status_is_reported() -> None:
    results = {
        "mutants": [
            mutant("m.py", 4, "killed", "operator.compare"),
            mutant("m.py", 4, "survived", "boundary.relational"),
        ]
    }

    problems = check_expectations(results, {("m.py", 4): "killed"})

    assert len(problems) == 1
    assert problems[0].startswith("m.py:4: expected all 2 mutant(s) killed, 1 differ")
    assert "boundary.relational 'a + b' -> 'a - b' is survived" in problems[0]
    assert "operator.compare" not in problems[0]


def test_missing_mutant_is_reported() -> None:
    problems = check_expectations({"mutants": []}, {("m.py", 7): "survived"})

    assert problems == ["m.py:7: expected survived, but no mutant was generated here"]


def test_a_mutant_where_none_is_expected_is_reported() -> None:
    results = {"mutants": [mutant("m.py", 2, "skipped")]}

    problems = check_expectations(results, {("m.py", 2): "none"})

    assert len(problems) == 1
    assert problems[0].startswith("m.py:2: expected no mutant, got 1:")


def test_problems_are_sorted_by_file_and_line() -> None:
    expectations = {("b.py", 1): "killed", ("a.py", 10): "killed", ("a.py", 2): "killed"}

    problems = check_expectations({"mutants": []}, expectations)

    assert [p.split(": ")[0] for p in problems] == ["a.py:2", "a.py:10", "b.py:1"]


def test_results_without_mutants() -> None:
    assert check_expectations({"score": None}, {("m.py", 1): "none"}) == []


def test_round_trip_on_a_project(tmp_path: Path) -> None:
    write_project(tmp_path, {"src/p/m.py": "def f(a, b):\n    return a * b  # expect: killed\n"})
    results = {
        "mutants": [
            mutant("src/p/m.py", 2, "killed"),
            mutant("src/p/m.py", 2, "killed", "return.empty"),
        ]
    }

    assert check_expectations(results, read_expectations(tmp_path)) == []


# the real fixtures


FIXTURES_WITH_MARKERS = ["demo", "kinds", "flat", "loops", "weak", "pragmas", "htmlish"]


@pytest.mark.parametrize("name", FIXTURES_WITH_MARKERS)
def test_fixture_markers_are_valid(name: str) -> None:
    expectations = read_expectations(FIXTURES / name)

    assert len(expectations) >= 5
    assert set(expectations.values()) <= VALID_STATUSES
    for file, _line in expectations:
        assert not file.startswith("tests/")
        assert "/tests/" not in file


def test_fixtures_cover_every_kind_of_marker() -> None:
    statuses = set()
    for name in FIXTURES_WITH_MARKERS:
        statuses |= set(read_expectations(FIXTURES / name).values())

    assert {"killed", "survived", "timeout", "none"} <= statuses
