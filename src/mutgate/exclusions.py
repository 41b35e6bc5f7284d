"""The project's coverage exclusions: code its team already decided not to test.

A team moving from a coverage gate has marked what it does not test: ``# pragma: no cover``,
``exclude_lines`` / ``exclude_also`` in its coverage configuration (``.coveragerc``,
``setup.cfg``, ``tox.ini`` or ``[tool.coverage.report]`` in ``pyproject.toml``). coverage.py
excludes whole blocks from such lines (an excluded ``def`` or ``if`` takes its body along).
Mutants there are not run: they end ``skipped`` with the reason, unless the project asks for
them (``mutate_excluded = true``).
"""

from __future__ import annotations

import re
from pathlib import Path

#: coverage.py's own order of configuration files.
COVERAGE_CONFIG_FILES = (".coveragerc", "setup.cfg", "tox.ini", "pyproject.toml")

REASON = "excluded from coverage by the project's configuration (pragma: no cover, exclude_lines)"


def exclusion_regex(root: Path) -> str:
    """The project's exclusion patterns as one regex, as coverage.py joins them."""
    import coverage

    config_file: str | bool = False
    for name in COVERAGE_CONFIG_FILES:
        if (root / name).is_file():
            config_file = str(root / name)
            break
    try:
        patterns = coverage.Coverage(config_file=config_file).config.exclude_list
    except Exception:  # a configuration coverage itself cannot read: its defaults hold
        patterns = coverage.Coverage(config_file=False).config.exclude_list
    return "|".join(f"(?:{pattern})" for pattern in patterns)


def excluded_lines(source: str, regex: str) -> set[int]:
    """The lines coverage.py would exclude from ``source`` (whole blocks included)."""
    # coverage.py excludes only blocks that start at a line the regex matches: without one,
    # its parse (a tenth of a second on a large module) can only say "none".
    if not regex or not re.search(regex, source, flags=re.MULTILINE):
        return set()
    from coverage.python import PythonParser

    parser = PythonParser(text=source, exclude=regex)
    try:
        parser.parse_source()
    except Exception:  # a file coverage cannot parse: nothing is excluded
        return set()
    return set(parser.excluded)
