"""Configuration: the `[tool.mutgate]` table of the target project, defaults, and overrides.

Precedence is command line > `[tool.mutgate]` > inferred defaults. With no configuration,
mutgate mutates a `src/<pkg>` package or the single top-level package, and lets the project's
own pytest configuration find the tests (adding a top-level `tests.py` or `test.py`, which
pytest's default `python_files` never collects, when nothing in that configuration decides).
The project's root is the nearest folder, from the working directory up, that holds a
`pyproject.toml`, `setup.cfg` or `setup.py` (`find_root`).
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mutgate.errors import ConfigError
from mutgate.mutant import FAMILIES, OPERATORS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

STATE_DIR = ".mutgate"
#: A folder holding one of these is a Python project's root.
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
TEST_DIR_NAMES = frozenset({"tests", "test", "testing"})
#: Test modules by name (and test_*.py, *_test.py): never mutated.
TEST_FILE_NAMES = frozenset({"conftest.py", "tests.py", "test.py"})
#: Where pytest looks for its configuration, in its order of precedence.
PYTEST_CONFIG_FILES = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini",
                       "pyproject.toml", "tox.ini", "setup.cfg")
NOT_PACKAGES = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "benchmarks",
                          "bench", "scripts", "build", "dist", "fixtures"})
SURVIVOR_RULES = ("anywhere", "changed-lines", "off")
ISOLATION_MODES = ("auto", "fork", "subprocess")
#: Which tests a survivor is confirmed against, beyond those that ran its lines.
CONFIRM_SCOPES = ("module", "suite", "off")
BACKENDS = ("loky", "dask")


@dataclass
class Config:
    """Everything a run needs to know about the project and how to mutate it."""

    root: Path
    paths: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    pytest_args: list[str] = field(default_factory=list)
    operators: list[str] = field(default_factory=lambda: list(FAMILIES))
    exclude: list[str] = field(default_factory=list)
    timeout_factor: float = 3.0
    timeout_constant: float = 1.0
    jobs: int = 0
    isolation: str = "auto"
    memory_limit_mb: int = 4096
    backend: str = "loky"
    scheduler: str | None = None
    baseline: str = "mutgate-baseline.json"
    tolerance: float = 1.0
    survivor_rule: str = "anywhere"
    confirm: str = "module"
    mutate_excluded: bool = False

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def effective_jobs(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)

    def settings(self) -> dict[str, Any]:
        """The settings a score depends on (recorded with runs and baselines)."""
        return {"timeout_factor": self.timeout_factor, "timeout_constant": self.timeout_constant}


_TYPES: dict[str, type | tuple[type, ...]] = {
    "paths": list, "tests": list, "pytest_args": (list, str), "operators": list,
    "exclude": list, "timeout_factor": (int, float), "timeout_constant": (int, float),
    "jobs": int, "isolation": str, "memory_limit_mb": int, "backend": str,
    "scheduler": str, "baseline": str, "tolerance": (int, float), "survivor_rule": str,
    "confirm": str, "mutate_excluded": bool,
}


def load_config(root: Path, overrides: dict[str, Any] | None = None) -> Config:
    """Read `[tool.mutgate]` from ``root/pyproject.toml``, apply overrides, infer the rest."""
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(f"{root}: project directory does not exist")
    table = _read_table(root / "pyproject.toml")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _TYPES:
            raise ConfigError(f"pyproject.toml: [tool.mutgate] has unknown key {key!r}"
                              f"{_suggestion(key)}")
        values[key] = _check_type(f"pyproject.toml: [tool.mutgate] {key}", key, value)
    for key, value in (overrides or {}).items():
        if value is not None and value != () and value != []:
            values[key] = _check_type(f"option --{key.replace('_', '-')}", key, value)
    if isinstance(values.get("pytest_args"), str):
        values["pytest_args"] = values["pytest_args"].split()
    for key in ("paths", "tests", "exclude", "operators"):
        if key in values:
            values[key] = [str(v) for v in values[key]]
    config = Config(root=root, **values)
    _validate(config)
    if not config.paths:
        config.paths = infer_paths(root)
    if "tests" not in values:
        config.tests = infer_tests(root, config.pytest_args)
    for path in config.paths:
        try:
            target = (root / path).resolve()
            exists = target.exists()
        except OSError as exc:
            raise ConfigError(f"{path}: unusable path to mutate ({exc.strerror})") from None
        if target != root and root not in target.parents:
            raise ConfigError(f"{path}: path to mutate is outside the project {root}")
        if not exists:
            raise ConfigError(f"{path}: path to mutate does not exist")
    return config


def _read_table(pyproject: Path) -> dict[str, Any]:
    if not pyproject.exists():
        return {}
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{pyproject}: malformed TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{pyproject}: cannot read: {exc.strerror}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{pyproject}: [tool] must be a table")
    for name in tool:
        if name != "mutgate" and (name.lower() == "mutgate" or _one_typo(name.lower(),
                                                                           "mutgate")):
            raise ConfigError(f"{pyproject}: [tool.{name}] is not a table mutgate reads: "
                              f"did you mean [tool.mutgate]?")
    table = tool.get("mutgate", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.mutgate] must be a table")
    return table


def _suggestion(key: str) -> str:
    """`` (did you mean 'paths'?)`` for a key close to a known one, else the known keys."""
    close = difflib.get_close_matches(key, list(_TYPES), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known keys: {', '.join(sorted(_TYPES))})"


def _one_typo(text: str, word: str) -> bool:
    """Whether ``text`` is ``word`` with one character added, dropped or replaced, or two
    neighbours swapped (a Damerau-Levenshtein distance of 1)."""
    if text == word or abs(len(text) - len(word)) > 1:
        return False
    if len(text) == len(word):
        diff = [i for i, (a, b) in enumerate(zip(text, word, strict=True)) if a != b]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and text[diff[0]] == word[diff[1]]
                                  and text[diff[1]] == word[diff[0]])
    shorter, longer = sorted((text, word), key=len)
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def _check_type(where: str, key: str, value: Any) -> Any:
    expected = _TYPES[key]
    if (isinstance(value, bool) != (expected is bool)) or not isinstance(value, expected):
        names = expected.__name__ if isinstance(expected, type) else " or ".join(
            t.__name__ for t in expected)
        raise ConfigError(f"{where}: expected {names}, got {value!r}")
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(v, str) and "\0" in v for v in texts):
        raise ConfigError(f"{where}: a NUL character is not allowed, got {value!r}")
    return value


def _validate(config: Config) -> None:
    for name in config.operators:
        if name not in FAMILIES and name not in OPERATORS:
            raise ConfigError(
                f"unknown operator {name!r} (known families: {', '.join(FAMILIES)}; "
                f"operators: {', '.join(OPERATORS)})")
    checks = [
        ("isolation", config.isolation, ISOLATION_MODES),
        ("backend", config.backend, BACKENDS),
        ("survivor_rule", config.survivor_rule, SURVIVOR_RULES),
        ("confirm", config.confirm, CONFIRM_SCOPES),
    ]
    for key, value, allowed in checks:
        if value not in allowed:
            raise ConfigError(f"{key} must be one of {', '.join(allowed)}, got {value!r}")
    for key in ("timeout_factor", "timeout_constant", "tolerance"):
        if not math.isfinite(getattr(config, key)):
            raise ConfigError(f"{key} must be a finite number, got {getattr(config, key)!r}")
    if config.timeout_factor <= 0 or config.timeout_constant < 0:
        raise ConfigError("timeout_factor must be > 0 and timeout_constant >= 0")
    if config.jobs < 0:
        raise ConfigError(f"jobs must be >= 0 (0 = one per CPU), got {config.jobs}")
    if config.tolerance < 0:
        raise ConfigError(f"tolerance must be >= 0, got {config.tolerance}")


def infer_paths(root: Path) -> list[str]:
    """The code to mutate when the project does not say: `src/<pkg>` or the top-level package."""
    for base in (root / "src", root):
        packages = sorted(
            p for p in base.iterdir()
            if p.is_dir() and (p / "__init__.py").exists() and p.name not in NOT_PACKAGES
            and not p.name.startswith(".")
        ) if base.is_dir() else []
        if packages:
            return [p.relative_to(root).as_posix() for p in packages]
    modules = sorted(
        p.name for p in root.glob("*.py")
        if not is_test_file(p.name) and p.name not in ("setup.py", "conftest.py", "noxfile.py")
    )
    if modules:
        return modules
    raise ConfigError(
        f"{root}: cannot tell what to mutate (no src/<package>, top-level package or module); "
        "set paths in [tool.mutgate]")


def is_test_file(rel_path: str) -> bool:
    """Test code is never mutated: test_*.py, *_test.py, tests.py, test.py, conftest.py, and
    anything under a tests/, test/ or testing/ folder."""
    parts = rel_path.replace(os.sep, "/").split("/")
    name = parts[-1]
    if name in TEST_FILE_NAMES or name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in TEST_DIR_NAMES for part in parts[:-1])


def find_root(start: Path) -> Path:
    """The project's root: the nearest folder from ``start`` up holding a pyproject.toml,
    setup.cfg or setup.py. mutgate keeps its state there and nowhere else."""
    try:
        start = start.resolve()
        is_dir = start.is_dir()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = exc.strerror if isinstance(exc, OSError) else exc
        raise ConfigError(f"{str(start)!r}: unusable project directory ({reason})") from None
    if not is_dir:
        raise ConfigError(f"{start}: project directory does not exist")
    for folder in (start, *start.parents):
        if any(_is_file(folder / name) for name in PROJECT_FILES):
            return folder
    raise ConfigError(
        f"{start}: not inside a Python project (no pyproject.toml, setup.cfg or setup.py here "
        "or in any folder above); run mutgate in your project, or pass -C PROJECT_DIR")


def _is_file(path: Path) -> bool:
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
    named = [name for name in ("tests.py", "test.py") if _is_file(root / name)]
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

    if _is_file(path):
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
            if _is_file(path):
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


def project_name(root: Path) -> str:
    """The project's name from `[project] name`, else its directory's name."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        project = data.get("project", {})
        name = project.get("name") if isinstance(project, dict) else None
    except (OSError, ValueError):
        name = None
    return name if isinstance(name, str) and name else root.resolve().name
