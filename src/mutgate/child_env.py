"""The environment of every process a run starts: the coverage run, the workers, isolated runs.

Two settings of the user's environment would make those processes wrong or slow:

- Test ids can depend on hash order (parametrize over a set), so every process must hash the
  same way: ``PYTHONHASHSEED`` is fixed when the user left it unset.
- ``PYTHONDONTWRITEBYTECODE`` (common in containers) keeps pytest from storing the modules it
  rewrites, so every process rewrites and compiles all test modules and plugin packages again
  (hypothesis' plugin alone: 1.8 s a process). When it is set and no ``PYTHONPYCACHEPREFIX``
  is, the processes write their bytecode under the state directory instead: nothing lands in
  the user's tree, which is what the variable asked for, and the second process onwards loads
  it. Mutated modules are compiled in memory and never cached, so no stale mutant can load.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

PYCACHE_DIR = "pycache"


def child_environment(environ: dict[str, str], state_dir: Path) -> dict[str, str | None]:
    """The variables to change in ``environ`` for the run's processes (None: remove it)."""
    changes: dict[str, str | None] = {}
    if "PYTHONHASHSEED" not in environ:
        changes["PYTHONHASHSEED"] = "0"
    if environ.get("PYTHONDONTWRITEBYTECODE") and not environ.get("PYTHONPYCACHEPREFIX"):
        changes["PYTHONDONTWRITEBYTECODE"] = None
        changes["PYTHONPYCACHEPREFIX"] = str(Path(state_dir).resolve() / PYCACHE_DIR)
    return changes


@contextlib.contextmanager
def for_children(state_dir: Path) -> Iterator[None]:
    """Set this process's environment for the processes it starts, and restore it after."""
    changes = child_environment(dict(os.environ), state_dir)
    saved = {name: os.environ.get(name) for name in changes}
    _apply(changes)
    try:
        yield
    finally:
        _apply(saved)


def _apply(changes: dict[str, str | None]) -> None:
    for name, value in changes.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
