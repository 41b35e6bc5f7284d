"""Test code is never mutated: by name, under a folder pytest collects from, or because pytest
collected test items from it in the coverage run."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.projects import write_project

from mutgate.config import load_config
from mutgate.coverage_map import CoverageMap
from mutgate.sources import collected_test_files, source_files


def test_tests_py_and_test_py_are_never_mutated(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": "", "mod.py": "", "tests.py": "", "test.py": "",
                             "pkg/__init__.py": "", "pkg/tests.py": "", "pkg/core.py": ""})
    config = load_config(tmp_path, {"paths": ["mod.py", "tests.py", "test.py", "pkg"]})
    assert source_files(config) == ["mod.py", "pkg/__init__.py", "pkg/core.py"]


def test_files_under_pytest_testpaths_are_never_mutated(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "setup.cfg": "[tool:pytest]\ntestpaths =\n    src/pkg/checks\n    src/pkg/spec_*.py\n",
        "src/pkg/__init__.py": "", "src/pkg/core.py": "", "src/pkg/checks/__init__.py": "",
        "src/pkg/checks/core_checks.py": "", "src/pkg/spec_core.py": "",
        "src/pkg/checksum.py": ""})
    assert source_files(load_config(tmp_path)) == [
        "src/pkg/__init__.py", "src/pkg/checksum.py",
        "src/pkg/core.py"]


def test_files_named_in_tests_are_never_mutated(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "pyproject.toml": '[tool.mutgate]\npaths = ["."]\ntests = ["checks.py", "suite"]\n',
        "mod.py": "", "checks.py": "", "suite/verify.py": "", "suite_helpers.py": ""})
    assert source_files(load_config(tmp_path)) == ["mod.py", "suite_helpers.py"]


def coverage_map(tests: list[str]) -> CoverageMap:
    files = {test.split("::", 1)[0] for test in tests}
    return CoverageMap(lines={}, import_lines={}, durations=dict.fromkeys(tests, 0.01),
                       test_files=dict.fromkeys(files, "hash"))


@pytest.mark.parametrize("test", [
    "checks.py::test_add", "pkg/verify.py::TestCore::test_double",
    "pkg/verify.py::test_many[1.5-a.b]", "pkg/verify.py::TestCase::test_x[case.one]",
    "top.py::top_check", "tests/test_a.py::test_a", "test.py::test",
])
def test_a_file_pytest_collected_tests_from_is_test_code(test: str) -> None:
    assert collected_test_files(coverage_map([test])) == {test.split("::", 1)[0]}


@pytest.mark.parametrize("tests", [
    ["src/pkg/mod.py::pkg.mod", "src/pkg/mod.py::pkg.mod.f", "src/pkg/mod.py::pkg.mod.C.m"],
    ["src/pkg/__init__.py::pkg"], ["top.py::top"], ["top.py::top.f"],
    ["src/pkg/mod.py::src.pkg.mod.f"],
])
def test_a_module_with_only_doctests_collected_is_code(tests: list[str]) -> None:
    """With --doctest-modules pytest collects items from the modules themselves."""
    assert collected_test_files(coverage_map(tests)) == set()


def test_a_module_with_doctests_and_test_functions_is_test_code() -> None:
    cov = coverage_map(["pkg/mod.py::pkg.mod.f", "pkg/mod.py::test_f", "tests/test_a.py::test_a",
                        "pkg/core.py::pkg.core"])
    assert collected_test_files(cov) == {"pkg/mod.py", "tests/test_a.py"}
