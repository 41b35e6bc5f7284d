"""What a change touched: the lines a branch added or modified, and the mutants on them.

A pull-request check mutates only the code the pull request changed. "Changed" is measured
from the merge base of the target ref (``origin/main``) and ``HEAD`` to the *working tree*, so
commits on the branch, staged and unstaged edits all count, and a new ``.py`` file that git
does not track yet counts entirely. Only new-side line numbers are reported: a change that
only deletes lines adds none, and a renamed file is reported under its new path.

The diff is produced by ``git diff -U0`` with every option that user configuration could
change (prefixes, colour, external drivers, rename detection) pinned on the command line, and
parsed with ``unidiff``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from unidiff import PatchSet

from mutgate.errors import ConfigError
from mutgate.mutant import Mutant

_DEV_NULL = "/dev/null"
_SRC_PREFIX = "a/"
_DST_PREFIX = "b/"

#: C-style escapes git uses in quoted paths (besides octal byte escapes).
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def merge_base(root: Path, ref: str) -> str:
    """The commit where ``HEAD`` forked from ``ref``: the starting point of the change."""
    if not ref or ref.startswith("-"):
        raise ConfigError(f"--diff: not a valid git ref: {ref!r}")
    _git(root, "rev-parse", "--show-toplevel", what="find the git repository")
    if _run_git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode:
        raise ConfigError(f"--diff {ref}: the repository has no commit at HEAD yet")
    if _run_git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode:
        raise ConfigError(f"--diff: unknown git ref {ref!r} (fetch it first?)")
    result = _run_git(root, "merge-base", ref, "HEAD")
    if result.returncode:
        raise ConfigError(
            f"--diff: {ref!r} and HEAD have no common ancestor"
            " (a shallow clone? fetch with more depth)"
        )
    return result.stdout.strip()


def file_changes(root: Path, ref: str) -> dict[str, set[int]]:
    """Every file changed since the merge base of ``ref``, with the new-side lines it added.

    Keys are paths relative to ``root`` with ``/`` separators, restricted to files under
    ``root``; a file whose change only deleted lines (or only renamed it) maps to an empty
    set. Deleted files are left out: no mutant can live in them.
    """
    base = merge_base(root, ref)
    text = _git(
        root,
        "-c",
        "core.quotePath=false",
        "diff",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--find-renames",
        "--relative",
        f"--src-prefix={_SRC_PREFIX}",
        f"--dst-prefix={_DST_PREFIX}",
        base,
        "--",
        what=f"diff the working tree against {ref!r}",
    )
    changes = _parse_diff(text)
    for path in _untracked_python_files(root):
        changes[path] = _all_lines(root / path)
    return changes


def changed_lines(root: Path, ref: str) -> dict[str, set[int]]:
    """The lines (new-side, 1-based) added or modified since the merge base of ``ref``.

    Only files with at least one such line appear; untracked ``.py`` files count entirely.
    """
    return {path: lines for path, lines in file_changes(root, ref).items() if lines}


def changed_files(root: Path, ref: str) -> set[str]:
    """The files (new paths, relative to ``root``) changed since the merge base of ``ref``.

    Includes files whose change only deleted lines, renamed files and untracked ``.py``
    files; excludes deleted files.
    """
    return set(file_changes(root, ref))


def select_in_diff(
    mutants: Iterable[Mutant],
    changed: Mapping[str, set[int]],
    test_files_changed: Iterable[str] = (),
) -> list[Mutant]:
    """The mutants a change is responsible for, in input order.

    A mutant is kept when its line span (``line`` to ``end_line``) meets a changed line of its
    file, or when one of the tests covering it lives in a changed test file (a change that
    only edits tests re-runs the mutants those tests cover). A test's file is the part of its
    node id before the first ``::``. Passing every changed file as ``test_files_changed`` is
    fine: only files that hold tests can match.
    """
    test_files = set(test_files_changed)
    selected = []
    for mutant in mutants:
        if on_changed_lines(mutant, changed) or any(
            node_id.split("::", 1)[0] in test_files for node_id in mutant.covered_by
        ):
            selected.append(mutant)
    return selected


def files_in_diff(files: Iterable[str], changes: Mapping[str, set[int]],
                  tests_of_file: Callable[[str], Iterable[str]]) -> list[str]:
    """The ``files`` that can hold a mutant `select_in_diff` keeps: changed files with changed
    lines, and files some test of a changed test file ran (``tests_of_file``: the tests that
    ran any line of a file), so a PR check parses only those."""
    test_files = set(changes)
    return [file for file in files
            if changes.get(file)
            or any(test.split("::", 1)[0] in test_files for test in tests_of_file(file))]


def on_changed_lines(mutant: Mutant, changed: Mapping[str, set[int]]) -> bool:
    """Whether the mutant's line span (``line`` to ``end_line``) meets a changed line."""
    lines = changed.get(mutant.file)
    return bool(lines) and any(
        line in lines for line in range(mutant.line, max(mutant.line, mutant.end_line) + 1))


def _parse_diff(text: str) -> dict[str, set[int]]:
    changes: dict[str, set[int]] = {}
    for patched in PatchSet(text):
        target = _path(patched.target_file, _DST_PREFIX)
        if target is None:  # deleted file
            continue
        lines = changes.setdefault(target, set())
        for hunk in patched:
            lines.update(line.target_line_no for line in hunk if line.is_added)
    return changes


def _path(header: str | None, prefix: str) -> str | None:
    """The path in a ``---``/``+++`` header, without git's quoting and ``a/``/``b/`` prefix."""
    if header is None or header == _DEV_NULL:
        return None
    if header.startswith('"') and header.endswith('"') and len(header) >= 2:
        header = _unquote(header[1:-1])
    return header[len(prefix) :] if header.startswith(prefix) else header


def _unquote(quoted: str) -> str:
    """Undo git's C-style path quoting (``\\t``, ``\\"``, ``\\\\``, octal bytes)."""
    out = bytearray()
    i = 0
    while i < len(quoted):
        char = quoted[i]
        if char != "\\" or i + 1 == len(quoted):
            out += char.encode("utf-8")
            i += 1
        elif quoted[i + 1] in _ESCAPES:
            out.append(_ESCAPES[quoted[i + 1]])
            i += 2
        else:
            out.append(int(quoted[i + 1 : i + 4], 8) & 0xFF)
            i += 4
    return out.decode("utf-8", errors="surrogateescape")


def _untracked_python_files(root: Path) -> list[str]:
    listing = _git(
        root,
        "ls-files",
        "--others",
        "--exclude-standard",
        "-z",
        what="list untracked files",
    )
    return sorted(path for path in listing.split("\0") if path.endswith(".py"))


def _all_lines(path: Path) -> set[int]:
    try:
        data = path.read_bytes()
    except OSError:  # a dangling symlink, a symlink to a directory: nothing to mutate
        return set()
    return set(range(1, len(data.splitlines()) + 1))


def _run_git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
    except FileNotFoundError as exc:
        missing = "git" if exc.filename in (None, "git") else root
        raise ConfigError(f"--diff: cannot run git: {missing} not found") from None
    except NotADirectoryError:
        raise ConfigError(f"--diff: {root} is not a directory") from None


def _git(root: Path, *args: str, what: str) -> str:
    result = _run_git(root, *args)
    if result.returncode:
        if "not a git repository" in result.stderr.lower():
            raise ConfigError(f"--diff needs a git repository, and {root} is not in one")
        detail = result.stderr.strip().splitlines()
        raise ConfigError(f"--diff: cannot {what}: {detail[0] if detail else 'git failed'}")
    return result.stdout
