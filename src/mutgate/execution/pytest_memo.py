"""What a new pytest session in a forked worker child would otherwise work out again.

A fresh-import child (`fresh.py`) starts a whole pytest session per mutant. Most of its time
went to work whose answer cannot have changed since the warm worker's own session started:
parsing, rewriting and compiling the test modules' asserts (this environment often sets
PYTHONDONTWRITEBYTECODE, so pytest keeps no rewritten pyc), reading every installed
distribution's metadata to find plugin entry points, reading the hook implementations'
signatures, and compiling the project's own modules again from the same bytes. `install()`
runs in the worker before its own session is configured, so the answers are in memory when
the worker forks.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.metadata
import os
import types
from collections.abc import Iterator
from typing import Any


def install(root: str) -> None:
    """Memoize assertion rewriting, plugin discovery and the compiling of the project's modules
    in this process (idempotent)."""
    _remember_rewrites()
    _remember_distributions()
    _remember_hook_signatures()
    _remember_compiled_modules(os.path.realpath(root) + os.sep)


def _remember_rewrites() -> None:
    """Keep each rewritten test module's code, keyed by its file's path, size and mtime: the
    code pytest rewrote, and the code it read from its cache of rewritten modules."""
    from _pytest.assertion import rewrite

    original = rewrite._rewrite_test
    if getattr(original, "mutgate_memo", False):
        return
    memo: dict[tuple[str, int, int], tuple[Any, Any]] = {}

    def rewrite_test(fn, config):
        stat = os.stat(fn)
        key = (str(fn), stat.st_mtime_ns, stat.st_size)
        if key not in memo:
            memo[key] = original(fn, config)
        return memo[key]

    rewrite_test.mutgate_memo = True  # type: ignore[attr-defined]
    rewrite._rewrite_test = rewrite_test
    read_pyc = getattr(rewrite, "_read_pyc", None)
    if read_pyc is None:
        return
    read: dict[tuple[str, str, int, int], Any] = {}

    def remembered_read_pyc(source, pyc, trace=lambda x: None):
        try:
            stat = os.stat(source)
        except OSError:
            return read_pyc(source, pyc, trace)
        key = (str(source), str(pyc), stat.st_mtime_ns, stat.st_size)
        if key not in read:
            code = read_pyc(source, pyc, trace)
            if code is None:
                return None
            read[key] = code
        return read[key]

    rewrite._read_pyc = remembered_read_pyc


class _KnownDistribution(importlib.metadata.Distribution):
    """An installed distribution whose metadata files are read once."""

    def __init__(self, found: importlib.metadata.Distribution) -> None:
        self._found = found
        self._texts: dict[str, str | None] = {}

    def read_text(self, filename: str) -> str | None:
        if filename not in self._texts:
            self._texts[filename] = self._found.read_text(filename)
        return self._texts[filename]

    def locate_file(self, path: Any) -> Any:
        return self._found.locate_file(path)

    @functools.cached_property
    def entry_points(self) -> importlib.metadata.EntryPoints:  # type: ignore[override]
        return super().entry_points

    @functools.cached_property
    def files(self) -> list[importlib.metadata.PackagePath] | None:  # type: ignore[override]
        return super().files


def _remember_distributions() -> None:
    """While pytest configures a session, `importlib.metadata.distributions()` (which pluggy and
    pytest walk for entry points and plugin files) answers from a list read once."""
    from _pytest import config as pytest_config

    original = pytest_config._prepareconfig
    if getattr(original, "mutgate_memo", False):
        return
    known: list[_KnownDistribution] = []

    def distributions(**kwargs: Any) -> Iterator[importlib.metadata.Distribution]:
        if kwargs:
            return iter(importlib.metadata.Distribution.discover(**kwargs))
        if not known:
            known.extend(_KnownDistribution(d) for d in importlib.metadata.Distribution.discover())
        return iter(known)

    def prepareconfig(*args: Any, **kwargs: Any) -> Any:
        walk = importlib.metadata.distributions
        importlib.metadata.distributions = distributions
        try:
            return original(*args, **kwargs)
        finally:
            importlib.metadata.distributions = walk

    prepareconfig.mutgate_memo = True  # type: ignore[attr-defined]
    pytest_config._prepareconfig = prepareconfig


def _remember_hook_signatures() -> None:
    """pluggy reads every hook implementation's signature when a plugin registers; the
    builtin plugins' functions are the same objects in every session of this process."""
    from pluggy import _hooks

    original = _hooks.varnames
    if getattr(original, "mutgate_memo", False):
        return
    memo: dict[Any, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def varnames(func: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if not isinstance(func, types.FunctionType):
            return original(func)
        if func not in memo:
            memo[func] = original(func)
        return memo[func]

    varnames.mutgate_memo = True  # type: ignore[attr-defined]
    _hooks.varnames = varnames


def _remember_compiled_modules(prefix: str) -> None:
    """The project's modules are imported again by every fresh-import child; with bytecode
    writing off each import compiles its source. The code compiled from the same bytes is
    kept (a mutated module is compiled by its own loader and never comes here)."""
    loader = importlib.machinery.SourceFileLoader
    original = loader.source_to_code
    if getattr(original, "mutgate_memo", False):
        return
    memo: dict[tuple[str, bytes], types.CodeType] = {}

    def source_to_code(self: Any, data: Any, path: Any, *, _optimize: int = -1) -> Any:
        if (_optimize != -1 or not isinstance(data, bytes) or not isinstance(path, str)
                or not os.path.realpath(path).startswith(prefix)):
            return original(self, data, path, _optimize=_optimize)
        key = (path, data)
        if key not in memo:
            memo[key] = original(self, data, path)
        return memo[key]

    source_to_code.mutgate_memo = True  # type: ignore[attr-defined]
    loader.source_to_code = source_to_code  # type: ignore[method-assign]
