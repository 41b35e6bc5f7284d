"""Fixtures shared by mutgate's own tests: tiny pytest projects written into temp dirs."""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from helpers.projects import write_project

#: Directories whose content is mutgate's or Python's own state, not the project's files.
STATE_DIRS = frozenset({".mutgate", "__pycache__"})

_module_counter = itertools.count()


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, outside mutgate's and Python's state dirs."""
    hashes = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in STATE_DIRS]
        for name in filenames:
            path = Path(dirpath) / name
            hashes[path.relative_to(root).as_posix()] = hashlib.sha256(
                path.read_bytes()).hexdigest()
    return hashes


@pytest.fixture(scope="session")
def make_project() -> Callable[[Path, dict[str, str]], Path]:
    """``make_project(tmp_path, {"pkg/mod.py": "..."})`` writes a small pytest project.

    A ``pyproject.toml`` is added unless given; it puts the root on ``sys.path`` for the
    project's tests. Works with ``tmp_path`` and with ``tmp_path_factory.mktemp(...)``.
    """
    return make_project_files


def make_project_files(root: Path, files: dict[str, str]) -> Path:
    files = dict(files)
    files.setdefault("pyproject.toml", """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        testpaths = ["tests"]
        """)
    return write_project(root, files)


@pytest.fixture(scope="module")
def fast_pytest_subprocesses() -> Iterator[None]:
    """Keep installed pytest plugins out of the pytest processes mutgate starts.

    The projects under test need none of them, and loading hypothesis alone costs ~2 s per
    process on a 2-core machine. mutgate loads its own plugins with ``-p``, so it is unaffected.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        yield


@pytest.fixture(scope="session")
def hash_tree() -> Callable[[Path], dict[str, str]]:
    return tree_hashes


@pytest.fixture
def load_module(tmp_path: Path) -> Iterator[Callable[[str], tuple[ModuleType, str, str]]]:
    """Write ``source`` as a module with a never-used-before name and import it.

    Returns ``(module, source, real path)``. Each module is fresh, so code swapped into it
    cannot leak into another test.
    """

    loaded: list[str] = []

    def load(source: str) -> tuple[ModuleType, str, str]:
        source = textwrap.dedent(source).lstrip("\n")
        name = f"mutgate_swap_target_{os.getpid()}_{next(_module_counter)}"
        path = tmp_path / f"{name}.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        loaded.append(name)
        spec.loader.exec_module(module)
        return module, source, os.path.realpath(path)

    yield load
    for name in loaded:
        sys.modules.pop(name, None)
