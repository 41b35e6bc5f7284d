"""Which files a PR check parses for mutants (`mutgate.in_diff.files_in_diff`)."""

from __future__ import annotations

from mutgate.in_diff import files_in_diff

TESTS = {
    "src/pkg/a.py": ["tests/test_a.py::test_one"],
    "src/pkg/b.py": ["tests/test_b.py::test_two", "tests/test_b.py::test_three"],
    "src/pkg/c.py": [],
}


def chosen(changes: dict[str, set[int]]) -> list[str]:
    return files_in_diff(sorted(TESTS), changes, lambda f: TESTS[f])


def test_a_changed_source_file_is_parsed_and_the_others_are_not():
    assert chosen({"src/pkg/a.py": {3}}) == ["src/pkg/a.py"]


def test_a_file_whose_only_change_is_a_deletion_has_no_line_to_mutate():
    assert chosen({"src/pkg/a.py": set()}) == []


def test_a_changed_test_file_brings_every_file_its_tests_ran():
    assert chosen({"tests/test_b.py": {1}}) == ["src/pkg/b.py"]
    assert chosen({"tests/test_b.py": set(), "src/pkg/c.py": {9}}) == ["src/pkg/b.py",
                                                                       "src/pkg/c.py"]
