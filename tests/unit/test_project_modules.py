"""Which loaded modules are the project's own: those a fresh import must forget, and those a
worker must not import ahead of the tests."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from pathlib import Path

import pytest
from helpers.projects import write_project

from mutgate.execution.project_modules import import_ahead, in_project, project_packages


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_project(tmp_path / "proj", {
        "ownpkg/__init__.py": "", "ownpkg/core.py": "def f():\n    return 1\n",
        "lazypkg/__init__.py": "import sys\nsys.modules[__name__].ran = True\n",
        "lazypkg/sub.py": "",
        ".venv/lib/python3/site-packages/thirdparty/__init__.py": "",
    })
    monkeypatch.syspath_prepend(str(root))
    yield root
    for name in [n for n in sys.modules if n.split(".")[0] in ("ownpkg", "lazypkg", "thirdparty")]:
        del sys.modules[name]


def prefix(root: Path) -> str:
    return os.path.realpath(root) + os.sep


def test_a_virtualenv_inside_the_project_is_not_the_project(project: Path) -> None:
    assert in_project(str(project / "ownpkg" / "core.py"), prefix(project))
    assert not in_project(str(project / ".venv/lib/python3/site-packages/thirdparty/__init__.py"),
                          prefix(project))
    assert not in_project(os.__file__, prefix(project))


def test_project_packages_are_the_top_level_names_of_loaded_project_modules(project: Path
                                                                            ) -> None:
    import ownpkg.core  # noqa: F401

    assert "ownpkg" in project_packages(prefix(project))
    assert "os" not in project_packages(prefix(project))


def test_modules_under_a_project_package_are_never_imported_ahead(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Like toolz's tlz: a project package whose submodules have no file of their own.
    class Twin(importlib.abc.Loader):
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            module.f = lambda: 1

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "ownpkg.twin":
                return importlib.machinery.ModuleSpec(name, Twin())
            return None

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    import ownpkg  # noqa: F401

    import_ahead(["ownpkg.twin", "json.tool"], str(project))
    assert "ownpkg.twin" not in sys.modules
    assert "json.tool" in sys.modules


def test_a_project_package_not_loaded_yet_is_not_run_to_look_at_its_submodules(
        project: Path) -> None:
    # Looking up "lazypkg.sub" would import lazypkg: its code must first run in a test.
    import_ahead(["lazypkg.sub", "lazypkg"], str(project))
    assert "lazypkg" not in sys.modules
