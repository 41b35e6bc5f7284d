"""Projects for mutgate's own tests: small ones written from text, and copies of fixtures/."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

#: The fixture projects, at the top of the repository.
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path → text, dedented) under ``root``; return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def copy_fixture(name: str, target: Path) -> Path:
    """Copy ``fixtures/<name>`` to ``target``, without state a run left in it; return ``target``."""
    shutil.copytree(FIXTURES / name, target,
                    ignore=shutil.ignore_patterns(".mutgate", "__pycache__", ".pytest_cache"))
    return target
