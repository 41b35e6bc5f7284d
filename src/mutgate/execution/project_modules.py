"""Which loaded modules are the project's own code.

A worker must not import them ahead of the tests (their import-time code would run unmutated
before any mutant), and a fresh-import child must forget all of them. "The project's own" is
judged by file and by package: code under the project root that is not an installed
environment (a virtualenv inside the project is not the project), and every module under a
package that has such a file, even one with no file of its own.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys


def import_ahead(modules: list[str], root: str) -> None:
    """Import here what a whole pytest session imported (plugins load some lazily, e.g. at
    session end), so forked children find it loaded instead of importing (and assertion-
    rewriting) it each time. The project's own modules are left out, and so is anything under
    a package of the project's: toolz's ``tlz`` runs toolz's modules again under its own names,
    with no file of their own."""
    prefix = os.path.realpath(root) + os.sep
    packages = project_packages(prefix)
    for name in modules:
        top = name.split(".", 1)[0]
        if (name in sys.modules or name.endswith("__main__") or top == "mutgate"
                or top in packages):
            continue
        # Only a top-level name is looked up: finding a submodule imports its package.
        if top not in sys.modules and _locations_in_project(top, prefix):
            packages.add(top)
            continue
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: S110  (a module that cannot load on its own is skipped)
            continue


_ENVIRONMENTS = tuple({os.path.realpath(p) + os.sep
                       for p in (sys.prefix, sys.exec_prefix, sys.base_prefix)})


#: Module files do not move during a run; resolving ~500 of them costs ~20 ms per call here,
#: and the fresh-import path asks once per mutant.
_real_path = functools.lru_cache(maxsize=None)(os.path.realpath)


def in_project(path: str, prefix: str) -> bool:
    """Whether ``path`` is the project's own code: under its root (``prefix``, real, ending in a
    separator), and not in the Python environment, such as a virtualenv inside the project."""
    real = _real_path(path)
    return (real.startswith(prefix) and not real.startswith(_ENVIRONMENTS)
            and "site-packages" not in real and "dist-packages" not in real)


def project_packages(prefix: str) -> set[str]:
    """The top-level names of the loaded modules that are the project's own code."""
    packages = set()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path and in_project(path, prefix):
            packages.add(name.split(".", 1)[0])
    return packages


def forget_modules(names: list[str]) -> None:
    """Drop the modules ``names`` and the import hooks their code installed in
    ``sys.meta_path``: a fresh process has none of them, and a module that looks for its own
    hook when imported again (six does) would otherwise find the old one."""
    project = set(names)
    for name in names:
        sys.modules.pop(name, None)
    sys.meta_path[:] = [f for f in sys.meta_path
                        if getattr(type(f), "__module__", None) not in project]


def _locations_in_project(name: str, prefix: str) -> bool:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return False
    if spec is None:
        return False
    places = [spec.origin or "", *(spec.submodule_search_locations or ())]
    return any(in_project(place, prefix) for place in places if place)
