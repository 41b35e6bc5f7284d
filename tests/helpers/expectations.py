"""Expected mutant outcomes written into fixture sources, and checks against a run's results.

A fixture marks a source line with a trailing comment ``# expect: STATUS``. It means that every
mutant mutgate generates on that line ends with STATUS (``killed``, ``survived``, ``timeout``,
...), or, for ``none``, that mutgate generates no mutant on that line at all. Unmarked lines
are not checked.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

#: The status that means "no mutant on this line".
NONE = "none"
#: Statuses a marker may name: ``none`` plus every outcome of a mutant.
VALID_STATUSES = frozenset({NONE, "killed", "survived", "timeout", "error", "skipped", "no-tests"})

_MARKER = re.compile(r"#\s*expect:\s*([A-Za-z][\w-]*)")
_TEST_DIRS = frozenset({"test", "tests", "testing"})
_SKIP_DIRS = frozenset({"__pycache__", "build", "dist", "node_modules", "venv"})


def _is_test_file(relative: PurePosixPath) -> bool:
    if any(part in _TEST_DIRS for part in relative.parts[:-1]):
        return True
    name = relative.name
    return (name in ("conftest.py", "tests.py", "test.py") or name.startswith("test_")
            or name.endswith("_test.py"))


def _skipped_dir(part: str) -> bool:
    return part in _SKIP_DIRS or part.startswith(".") or part.endswith(".egg-info")


def _comments(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of each comment; falls back to a plain scan if the file does not tokenize."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        for number, line in enumerate(source.splitlines(), start=1):
            index = line.find("#")
            if index >= 0:
                yield number, line[index:]
        return
    for token in tokens:
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string


def read_expectations(project_dir: Path) -> dict[tuple[str, int], str]:
    """``{(path relative to project_dir, with /, line number): status}`` of every marker.

    Scans the ``.py`` files outside test directories (``tests/``, ``test_*.py``,
    ``conftest.py``...), hidden directories and caches. Raises ``ValueError`` on a marker
    whose status is not one of ``VALID_STATUSES``, so a typo cannot silently pass.
    """
    project_dir = Path(project_dir)
    expectations: dict[tuple[str, int], str] = {}
    for path in sorted(project_dir.rglob("*.py")):
        relative = PurePosixPath(path.relative_to(project_dir).as_posix())
        if any(_skipped_dir(part) for part in relative.parts[:-1]) or _is_test_file(relative):
            continue
        source = path.read_text(encoding="utf-8")
        for line, comment in _comments(source):
            match = _MARKER.search(comment)
            if match is None:
                continue
            status = match.group(1).lower()
            if status not in VALID_STATUSES:
                raise ValueError(f"{relative}:{line}: unknown expected status {status!r}")
            expectations[(str(relative), line)] = status
    return expectations


def _describe(mutant: Mapping[str, Any]) -> str:
    return (
        f"{mutant.get('operator', '?')} {mutant.get('original', '')!r} -> "
        f"{mutant.get('replacement', '')!r} is {mutant.get('status', '?')}"
    )


def check_expectations(
    results: Mapping[str, Any], expectations: Mapping[tuple[str, int], str]
) -> list[str]:
    """Human-readable mismatches between a results dict's ``mutants`` and the expectations.

    A mutant belongs to the line it starts on. ``none`` asks for no mutant on the line; any
    other status asks for at least one mutant there, all of them with that status. Mutants on
    unmarked lines are ignored. An empty list means everything matched.
    """
    by_line: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for mutant in results.get("mutants", []):
        by_line.setdefault((mutant["file"], mutant["line"]), []).append(mutant)
    problems: list[str] = []
    for (file, line), expected in sorted(expectations.items()):
        found = by_line.get((file, line), [])
        where = f"{file}:{line}"
        if expected == NONE:
            if found:
                details = "; ".join(_describe(m) for m in found)
                problems.append(f"{where}: expected no mutant, got {len(found)}: {details}")
        elif not found:
            problems.append(f"{where}: expected {expected}, but no mutant was generated here")
        else:
            wrong = [m for m in found if m.get("status") != expected]
            if wrong:
                details = "; ".join(_describe(m) for m in wrong)
                problems.append(
                    f"{where}: expected all {len(found)} mutant(s) {expected}, "
                    f"{len(wrong)} differ: {details}"
                )
    return problems
