"""The coverage map: a real pytest run under coverage on tiny projects written to temp dirs."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from mutgate import coverage_map
from mutgate.config import load_config
from mutgate.coverage_map import CoverageMap
from mutgate.errors import EXIT_SUITE, ConfigError, SuiteError

T_SMALL = "tests/test_mod.py::test_small"
T_BIG = "tests/test_mod.py::test_big"
T_HUGE = "tests/test_mod.py::test_big_huge"
ALL = [T_BIG, T_HUGE, T_SMALL]

MOD = '''
import warnings

LIMIT = 10


def small(x):
    return x < LIMIT


def big(x):
    if x > 100:
        return "huge"
    return "big"


def unused():
    return 0
'''

OTHER = '''
RATE = 2 * 3


def never():
    return RATE
'''

TESTS = '''
import pkg.other  # noqa: F401
from pkg.mod import big, small


def test_small():
    assert small(3) is True


def test_big():
    assert big(5) == "big"


def test_big_huge():
    assert big(500) == "huge"
'''

pytestmark = pytest.mark.usefixtures("fast_pytest_subprocesses")

PYPROJECT = '''
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
filterwarnings = ["error"]
'''


def project_files(**changes: str) -> dict[str, str]:
    files = {"pyproject.toml": PYPROJECT, "pkg/__init__.py": "", "pkg/mod.py": MOD,
             "pkg/other.py": OTHER, "tests/test_mod.py": TESTS}
    files.update(changes)
    return files


@pytest.fixture(scope="module")
def mapped(fast_pytest_subprocesses, tmp_path_factory, make_project
           ) -> tuple[Path, CoverageMap, list[str]]:
    root = make_project(tmp_path_factory.mktemp("mapped"), project_files())
    said: list[str] = []
    return root, coverage_map.build(load_config(root), echo=said.append), said


def test_each_line_maps_to_the_tests_that_ran_it(mapped) -> None:
    _, cov, _ = mapped
    lines = cov.lines["pkg/mod.py"]
    assert {n: lines[n] for n in (7, 11, 12, 13)} == {
        7: [T_SMALL], 11: [T_BIG, T_HUGE], 12: [T_HUGE], 13: [T_BIG]}
    assert 17 not in lines  # unused() body never ran


def test_lines_run_only_at_import_time_are_attributed_to_the_files_tests(mapped) -> None:
    _, cov, _ = mapped
    assert cov.import_lines["pkg/mod.py"] == {1, 3, 6, 10, 16}
    assert {n: cov.lines["pkg/mod.py"][n] for n in (1, 3, 6, 10, 16)} == dict.fromkeys(
        (1, 3, 6, 10, 16), ALL)


def test_a_file_only_imported_by_a_test_module_is_covered_there_at_its_import_lines(
        mapped) -> None:
    # test_mod.py imports pkg.other and calls nothing of it: RATE = 2 * 3 ran while
    # test_mod.py was collected, so its tests (and only they) can notice a mutant there; the
    # body of never() ran for no test.
    _, cov, _ = mapped
    assert cov.import_lines["pkg/other.py"] == {1, 4}
    assert cov.lines["pkg/other.py"] == {
        line: ["tests/test_mod.py::test_big", "tests/test_mod.py::test_big_huge",
               "tests/test_mod.py::test_small"]
        for line in (1, 4)}
    assert not cov.is_covered("pkg/other.py", 5)
    assert cov.is_covered("pkg/mod.py", 12)


def test_a_line_run_while_collecting_a_test_module_is_covered_by_its_tests(
        tmp_path, make_project) -> None:
    # A decorator applied when the test module is imported: only that module's test can
    # notice a mutant there, though it calls nothing of the file while it runs.
    root = make_project(tmp_path, {
        "pyproject.toml": PYPROJECT, "pkg/__init__.py": "",
        "pkg/deco.py": "def label(fn):\n    fn.tag = len(fn.__name__) + 1\n    return fn\n"
                       "\n\ndef double(x):\n    return x * 2\n",
        "tests/test_deco.py": "from pkg.deco import label\n\n\n@label\ndef sample():\n"
                              "    return 1\n\n\ndef test_tag():\n    assert sample.tag == 7\n",
        "tests/test_double.py": "from pkg.deco import double\n\n\ndef test_double():\n"
                                "    assert double(2) == 4\n"})
    cov = coverage_map.build(load_config(root), echo=lambda _: None)
    assert 2 in cov.import_lines["pkg/deco.py"]
    assert cov.lines["pkg/deco.py"][2] == ["tests/test_deco.py::test_tag",
                                           "tests/test_double.py::test_double"]
    assert cov.lines["pkg/deco.py"][7] == ["tests/test_double.py::test_double"]


def test_a_test_that_imports_a_module_anew_does_not_own_its_import_time_lines(
        tmp_path, make_project) -> None:
    root = make_project(tmp_path, {
        "pyproject.toml": PYPROJECT, "pkg/__init__.py": "",
        "pkg/lazy.py": "LIMIT = 1 + 1\n\n\ndef small(x):\n    return x < LIMIT\n",
        "tests/conftest.py": "import pkg.lazy  # noqa: F401\n",
        "tests/test_reload.py": "import importlib\nimport sys\n\n\ndef test_reimport():\n"
                                "    sys.modules.pop('pkg.lazy')\n"
                                "    importlib.import_module('pkg.lazy')\n",
        "tests/test_small.py": "def test_small():\n    from pkg.lazy import small\n\n"
                               "    assert small(1)\n"})
    cov = coverage_map.build(load_config(root), echo=lambda _: None)
    assert cov.lines["pkg/lazy.py"][1] == ["tests/test_reload.py::test_reimport",
                                           "tests/test_small.py::test_small"]


def test_a_module_only_a_conftest_imports_is_covered_by_every_test(tmp_path, make_project):
    # No test calls into pkg/settings.py and no test module imports it: its lines ran while
    # the conftest was imported, before every test, so each of them may notice a mutant.
    root = make_project(tmp_path, {
        "pyproject.toml": PYPROJECT, "pkg/__init__.py": "",
        "pkg/settings.py": "LIMIT = 2 + 1\n",
        "tests/conftest.py": "import pkg.settings  # noqa: F401\n",
        "tests/test_one.py": "def test_one():\n    assert True\n",
        "tests/test_limit.py": "from pkg import settings\n\n\ndef test_limit():\n"
                               "    assert settings.LIMIT == 3\n"})
    cov = coverage_map.build(load_config(root), echo=lambda _: None)
    assert cov.import_lines["pkg/settings.py"] == {1}
    assert cov.lines["pkg/settings.py"] == {1: ["tests/test_limit.py::test_limit",
                                                "tests/test_one.py::test_one"]}


def test_test_files_are_never_in_the_map(mapped) -> None:
    _, cov, _ = mapped
    assert set(cov.lines) == {"pkg/__init__.py", "pkg/mod.py", "pkg/other.py"}


def test_durations_and_test_file_hashes(mapped) -> None:
    root, cov, _ = mapped
    assert sorted(cov.durations) == ALL
    assert all(0 < d < 5 for d in cov.durations.values())
    assert cov.startup_s >= 0.5
    digest = hashlib.sha256((root / "tests/test_mod.py").read_bytes()).hexdigest()
    assert cov.test_files == {"tests/test_mod.py": digest}


def test_tests_for_orders_fastest_first(mapped) -> None:
    _, cov, _ = mapped
    fast_first = sorted(ALL, key=lambda t: (cov.durations[t], t))
    assert cov.tests_for("pkg/mod.py", 1) == fast_first
    assert cov.tests_for("pkg/mod.py", 12, end_line=13) == sorted(
        [T_BIG, T_HUGE], key=lambda t: (cov.durations[t], t))
    assert cov.tests_for("pkg/mod.py", 17) == []


def test_a_project_that_turns_warnings_into_errors_is_mapped(mapped) -> None:
    root, cov, said = mapped
    assert 'filterwarnings = ["error"]' in (root / "pyproject.toml").read_text()
    assert said == ["Running the test suite once under coverage to map tests to lines...",
                    "coverage: measured all 3 tests (no map from an earlier run)"]
    assert len(cov.durations) == 3


def test_the_map_survives_a_json_round_trip(mapped) -> None:
    _, cov, _ = mapped
    assert CoverageMap.from_json(cov.to_json()) == cov


def test_the_cached_map_is_reused_until_a_file_changes(mapped, tmp_path: Path) -> None:
    source_root, cov, _ = mapped
    root = tmp_path / "copy"
    shutil.copytree(source_root, root)
    (root / ".mutgate" / "coverage.sqlite").unlink()
    said: list[str] = []
    started: list[bool] = []

    def on_start() -> None:  # while the coverage run works, its results are not written yet
        started.append((root / ".mutgate" / "coverage-tests.json").exists())

    reused = coverage_map.build(load_config(root), echo=said.append, on_start=on_start)
    assert said == ["coverage: reused the map (nothing changed)"]  # nothing ran
    assert started == []
    assert not (root / ".mutgate" / "coverage.sqlite").exists()
    assert (reused.lines, reused.durations, reused.key) == (cov.lines, cov.durations, cov.key)
    # The project moved: the files the tests imported are found where it is now.
    assert reused.module_files["pkg.mod"] == str((root / "pkg/mod.py").resolve())
    assert cov.module_files["pkg.mod"] == str((source_root / "pkg/mod.py").resolve())

    test_file = root / "tests/test_mod.py"
    test_file.write_text(test_file.read_text().replace("small(3)", "small(30) is False and "
                                                       "small(3)"))
    rebuilt = coverage_map.build(load_config(root), echo=said.append, on_start=on_start)
    assert said[1:] == ["coverage: re-measured 3 of 3 tests "
                        "(1 changed file: tests/test_mod.py)"]
    assert started == [False]  # once, before the run had finished
    assert rebuilt.key != cov.key
    assert rebuilt.lines["pkg/mod.py"][7] == [T_SMALL]
    assert rebuilt.test_files["tests/test_mod.py"] == hashlib.sha256(
        test_file.read_bytes()).hexdigest()
    again: list[str] = []
    assert coverage_map.build(load_config(root), echo=again.append) == rebuilt
    assert again == ["coverage: reused the map (nothing changed)"]


def test_the_snapshot_changes_with_sources_and_settings(mapped, tmp_path: Path) -> None:
    source_root, cov, _ = mapped
    root = tmp_path / "copy"
    shutil.copytree(source_root, root, ignore=shutil.ignore_patterns(".mutgate"))
    assert coverage_map.snapshot(load_config(root)).key == cov.key
    settings = coverage_map.snapshot(load_config(root, {"pytest_args": "-k big"}))
    assert settings.key != cov.key
    assert settings.files == cov.snapshot.files
    (root / "pkg/other.py").write_text(OTHER + "\n# touched\n")
    touched = coverage_map.snapshot(load_config(root))
    assert touched.environment == cov.snapshot.environment
    assert {f for f in touched.files if touched.files[f] != cov.snapshot.files[f]} == {
        "pkg/other.py"}


def test_a_failing_test_is_a_suite_error_that_names_it(tmp_path: Path, make_project) -> None:
    broken = TESTS.replace('big(5) == "big"', 'big(5) == "small"')
    root = make_project(tmp_path, project_files(**{"tests/test_mod.py": broken}))
    with pytest.raises(SuiteError) as info:
        coverage_map.build(load_config(root))
    message = str(info.value)
    assert message.startswith(f"the unmutated test suite fails: {T_BIG}; {T_BIG}: ")
    assert "assert 'big' == 'small'" in message
    assert message.endswith(f"reproduce with: python -m pytest -p no:cacheprovider -p "
                            f"no:randomly {T_BIG}")
    assert "\n" not in message
    assert info.value.exit_code == EXIT_SUITE


def test_a_collection_error_is_a_suite_error_that_names_the_file(tmp_path: Path,
                                                                make_project) -> None:
    files = project_files(**{"tests/test_broken.py": "import pkg.missing_module\n"})
    root = make_project(tmp_path, files)
    with pytest.raises(SuiteError, match=r"^the unmutated test suite cannot be collected: errors "
                                         r"in tests/test_broken\.py$"):
        coverage_map.build(load_config(root))


def test_a_project_without_tests_is_a_config_error(tmp_path: Path, make_project) -> None:
    root = make_project(tmp_path, project_files(**{"tests/test_mod.py": "X = 1\n"}))
    with pytest.raises(ConfigError, match=r"no tests were collected"):
        coverage_map.build(load_config(root))


def test_the_coverage_run_reports_the_tests_found_and_done_while_it_runs(tmp_path, make_project):
    slow_tests = '''
import time

import pkg.other  # noqa: F401
from pkg.mod import big

time.sleep(1.5)  # a slow collection: a log hears that tests are being found


def test_big():
    time.sleep(0.8)
    assert big(5) == "big"


def test_big_huge():
    time.sleep(0.8)
    assert big(500) == "huge"
'''
    root = make_project(tmp_path / "proj", project_files(**{"tests/test_slow.py": slow_tests}))
    shown: list[tuple[str, int, int | None]] = []
    cov = coverage_map.build(load_config(root), progress=lambda *state: shown.append(state))
    assert len(cov.durations) == 5
    collecting = [state for state in shown if state[0] == "collecting tests"]
    running = [state for state in shown if state[0] == "coverage"]
    assert shown == collecting + running  # collecting, then running, nothing else
    assert (("collecting tests", 3, None) in collecting  # test_mod.py's, test_slow.py importing
            and {total for _, _, total in collecting} == {None})
    assert running[-1] == ("coverage", 5, 5)
    assert {total for _, _, total in running} == {5}
    done = [count for _, count, _ in running]
    assert done == sorted(done) and any(0 < count < 5 for count in done)  # live counts


def test_start_up_ends_where_the_first_test_starts(tmp_path, make_project):
    # A fresh child pays for the imports and the collection, not for what runs after the last
    # test: the conftest's 1 s counts, its 3 s at the session's end does not.
    root = make_project(tmp_path, {
        "pyproject.toml": PYPROJECT, "pkg/__init__.py": "VALUE = 1\n",
        "tests/conftest.py": "import time\n\ntime.sleep(1.0)\n\n\n"
                             "def pytest_sessionfinish(session):\n    time.sleep(3.0)\n",
        "tests/test_one.py": "import pkg\n\n\ndef test_one():\n    assert pkg.VALUE == 1\n"})
    cov = coverage_map.build(load_config(root), echo=lambda _: None)
    assert 1.0 <= cov.startup_s < 3.0
