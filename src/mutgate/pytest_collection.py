"""What pytest collects in the project: which files are test code, and what to pass pytest.

Test code is never mutated: files named like tests (``is_test_file``) and everything where
pytest collects from (``pytest_locations``: mutgate's ``tests`` and pytest's ``testpaths``).
mutgate reads pytest's own configuration as pytest finds it (``pytest_config``), and passes
pytest no path unless a top-level ``tests.py`` or ``test.py`` needs one (``infer_tests``).
"""

from __future__ import annotations

import fnmatch
import os
import sys
from pathlib import Path
from typing import Any

from mutgate.config_keys import Config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TEST_DIR_NAMES = frozenset({"tests", "test", "testing"})
#: Test modules by name (and test_*.py, *_test.py): never mutated.
TEST_FILE_NAMES = frozenset({"conftest.py", "tests.py", "test.py"})
#: Where pytest looks for its configuration, in its order of precedence.
PYTEST_CONFIG_FILES = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini",
                       "pyproject.toml", "tox.ini", "setup.cfg")


def is_test_file(rel_path: str) -> bool:
    """Test code is never mutated: test_*.py, *_test.py, tests.py, test.py, conftest.py, and
    anything under a tests/, test/ or testing/ folder."""
    parts = rel_path.replace(os.sep, "/").split("/")
    name = parts[-1]
    if name in TEST_FILE_NAMES or name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in TEST_DIR_NAMES for part in parts[:-1])


def is_file(path: Path) -> bool:
    """Whether ``path`` is a file; ``False`` when it cannot be looked at."""
    try:
        return path.is_file()
    except OSError:
        return False


def infer_tests(root: Path, pytest_args: list[str]) -> list[str]:
    """What to pass pytest when ``tests`` is not configured: nothing (pytest's configuration
    decides), but for a top-level ``tests.py`` or ``test.py``, which pytest's default
    ``python_files`` never collects: then those, and every other top-level file or folder
    pytest would collect tests from when given no path (given the root too, pytest would
    collect only the root). Not when pytest is told where to look or what test files are
    called (``testpaths``, ``python_files``, a path in ``addopts`` or in ``pytest_args``)."""
    found = pytest_config(root)
    options = found[1] if found else {}
    if "testpaths" in options or "python_files" in options:
        return []
    if names_a_path(root, [*pytest_args, *config_words(options.get("addopts"))]):
        return []
    named = [name for name in ("tests.py", "test.py") if is_file(root / name)]
    if not named:
        return []
    skip = config_words(options["norecursedirs"]) if "norecursedirs" in options else list(
        PYTEST_NORECURSEDIRS)
    others = [entry.name for entry in sorted(root.iterdir())
              if entry.name not in named and _holds_tests(entry, skip)]
    return sorted(named + others)


#: pytest's default ``norecursedirs``.
PYTEST_NORECURSEDIRS = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules",
                        "venv", "{arch}")


def _holds_tests(path: Path, skip: list[str]) -> bool:
    """Whether pytest's default collection finds a test file (test_*.py, *_test.py) here."""

    def kept(name: str) -> bool:
        return name != "__pycache__" and not any(fnmatch.fnmatch(name, p) for p in skip)

    if is_file(path):
        return _is_default_test_file(path.name)
    if not kept(path.name) or not path.is_dir() or path.is_symlink():
        return False
    for _dirpath, dirnames, filenames in os.walk(path):
        if "pyvenv.cfg" in filenames:  # a virtualenv: pytest does not look inside
            dirnames[:] = []
            continue
        if any(_is_default_test_file(name) for name in filenames):
            return True
        dirnames[:] = [d for d in dirnames if kept(d)]
    return False


def _is_default_test_file(name: str) -> bool:
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def names_a_path(root: Path, args: list[str]) -> bool:
    """Whether pytest arguments name a file or folder to collect (``tests/a.py::test_x``)."""
    for arg in args:
        if arg.startswith("-"):
            continue
        try:
            if (root / arg.split("::", 1)[0]).exists():
                return True
        except (OSError, ValueError):
            continue
    return False


def pytest_config(root: Path) -> tuple[Path, dict[str, Any]] | None:
    """The file pytest takes its configuration from for a run in ``root`` (the first that
    holds a pytest section, in pytest's order, from ``root`` up), and that section's options.
    A file pytest cannot read counts as configuration with no options: pytest reports it."""
    for folder in (root, *root.parents):
        for name in PYTEST_CONFIG_FILES:
            path = folder / name
            if is_file(path):
                options = _pytest_section(path)
                if options is not None:
                    return path, options
    return None


def _pytest_section(path: Path) -> dict[str, Any] | None:
    import iniconfig

    try:
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            if path.name in ("pytest.toml", ".pytest.toml"):
                table = data.get("pytest", {})
                return table if isinstance(table, dict) else {}
            tool = data.get("tool", {})
            table = tool.get("pytest") if isinstance(tool, dict) else None
            if not isinstance(table, dict):
                return None
            native = {k: v for k, v in table.items() if k != "ini_options"}
            ini = table.get("ini_options")
            return native or (ini if isinstance(ini, dict) else None)
        ini = iniconfig.IniConfig(str(path))
        section = "tool:pytest" if path.suffix == ".cfg" else "pytest"
        if section in ini.sections:
            return dict(ini[section].items())
        return {} if path.name in ("pytest.ini", ".pytest.ini") else None
    except (OSError, ValueError, tomllib.TOMLDecodeError, iniconfig.ParseError):
        return {}


def config_words(value: Any) -> list[str]:
    """An "args" or "linelist" option of pytest's: whitespace-separated in an ini file, a
    list in TOML."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def pytest_locations(config: Config) -> list[str]:
    """Where pytest collects tests from, relative to the root: mutgate's ``tests`` and
    pytest's ``testpaths`` (globs expanded). Everything there is test code, unless the
    location holds code to mutate as well (``.``, or ``src`` for doctests)."""
    locations = [config.root / entry.split("::", 1)[0] for entry in config.tests]
    found = pytest_config(config.root)
    if found:
        path, options = found
        for entry in config_words(options.get("testpaths")):
            if any(char in entry for char in "*?["):
                locations += sorted(path.parent.glob(entry))
            else:
                locations.append(path.parent / entry)
    mutated = [(config.root / p).resolve() for p in config.paths]
    kept: set[str] = set()
    for location in locations:
        try:
            location = location.resolve()
            rel = location.relative_to(config.root).as_posix()
        except (OSError, ValueError):
            continue
        if not any(m == location or location in m.parents for m in mutated):
            kept.add(rel)
    return sorted(kept)


def in_locations(rel_path: str, locations: list[str]) -> bool:
    """Whether a root-relative file is one of ``locations`` or under one of them."""
    return any(rel_path == loc or rel_path.startswith(loc.rstrip("/") + "/")
               for loc in locations)
