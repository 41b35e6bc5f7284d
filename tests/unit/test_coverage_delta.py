"""The incremental coverage map's logic on small hand-made maps: what to measure again, and
how a partial measurement merges into the old map (`mutgate.coverage_delta`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mutgate.coverage_delta import (
    ALL,
    MOVE,
    REUSE,
    SOME,
    Contexts,
    Snapshot,
    environment,
    installed_distributions,
    merge,
    moved,
    plan,
)
from mutgate.coverage_map import CoverageMap, derive
from mutgate.function_scopes import outline

ROOT = Path("/project")
A, B, C = "tests/test_a.py::test_a", "tests/test_b.py::test_b", "tests/test_c.py::test_c"
ENV = {"mutgate": "1", "python": "3.11", "packages": "p", "settings": "s", "hashseed": "0"}
FILES = {"pkg/a.py": "1", "pkg/b.py": "1", "pkg/deco.py": "1", "helpers.py": "1",
         "scripts/tool.py": "1", "tests/test_a.py": "1", "tests/test_b.py": "1",
         "tests/test_c.py": "1", "tests/conftest.py": "1", "pyproject.toml": "1"}


def old_map() -> CoverageMap:
    """A ran pkg/a.py, B ran pkg/b.py; test_c.py's collection ran pkg/deco.py; C's function
    is defined in test_a.py (an inherited test class); helpers.py is imported, unmeasured."""
    contexts = Contexts(
        ran={"pkg/a.py": {2: [A]}, "pkg/b.py": {2: [B], 3: [B]}},
        at_import={"pkg/a.py": {1}, "pkg/b.py": {1}, "pkg/deco.py": {1, 2}},
        collected={"pkg/deco.py": {2: ["tests/test_c.py"]}},
        defined_in={C: "tests/test_a.py"})
    lines, import_lines = derive(contexts, [A, B, C])
    return CoverageMap(lines=lines, import_lines=import_lines,
                       durations={A: 0.1, B: 0.2, C: 0.3}, contexts=contexts,
                       module_files={"helpers": "/project/helpers.py",
                                     "pkg.a": "/project/pkg/a.py"},
                       snapshot=Snapshot(dict(ENV), dict(FILES), str(ROOT)))


def now(**changes: str | None) -> Snapshot:
    files = {**FILES, **changes}
    return Snapshot(dict(ENV), {f: h for f, h in files.items() if h is not None}, str(ROOT))


def test_nothing_changed_reuses_the_map() -> None:
    assert plan(old_map(), now(), ROOT).action == REUSE
    assert plan(old_map(), now(), ROOT).why == "nothing changed"


@pytest.mark.parametrize(("part", "why"), [
    ("mutgate", "mutgate or its map format changed"), ("python", "Python changed"),
    ("packages", "the installed packages changed"), ("settings", "the test settings changed"),
    ("hashseed", "PYTHONHASHSEED changed")])
def test_an_environment_change_measures_everything(part, why) -> None:
    snapshot = now()
    snapshot.environment[part] = "other"
    assert (plan(old_map(), snapshot, ROOT).action, plan(old_map(), snapshot, ROOT).why) == (
        ALL, why)


@pytest.mark.parametrize(("changes", "why"), [
    ({"tests/conftest.py": "2"}, "tests/conftest.py changed"),
    ({"pyproject.toml": "2", "pkg/a.py": "2"}, "pyproject.toml changed"),
    ({"tox.ini": "new"}, "tox.ini changed"),
    ({"helpers.py": "2"}, "helpers.py changed, which the tests import and coverage does not "
                          "measure"),
    ({"helpers.py": None}, "helpers.py changed, which the tests import and coverage does not "
                           "measure"),
])
def test_what_every_test_may_depend_on_measures_everything(changes, why) -> None:
    decided = plan(old_map(), now(**changes), ROOT)
    assert (decided.action, decided.why) == (ALL, why)


def test_a_changed_source_file_re_measures_the_tests_that_ran_it() -> None:
    decided = plan(old_map(), now(**{"pkg/b.py": "2"}), ROOT)
    assert (decided.action, decided.tests, decided.changed) == (SOME, {B}, ("pkg/b.py",))
    assert decided.why == "1 changed file: pkg/b.py"


def test_a_file_only_collection_ran_is_collected_again_with_no_test_to_measure() -> None:
    # The first test module to import a file runs its import-time code (here: a decorator),
    # whatever its tests do; collecting again measures that part anew.
    decided = plan(old_map(), now(**{"pkg/deco.py": "2"}), ROOT)
    assert (decided.action, decided.tests) == (SOME, frozenset())


def test_a_changed_test_file_re_measures_its_tests_and_those_it_defines() -> None:
    decided = plan(old_map(), now(**{"tests/test_a.py": "2"}), ROOT)
    assert (decided.action, decided.tests) == (SOME, {A, C})
    removed = plan(old_map(), now(**{"tests/test_b.py": None}), ROOT)
    assert (removed.action, removed.tests) == (SOME, {B})


def test_a_new_file_is_collected_with_nothing_else_to_measure() -> None:
    decided = plan(old_map(), now(**{"tests/test_new.py": "1"}), ROOT)
    assert (decided.action, decided.tests, decided.why) == (
        SOME, frozenset(), "1 changed file: tests/test_new.py")


def test_files_no_test_imports_leave_the_map_as_it_is() -> None:
    decided = plan(old_map(), now(**{"scripts/tool.py": "2"}), ROOT)
    assert (decided.action, decided.why) == (
        REUSE, "no test imports the 1 changed file: scripts/tool.py")
    with_source = plan(old_map(), now(**{"scripts/tool.py": "2", "pkg/a.py": "2"}), ROOT)
    assert (with_source.action, with_source.tests) == (SOME, {A})


def test_many_changed_files_are_counted_not_listed() -> None:
    changes = {f"pkg/new{i}.py": "1" for i in range(3)}
    assert plan(old_map(), now(**changes), ROOT).why == (
        "3 changed files: pkg/new0.py, pkg/new1.py, pkg/new2.py")
    assert plan(old_map(), now(**changes, **{"pkg/new3.py": "1"}), ROOT).why == (
        "4 changed files")


def test_merge_replaces_the_re_measured_tests_entries_everywhere() -> None:
    old = Contexts(ran={"pkg/a.py": {2: [A, B], 3: [A]}, "pkg/b.py": {2: [B], 5: [C]}},
                   at_import={"pkg/a.py": {1}, "pkg/b.py": {1}})
    new = Contexts(ran={"pkg/a.py": {4: [A]}, "pkg/b.py": {2: [A]}},
                   at_import={"pkg/a.py": {1}, "pkg/b.py": {1, 7}},
                   collected={"pkg/b.py": {7: ["tests/test_a.py"]}},
                   defined_in={C: "tests/test_a.py"})
    merged = merge(old, new, gone={A}, changed=set())
    assert merged.ran == {"pkg/a.py": {2: [B], 4: [A]}, "pkg/b.py": {2: [A, B], 5: [C]}}
    # What ran at import and collection time is the new measurement's: collection was whole.
    assert (merged.at_import, merged.collected, merged.defined_in) == (
        new.at_import, new.collected, new.defined_in)


def test_merge_drops_a_changed_files_old_lines_and_gone_tests() -> None:
    old = Contexts(ran={"pkg/a.py": {2: [A], 3: [A]}, "pkg/b.py": {2: [B]},
                       "pkg/gone.py": {1: [B]}})
    new = Contexts(ran={"pkg/a.py": {5: [A]}})
    merged = merge(old, new, gone={A, B}, changed={"pkg/a.py"})
    assert merged.ran == {"pkg/a.py": {5: [A]}}


def test_import_time_lines_are_derived_again_after_the_merge() -> None:
    # B used to exercise pkg/a.py; after the change only A does: line 1 (import time) is A's.
    old = Contexts(ran={"pkg/a.py": {2: [B]}}, at_import={"pkg/a.py": {1}})
    new = Contexts(ran={"pkg/a.py": {3: [A]}}, at_import={"pkg/a.py": {1}})
    before, _ = derive(old, [A, B])
    assert before["pkg/a.py"][1] == [B]
    lines, import_lines = derive(merge(old, new, gone={A, B}, changed={"pkg/a.py"}), [A, B])
    assert lines["pkg/a.py"] == {1: [A], 3: [A]}
    assert import_lines == {"pkg/a.py": {1}}


def test_derive_skips_test_files_and_keeps_import_only_files() -> None:
    contexts = Contexts(ran={"tests/test_a.py": {3: [A]}, "pkg/a.py": {2: [A]}},
                        at_import={"pkg/a.py": {1}, "pkg/consts.py": {1, 2},
                                   "tests/test_a.py": {1}},
                        collected={"pkg/a.py": {1: ["tests/test_b.py"]}})
    lines, import_lines = derive(contexts, [A, B])
    # pkg/consts.py ran before any collection (a conftest imported it): every test covers it.
    assert lines == {"pkg/a.py": {1: [A, B], 2: [A]}, "pkg/consts.py": {1: [A, B], 2: [A, B]}}
    assert import_lines == {"pkg/a.py": {1}, "pkg/consts.py": {1, 2}}


def test_the_saved_state_survives_json() -> None:
    cov = old_map()
    assert Contexts.from_json(cov.contexts.to_json()) == cov.contexts
    assert CoverageMap.from_json(cov.to_json()) == cov


def test_a_snapshots_key_is_its_files_and_environment_not_where_it_is() -> None:
    here, there = now(), now()
    there.root = "/elsewhere"
    assert here.key == there.key
    assert now(**{"pkg/a.py": "2"}).key != here.key


def test_a_moved_projects_module_files_follow_it() -> None:
    files = {"pkg.a": "/old/root/pkg/a.py", "json": "/usr/lib/python3/json/__init__.py"}
    assert moved(files, "/old/root", "/new") == {
        "pkg.a": "/new/pkg/a.py", "json": "/usr/lib/python3/json/__init__.py"}
    assert moved(files, "/old/root", "/old/root") == files


# pkg/b.py with outlines: B ran `one` (lines 2-3), nobody ran `two` (lines 6-7).
B_SOURCE = "def one(x):\n    y = x\n    return y\n\n\ndef two(x):\n    return -x\n"


def outlined(source: str, digest: str) -> Snapshot:
    snap = now(**{"pkg/b.py": digest})
    made = outline(source)
    assert made is not None
    snap.outlines["pkg/b.py"] = made
    return snap


def outlined_map() -> CoverageMap:
    old = old_map()
    assert old.snapshot is not None
    old.snapshot.outlines["pkg/b.py"] = outlined(B_SOURCE, "1").outlines["pkg/b.py"]
    return old


def test_a_change_in_one_function_collects_only_the_files_of_its_tests() -> None:
    decided = plan(outlined_map(), outlined(B_SOURCE.replace("y = x", "y = x + 0"), "2"), ROOT)
    assert (decided.action, decided.tests, decided.collect, decided.changed) == (
        SOME, {B}, ("tests/test_b.py",), ())
    assert decided.why == "1 changed file: pkg/b.py; only the tests that ran one"
    assert decided.remap["pkg/b.py"] == {1: 1, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8}


def test_a_change_in_a_function_no_test_ran_measures_nothing() -> None:
    decided = plan(outlined_map(), outlined(B_SOURCE.replace("-x", "x"), "2"), ROOT)
    assert (decided.action, decided.tests) == (MOVE, frozenset())
    assert decided.why == "no test ran two, changed in the 1 changed file: pkg/b.py"


def test_a_change_outside_functions_collects_everything_again() -> None:
    decided = plan(outlined_map(), outlined("import os\n" + B_SOURCE, "2"), ROOT)
    assert (decided.action, decided.tests, decided.collect, decided.changed) == (
        SOME, {B}, (), ("pkg/b.py",))


def test_a_partial_merge_keeps_what_ran_at_import_moved() -> None:
    old = Contexts(ran={"pkg/b.py": {2: [B], 7: [C]}}, at_import={"pkg/b.py": {1, 6}},
                   collected={"pkg/b.py": {6: ["tests/test_c.py"]}}, defined_in={C: "x.py"})
    new = Contexts(ran={"pkg/b.py": {2: [B], 3: [B]}}, at_import={"pkg/b.py": {1}})
    merged = merge(old, new, {B}, set(), {"pkg/b.py": {1: 1, 6: 7, 7: 8}}, partial=True)
    assert merged == Contexts(ran={"pkg/b.py": {8: [C], 2: [B], 3: [B]}},
                              at_import={"pkg/b.py": {1, 7}},
                              collected={"pkg/b.py": {7: ["tests/test_c.py"]}},
                              defined_in={C: "x.py"})


def test_a_package_installed_or_upgraded_changes_the_environment(tmp_path, monkeypatch) -> None:
    before = environment({}, "1")["packages"]
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "shiny-1.0.dist-info").mkdir()
    installed = environment({}, "1")["packages"]
    (tmp_path / "shiny-1.0.dist-info").rename(tmp_path / "shiny-1.1.dist-info")
    upgraded = environment({}, "1")["packages"]
    assert len({before, installed, upgraded}) == 3
    assert "shiny-1.1.dist-info" in installed_distributions()
