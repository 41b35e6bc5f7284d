"""Where pytest keeps the test modules it rewrites when the environment forbids bytecode.

pytest rewrites the asserts of test modules, conftest files and the packages of pytest-plugin
distributions, and caches the result as a pyc beside each file, unless
``PYTHONDONTWRITEBYTECODE`` is set (as in many containers): then every pytest process a run
starts rewrites and compiles them all again (hypothesis' plugin alone: 1.8 s a process).
`install`, called first thing in each of those processes, keeps pytest's rewritten modules
under the directory named by ``MUTGATE_REWRITE_CACHE`` (`child_env.py` sets it to the state
directory's ``pycache``) and leaves every other import as the user asked: Python still reads
the installed packages' own pycs and writes none. Rewritten pycs are checked against the
source's size and mtime, and a mutant is compiled in memory from the mutated source, never
through this cache.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ENV = "MUTGATE_REWRITE_CACHE"


def install() -> None:
    """Send pytest's rewritten-module cache of this process to ``$MUTGATE_REWRITE_CACHE``
    (idempotent; nothing where the variable is unset or this pytest keeps it elsewhere)."""
    where = os.environ.get(ENV)
    if not where:
        return
    from _pytest.assertion import rewrite

    needed = ("get_cache_dir", "_rewrite_test", "_write_pyc", "PYC_TAIL", "assertstate_key")
    if not all(hasattr(rewrite, name) for name in needed):
        return
    if getattr(rewrite.get_cache_dir, "mutgate_cache", None) == where:
        return
    root = Path(where)

    def get_cache_dir(file_path: Path) -> Path:
        return root.joinpath(*Path(file_path).parts[1:-1])

    original = rewrite._rewrite_test

    def rewrite_test(fn: Path, config: Any):
        stat, code = original(fn, config)
        cache = get_cache_dir(fn)
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError:
            return stat, code
        state = config.stash[rewrite.assertstate_key]
        rewrite._write_pyc(state, code, stat, cache / (Path(fn).name[:-3] + rewrite.PYC_TAIL))
        return stat, code

    get_cache_dir.mutgate_cache = where  # type: ignore[attr-defined]
    rewrite.get_cache_dir = get_cache_dir
    rewrite._rewrite_test = rewrite_test
