"""Configuration: defaults, inference of what to mutate, validation and its messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.projects import write_project

from mutgate.config import Config, find_root, infer_paths, load_config
from mutgate.errors import EXIT_USAGE, ConfigError
from mutgate.pytest_collection import (
    in_locations,
    infer_tests,
    is_test_file,
    pytest_config,
    pytest_locations,
)


def with_table(root: Path, table: str) -> Path:
    return write_project(root, {"pyproject.toml": f"[tool.mutgate]\n{table}\n",
                                "pkg/__init__.py": ""})


# -- defaults ---------------------------------------------------------------------------------
def test_defaults(tmp_path: Path) -> None:
    write_project(tmp_path, {"pkg/__init__.py": ""})
    config = load_config(tmp_path)
    assert config == Config(
        root=tmp_path.resolve(), paths=["pkg"], tests=[], pytest_args=[],
        operators=["operator", "boundary", "return"], exclude=[], timeout_factor=3.0,
        timeout_constant=1.0, jobs=0, isolation="auto", memory_limit_mb=4096, backend="loky",
        scheduler=None, baseline="mutgate-baseline.json", tolerance=1.0,
        survivor_rule="anywhere")
    assert config.state_dir == tmp_path.resolve() / ".mutgate"
    assert config.settings() == {"timeout_factor": 3.0, "timeout_constant": 1.0}


def test_effective_jobs(tmp_path: Path) -> None:
    write_project(tmp_path, {"pkg/__init__.py": ""})
    assert load_config(tmp_path, {"jobs": 3}).effective_jobs == 3
    assert load_config(tmp_path).effective_jobs >= 1


# -- inference --------------------------------------------------------------------------------
def test_src_layout_infers_every_src_package(tmp_path: Path) -> None:
    write_project(tmp_path, {"src/beta/__init__.py": "", "src/alpha/__init__.py": "",
                             "src/tests/__init__.py": "", "src/notapkg/mod.py": "",
                             "flat/__init__.py": ""})
    assert infer_paths(tmp_path) == ["src/alpha", "src/beta"]


def test_flat_layout_infers_the_top_level_package_not_tests_or_docs(tmp_path: Path) -> None:
    write_project(tmp_path, {"shop/__init__.py": "", "tests/__init__.py": "",
                             "docs/__init__.py": "", ".hidden/__init__.py": "", "setup.py": ""})
    assert infer_paths(tmp_path) == ["shop"]


def test_single_module_layout_infers_the_module(tmp_path: Path) -> None:
    write_project(tmp_path, {"tool.py": "", "test_tool.py": "", "tool_test.py": "",
                             "conftest.py": "", "setup.py": "", "noxfile.py": ""})
    assert infer_paths(tmp_path) == ["tool.py"]


def test_nothing_to_mutate_is_a_config_error_that_says_what_to_set(tmp_path: Path) -> None:
    write_project(tmp_path, {"test_only.py": "", "tests/test_a.py": ""})
    with pytest.raises(ConfigError, match=r"cannot tell what to mutate .*set paths in "
                                          r"\[tool\.mutgate\]"):
        load_config(tmp_path)


@pytest.mark.parametrize(("path", "expected"), [
    ("pkg/mod.py", False), ("pkg/test_mod.py", True), ("pkg/mod_test.py", True),
    ("pkg/conftest.py", True), ("pkg/tests/helpers.py", True), ("src/pkg/test/util.py", True),
    ("pkg/testing/fakes.py", True), ("pkg/testimony.py", False), ("pkg/contest.py", False),
    ("tests.py", True), ("test.py", True), ("pkg/tests.py", True), ("pkg/test.py", True),
    ("pkg/latest_test_data.py", False), ("pkg/testsuite.py", False), ("pkg/mytests.py", False),
])
def test_is_test_file(path: str, expected: bool) -> None:
    assert is_test_file(path) is expected


# -- reading [tool.mutgate] -------------------------------------------------------------------
def test_table_values_are_read(tmp_path: Path) -> None:
    with_table(tmp_path, 'paths = ["pkg"]\ntests = ["tests/unit"]\npytest_args = "-x -q"\n'
                         'operators = ["return", "operator.arith"]\ntimeout_factor = 2\n'
                         'jobs = 4\nisolation = "subprocess"\nexclude = ["pkg/gen_*.py"]')
    config = load_config(tmp_path)
    assert (config.paths, config.tests, config.pytest_args, config.operators) == (
        ["pkg"], ["tests/unit"], ["-x", "-q"], ["return", "operator.arith"])
    assert (config.timeout_factor, config.jobs, config.isolation, config.exclude) == (
        2, 4, "subprocess", ["pkg/gen_*.py"])


def test_pytest_args_may_be_a_list(tmp_path: Path) -> None:
    with_table(tmp_path, 'pytest_args = ["-k", "not slow"]')
    assert load_config(tmp_path).pytest_args == ["-k", "not slow"]


def test_other_tool_tables_are_ignored(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": "[tool.ruff]\nline-length = 3\n"
                                               "[project]\nname='x'\n",
                             "pkg/__init__.py": ""})
    assert load_config(tmp_path).paths == ["pkg"]


def test_overrides_beat_the_file(tmp_path: Path) -> None:
    with_table(tmp_path, 'jobs = 4\nisolation = "subprocess"\ntimeout_constant = 5.0')
    config = load_config(tmp_path, {"jobs": 1, "isolation": "fork", "timeout_constant": None,
                                    "operators": []})
    assert (config.jobs, config.isolation, config.timeout_constant) == (1, "fork", 5.0)
    assert config.operators == ["operator", "boundary", "return"]


def test_override_of_zero_jobs_is_kept(tmp_path: Path) -> None:
    with_table(tmp_path, "jobs = 4")
    assert load_config(tmp_path, {"jobs": 0}).jobs == 0


# -- errors name the culprit ------------------------------------------------------------------
def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": "[tool.mutgate\njobs = 1\n", "pkg/__init__.py": ""})
    with pytest.raises(ConfigError, match=r"pyproject\.toml: malformed TOML: .*line 1") as info:
        load_config(tmp_path)
    assert info.value.exit_code == EXIT_USAGE


def test_mutgate_section_that_is_not_a_table(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": "[tool]\nmutgate = 3\n", "pkg/__init__.py": ""})
    with pytest.raises(ConfigError, match=r"\[tool\.mutgate\] must be a table"):
        load_config(tmp_path)


def test_unknown_key_is_named(tmp_path: Path) -> None:
    with_table(tmp_path, "timeout = 3")
    with pytest.raises(ConfigError, match=r"^pyproject\.toml: \[tool\.mutgate\] has unknown key "
                                          r"'timeout' \(did you mean 'timeout_factor'\?\)$"):
        load_config(tmp_path)


@pytest.mark.parametrize(("key", "known"), [
    ("path", "paths"), ("test", "tests"), ("operator", "operators"), ("job", "jobs"),
    ("survivors", "survivor_rule"), ("pytest-args", "pytest_args"),
    ("memory_limit", "memory_limit_mb"), ("tolerence", "tolerance"),
])
def test_unknown_key_suggests_the_nearest_known_key(tmp_path: Path, key: str,
                                                     known: str) -> None:
    with_table(tmp_path, f'"{key}" = 1')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == (f"pyproject.toml: [tool.mutgate] has unknown key {key!r} "
                               f"(did you mean {known!r}?)")
    assert info.value.exit_code == EXIT_USAGE


def test_unknown_key_like_no_known_one_lists_the_known_keys(tmp_path: Path) -> None:
    with_table(tmp_path, "colour = 1")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    message = str(info.value)
    assert "did you mean" not in message
    assert message.startswith("pyproject.toml: [tool.mutgate] has unknown key 'colour' "
                              "(known keys: backend, baseline, confirm, exclude, ")
    assert message.endswith(", tolerance)")


@pytest.mark.parametrize("name", ["mutgat", "mutagte", "mutgates", "mut-gate", "Mutgate",
                                  "MUTGATE", "mitgate", "utgate"])
def test_a_table_one_typo_from_mutgate_is_an_error_naming_it(tmp_path: Path,
                                                              name: str) -> None:
    write_project(tmp_path, {"pyproject.toml": f'[tool.{name}]\npaths = ["pkg"]\n',
                             "pkg/__init__.py": ""})
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == (f"{tmp_path.resolve() / 'pyproject.toml'}: [tool.{name}] is "
                               "not a table mutgate reads: did you mean [tool.mutgate]?")
    assert info.value.exit_code == EXIT_USAGE


def test_a_typo_table_beside_the_real_one_is_still_an_error(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": '[tool.mutgate]\njobs = 1\n[tool.mutgat]\n'
                                               'jobs = 2\n', "pkg/__init__.py": ""})
    with pytest.raises(ConfigError, match=r"\[tool\.mutgat\] is not a table mutgate reads"):
        load_config(tmp_path)


@pytest.mark.parametrize("name", ["mutmut", "mypy", "mgate", "gate", "mutgate2x", "pytest"])
def test_other_tools_tables_are_left_alone(tmp_path: Path, name: str) -> None:
    write_project(tmp_path, {"pyproject.toml": f"[tool.{name}]\nanything = 1\n"
                                               "[tool.mutgate]\njobs = 3\n",
                             "pkg/__init__.py": ""})
    assert load_config(tmp_path).jobs == 3


@pytest.mark.parametrize(("line", "message"), [
    ('jobs = "two"', r"\[tool\.mutgate\] jobs: expected int, got 'two'$"),
    ("jobs = true", r"\[tool\.mutgate\] jobs: expected int, got True$"),
    ("jobs = 1.5", r"\[tool\.mutgate\] jobs: expected int, got 1\.5$"),
    ('timeout_factor = "2"', r"timeout_factor: expected int or float, got '2'$"),
    ('paths = "pkg"', r"\[tool\.mutgate\] paths: expected list, got 'pkg'$"),
    ("operators = [1, 2]", r"operators: expected a list of strings, got \[1, 2\]$"),
    ("pytest_args = 3", r"pytest_args: expected list or str, got 3$"),
])
def test_wrong_types_name_the_key_and_the_value(tmp_path: Path, line: str, message: str) -> None:
    with_table(tmp_path, line)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_wrong_type_in_an_override_names_the_option(tmp_path: Path) -> None:
    write_project(tmp_path, {"pkg/__init__.py": ""})
    with pytest.raises(ConfigError, match=r"^option --timeout-factor: expected int or float, "
                                          r"got 'fast'$"):
        load_config(tmp_path, {"timeout_factor": "fast"})


def test_unknown_operator_family_is_named(tmp_path: Path) -> None:
    with_table(tmp_path, 'operators = ["return", "mutation"]')
    with pytest.raises(ConfigError, match=r"^unknown operator 'mutation' \(known families: "
                                          r"operator, boundary, return; operators: "
                                          r"operator\.arith, .*, return\.bool\)$"):
        load_config(tmp_path)


def test_unknown_operator_kind_is_named(tmp_path: Path) -> None:
    with_table(tmp_path, 'operators = ["operator.arithmetic"]')
    with pytest.raises(ConfigError, match="operator.arithmetic"):
        load_config(tmp_path)


@pytest.mark.parametrize(("line", "message"), [
    ('isolation = "thread"', r"^isolation must be one of auto, fork, subprocess, got 'thread'$"),
    ('backend = "ray"', r"^backend must be one of loky, dask, got 'ray'$"),
    ('survivor_rule = "new"', r"^survivor_rule must be one of anywhere, changed-lines, off"),
    ("timeout_factor = 0", r"^timeout_factor must be > 0 and timeout_constant >= 0$"),
    ("timeout_constant = -1", r"^timeout_factor must be > 0 and timeout_constant >= 0$"),
    ("jobs = -2", r"^jobs must be >= 0 \(0 = one per CPU\), got -2$"),
    ("tolerance = -0.5", r"^tolerance must be >= 0, got -0\.5$"),
])
def test_invalid_values_are_named(tmp_path: Path, line: str, message: str) -> None:
    with_table(tmp_path, line)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_a_path_to_mutate_that_does_not_exist_is_named(tmp_path: Path) -> None:
    with_table(tmp_path, 'paths = ["pkg", "lib/missing"]')
    with pytest.raises(ConfigError, match=r"^lib/missing: path to mutate does not exist$"):
        load_config(tmp_path)


def test_a_project_directory_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere: project directory does not exist$"):
        load_config(tmp_path / "nowhere")


# -- the project's root -----------------------------------------------------------------------
@pytest.mark.parametrize("marker", ["pyproject.toml", "setup.cfg", "setup.py"])
def test_root_is_the_nearest_folder_with_a_project_file(tmp_path: Path, marker: str) -> None:
    write_project(tmp_path, {f"outer/{marker}": "", "outer/inner/src/pkg/mod.py": "",
                             "outer/inner/src/pkg/deep/x.py": ""})
    outer = (tmp_path / "outer").resolve()
    assert find_root(outer) == outer
    assert find_root(outer / "inner" / "src" / "pkg") == outer
    assert find_root(outer / "inner" / "src" / "pkg" / "deep") == outer


def test_root_is_the_nearest_project_not_an_enclosing_one(tmp_path: Path) -> None:
    write_project(tmp_path, {"repo/pyproject.toml": "", "repo/svc/setup.cfg": "",
                             "repo/svc/src/pkg/mod.py": ""})
    svc = (tmp_path / "repo" / "svc").resolve()
    assert find_root(svc / "src" / "pkg") == svc
    assert find_root(tmp_path / "repo") == (tmp_path / "repo").resolve()


def test_a_folder_named_like_a_project_file_does_not_make_a_root(tmp_path: Path) -> None:
    write_project(tmp_path, {"a/pyproject.toml/keep": "", "a/setup.py/keep": "",
                             "a/b/mod.py": ""})
    assert not any((p / "pyproject.toml").is_file() for p in tmp_path.resolve().parents), (
        "a project file above the temporary directory makes this test meaningless")
    with pytest.raises(ConfigError):
        find_root(tmp_path / "a" / "b")


def test_no_project_is_a_usage_error_that_says_what_to_do(tmp_path: Path) -> None:
    write_project(tmp_path, {"loose/mod.py": "", "loose/tests.py": ""})
    with pytest.raises(ConfigError, match=r"loose: not inside a Python project \(no "
                                          r"pyproject\.toml, setup\.cfg or setup\.py here or in "
                                          r"any folder above\); run mutgate in your project, "
                                          r"or pass -C PROJECT_DIR$") as info:
        find_root(tmp_path / "loose")
    assert info.value.exit_code == EXIT_USAGE
    assert not (tmp_path / "loose" / ".mutgate").exists()


def test_root_of_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere: project directory does not exist$"):
        find_root(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()


# -- which tests pytest runs when nothing says ------------------------------------------------
def test_a_top_level_tests_py_is_passed_to_pytest(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": "", "mod.py": "", "tests.py": ""})
    config = load_config(tmp_path)
    assert (config.paths, config.tests) == (["mod.py"], ["tests.py"])


def test_with_tests_py_the_other_test_locations_are_passed_too(tmp_path: Path) -> None:
    """Given a path, pytest collects only that path: what it found without one must stay."""
    write_project(tmp_path, {"mod.py": "", "test.py": "", "tests.py": "", "test_more.py": "",
                             "other_test.py": "", "helpers.py": "", "checks/deep/test_x.py": "",
                             "docs/conf.py": "", "build/test_gen.py": "", ".tox/test_t.py": "",
                             "env/pyvenv.cfg": "", "env/lib/test_site.py": ""})
    assert infer_tests(tmp_path, []) == ["checks", "other_test.py", "test.py", "test_more.py",
                                         "tests.py"]


def test_norecursedirs_of_the_project_decides_which_folders_hold_tests(tmp_path: Path) -> None:
    write_project(tmp_path, {"pytest.ini": "[pytest]\nnorecursedirs = slow*\n", "tests.py": "",
                             "slow_suite/test_a.py": "", "build/test_b.py": ""})
    assert infer_tests(tmp_path, []) == ["build", "tests.py"]


def test_without_tests_py_pytest_decides(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": "", "mod.py": "", "test_mod.py": ""})
    assert load_config(tmp_path).tests == []


@pytest.mark.parametrize(("name", "text"), [
    ("pyproject.toml", '[tool.pytest.ini_options]\ntestpaths = ["checks"]\n'),
    ("pyproject.toml", '[tool.pytest]\npython_files = ["*.py"]\n'),
    ("pyproject.toml", '[tool.pytest.ini_options]\naddopts = "-q tests.py"\n'),
    ("pytest.ini", "[pytest]\ntestpaths =\n    checks\n"),
    ("setup.cfg", "[tool:pytest]\npython_files = check_*.py\n"),
    ("tox.ini", "[pytest]\ntestpaths = checks\n"),
    ("pytest.toml", '[pytest]\ntestpaths = ["checks"]\n'),
])
def test_pytest_configuration_that_says_where_tests_are_wins(tmp_path: Path, name: str,
                                                             text: str) -> None:
    write_project(tmp_path, {name: text, "mod.py": "", "tests.py": "", "checks/test_a.py": ""})
    assert infer_tests(tmp_path, []) == []


def test_an_empty_pytest_ini_hides_the_sections_of_other_files(tmp_path: Path) -> None:
    """pytest takes the first configuration file it finds, an empty pytest.ini included."""
    write_project(tmp_path, {"pytest.ini": "", "tox.ini": "[pytest]\ntestpaths = checks\n",
                             "tests.py": ""})
    assert pytest_config(tmp_path) == (tmp_path / "pytest.ini", {})
    assert infer_tests(tmp_path, []) == ["tests.py"]


def test_a_path_in_pytest_args_or_in_the_table_wins(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": '[tool.mutgate]\npytest_args = ["tests.py"]\n',
                             "mod.py": "", "tests.py": ""})
    assert load_config(tmp_path).tests == []
    assert infer_tests(tmp_path, ["-k", "not slow", "tests.py::test_a"]) == []
    assert infer_tests(tmp_path, ["-k", "not slow", "-p", "no:warnings"]) == ["tests.py"]
    (tmp_path / "pyproject.toml").write_text('[tool.mutgate]\ntests = ["other"]\n')
    assert load_config(tmp_path).tests == ["other"]


# -- where pytest collects tests from ---------------------------------------------------------
def test_pytest_locations_are_tests_and_testpaths(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "pyproject.toml": '[tool.mutgate]\npaths = ["src/pkg"]\ntests = ["src/pkg/checks", '
                          '"src/pkg/more.py::test_a"]\n'
                          '[tool.pytest.ini_options]\ntestpaths = ["src/pkg/suite*", "src"]\n',
        "src/pkg/__init__.py": "", "src/pkg/suite_a/x.py": "", "src/pkg/suite_b/y.py": ""})
    config = load_config(tmp_path)
    # "src" holds the code to mutate as well (doctests, say): not a test folder.
    assert pytest_locations(config) == ["src/pkg/checks", "src/pkg/more.py", "src/pkg/suite_a",
                                        "src/pkg/suite_b"]


def test_a_test_location_that_is_the_project_or_the_code_is_not_a_test_folder(
        tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": '[tool.mutgate]\ntests = [".", "pkg"]\n',
                             "pkg/__init__.py": ""})
    assert pytest_locations(load_config(tmp_path)) == []


def test_testpaths_are_relative_to_the_file_pytest_reads_them_from(tmp_path: Path) -> None:
    write_project(tmp_path, {"tox.ini": "[pytest]\ntestpaths = svc/checks\n",
                             "svc/setup.py": "", "svc/pkg/__init__.py": ""})
    config = load_config(tmp_path / "svc")
    assert pytest_locations(config) == ["checks"]


@pytest.mark.parametrize(("path", "expected"), [
    ("checks/a.py", True), ("checks", True), ("checks.py", False), ("checksum/a.py", False),
    ("pkg/t.py", True), ("pkg/t.pyc", False),
])
def test_in_locations(path: str, expected: bool) -> None:
    assert in_locations(path, ["checks", "pkg/t.py"]) is expected


def test_root_of_a_path_python_cannot_use_is_a_usage_error() -> None:
    with pytest.raises(ConfigError, match=r"^'a\\x00b': unusable project directory "
                                          r"\(embedded null byte\)$"):
        find_root(Path("a\0b"))
