"""Which test files import a module, through the import edges of the coverage run."""

from __future__ import annotations

from pathlib import Path

from mutgate.importers import importing_test_files, load_graph, modules_of_test_files

GRAPH = {
    "tests.test_api": ["pkg", "pkg.api"],
    "tests.test_util": ["pkg.util"],
    "pkg": ["pkg.api", "pkg.core"],
    "pkg.api": ["pkg.core", "json"],
    "tests.test_other": ["json"],
}
TEST_MODULES = {"tests.test_api": "tests/test_api.py", "tests.test_util": "tests/test_util.py",
                "tests.test_other": "tests/test_other.py"}


def test_a_module_is_seen_by_every_test_file_that_reaches_it():
    assert importing_test_files(GRAPH, "pkg.core", TEST_MODULES) == {"tests/test_api.py"}
    assert importing_test_files(GRAPH, "pkg.util", TEST_MODULES) == {"tests/test_util.py"}
    assert importing_test_files(GRAPH, "json", TEST_MODULES) == {
        "tests/test_api.py", "tests/test_other.py"}
    assert importing_test_files(GRAPH, "pkg.nothing", TEST_MODULES) == set()


def test_cycles_end():
    graph = {"a": ["b"], "b": ["a"], "tests.t": ["a"]}
    assert importing_test_files(graph, "b", {"tests.t": "tests/t.py"}) == {"tests/t.py"}


def test_test_modules_are_found_by_file_and_a_missing_graph_is_empty(tmp_path: Path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("", encoding="utf-8")
    real = str((tmp_path / "tests" / "test_x.py").resolve())
    assert modules_of_test_files(tmp_path, {"test_x": real, "os": "/usr/lib/os.py"},
                        ["tests/test_x.py"]) == {"test_x": "tests/test_x.py"}
    assert load_graph(tmp_path / "missing.json") == {}
    (tmp_path / "bad.json").write_text("[1, 2", encoding="utf-8")
    assert load_graph(tmp_path / "bad.json") == {}
