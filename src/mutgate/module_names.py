"""Which module name a project file is imported as, and whether the tests import that file.

The fork path swaps code objects by file; the import hook of the fresh and isolated paths
loads the mutated source by file too. When the tests import another copy of the package (a
non-editable install, a second checkout that an editable install does not point at), no
mutant reaches the code under test and every one of them would "survive". This module finds
such copies from a ``{module name: file}`` view of a process's ``sys.modules``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class ForeignCopy:
    """A project file whose module the tests loaded from somewhere else."""

    file: str  # relative to the project root
    module: str
    loaded_from: str

    def message(self) -> str:
        return (f"{self.file}: the tests import {self.module} from {self.loaded_from}, not "
                "from this project, so no mutant would reach the code they test; install the "
                "project editable (pip install -e .) or put its source first on sys.path "
                "(pytest's pythonpath setting)")


def module_name(root: str, rel: str) -> str:
    """The dotted name ``rel`` (a ``.py`` file under ``root``) is imported as: its package
    chain is every parent folder holding an ``__init__.py``."""
    path = PurePosixPath(rel)
    parts = [path.stem] if path.name != "__init__.py" else []
    folder = path.parent
    while folder != PurePosixPath(".") and os.path.isfile(
            os.path.join(root, str(folder), "__init__.py")):
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def module_files(modules: dict[str, object]) -> dict[str, str]:
    """``{name: real path of its file}`` for the loaded modules that have a file."""
    files = {}
    for name, module in list(modules.items()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path:
            files[name] = os.path.realpath(path)
    return files


def foreign_copies(root: str, files: list[str], loaded: dict[str, str]) -> list[ForeignCopy]:
    """The files to mutate whose module name ``loaded`` maps to another file with the same
    package-relative path (another copy of the same module, not an unrelated namesake)."""
    real_root = os.path.realpath(root)
    ours = set(loaded.values())
    found = []
    for rel in files:
        mine = os.path.realpath(os.path.join(real_root, rel))
        name = module_name(real_root, rel)
        there = loaded.get(name)
        if not name or there is None or there == mine or mine in ours:
            continue
        tail = name.replace(".", "/")
        tail += "/__init__.py" if rel.endswith("__init__.py") else ".py"
        if there.replace(os.sep, "/").endswith("/" + tail):
            found.append(ForeignCopy(rel, name, there))
    return sorted(found, key=lambda copy: (copy.file.endswith("__init__.py"), copy.file))
