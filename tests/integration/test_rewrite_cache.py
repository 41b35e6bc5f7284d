"""pytest's rewritten modules kept under a directory of mutgate's (`rewrite_cache.py`): real
pytest processes with PYTHONDONTWRITEBYTECODE set, on a project written to a temp dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mutgate.rewrite_cache import ENV

RUN = """
import sys
from mutgate import rewrite_cache
rewrite_cache.install()
import pytest
code = pytest.main(["-q", "-p", "no:cacheprovider", "tests"])
print("prefix", sys.pycache_prefix, "no-write", sys.dont_write_bytecode)
raise SystemExit(code)
"""


def run(root: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", ENV: str(cache)}
    env.pop("PYTHONPYCACHEPREFIX", None)
    return subprocess.run([sys.executable, "-c", RUN], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)


def test_rewritten_tests_are_cached_there_and_read_back(tmp_path) -> None:
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "conftest.py").write_text("")
    (root / "tests" / "test_one.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    cache = tmp_path / "state" / "pycache"
    first = run(root, cache)
    assert first.returncode == 0, first.stdout + first.stderr
    # Only pytest's rewrites moved: no prefix, and Python itself still writes nothing.
    assert "prefix None no-write True" in first.stdout
    mirror = cache.joinpath(*(root / "tests").resolve().parts[1:])
    cached = sorted(p.name for p in mirror.glob("*.pyc"))
    assert [n.split(".")[0] for n in cached] == ["conftest", "test_one"], cached
    assert all("-pytest-" in n for n in cached)
    assert not list(root.rglob("__pycache__"))
    stamps = {p: p.stat().st_mtime_ns for p in mirror.glob("*.pyc")}
    second = run(root, cache)
    assert second.returncode == 0, second.stdout + second.stderr
    assert {p: p.stat().st_mtime_ns for p in mirror.glob("*.pyc")} == stamps  # read, not redone


def test_a_changed_test_file_is_rewritten_again(tmp_path) -> None:
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    test = root / "tests" / "test_one.py"
    test.write_text("def test_one():\n    assert 1 + 1 == 2\n")
    cache = tmp_path / "pycache"
    assert run(root, cache).returncode == 0
    test.write_text("def test_one():\n    assert 1 + 1 == 23\n")  # a new size: stale either way
    assert run(root, cache).returncode == 1
