"""End to end: every command on bad input fails with one line, the documented code, no debris.

Each case runs the installed `mutgate` on a project that is missing, empty, unconfigured,
broken or holding foreign files, and checks: the exit code (2 for usage / configuration /
input errors, 3 for a red suite), exactly one error line on stderr that names the problem,
no "Traceback" anywhere, and nothing half-written (the project tree is byte-identical, no
baseline or report appears, the files mutgate refused are untouched).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.projects import copy_fixture

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fast_pytest_subprocesses")]

_SCRIPT = Path(sys.executable).with_name("mutgate")
MUTGATE = str(_SCRIPT) if _SCRIPT.exists() else "mutgate"
#: What `mutgate run` may print on stderr before it fails (progress, not errors).
PROGRESS = ("mutating ", "tests: python -m pytest ", "Running the test suite once under coverage",
            "collecting tests: ", "coverage: ")
#: One invocation of every command; those that need an argument get a harmless one.
COMMANDS = {
    "run": ["run"], "results": ["results"], "show": ["show", "abc123"],
    "apply": ["apply", "abc123"], "baseline": ["baseline"], "gate": ["gate"],
    "report": ["report", "--markdown", "report.md"], "merge": ["merge", "shard.sqlite"],
}
READERS = [c for c in COMMANDS if c not in ("run", "merge")]


#: A warm launcher: imports mutgate's CLI once, then forks one real process per command. The
#: child runs the console script's entry point (`mutgate.cli.main`) with its own argv, cwd and
#: stdout/stderr files, and exits through main's SystemExit; anything else escaping prints a
#: traceback (which the checks look for) and exits 99; SIGALRM ends a hang. ~100 invocations
#: stay cheap.
LAUNCHER = r"""
import json, os, signal, sys, traceback
from mutgate.cli import main

for request in sys.stdin:
    job = json.loads(request)
    pid = os.fork()
    if pid == 0:  # main's SystemExit ends the child like the console script: atexit and all
        try:
            signal.alarm(job["timeout"])
            os.chdir(job["cwd"])
            for fd, path, mode in ((0, os.devnull, os.O_RDONLY), (1, job["out"], os.O_WRONLY),
                                   (2, job["err"], os.O_WRONLY)):
                os.dup2(os.open(path, mode | (os.O_CREAT if fd else 0), 0o600), fd)
            sys.argv = ["mutgate", *job["argv"]]
            main()
        except SystemExit:
            raise
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(99)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


class Launcher:
    def __init__(self, workdir: Path):
        self.workdir, self.count = workdir, 0
        self.proc = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def __call__(self, cwd: Path, argv: list[str]) -> subprocess.CompletedProcess:
        self.count += 1
        out, err = self.workdir / f"{self.count}.out", self.workdir / f"{self.count}.err"
        job = {"cwd": str(cwd), "argv": argv, "out": str(out), "err": str(err), "timeout": 300}
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        code = int(self.proc.stdout.readline())
        return subprocess.CompletedProcess(argv, code, out.read_text(), err.read_text())


_LAUNCHER: list[Launcher] = []


@pytest.fixture(scope="module", autouse=True)
def launcher(tmp_path_factory, fast_pytest_subprocesses):
    _LAUNCHER.append(Launcher(tmp_path_factory.mktemp("launcher")))
    yield
    launch = _LAUNCHER.pop()
    assert launch.proc.stdin
    launch.proc.stdin.close()
    launch.proc.wait(timeout=30)


def mutgate(project: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`mutgate -C project ARGS`, in a process forked by the launcher."""
    return _LAUNCHER[-1](cwd or project.parent, ["-C", str(project), *args])


def real_mutgate(project: Path, *args: str) -> subprocess.CompletedProcess:
    """The installed console script itself, for the cases that guard the entry point."""
    return subprocess.run([MUTGATE, "-C", str(project), *args], capture_output=True, text=True,
                          timeout=300, cwd=project.parent)


def error_line(done: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    """The one error line of a failed command, after checking everything around it."""
    where = f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    assert "Traceback" not in done.stdout + done.stderr, where
    assert done.returncode == code, where
    lines = [line for line in done.stderr.splitlines()
             if line.strip() and not line.startswith(PROGRESS)]
    assert len(lines) == 1, where
    assert lines[0].startswith("mutgate: error: "), where
    for fragment in fragments:
        assert fragment in lines[0], where
    return lines[0]


def every_command(project: Path, commands=COMMANDS, extra: tuple[str, ...] = ()
                  ) -> dict[str, subprocess.CompletedProcess]:
    return {c: mutgate(project, *COMMANDS[c], *extra) for c in commands}


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def finished(tmp_path_factory, fast_pytest_subprocesses) -> Path:
    """htmlish after one complete run (results in .mutgate/), shared read-only by the tests."""
    project = copy_fixture("htmlish", tmp_path_factory.mktemp("finished") / "htmlish")
    done = mutgate(project, "run", "-j", "2")
    assert done.returncode == 0, done.stderr
    return project


@pytest.fixture
def project(finished, tmp_path) -> Path:
    """A private copy of the finished project, results included."""
    return Path(shutil.copytree(finished, tmp_path / "htmlish"))


# -- projects that are missing, empty, or not mutgate's to read ---------------------------------


def test_missing_project_dir(tmp_path):
    missing = tmp_path / "nowhere"
    for command, done in every_command(missing).items():
        assert error_line(done, 2, str(missing), "does not exist"), command
    for command in ("run", "gate"):  # the same through the installed console script
        assert error_line(real_mutgate(missing, command), 2, str(missing), "does not exist")
    assert not missing.exists()
    assert os.listdir(tmp_path) == []


def test_empty_project(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for command, done in every_command(empty).items():
        assert error_line(done, 2, str(empty), "not inside a Python project"), command
    assert os.listdir(empty) == [], "an error must not leave state or reports behind"
    (empty / "pyproject.toml").write_text("")
    for command, done in every_command(empty).items():
        assert error_line(done, 2, "cannot tell what to mutate"), command
    assert os.listdir(empty) == ["pyproject.toml"], "an error must not leave state behind"


def test_results_before_any_run(tmp_path, hash_tree):
    project = copy_fixture("htmlish", tmp_path / "htmlish")
    before = hash_tree(project)
    for command, done in every_command(project, READERS).items():
        assert error_line(done, 2, "no results yet", "mutgate run"), command
    assert hash_tree(project) == before
    assert not (project / ".mutgate").exists()
    assert not (project / "mutgate-baseline.json").exists()


@pytest.mark.parametrize("content", [b"not a database, only text\n" * 20,
                                     bytes(range(256)) * 8], ids=["text", "binary"])
def test_state_file_that_is_not_sqlite(project, content, hash_tree):
    database = project / ".mutgate" / "results.sqlite"
    for stale in project.joinpath(".mutgate").glob("results.sqlite*"):
        stale.unlink()
    database.write_bytes(content)
    before = hash_tree(project)
    for command, done in every_command(project).items():
        if command == "merge":
            error_line(done, 2, "shard.sqlite")
            continue
        assert error_line(done, 2, "results.sqlite", "not a mutgate database"), command
    assert database.read_bytes() == content
    assert hash_tree(project) == before


def test_foreign_sqlite_files_are_refused_and_left_untouched(project, hash_tree):
    """A SQLite file of another program, as the state file or as a shard to merge."""
    foreign = project / ".mutgate" / "results.sqlite"
    for stale in project.joinpath(".mutgate").glob("results.sqlite*"):
        stale.unlink()
    shard = project.parent / "shard.sqlite"
    for path in (foreign, shard):
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
            db.execute("INSERT INTO notes (text) VALUES ('mine')")
        db.close()
    hashes = {path: file_hash(path) for path in (foreign, shard)}
    before = hash_tree(project)
    for command, done in every_command(project).items():
        assert error_line(done, 2, "not a mutgate database"), command
    fresh = copy_fixture("htmlish", project.parent / "fresh")
    error_line(mutgate(fresh, "merge", str(shard)), 2, "shard.sqlite", "not a mutgate database")
    assert {path: file_hash(path) for path in (foreign, shard)} == hashes
    assert hash_tree(project) == before


def test_merge_inputs_that_are_missing_or_not_databases(project, tmp_path):
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_text("garbage\n" * 50)
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    error_line(mutgate(project, "merge", str(tmp_path / "missing.sqlite")), 2, "missing.sqlite")
    error_line(mutgate(project, "merge", str(garbage)), 2, "garbage.sqlite")
    error_line(mutgate(project, "merge", str(empty)), 2, "empty.sqlite", "not a mutgate")
    assert garbage.read_text() == "garbage\n" * 50
    assert empty.stat().st_size == 0, "merge wrote into its input"


# -- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize("text,fragment", [
    (b"[tool.mutgate\npaths = ", "malformed TOML"),
    (b"\xff\xfe[tool.mutgate]\n", "malformed TOML"),
    (b"[tool.mutgate]\ntimeout_factor = nan\n", "finite"),
    (b"[tool.mutgate]\ntolerance = inf\n", "finite"),
    (b"[tool.mutgate]\npaths = ['../elsewhere']\n", "outside the project"),
    (b"[tool.mutgate]\njobs = 'two'\n", "jobs"),
    (b"[tool]\nmutgate = 3\n", "must be a table"),
], ids=["malformed", "not-utf8", "nan", "inf", "outside", "type", "not-a-table"])
def test_bad_pyproject(project, text, fragment, hash_tree):
    (project.parent / "elsewhere").mkdir(exist_ok=True)
    (project / "pyproject.toml").write_bytes(text)
    before = hash_tree(project)
    for command, done in every_command(project).items():
        assert error_line(done, 2, fragment), command
    assert hash_tree(project) == before
    assert not (project / "mutgate-baseline.json").exists()
    assert not (project / "report.md").exists()


def test_bad_mutgate_table(tmp_path, hash_tree):
    project = copy_fixture("bad_config", tmp_path / "bad_config")
    before = hash_tree(project)
    for command, done in every_command(project).items():
        assert error_line(done, 2, "unknown operator 'nonsense'"), command
    assert hash_tree(project) == before
    assert not (project / ".mutgate").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_pyproject(project):
    (project / "pyproject.toml").chmod(0)
    for command, done in every_command(project).items():
        assert error_line(done, 2, "pyproject.toml", "cannot read"), command


# -- options ------------------------------------------------------------------------------------


def test_unknown_option_on_every_command(project, hash_tree):
    before = hash_tree(project)
    for command, done in every_command(project, extra=("--no-such-option",)).items():
        assert error_line(done, 2, "--no-such-option"), command
    assert hash_tree(project) == before


@pytest.mark.parametrize("option", [
    ["--jobs", "-1"], ["--jobs", "many"], ["--sample", "0"], ["--sample", "101%"],
    ["--shard", "3/2"], ["--shard", "x"], ["--operators", "nonsense"],
    ["--timeout-factor", "nan"], ["--timeout-factor", "inf"], ["--timeout-constant", "-1"],
    ["--isolation", "thread"], ["--backend", "mpi"],
])
def test_bad_run_option_values(project, option):
    done = mutgate(project, "run", *option)
    error_line(done, 2)
    assert "mutants" not in done.stdout


def test_path_to_mutate_that_does_not_exist(project):
    error_line(mutgate(project, "run", str(project / "src" / "nope.py")), 2, "nope.py")


# -- sources and suites -------------------------------------------------------------------------


def test_failing_suite_names_the_failing_test(tmp_path, hash_tree):
    project = copy_fixture("failing_suite", tmp_path / "failing_suite")
    before = hash_tree(project)
    line = error_line(mutgate(project, "run"), 3, "tests/test_failing.py::test_average")
    assert "test_add" not in line
    assert hash_tree(project) == before


def test_project_without_tests(tmp_path, hash_tree):
    project = copy_fixture("no_tests", tmp_path / "no_tests")
    before = hash_tree(project)
    error_line(mutgate(project, "run"), 2, "no tests")
    assert hash_tree(project) == before


def test_source_with_a_syntax_error(tmp_path, hash_tree):
    project = copy_fixture("broken_syntax", tmp_path / "broken_syntax")
    before = hash_tree(project)
    error_line(mutgate(project, "run"), 2, "src/brokenpkg/broken.py:5", "syntax error")
    assert hash_tree(project) == before


def test_source_that_is_not_utf8(tmp_path, hash_tree):
    """Python imports it (it declares latin-1); mutgate, which edits UTF-8, says so."""
    project = copy_fixture("htmlish", tmp_path / "htmlish")
    markup = project / "src" / "htmlish" / "markup.py"
    markup.write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + markup.read_bytes())
    before = hash_tree(project)
    error_line(mutgate(project, "run"), 2, "src/htmlish/markup.py", "UTF-8")
    assert hash_tree(project) == before


# -- baselines, ids and outputs -----------------------------------------------------------------


@pytest.mark.parametrize("content,fragment", [
    (None, "not found"),
    ("{not json", "not valid JSON"),
    ('{"format_version": 1, "project": "htm', "truncated"),
    ("[1, 2, 3]", "expected a JSON object"),
    ('{"format_version": 99, "project": "htmlish"}', "newer mutgate"),
    ("\xff", "not UTF-8"),
    ("FOREIGN", "baseline of project 'someone-else'"),
], ids=["missing", "malformed", "truncated", "list", "newer", "binary", "foreign"])
def test_bad_baselines_are_refused_and_never_rewritten(project, content, fragment, hash_tree):
    baseline = project / "mutgate-baseline.json"
    if content == "FOREIGN":
        assert mutgate(project, "baseline").returncode == 0
        data = json.loads(baseline.read_text(encoding="utf-8"))
        baseline.write_text(json.dumps({**data, "project": "someone-else"}), encoding="utf-8")
    elif content is not None:
        baseline.write_bytes(content.encode("latin-1"))
    before = hash_tree(project)
    commands = [["gate"], ["baseline", "--check"]] + ([["baseline"]] if content else [])
    for args in commands:
        assert error_line(mutgate(project, *args), 2, "mutgate-baseline.json", fragment), args
    assert hash_tree(project) == before, "a refused baseline was changed or created"


def test_unknown_and_ambiguous_mutant_ids(project, hash_tree):
    before = hash_tree(project)
    for command in ("show", "apply"):
        error_line(mutgate(project, command, "zzzzzz"), 2, "no mutant with id 'zzzzzz'")
        error_line(mutgate(project, command, ""), 2, "mutants with id ''")
    error_line(mutgate(project, "results", "--run", "99"), 2, "no run 99")
    assert hash_tree(project) == before


def test_show_and_apply_when_the_source_changed_or_vanished(project, hash_tree):
    mutants = json.loads(mutgate(project, "results", "--json").stdout)["mutants"]
    source = project / mutants[0]["file"]
    source.write_text("# rewritten since the run\n", encoding="utf-8")
    before = hash_tree(project)
    error_line(mutgate(project, "apply", mutants[0]["id"]), 2, "changed since the run")
    assert hash_tree(project) == before
    source.unlink()
    error_line(mutgate(project, "show", mutants[0]["id"]), 2, mutants[0]["file"], "cannot read")


def test_apply_writes_the_mutant_and_says_how_to_undo_it(project):
    mutant = json.loads(mutgate(project, "results", "--json").stdout)["mutants"][0]
    source = project / mutant["file"]
    original = source.read_text(encoding="utf-8")
    done = mutgate(project, "apply", mutant["id"])
    assert done.returncode == 0, done.stderr
    assert source.read_text(encoding="utf-8") != original
    # The copy is not in a git checkout: no git command to undo it is offered.
    assert done.stdout.strip() == (f"applied {mutant['id']} to {mutant['file']}:{mutant['line']}"
                                   " (not in a git checkout: undo it by hand)")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    source.write_text(original, encoding="utf-8")
    again = mutgate(project, "apply", mutant["id"])
    assert again.stdout.strip().endswith(f"(undo: git checkout -- {mutant['file']})")


def test_outputs_that_cannot_be_written(project, tmp_path, hash_tree):
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me\n")
    before = hash_tree(project)
    cases = [(["baseline", "--baseline", str(tmp_path / "no" / "dir" / "b.json")], "b.json"),
             (["report", "--html", str(a_file)], "a-file"),
             (["report", "--markdown", str(tmp_path)], str(tmp_path)),
             (["report", "--json", str(a_file / "x.json")], "x.json")]
    for args, fragment in cases:
        assert error_line(mutgate(project, *args), 2, fragment, "cannot write"), args
    assert a_file.read_text() == "keep me\n"
    assert not (tmp_path / "no").exists()
    assert hash_tree(project) == before


def test_reports_escape_html_from_sources_and_test_ids(project, tmp_path):
    """htmlish's sources and test ids are full of markup; every report shows it as text."""
    out = tmp_path / "out"
    done = mutgate(project, "report", "--html", str(out / "html"), "--markdown",
                   str(out / "summary.md"), "--junit", str(out / "junit.xml"))
    assert done.returncode == 0, done.stderr
    texts = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
             for p in out.rglob("*") if p.is_file()}
    assert {"summary.md", "junit.xml", "html/index.html"} <= texts.keys()
    raw = ("<script>alert", "<SCRIPT src=x>", "<b>hi</b>", '"</script>" in', '"<b>" +')
    for name, text in texts.items():
        for needle in raw:
            assert needle.lower() not in text.lower(), f"{name} holds raw {needle!r}"
    pages = "".join(t for n, t in texts.items() if n.startswith("html/"))
    # the dangerous text is there, escaped: in the source view, and in the test ids of the
    # pages' JSON (a mutant's details are drawn from it as text when it is opened)
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in pages
    assert "\\u003cSCRIPT src=x\\u003e" in pages
    assert "&lt;/script&gt;" in texts["summary.md"] and "&lt;/script&gt;" in texts["junit.xml"]
