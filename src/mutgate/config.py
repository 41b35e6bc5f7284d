"""Configuration: the `[tool.mutgate]` table of the target project, defaults, and overrides.

Precedence is command line > `[tool.mutgate]` > inferred defaults. With no configuration,
mutgate mutates a `src/<pkg>` package or the single top-level package, and lets the project's
own pytest configuration find the tests.
"""

from __future__ import annotations

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
TEST_DIR_NAMES = frozenset({"tests", "test", "testing"})
NOT_PACKAGES = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "benchmarks",
                          "bench", "scripts", "build", "dist", "fixtures"})
SURVIVOR_RULES = ("anywhere", "changed-lines", "off")
ISOLATION_MODES = ("auto", "fork", "subprocess")
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
            raise ConfigError(f"pyproject.toml: [tool.mutgate] has unknown key {key!r}")
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
    table = tool.get("mutgate", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.mutgate] must be a table")
    return table


def _check_type(where: str, key: str, value: Any) -> Any:
    expected = _TYPES[key]
    if isinstance(value, bool) or not isinstance(value, expected):
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
    """Test code is never mutated: test_*.py, *_test.py, conftest.py, anything under tests/."""
    parts = rel_path.replace(os.sep, "/").split("/")
    name = parts[-1]
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in TEST_DIR_NAMES for part in parts[:-1])


def project_name(root: Path) -> str:
    """The project's name from `[project] name`, else its directory's name."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        project = data.get("project", {})
        name = project.get("name") if isinstance(project, dict) else None
    except (OSError, ValueError):
        name = None
    return name if isinstance(name, str) and name else root.resolve().name
