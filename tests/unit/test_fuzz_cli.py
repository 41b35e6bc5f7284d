"""Fuzzing the configuration loader and the command line, and static checks of the source.

- `load_config` on random `[tool.mutgate]` tables (and random pyproject text) returns a
  `Config` whose values are usable, or raises `ConfigError`: never anything else.
- `mutgate run` with random option values fails with a usage or configuration error (or would
  start a run): never an internal error, never a traceback.
- mutgate's own source never unpickles, `eval`s or `exec`s data, and writes the files it
  leaves for people (baseline, reports, an applied mutant) through its atomic writers.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import math
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mutgate.cli import cli
from mutgate.config import Config, load_config, project_name
from mutgate.errors import ConfigError, MutgateError

SRC = Path(__file__).resolve().parents[2] / "src" / "mutgate"
KEYS = ["paths", "tests", "pytest_args", "operators", "exclude", "timeout_factor",
        "timeout_constant", "jobs", "isolation", "memory_limit_mb", "backend", "scheduler",
        "baseline", "tolerance", "survivor_rule"]
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# -- TOML ---------------------------------------------------------------------------------------


def toml_string(text: str) -> str:
    escaped = "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or c in '"\\\x7f' else c for c in text)
    return f'"{escaped}"'


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
scalars = st.one_of(
    st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(), texts,
    st.sampled_from(["src/pkg", "src", ".", "..", "../..", "/", "/etc", "src/pkg/mod.py",
                     "operator", "boundary.constant", "return", "loky", "dask", "fork",
                     "subprocess", "off", "changed-lines", "anywhere", "a\x00b", "x" * 300]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=3)), max_leaves=8)
tables = st.dictionaries(st.one_of(st.sampled_from(KEYS), texts), values, max_size=6)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "__init__.py").write_text("")
    (root / "src" / "pkg" / "mod.py").write_text("def f():\n    return 1\n")
    return root


def check_usable(config: Config) -> None:
    """What the rest of mutgate relies on once the configuration is accepted."""
    for key in ("timeout_factor", "timeout_constant", "tolerance"):
        assert math.isfinite(getattr(config, key)), key
    assert config.timeout_factor > 0 and config.timeout_constant >= 0 and config.jobs >= 0
    for key in ("paths", "tests", "pytest_args", "exclude", "operators"):
        assert all(isinstance(v, str) and "\0" not in v for v in getattr(config, key)), key
    for path in config.paths:
        target = (config.root / path).resolve()
        assert target.exists() and (target == config.root or config.root in target.parents)


@FUZZ
@given(table=tables)
@example(table={"timeout_factor": math.nan})
@example(table={"tolerance": math.inf})
@example(table={"paths": ["../.."]})
@example(table={"paths": ["a\x00b"]})
@example(table={"exclude": ["x" * 5000]})
def test_load_config_accepts_or_refuses_any_table(project, table):
    (project / "pyproject.toml").write_text(
        "[tool.mutgate]\n" + "".join(f"{toml_string(k)} = {toml_value(v)}\n"
                                     for k, v in table.items()), encoding="utf-8")
    try:
        config = load_config(project)
    except ConfigError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    check_usable(config)


@FUZZ
@given(text=st.one_of(texts, st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
                      st.sampled_from(["[tool]\nmutgate = 1", "[tool.mutgate]\n[tool.mutgate]",
                                       "tool = 3", "[[tool.mutgate]]", "[tool.mutgate.x]",
                                       "project = 3", "[project]\nname = 3"])))
def test_load_config_survives_any_pyproject_text(project, text):
    (project / "pyproject.toml").write_bytes(text.encode("utf-8", "surrogatepass"))
    assert isinstance(project_name(project), str) and project_name(project)
    with contextlib.suppress(ConfigError):
        check_usable(load_config(project))


# -- the command line ---------------------------------------------------------------------------

option_values = st.one_of(
    texts, st.integers().map(str), st.floats().map(str),
    st.sampled_from(["0", "-1", "1/0", "0/0", "3/2", "1/1", "10%", "0%", "101%", "1e400",
                     "nan", "inf", "-inf", "", " ", "--", "-j", "2/3/4", "%", "1.5"]))
run_options = st.lists(st.tuples(st.sampled_from(
    ["--jobs", "--sample", "--shard", "--operators", "--timeout-factor", "--timeout-constant",
     "--seed"]), option_values), max_size=4)


def outcome(result) -> int:
    """The exit code `mutgate.cli.main` gives a CliRunner result (standalone_mode=False)."""
    exc = result.exception
    if exc is None or isinstance(exc, SystemExit):
        return result.exit_code
    if isinstance(exc, click.ClickException):
        return exc.exit_code
    if isinstance(exc, MutgateError):
        return exc.exit_code
    raise AssertionError(f"internal error: {type(exc).__name__}: {exc}") from exc


@pytest.fixture(scope="module")
def locked(project):
    """The project with its run lock held: option checking happens, no run can start."""
    (project / ".mutgate").mkdir(exist_ok=True)
    with open(project / ".mutgate" / "lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield project


@settings(max_examples=200, deadline=None)
@given(options=run_options, missing=st.booleans())
def test_run_options_never_crash(project, locked, options, missing):
    (project / "pyproject.toml").write_text("")
    root = project / "missing" if missing else locked
    args = ["-C", str(root), "run", *[part for pair in options for part in pair]]
    result = CliRunner().invoke(cli, args, standalone_mode=False)
    assert outcome(result) in (0, 1, 2), result.output
    if not missing and isinstance(result.exception, ConfigError):
        message = str(result.exception)
        # One line that names the option or value at fault.
        assert "\n" not in message and re.search(
            r"another mutgate run is in progress|--(sample|shard)|operator|must be|expected",
            message), message


@pytest.mark.parametrize("option", [["--sample", "9" * 5000], ["--shard", "1/" + "9" * 5000]])
def test_huge_counts_are_usage_errors(locked, option):
    result = CliRunner().invoke(cli, ["-C", str(locked), "run", *option], standalone_mode=False)
    assert outcome(result) == 2


@pytest.mark.parametrize("args", [["run", "--jobs", "-3"], ["run", "--timeout-factor", "nan"],
                                  ["run", "--shard", "9/2"], ["gate", "--tolerance", "x"]])
def test_the_installed_command_maps_errors_to_exit_2(tmp_path, args):
    script = Path(sys.executable).with_name("mutgate")
    done = subprocess.run([str(script) if script.exists() else "mutgate", "-C",
                           str(tmp_path / "missing"), *args], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# -- what the source does with data -------------------------------------------------------------


def modules() -> dict[str, ast.Module]:
    return {path.relative_to(SRC).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
            for path in sorted(SRC.rglob("*.py"))}


def module_constants(tree: ast.Module) -> set[str]:
    return {target.id for node in tree.body if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            for target in node.targets if isinstance(target, ast.Name)}


def dangers(name: str, tree: ast.Module) -> list[str]:
    """Unpickling imports, eval/exec of anything but a module constant, yaml.load, shell=True."""
    unsafe = {"pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve"}
    constants, problems = module_constants(tree), []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if unsafe & {n.split(".")[0] for n in names}:
                problems.append(f"{name}:{node.lineno}: imports {names}")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if called in ("eval", "exec") and isinstance(func, ast.Name):
            code = node.args[0] if node.args else None
            if isinstance(code, ast.Call) and getattr(code.func, "id", "") == "compile":
                code = code.args[0]
            if not (isinstance(code, ast.Name) and code.id in constants):
                problems.append(f"{name}:{node.lineno}: {called} of something not constant")
        if called == "load" and getattr(getattr(func, "value", None), "id", "") == "yaml":
            problems.append(f"{name}:{node.lineno}: yaml.load")
        if any(k.arg == "shell" and getattr(k.value, "value", False) for k in node.keywords):
            problems.append(f"{name}:{node.lineno}: shell=True")
    return problems


def test_no_unpickling_eval_or_exec_of_data():
    assert [p for name, tree in modules().items() for p in dangers(name, tree)] == []
    bad = ast.parse("import pickle\nCODE = 'x = 1'\nexec(CODE)\neval(data)\n"
                    "exec(compile(text, 'f', 'exec'))\nyaml.load(s)\nrun(cmd, shell=True)\n")
    assert len(dangers("bad.py", bad)) == 5  # the checker sees each kind (not exec(CODE))


#: Every place that opens a file for writing, and why it may: the atomic writers, and files
#: that are mutgate's own state, temporary, or another program's to read (append only).
ALLOWED_WRITERS = {
    ("atomic.py", "write_bytes_atomic"): "the atomic writer (temp file, fsync, os.replace)",
    ("report/output.py", "write_report_file"): "the reports' atomic writer (os.replace)",
    ("lock.py", "run_lock"): "the lock file in .mutgate/",
    ("coverage_map.py", "build"): ".mutgate/coverage-map.json through a temp file",
    ("cli_gate.py", "_github_output"): "appends to GitHub's step summary",
    ("coverage_progress.py", "__init__"): "the coverage run's progress record in .mutgate/, "
                                          "rewritten in place (a checksum tells a torn read)",
}


def test_files_people_keep_are_written_atomically():
    found = set()
    for name, tree in modules().items():
        if name.startswith(("plugins/", "execution/")):
            continue  # child processes and their temp files, never the project's files
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Call) and _writes(node):
                    found.add((name, func.name))
    assert found - ALLOWED_WRITERS.keys() == set(), "files written without an atomic writer"
    assert {("atomic.py", "write_bytes_atomic"), ("lock.py", "run_lock")} <= found
    calls = {name: ast.dump(tree) for name, tree in modules().items()}
    assert calls["cli_gate.py"].count("write_text_atomic") >= 2  # baseline (+import)
    assert "write_text_atomic" in calls["cli.py"]  # apply
    for report in ("report/html.py", "report/junit.py", "report/stryker.py", "report/markdown.py"):
        assert "write_report_file" in calls[report], report


def _writes(node: ast.Call) -> bool:
    """A call that opens a file for writing: write_text/bytes, open/fdopen with a write mode,
    os.open with a write flag."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if name in ("write_text", "write_bytes"):
        return True
    if name == "open" and getattr(getattr(func, "value", None), "id", "") == "os":
        flags = {n.attr for a in node.args[1:2] for n in ast.walk(a)
                 if isinstance(n, ast.Attribute)}
        return bool(flags & {"O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC"})
    if name in ("open", "fdopen"):
        modes = node.args[1:2] + [k.value for k in node.keywords if k.arg == "mode"]
        return any(isinstance(m, ast.Constant) and isinstance(m.value, str)
                   and bool(set(m.value) & set("wax+")) for m in modes)
    return False
