"""Configuration: the `[tool.mutgate]` table of the target project, defaults, and overrides.

Precedence is command line > `[tool.mutgate]` > inferred defaults. With no configuration,
mutgate mutates a `src/<pkg>` package or the single top-level package, and lets the project's
own pytest configuration find the tests (adding a top-level `tests.py` or `test.py`, which
pytest's default `python_files` never collects, when nothing in that configuration decides).
The project's root is the nearest folder, from the working directory up, that holds a
`pyproject.toml`, `setup.cfg` or `setup.py` (`find_root`).

The keys themselves, their types and allowed values, are `config_keys.py`'s (`Config` is
importable from here too); what pytest collects is `pytest_collection.py`'s.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mutgate.config_keys import KEY_TYPES, Config, check_type, one_typo, suggestion, validate
from mutgate.errors import ConfigError
from mutgate.pytest_collection import infer_tests, is_file, is_test_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: A folder holding one of these is a Python project's root.
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
NOT_PACKAGES = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "benchmarks",
                          "bench", "scripts", "build", "dist", "fixtures"})


def load_config(root: Path, overrides: dict[str, Any] | None = None) -> Config:
    """Read `[tool.mutgate]` from ``root/pyproject.toml``, apply overrides, infer the rest."""
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(f"{root}: project directory does not exist")
    table = _read_table(root / "pyproject.toml")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEY_TYPES:
            raise ConfigError(f"pyproject.toml: [tool.mutgate] has unknown key {key!r}"
                              f"{suggestion(key)}")
        values[key] = check_type(f"pyproject.toml: [tool.mutgate] {key}", key, value)
    for key, value in (overrides or {}).items():
        if value is not None and value != () and value != []:
            values[key] = check_type(f"option --{key.replace('_', '-')}", key, value)
    if isinstance(values.get("pytest_args"), str):
        values["pytest_args"] = values["pytest_args"].split()
    for key in ("paths", "tests", "exclude", "operators"):
        if key in values:
            values[key] = [str(v) for v in values[key]]
    config = Config(root=root, **values)
    validate(config)
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
        if name != "mutgate" and (name.lower() == "mutgate"
                                  or one_typo(name.lower(), "mutgate")):
            raise ConfigError(f"{pyproject}: [tool.{name}] is not a table mutgate reads: "
                              f"did you mean [tool.mutgate]?")
    table = tool.get("mutgate", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.mutgate] must be a table")
    return table


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
        if any(is_file(folder / name) for name in PROJECT_FILES):
            return folder
    raise ConfigError(
        f"{start}: not inside a Python project (no pyproject.toml, setup.cfg or setup.py here "
        "or in any folder above); run mutgate in your project, or pass -C PROJECT_DIR")


def project_name(root: Path) -> str:
    """The project's name from `[project] name`, else its directory's name."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        project = data.get("project", {})
        name = project.get("name") if isinstance(project, dict) else None
    except (OSError, ValueError):
        name = None
    return name if isinstance(name, str) and name else root.resolve().name
