"""The environment of every process a run starts: the coverage run, the workers, isolated runs.

Two settings of the user's environment would make those processes wrong or slow:

- Test ids can depend on hash order (parametrize over a set), so every process must hash the
  same way: ``PYTHONHASHSEED`` is fixed when the user left it unset.
- ``PYTHONDONTWRITEBYTECODE`` (common in containers) keeps pytest from storing the modules it
  rewrites, so every process rewrites and compiles all test modules and plugin packages again
  (hypothesis' plugin alone: 1.8 s a process). When it is set, the processes keep pytest's
  rewritten modules under the state directory (`rewrite_cache.py`) and nothing else changes:
  nothing lands in the user's tree, and the installed packages' own pycs are still read.
  (``PYTHONPYCACHEPREFIX`` would do the first, but a prefix hides every pyc beside its source:
  a run with an empty state directory compiled the whole standard library and every installed
  package again, 4 s of marshmallow's coverage run.)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from mutgate.rewrite_cache import ENV as REWRITE_CACHE

PYCACHE_DIR = "pycache"


def child_environment(environ: dict[str, str], state_dir: Path) -> dict[str, str | None]:
    """The variables to change in ``environ`` for the run's processes (None: remove it)."""
    changes: dict[str, str | None] = {}
    if "PYTHONHASHSEED" not in environ:
        changes["PYTHONHASHSEED"] = "0"
    if environ.get("PYTHONDONTWRITEBYTECODE") and not environ.get("PYTHONPYCACHEPREFIX"):
        changes[REWRITE_CACHE] = str(Path(state_dir).resolve() / PYCACHE_DIR)
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
