"""End to end: what mutgate guarantees when runs are interrupted, killed, raced or attacked.

Every test drives the installed `mutgate` in real processes on projects in temp dirs and
reads the real SQLite store. Processes a test starts carry a marker in their environment, so
the test can find (and, at the end, kill by pid) exactly the processes its run left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.expectations import check_expectations, read_expectations
from helpers.projects import copy_fixture

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fast_pytest_subprocesses")]

_SCRIPT = Path(sys.executable).with_name("mutgate")
MUTGATE = str(_SCRIPT) if _SCRIPT.exists() else "mutgate"
MARK = "MUTGATE_TEST_MARK"
RESUME_HINT = "run `mutgate run` again to resume"
PYPROJECT = '[tool.pytest.ini_options]\npythonpath = ["src"]\ntestpaths = ["tests"]\n'


# -- helpers ------------------------------------------------------------------------------------


def mutgate(project: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([MUTGATE, "-C", str(project), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=project.parent)


@contextlib.contextmanager
def started(project: Path, *args: str, **popen) -> Iterator[subprocess.Popen]:
    """`mutgate run` in its own session (a Ctrl-C goes to its group), SIGINT not ignored; on
    the way out every process it left behind is killed (by pid, found by its marker)."""
    popen.setdefault("preexec_fn", lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    mark = uuid.uuid4().hex
    proc = subprocess.Popen(
        [MUTGATE, "-C", str(project), "run", *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, MARK: mark}, cwd=project.parent,
        start_new_session=True, **popen)
    proc.mark = mark  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        proc.kill()
        kill_marked(mark)  # first: orphans hold the pipes open
        proc.communicate()


def marked(mark: str) -> list[int]:
    """Pids of live processes whose environment carries ``mark`` (what one run started)."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/environ", "rb") as handle:
                    if needle in handle.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                continue
    return found


def kill_marked(mark: str) -> None:
    for _ in range(50):
        pids = marked(mark)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)


def wait_until(predicate, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def query(project: Path, sql: str) -> list[tuple]:
    """Rows from the project's store ([] before the run has created it)."""
    path = project / ".mutgate" / "results.sqlite"
    if not path.exists():
        return []
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        try:
            return db.execute(sql).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise


LATEST = "run_id = (SELECT max(id) FROM runs)"


def latest_mutants(project: Path) -> list[dict]:
    rows = query(project, f"SELECT spec, status, killed_by FROM mutants WHERE {LATEST}")
    return [{**json.loads(spec), "status": status, "killed_by": killed_by}
            for spec, status, killed_by in rows]


def finished_results(project: Path) -> int:
    """Mutants of the latest run with a committed result (what a reader can see)."""
    return sum(m["status"] != "pending" for m in latest_mutants(project))


def statuses(project: Path) -> dict[str, str]:
    return {m["id"]: m["status"] for m in latest_mutants(project)}


def integrity(project: Path) -> str:
    return query(project, "PRAGMA integrity_check")[0][0]


FUNCTIONS = 6
MUTANTS = 4 * FUNCTIONS  # (a + b) * K - a: `+`, `*`, `-` and `return None`


def slow_project(root: Path, functions: int = FUNCTIONS, sleep: float = 0.05) -> Path:
    """Functions with four mutants each; even ones tested strictly, odd ones only called."""
    (root / "src" / "slowpkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npythonpath = ["src"]\ntestpaths = ["tests"]\n'
        '[tool.mutgate]\npaths = ["src/slowpkg"]\n')
    (root / "src" / "slowpkg" / "__init__.py").write_text("")
    source, tests = [], ["import time\n\nfrom slowpkg import mod\n"]
    for k in range(functions):
        source.append(f"def f{k}(a, b):\n    return (a + b) * {k + 2} - a\n")
        check = f"assert mod.f{k}(3, 4) == {(3 + 4) * (k + 2) - 3}" if k % 2 == 0 \
            else f"mod.f{k}(3, 4)"
        tests.append(f"def test_f{k}():\n    time.sleep({sleep})\n    {check}\n")
    (root / "src" / "slowpkg" / "mod.py").write_text("\n\n".join(source))
    (root / "tests" / "test_mod.py").write_text("\n\n".join(tests))
    return root


@dataclass
class Reference:
    statuses: dict[str, str]
    second: subprocess.CompletedProcess
    first_pid: int
    overlapped: bool
    integrity: str


@pytest.fixture(scope="module")
def reference(tmp_path_factory, fast_pytest_subprocesses) -> Reference:
    """An uninterrupted run of the slow project, and a second run started while it ran."""
    project = slow_project(tmp_path_factory.mktemp("reference") / "slow")
    with started(project, "-j", "1") as first:
        lock = project / ".mutgate" / "lock"
        assert wait_until(lambda: lock.exists() and lock.read_text().strip(), 120)
        second = mutgate(project, "run", "-j", "1")
        overlapped = first.poll() is None
        out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    return Reference(statuses(project), second, first.pid, overlapped, integrity(project))


# -- concurrency --------------------------------------------------------------------------------


def test_a_second_run_is_refused_while_one_runs(reference):
    done = reference.second
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert ".mutgate/lock" in lines[0] and f"pid {reference.first_pid}" in lines[0]
    assert reference.overlapped, "the first run had ended before the second started"
    assert reference.integrity == "ok"
    assert len(reference.statuses) == MUTANTS and "pending" not in reference.statuses.values()
    assert {"killed", "survived"} <= set(reference.statuses.values())


# -- interruption -------------------------------------------------------------------------------


def test_ctrl_c_keeps_finished_results_and_the_next_run_resumes(reference, tmp_path, hash_tree):
    project = slow_project(tmp_path / "slow")
    before_tree = hash_tree(project)
    with started(project, "-j", "1") as proc:
        assert wait_until(lambda: finished_results(project) > 0, 180), "no result arrived"
        kept_before = finished_results(project)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        sent = time.monotonic()
        out, err = proc.communicate(timeout=120)
        stopped_after = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert "Traceback" not in out + err
    assert RESUME_HINT in err
    assert stopped_after < 8, f"took {stopped_after:.1f}s to stop"
    kept = finished_results(project)
    assert kept >= kept_before > 0
    assert query(project, "SELECT state FROM runs") == [("interrupted",)]
    assert hash_tree(project) == before_tree

    again = mutgate(project, "run", "-j", "1")
    assert again.returncode == 0, again.stderr
    assert f"{kept} results reused, {MUTANTS - kept} to run" in again.stderr
    assert statuses(project) == reference.statuses


def test_ctrl_c_stops_promptly_in_the_middle_of_a_long_batch(tmp_path):
    """16 mutants whose one covering test takes a second: one worker, batches of four."""
    project = slow_project(tmp_path / "slow", functions=4, sleep=0)
    (project / "tests" / "test_mod.py").write_text(
        "import time\n\nfrom slowpkg import mod\n\n\ndef test_all_slowly():\n"
        "    time.sleep(1.0)\n"
        + "".join(f"    assert mod.f{k}(3, 4) == {7 * (k + 2) - 3}\n" for k in range(4)))
    with started(project, "-j", "1") as proc:
        assert wait_until(lambda: len(latest_mutants(project)) == 16, 180)
        time.sleep(3.0)  # the worker has started, warmed up and is inside its first batch
        os.killpg(proc.pid, signal.SIGINT)
        sent = time.monotonic()
        proc.communicate(timeout=120)
        stopped_after = time.monotonic() - sent
    assert proc.returncode == 130
    assert stopped_after < 3, f"took {stopped_after:.1f}s to stop after Ctrl-C"


def test_kill_9_at_random_moments_keeps_tree_and_database(reference, tmp_path, hash_tree):
    project = slow_project(tmp_path / "slow", sleep=0.15)
    before_tree = hash_tree(project)
    rng = random.Random(20261121)
    for iteration in range(3):
        with started(project, "-j", "2") as proc:
            if iteration == 2:  # at least once while results are coming in
                assert wait_until(lambda: finished_results(project) > 0, 180, step=0.02)
            time.sleep(rng.uniform(0, 0.3) if iteration == 2 else rng.uniform(0.5, 3))
            proc.kill()
        assert hash_tree(project) == before_tree, f"iteration {iteration} changed the tree"
        assert integrity(project) == "ok"
    assert query(project, "SELECT state FROM runs ORDER BY id DESC LIMIT 1") == [("running",)]
    assert 0 < finished_results(project) < MUTANTS
    done_before = query(project, "SELECT count(DISTINCT id) FROM mutants WHERE status NOT IN "
                                 "('pending', 'error')")[0][0]
    assert done_before > 0
    again = mutgate(project, "run", "-j", "2")
    assert again.returncode == 0, again.stderr
    assert "resuming: results of the interrupted run are reused" in again.stderr
    assert f"{done_before} results reused, {MUTANTS - done_before} to run" in again.stderr
    assert statuses(project) == reference.statuses
    assert query(project, "SELECT count(*) FROM runs WHERE state = 'running'") == [(0,)]
    assert integrity(project) == "ok" and hash_tree(project) == before_tree


def test_kill_9_leaves_no_processes_behind(tmp_path):
    project = slow_project(tmp_path / "slow")
    with started(project, "-j", "2") as proc:
        assert wait_until(lambda: finished_results(project) > 0, 180)
        assert len(marked(proc.mark)) > 1, "the run has no worker processes to check"
        proc.kill()
        proc.wait()
        gone = wait_until(lambda: not marked(proc.mark), 5, step=0.2)
        left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:80] for pid in marked(proc.mark)}
    assert gone, f"still running 5 s after kill -9: {left}"


# -- hostile mutants ----------------------------------------------------------------------------


def test_hostile_mutants_do_not_harm_workers_or_tree(tmp_path, hash_tree):
    project = copy_fixture("hostile", tmp_path / "hostile")
    before = hash_tree(project)
    done = mutgate(project, "run", "-j", "2")
    assert done.returncode == 0, done.stderr
    mutants = latest_mutants(project)
    assert check_expectations({"mutants": mutants}, read_expectations(project)) == []
    assert not [m for m in mutants if m["status"] in ("error", "pending")], "a worker failed"
    killers = {(m["file"], m["line"]): set() for m in mutants}
    for m in mutants:
        killers[m["file"], m["line"]].add(m["killed_by"])
    assert killers["src/hostile/exits.py", 11] == {"test process exited with code 1"}
    assert killers["src/hostile/native.py", 9] == {"test process killed by signal 11"}
    assert all("3" in k and "::" not in k for k in killers["src/hostile/boot.py", 10]), \
        "os._exit(3) at import time must be what killed the test process"
    assert hash_tree(project) == before
    assert "Traceback" not in done.stdout + done.stderr


def test_a_crashing_mutant_leaves_no_core_file(tmp_path, hash_tree):
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    if pattern.startswith("|") or "/" in pattern:
        pytest.skip(f"core dumps do not go to the working directory here ({pattern})")
    project = copy_fixture("hostile", tmp_path / "hostile")
    before = hash_tree(project)
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]

    def enable_cores():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))

    with started(project, str(project / "src" / "hostile" / "native.py"),
                 preexec_fn=enable_cores) as proc:
        out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert ("killed", "test process killed by signal 11") in query(
        project, "SELECT status, killed_by FROM mutants")
    assert hash_tree(project) == before, "files appeared in the project"


def test_memory_limit_holds_in_subprocess_isolation(tmp_path, make_project):
    """The `-` → `+` mutant allocates 600 MB once; the limit is 64 MB above the test process."""
    project = make_project(tmp_path / "greedy", {
        "pyproject.toml": PYPROJECT + '[tool.mutgate]\nmemory_limit_mb = 64\n',
        "src/pkg/__init__.py": "",
        "src/pkg/core.py": "def spare(total, used):\n    return len(bytearray(total - used)) > 0\n",
        "tests/test_core.py": "from pkg.core import spare\n\ndef test_spare():\n"
                              "    assert spare(300_000_000, 299_999_995)\n"})
    done = mutgate(project, "run", "--isolation", "subprocess", "--operators",
                  "operator.arith")
    assert done.returncode == 0, done.stderr
    assert [m["status"] for m in latest_mutants(project)] == ["killed"]


# -- flaky and stateful tests -------------------------------------------------------------------

FLAKY_SOURCE = """
    def loose(n):
        total = n + 1
        total = total * 2
        return total - 3

    def solid(n):
        return n * 3 + 1
    """
FLAKY_TESTS = """
    import time
    from pathlib import Path
    from pkg.core import loose, solid
    RUNS = Path(__file__).resolve().parents[2] / "runs.txt"

    def test_fails_every_second_run():
        runs = int(RUNS.read_text()) if RUNS.exists() else 0
        RUNS.write_text(str(runs + 1))
        time.sleep(0.2)
        loose(5)
        assert runs % 2 == 0, f"run {runs + 1} fails"

    def test_solid():
        assert solid(2) == 7
    """


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_flaky_test_never_kills_mutants_and_is_reported(jobs, tmp_path, make_project):
    project = make_project(tmp_path / "flaky", {
        "pyproject.toml": PYPROJECT, "src/pkg/__init__.py": "", "src/pkg/core.py": FLAKY_SOURCE,
        "tests/test_core.py": FLAKY_TESTS})
    done = mutgate(project, "run", "-j", jobs)
    assert done.returncode == 0, done.stderr
    flaky = "tests/test_core.py::test_fails_every_second_run"
    assert int((tmp_path / "runs.txt").read_text()) >= 2, "the flaky test was never re-run"
    rows = query(project, "SELECT line, status, killed_by FROM mutants")
    assert [r for r in rows if r[2] == flaky] == [], "the flaky test killed mutants"
    assert {status for line, status, _ in rows if line <= 4} == {"no-tests"}
    assert {status for line, status, _ in rows if line >= 6} == {"killed"}
    assert flaky in done.stdout, "the summary does not name the flaky test"
    options = query(project, "SELECT options FROM runs")[0][0]
    assert flaky in options


STATE_SOURCE = """
    import os
    import tempfile
    SETTINGS = {"dirty": False}
    EVENTS = os.environ["STATE_EVENTS"]

    def configure(mode):
        if mode == "reset":
            with open(EVENTS, "a") as log:
                log.write("dirty\\n")
            os.chdir(tempfile.gettempdir())
            os.environ["STATEPKG_DIRTY"] = "1"
            SETTINGS["dirty"] = True
        return mode.upper()

    def unchecked(n):
        return n + 1
    """
STATE_TESTS = """
    import os
    import time
    from pathlib import Path
    from pkg.core import EVENTS, SETTINGS, configure, unchecked
    ROOT = Path(__file__).resolve().parents[1]

    def test_configure():
        time.sleep(0.3)
        assert configure("fast") == "FAST"

    def test_state_is_pristine():
        with open(EVENTS, "a") as log:
            log.write("check\\n")
        assert Path.cwd() == ROOT
        assert "STATEPKG_DIRTY" not in os.environ
        assert SETTINGS["dirty"] is False
        unchecked(1)
    """


def test_state_a_mutant_changes_does_not_reach_other_mutants(tmp_path, make_project,
                                                            monkeypatch):
    """The `!=` mutant of `configure` changes cwd, env and a global; the next mutants'
    tests check all three are pristine (and assert nothing else, so their mutants survive)."""
    events = tmp_path / "events.log"
    monkeypatch.setenv("STATE_EVENTS", str(events))
    project = make_project(tmp_path / "state", {
        "pyproject.toml": PYPROJECT, "src/pkg/__init__.py": "", "src/pkg/core.py": STATE_SOURCE,
        "tests/test_core.py": STATE_TESTS})
    done = mutgate(project, "run", "-j", "1")
    assert done.returncode == 0, done.stderr
    log = events.read_text().split()
    assert "dirty" in log and "check" in log[log.index("dirty"):], "no check after the change"
    unchecked = [m for m in latest_mutants(project) if m["qualname"] == "unchecked"]
    assert unchecked and {m["status"] for m in unchecked} == {"survived"}, unchecked


def test_state_a_test_leaves_behind_does_not_decide_verdicts(tmp_path, make_project,
                                                            monkeypatch):
    monkeypatch.setenv("STATE_EVENTS", str(tmp_path / "events.log"))
    tests = STATE_TESTS.replace('"fast") == "FAST"', '"reset") == "RESET"')
    pristine = tests.index("    def test_state_is_pristine")  # make it run first, in the file
    configure = tests.index("    def test_configure")
    tests = tests[:configure] + tests[pristine:] + "\n" + tests[configure:pristine]
    project = make_project(tmp_path / "state", {
        "pyproject.toml": PYPROJECT, "src/pkg/__init__.py": "", "src/pkg/core.py": STATE_SOURCE,
        "tests/test_core.py": tests})
    done = mutgate(project, "run", "-j", "1")
    assert done.returncode == 0, done.stderr
    unchecked = [m for m in latest_mutants(project) if m["qualname"] == "unchecked"]
    assert unchecked and {m["status"] for m in unchecked} == {"survived"}, unchecked
