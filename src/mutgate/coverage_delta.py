"""The incremental coverage map (issue 13): what changed since the map was measured, which
tests to measure again, and how their new coverage replaces their old.

The map keeps what it was measured against (a `Snapshot`): a hash of every project file and
of the environment every test depends on. On the next run (`plan`):

- nothing changed: the map is reused;
- only lines without code changed (comments, blank lines) in measured files: the map is
  reused with those files' lines moved to their new numbers;
- the environment, a ``conftest.py`` or a configuration file changed, or a Python file that
  the tests imported but coverage does not measure: every test is measured again;
- otherwise only the tests whose coverage can have changed run again: the tests of changed
  test files, every test that ran a line of a changed measured file, and tests the map does
  not know yet. When every change to a measured file lies inside function bodies
  (`mutgate.function_scopes`) and none of those bodies ran at import time, only the tests
  that ran those bodies run again, and the other tests' lines of the file are re-mapped
  through a line diff. The whole suite is still collected, so what runs at import and
  collection time is always measured anew.

A test that never ran a line of a changed file can only reach its new lines through another
changed file, whose tests then run again too. `merge` replaces the re-measured tests' old
entries with their new ones; the import-time rule is applied afterwards, to the merged raw
contexts (`coverage_map.derive`). docs/ci.md says where this reasoning does not hold.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mutgate.function_scopes import Outline, changed_functions, line_map, outline

if TYPE_CHECKING:
    from mutgate.coverage_map import CoverageMap

#: Every test depends on these: a change to one means measuring everything again.
CONFIG_SUFFIXES = (".toml", ".cfg", ".ini")
SUITE_FILE = "conftest.py"

#: The parts of the environment, in the order a change is reported, and how it is named.
ENVIRONMENT = {
    "mutgate": "mutgate or its map format changed",
    "python": "Python changed",
    "packages": "the installed packages changed",
    "settings": "the test settings changed",
    "hashseed": "PYTHONHASHSEED changed",
}

REUSE, MOVE, ALL, SOME = "reuse", "move", "all", "some"


@dataclass
class Contexts:
    """What coverage recorded, before the import-time rule of `coverage_map.derive`.

    Files are relative to the project's root; test files under the measured paths included.
    """

    #: ``ran[file][line]``: the tests that ran the line while they ran (in their own context).
    ran: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    #: The lines that ran at import time or while a test module was collected.
    at_import: dict[str, set[int]] = field(default_factory=dict)
    #: ``collected[file][line]``: the test modules whose collection ran the line.
    collected: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    #: A test whose function another file defines (an inherited test class): that file.
    defined_in: dict[str, str] = field(default_factory=dict)

    def files(self) -> set[str]:
        return set(self.ran) | set(self.at_import)

    def tests_of(self, file: str, lines: range | None = None) -> set[str]:
        """Every test that ran a line of ``file`` (of ``lines``, when given) while it ran.
        (Not the tests of a module whose collection ran some: the first test module to
        import a file runs all of its import-time code, which would make any change
        re-measure all of that module's tests. What runs at import and collection time is
        measured anew in every run anyway.)"""
        by_line = self.ran.get(file, {})
        if lines is None:
            return {t for tests in by_line.values() for t in tests}
        return {t for line in lines for t in by_line.get(line, ())}

    def to_json(self) -> dict:
        return {"ran": _lines_to_json(self.ran), "collected": _lines_to_json(self.collected),
                "at_import": {f: sorted(lines) for f, lines in self.at_import.items()},
                "defined_in": self.defined_in}

    @classmethod
    def from_json(cls, data: dict) -> Contexts:
        return cls(ran=_lines_from_json(data["ran"]),
                   at_import={f: set(lines) for f, lines in data["at_import"].items()},
                   collected=_lines_from_json(data["collected"]),
                   defined_in=data["defined_in"])


def _lines_to_json(by_file: dict[str, dict[int, list[str]]]) -> dict:
    return {f: {str(n): names for n, names in by.items()} for f, by in by_file.items()}


def _lines_from_json(data: dict) -> dict[str, dict[int, list[str]]]:
    return {f: {int(n): names for n, names in by.items()} for f, by in data.items()}


@dataclass
class Snapshot:
    """What a map was measured against: ``environment`` (part → value, see `ENVIRONMENT`) and
    ``files`` (each project file, relative to the root → sha256 of its bytes). ``root``, where
    the project was, is no part of it: a project moved keeps its map."""

    environment: dict[str, str]
    files: dict[str, str]
    root: str = ""
    #: The measured source files' outlines (file → `Outline`), for narrowing a change to the
    #: functions it lies in; a file without one is re-measured whole.
    outlines: dict[str, Outline] = field(default_factory=dict)

    @property
    def key(self) -> str:
        text = json.dumps([sorted(self.environment.items()), sorted(self.files.items())])
        return _digest(text)[:20]

    def to_json(self) -> dict:
        return {"environment": self.environment, "files": self.files, "root": self.root,
                "outlines": {f: o.to_json() for f, o in self.outlines.items()}}

    @classmethod
    def from_json(cls, data: dict) -> Snapshot:
        return cls(environment=data["environment"], files=data["files"], root=data["root"],
                   outlines={f: Outline.from_json(o)
                             for f, o in data.get("outlines", {}).items()})


def moved(module_files: dict[str, str], old_root: str, new_root: str) -> dict[str, str]:
    """``module_files`` (absolute paths) of a project that moved from ``old_root``."""
    if old_root == new_root or not old_root:
        return module_files
    prefix = old_root.rstrip(os.sep) + os.sep
    return {name: new_root.rstrip(os.sep) + os.sep + path[len(prefix):]
            if path.startswith(prefix) else path for name, path in module_files.items()}


def take_snapshot(root: Path, files: Iterable[Path], settings: object, mutgate: str,
                  outlined: Iterable[Path] = (), old: Snapshot | None = None) -> Snapshot:
    """The snapshot of ``files`` (under ``root``) and of this process's environment;
    ``settings`` is everything of mutgate's configuration that changes what pytest runs.
    ``outlined`` (some of ``files``) get an outline, taken from ``old`` where unchanged."""
    hashes = {}
    data = {}
    for path in files:
        data[path] = path.read_bytes()
        hashes[path.relative_to(root).as_posix()] = hashlib.sha256(data[path]).hexdigest()
    outlines = {}
    for path in outlined:
        rel = path.relative_to(root).as_posix()
        if old is not None and rel in old.outlines and old.files.get(rel) == hashes.get(rel):
            outlines[rel] = old.outlines[rel]
            continue
        made = outline(data[path].decode("utf-8", "surrogateescape")) if path in data else None
        if made is not None:
            outlines[rel] = made
    return Snapshot(environment=environment(settings, mutgate), files=hashes,
                    root=os.path.realpath(root), outlines=outlines)


def environment(settings: object, mutgate: str) -> dict[str, str]:
    """The parts of the environment every test's coverage can depend on."""
    packages = installed_distributions()
    return {
        "mutgate": mutgate,
        "python": f"{sys.implementation.cache_tag} {sys.version}",
        "packages": _digest("\n".join(packages)),
        "settings": _digest(json.dumps(settings, sort_keys=True)),
        "hashseed": os.environ.get("PYTHONHASHSEED", ""),
    }


def installed_distributions() -> list[str]:
    """The names of the metadata folders (``name-version.dist-info``, ``.egg-info``) on
    ``sys.path``: what is installed, and at which version, wherever the environment is, and
    without reading every package's metadata (importlib.metadata does: ~0.2 s for 125)."""
    found = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, a folder that is gone
            continue
        found.update(name for name in names if name.endswith((".dist-info", ".egg-info")))
    return sorted(found)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Plan:
    """What `coverage_map.build` does: reuse the map (`REUSE`), reuse it with the lines of
    the ``remap`` files moved (`MOVE`), measure every test (`ALL`), or measure ``tests`` again
    (`SOME`). ``why`` ends the line the run prints."""

    action: str
    why: str
    tests: frozenset[str] = frozenset()
    #: Changed files whose old lines are dropped whole.
    changed: tuple[str, ...] = ()
    #: Changed files whose other tests' lines are carried over: file → (old line → new line).
    remap: dict[str, dict[int, int]] = field(default_factory=dict)
    #: When not empty, only these test files are collected: what ran at import and collection
    #: time is carried over from the old map (moved through ``remap``).
    collect: tuple[str, ...] = ()


def plan(old: CoverageMap, now: Snapshot, root: Path) -> Plan:
    """Compare the snapshot ``old`` was measured against with ``now``."""
    assert old.snapshot is not None
    for part, label in ENVIRONMENT.items():
        if old.snapshot.environment.get(part) != now.environment.get(part):
            return Plan(ALL, label)
    before = old.snapshot.files
    changed = sorted(f for f in before.keys() | now.files.keys()
                     if before.get(f) != now.files.get(f))
    if not changed:
        return Plan(REUSE, "nothing changed")
    by_file: dict[str, set[str]] = {}  # the tests each test file holds or defines
    for test in old.durations:
        by_file.setdefault(test.split("::", 1)[0], set()).add(test)
    for test, file in old.contexts.defined_in.items():
        by_file.setdefault(file, set()).add(test)
    measured = old.contexts.files()
    imported = _project_files_of(old.module_files.values(), root)
    tests: set[str] = set()
    inert = []
    remap: dict[str, dict[int, int]] = {}
    functions: list[str] = []
    for file in changed:
        if file.rsplit("/", 1)[-1] == SUITE_FILE or file.endswith(CONFIG_SUFFIXES):
            return Plan(ALL, f"{file} changed")
        narrowed = None if file in by_file else _narrowed(old, now, file)
        if narrowed is not None:
            ran, remap[file], names = narrowed
            tests |= ran
            functions += names
        elif file in by_file or file in measured:
            tests |= by_file.get(file, set()) | old.contexts.tests_of(file)
        elif file in before and file in imported:
            return Plan(ALL, f"{file} changed, which the tests import and coverage does "
                             "not measure")
        elif file in before:
            inert.append(file)  # never imported by the tests: it cannot change what they run
        # A new file may hold new tests: collecting finds them.
    if len(inert) == len(changed):
        return Plan(REUSE, f"no test imports the {_files_text(changed)}")
    shown = ", ".join(functions[:3]) + (", ..." if len(functions) > 3 else "")
    if len(inert) + len(remap) == len(changed):
        # Only function bodies changed that ran at no import: what runs at import and
        # collection time is what the map holds, so only the files of ``tests`` are collected.
        if not tests:
            why = (f"no test ran {shown}, changed" if functions
                   else "only lines without code changed")
            return Plan(MOVE, f"{why} in the {_files_text(sorted(remap))}", remap=remap)
        collect = tuple(sorted({t.split("::", 1)[0] for t in tests}))
        return Plan(SOME, f"{_files_text(changed)}; only the tests that ran {shown}",
                    frozenset(tests), (), remap, collect)
    why = _files_text(changed)
    if functions:
        why += f"; only the tests that ran {shown}"
    return Plan(SOME, why, frozenset(tests), tuple(f for f in changed if f not in remap), remap)


def _narrowed(old: CoverageMap, now: Snapshot, file: str
              ) -> tuple[set[str], dict[int, int], list[str]] | None:
    """For a measured file whose changes all lie inside function bodies that never ran at
    import or collection time: the tests that ran those bodies, the line map of the file, and
    the functions' names. None when the file's tests must all be measured again."""
    assert old.snapshot is not None
    before, after = old.snapshot.outlines.get(file), now.outlines.get(file)
    if before is None or after is None:
        return None
    scopes = changed_functions(before, after)
    if scopes is None:
        return None
    at_import = old.contexts.at_import.get(file, set()) | set(old.contexts.collected.get(file, {}))
    ran = old.contexts.ran.get(file, {})
    tests: set[str] = set()
    for scope in scopes:
        lines = range(scope.first, scope.last + 1)
        if any(line in at_import for line in lines):
            return None
        tests.update(t for line in lines for t in ran.get(line, ()))
    return tests, line_map(before, after), [s.key.split("#")[0] for s in scopes]


def _project_files_of(paths: Iterable[str], root: Path) -> set[str]:
    """The files of ``paths`` (absolute, resolved) under ``root``, relative to it."""
    real = os.path.realpath(root)
    found = set()
    for path in paths:
        rel = os.path.relpath(path, real)
        if not rel.startswith(".."):
            found.add(rel.replace(os.sep, "/"))
    return found


def _files_text(files: list[str]) -> str:
    """``1 changed file: a.py``, ``2 changed files: a.py, b.py``, ``12 changed files``."""
    count = f"{len(files)} changed file{'' if len(files) == 1 else 's'}"
    return f"{count}: {', '.join(files)}" if len(files) <= 3 else count


def moved_lines(contexts: Contexts, remap: dict[str, dict[int, int]]) -> Contexts:
    """``contexts`` with the lines of the ``remap`` files moved (old → new); a line not in a
    file's map is dropped (it held no code, so nothing ran it)."""
    def move(by_file: dict, file: str) -> dict:
        moves = remap.get(file)
        if moves is None:
            return by_file[file]
        return {moves[line]: value for line, value in by_file[file].items() if line in moves}

    def move_set(file: str, lines: set[int]) -> set[int]:
        moves = remap.get(file)
        return lines if moves is None else {moves[n] for n in lines if n in moves}

    return Contexts(ran={f: move(contexts.ran, f) for f in contexts.ran},
                    at_import={f: move_set(f, lines) for f, lines in contexts.at_import.items()},
                    collected={f: move(contexts.collected, f) for f in contexts.collected},
                    defined_in=contexts.defined_in)


def merge(old: Contexts, new: Contexts, gone: set[str], changed: set[str],
          remap: dict[str, dict[int, int]] | None = None, partial: bool = False) -> Contexts:
    """The contexts of a full measurement, from ``old`` and a measurement (``new``) of some
    tests with the whole suite collected.

    ``gone``: the tests whose old entries no longer hold (measured again, or no longer
    collected); ``changed``: files whose old lines are dropped whole (every test that ran them
    is in ``gone``, and their line numbers moved); ``remap``: changed files whose old lines
    move to new numbers (old → new; a line not in it ran only in ``gone`` tests). What ran at
    import and collection time, and which file defines each test, come from ``new``: the
    collection was complete; with ``partial`` (only some test files were collected) they come
    from ``old``, moved through ``remap``.
    """
    remap = remap or {}
    ran: dict[str, dict[int, list[str]]] = {}
    for file, by_line in old.ran.items():
        if file in changed:
            continue
        moves = remap.get(file)
        kept = {}
        for line, tests in by_line.items():
            left = [t for t in tests if t not in gone]
            if moves is not None:
                line = moves.get(line, 0)
            if left and line:
                kept[line] = left
        if kept:
            ran[file] = kept
    for file, by_line in new.ran.items():
        into = ran.setdefault(file, {})
        for line, tests in by_line.items():
            into[line] = sorted(set(into.get(line, ())) | set(tests))
    static = moved_lines(old, remap) if partial else new
    return Contexts(ran=ran, at_import={f: set(s) for f, s in static.at_import.items()},
                    collected=static.collected, defined_in=static.defined_in)
