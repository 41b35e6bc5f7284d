"""The configuration's keys: the ``Config`` they fill, and the checks of a key and its value.

Each `[tool.mutgate]` key (and each command-line override) is a field of ``Config``, with its
default; ``KEY_TYPES`` gives the types a key accepts and ``validate`` the values it allows. A
wrong key or value is a ``ConfigError`` of one line naming it; an unknown key names the key
that was probably meant (``suggestion``), and ``one_typo`` tells a misspelt table name.
"""

from __future__ import annotations

import difflib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mutgate.errors import ConfigError
from mutgate.mutant import FAMILIES, OPERATORS

#: mutgate's state (results store, coverage map, lock), under the project's root.
STATE_DIR = ".mutgate"
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


#: The types each key accepts (a bool is never an int here).
KEY_TYPES: dict[str, type | tuple[type, ...]] = {
    "paths": list, "tests": list, "pytest_args": (list, str), "operators": list,
    "exclude": list, "timeout_factor": (int, float), "timeout_constant": (int, float),
    "jobs": int, "isolation": str, "memory_limit_mb": int, "backend": str,
    "scheduler": str, "baseline": str, "tolerance": (int, float), "survivor_rule": str,
    "confirm": str, "mutate_excluded": bool,
}


def suggestion(key: str) -> str:
    """`` (did you mean 'paths'?)`` for a key close to a known one, else the known keys."""
    close = difflib.get_close_matches(key, list(KEY_TYPES), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known keys: {', '.join(sorted(KEY_TYPES))})"


def one_typo(text: str, word: str) -> bool:
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


def check_type(where: str, key: str, value: Any) -> Any:
    """``value`` when it has a type ``key`` accepts (strings without NUL, for a list or a
    string), else a ``ConfigError`` starting with ``where``."""
    expected = KEY_TYPES[key]
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


def validate(config: Config) -> None:
    """``ConfigError`` for a value no key allows: an unknown operator, a choice not offered, a
    number out of its range."""
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
