"""Which module a project file is, and copies of it loaded from elsewhere."""

from __future__ import annotations

from pathlib import Path

from mutgate.module_names import foreign_copies, module_name


def _tree(root: Path, *files: str) -> Path:
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("", encoding="utf-8")
    return root


def test_module_names_follow_the_package_chain(tmp_path):
    root = _tree(tmp_path, "src/pkg/__init__.py", "src/pkg/sub/__init__.py",
                 "src/pkg/sub/mod.py", "single.py", "loose/script.py")
    assert module_name(str(root), "src/pkg/sub/mod.py") == "pkg.sub.mod"
    assert module_name(str(root), "src/pkg/__init__.py") == "pkg"
    assert module_name(str(root), "single.py") == "single"
    assert module_name(str(root), "loose/script.py") == "script"


def test_a_copy_of_the_same_module_elsewhere_is_foreign(tmp_path):
    root = _tree(tmp_path / "project", "src/pkg/__init__.py", "src/pkg/mod.py")
    site = "/venv/lib/python3.11/site-packages/pkg"
    found = foreign_copies(str(root), ["src/pkg/__init__.py", "src/pkg/mod.py"],
                           {"pkg": f"{site}/__init__.py", "pkg.mod": f"{site}/mod.py"})
    assert [(c.file, c.module, c.loaded_from) for c in found] == [
        ("src/pkg/mod.py", "pkg.mod", f"{site}/mod.py"),
        ("src/pkg/__init__.py", "pkg", f"{site}/__init__.py")]
    assert "pip install -e ." in found[0].message()


def test_the_tree_itself_or_an_unrelated_namesake_is_not_foreign(tmp_path):
    root = _tree(tmp_path / "project", "pkg/__init__.py", "pkg/mod.py", "types.py")
    real = (root / "pkg" / "mod.py").resolve()
    assert foreign_copies(str(root), ["pkg/mod.py"], {"pkg.mod": str(real)}) == []
    # A module of that name from a file with another package path is not a copy of ours.
    assert foreign_copies(str(root), ["pkg/mod.py"], {"pkg.mod": "/elsewhere/mod.py"}) == []
    assert foreign_copies(str(root), ["pkg/mod.py"], {}) == []
