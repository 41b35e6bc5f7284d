"""The files a run mutates and their text: the project's source files, the files the coverage
run collected tests from (never mutated), one file read as it is, and the syntax check every
file to mutate passes before any test runs. Nothing here needs libcst, whose import (~0.4 s)
`runner.py` leaves until the coverage run has started.
"""

from __future__ import annotations

import ast
import fnmatch
import warnings
from pathlib import Path

from mutgate.config import Config
from mutgate.coverage_map import CoverageMap
from mutgate.errors import ConfigError
from mutgate.pytest_collection import in_locations, is_test_file, pytest_locations


def source_files(config: Config) -> list[str]:
    """The project files to mutate, relative to the root: never excluded, never tests (by
    name, or under a folder pytest collects from: see `pytest_collection.pytest_locations`)."""
    tests = pytest_locations(config)
    found: set[str] = set()
    for path in config.paths:
        target = config.root / path
        candidates = [target] if target.is_file() else sorted(target.rglob("*.py"))
        for file in candidates:
            rel = file.relative_to(config.root).as_posix()
            if file.suffix != ".py" or is_test_file(rel) or in_locations(rel, tests):
                continue
            if any(fnmatch.fnmatch(rel, pattern) for pattern in config.exclude):
                continue
            found.add(rel)
    return sorted(found)


def collected_test_files(cov: CoverageMap) -> set[str]:
    """The files pytest collected test items from in the coverage run, whatever their names:
    test code, never mutated. A module whose only items are its doctests
    (``pkg/mod.py::pkg.mod.func``, with ``--doctest-modules``) is code, not a test file."""
    tests_by_file: dict[str, list[str]] = {}
    for test in cov.durations:
        tests_by_file.setdefault(test.split("::", 1)[0], []).append(test)
    return {file for file in cov.test_files
            if not tests_by_file.get(file)
            or not all(_is_doctest(test) for test in tests_by_file[file])}


def _is_doctest(nodeid: str) -> bool:
    """``mod.py::mod`` (the module's docstring), ``pkg/mod.py::pkg.mod.Class.method``:
    one name after the file, the dotted name of the module or of something in it. (A test
    function is a single name, and one named like its file starts with "test".)"""
    file, _, name = nodeid.partition("::")
    if not name or "::" in name or "[" in name:
        return False
    path = Path(file)
    module = path.parent.name if path.stem == "__init__" else path.stem
    return "." in name or (name == module and not name.startswith("test"))


def read_source(root: Path, rel: str) -> str:
    try:
        with open(root / rel, encoding="utf-8", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{rel}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{rel}: cannot read: {exc.strerror}") from None


def check_syntax(rel: str, source: str) -> None:
    """A file to mutate that does not parse is an input error, even when no test runs it.
    Warnings (an invalid escape sequence) are the project's business, not an error here."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, rel, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        raise ConfigError(f"{rel}:{exc.lineno}: syntax error: {exc.msg}") from None
    except ValueError as exc:  # NUL bytes in the source
        raise ConfigError(f"{rel}: cannot be parsed: {exc}") from None
