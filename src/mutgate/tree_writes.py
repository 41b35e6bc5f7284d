"""Tests that write into the project's own tree, found while the coverage run runs them.

Two workers run tests at the same time. A test that creates or deletes files inside the
project (a fixture that empties and refills ``test/tmp/`` around every test, say) can fail
because a test in the other worker did the same a moment before: a kill the mutant did not
cause. The coverage run watches the project's directories around each test (their mtimes
change when an entry is created, renamed or deleted) and names the tests that changed any;
kills by those tests are checked again with one worker (`runner`). A file rewritten in place
changes no directory and is not seen.
"""

from __future__ import annotations

import os

#: Folders never watched: version control, caches, environments, mutgate's own state.
SKIP = frozenset({".git", ".hg", ".svn", ".mutgate", "__pycache__", ".pytest_cache",
                  ".hypothesis", ".tox", ".nox", ".venv", "venv", "node_modules", ".mypy_cache",
                  ".ruff_cache", "build", "dist", ".eggs"})
#: At most this many folders are watched (the shallowest first): each test stats them twice,
#: ~6 µs a folder here, so 100 folders add ~1.2 ms to every test of the coverage run.
MAX_DIRS = 100


def project_dirs(root: str, limit: int = MAX_DIRS) -> list[str]:
    """The folders of the project under ``root`` (itself included), shallowest first."""
    found = [root]
    level = [root]
    while level and len(found) < limit:
        below = []
        for folder in level:
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if (entry.is_dir(follow_symlinks=False) and entry.name not in SKIP
                        and not entry.name.endswith(".egg-info")
                        and not os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))):
                    below.append(entry.path)
        found += below[: limit - len(found)]
        level = below
    return found


def stamps(dirs: list[str]) -> list[int]:
    """Each folder's mtime in ns (-1 when it is gone)."""
    out = []
    for folder in dirs:
        try:
            out.append(os.stat(folder).st_mtime_ns)
        except OSError:
            out.append(-1)
    return out


def changed(dirs: list[str], before: list[int], after: list[int], root: str) -> list[str]:
    """The folders (relative to ``root``, ``/``-separated) whose entries changed."""
    return [os.path.relpath(d, root).replace(os.sep, "/")
            for d, b, a in zip(dirs, before, after, strict=True) if b != a]
