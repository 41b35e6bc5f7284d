"""`mutgate run --backend dask` on a real dask.distributed cluster on loopback.

A scheduler and two single-threaded workers run as real processes (`dask scheduler`,
`dask worker --nthreads 1`), each in its own process group so that a finalizer can always kill
them. The same project runs locally and on the cluster, and the statuses must match mutant by
mutant — also when a worker is killed mid-run, on workers that served an earlier run, and
for a test that needs the main thread.
Workers that cannot serve the run (two threads, no project at the same path, another copy of
the project) are refused with one line naming the worker.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

pytestmark = [pytest.mark.slow, pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("dask") is None, reason="no dask command")]

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
# Installed pytest plugins (hypothesis: ~2 s) would slow every pytest session down.
ENV = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}

SLOW_PROJECT = {
    "pyproject.toml": """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        testpaths = ["tests"]

        [tool.mutgate]
        paths = ["calc.py"]
        """,
    "calc.py": """
        def add(a, b):
            return a + b


        def clamp(x, low, high):
            if x < low:
                return low
            if x > high:
                return high
            return x


        def is_adult(age):
            return age >= 18


        def discount(total):
            if total > 100:
                return total - 10
            return total
        """,
    "tests/test_calc.py": """
        import signal
        import time

        from calc import add, clamp, discount, is_adult


        def test_add():
            time.sleep(0.15)
            assert add(2, 3) == 5


        def test_clamp():
            previous = signal.signal(signal.SIGALRM, signal.SIG_IGN)  # on the main thread only
            signal.signal(signal.SIGALRM, previous)
            time.sleep(0.15)
            assert clamp(-1, 0, 10) == 0
            assert clamp(11, 0, 10) == 10
            assert clamp(5, 0, 10) == 5


        def test_is_adult():
            time.sleep(0.15)
            assert is_adult(30)


        def test_discount():
            time.sleep(0.15)
            assert discount(200) == 190
        """,
}


class Cluster:
    """A dask scheduler and two workers on 127.0.0.1, as process groups we can always kill."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.procs: dict[str, subprocess.Popen] = {}
        self.client: distributed.Client | None = None
        self.address = ""

    def start(self) -> None:
        file = self.workdir / "scheduler.json"
        self._spawn("scheduler", ["dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(file)])
        deadline = time.monotonic() + 30
        while not (file.exists() and file.stat().st_size):
            assert time.monotonic() < deadline, "the dask scheduler did not start"
            time.sleep(0.1)
        time.sleep(0.1)
        self.address = json.loads(file.read_text())["address"]
        self.client = distributed.Client(self.address, timeout=30)
        for name in ("w1", "w2"):
            self.add_worker(name, wait=False)
        self.wait_for("w1", "w2")

    def _spawn(self, name: str, command: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        self.procs[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            env=ENV, start_new_session=True)
        log.close()

    def add_worker(self, name: str, nthreads: int = 1, wrap: str | None = None,
                   wait: bool = True) -> None:
        """Start `dask worker`; `wrap` is a shell command to run first (`exec` follows)."""
        command = ["dask", "worker", self.address, "--nthreads", str(nthreads), "--name", name,
                   "--host", "127.0.0.1", "--no-dashboard", "--memory-limit", "0"]
        if wrap:
            command = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                       wrap + ' && exec "$@"', "sh", *command]
        self._spawn(name, command)
        if wait:
            self.wait_for(name)

    def wait_for(self, *names: str) -> None:
        self.wait(lambda joined: set(names) <= set(joined), f"workers {names} did not join")

    def names(self) -> dict[str, str]:
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        return {info["name"]: address for address, info in workers.items()}

    def wait(self, condition, message: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.names()):
            if time.monotonic() > deadline:
                pytest.fail(message)
            time.sleep(0.1)

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        if name != "scheduler":
            self.wait(lambda names: name not in names, f"worker {name} did not leave")

    def kill_leftovers(self, *names: str) -> None:
        for name in names:
            if name in self.procs:
                self.kill(name)

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close(timeout=5)
        for name in list(self.procs):
            proc = self.procs.pop(name)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    started = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        started.start()
        yield started
    finally:
        started.close()


def mutgate(project: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from mutgate.cli import main; main()",
                           "-C", str(project), *args], capture_output=True, text=True,
                          env=ENV, timeout=timeout)


def statuses(project: Path) -> dict[str, str]:
    """Status per mutant id in the latest run, read straight from the results store."""
    with contextlib.closing(sqlite3.connect(project / ".mutgate" / "results.sqlite")) as db:
        rows = db.execute("SELECT id, status FROM mutants WHERE run_id = "
                          "(SELECT max(id) FROM runs)").fetchall()
    return dict(rows)


def run_both(tmp_path: Path, source: Path, address: str) -> tuple[dict, dict]:
    local, remote = tmp_path / "local", tmp_path / "remote"
    state = shutil.ignore_patterns(".mutgate", "__pycache__", ".benchmarks")
    shutil.copytree(source, local, ignore=state)
    shutil.copytree(source, remote, ignore=state)
    done = mutgate(local, "run", "-j", "2")
    assert done.returncode == 0, done.stderr
    done = mutgate(remote, "run", "--backend", "dask", "--scheduler", address)
    assert done.returncode == 0, done.stderr
    return statuses(local), statuses(remote)


def write_project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.mark.skipif(not DEMO.is_dir(), reason="no demo fixture")
def test_cluster_gives_the_local_statuses(cluster: Cluster, tmp_path: Path) -> None:
    local, remote = run_both(tmp_path, DEMO, cluster.address)
    assert len(local) > 10 and "pending" not in local.values()
    assert remote == local


@pytest.fixture(scope="module")
def slow_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The statuses of a local run of the slow project."""
    project = write_project(tmp_path_factory.mktemp("reference"), SLOW_PROJECT)
    done = mutgate(project, "run", "-j", "2")
    assert done.returncode == 0, done.stderr
    found = statuses(project)
    assert len(found) > 10 and "pending" not in found.values()
    return found


def test_each_run_gets_a_fresh_session_without_restarting_workers(
        cluster: Cluster, tmp_path: Path, slow_reference: dict[str, str]) -> None:
    """A session kept from the first run would run the first run's (weaker) test."""
    weak = SLOW_PROJECT["tests/test_calc.py"].replace("assert discount(200) == 190",
                                                      "discount(200)")
    project = write_project(tmp_path / "p", {**SLOW_PROJECT, "tests/test_calc.py": weak})
    workers = cluster.client.run(os.getpid)
    first = mutgate(project, "run", "--backend", "dask", "--scheduler", cluster.address)
    assert first.returncode == 0, first.stderr
    assert statuses(project) != slow_reference  # discount's mutants survived
    write_project(project, SLOW_PROJECT)
    second = mutgate(project, "run", "--backend", "dask", "--scheduler", cluster.address)
    assert second.returncode == 0, second.stderr
    assert statuses(project) == slow_reference
    assert cluster.client.run(os.getpid) == workers
    imported = "'calc' in __import__('sys').modules"
    assert not any(cluster.client.run(eval, imported).values())


def test_a_worker_killed_mid_run_loses_nothing(cluster: Cluster, tmp_path: Path,
                                               slow_reference: dict[str, str]) -> None:
    project = write_project(tmp_path / "remote", SLOW_PROJECT)
    cluster.add_worker("victim")
    run = subprocess.Popen(
        [sys.executable, "-c", "from mutgate.cli import main; main()", "-C", str(project),
         "run", "--backend", "dask", "--scheduler", cluster.address],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert run.poll() is None, "the run ended before a worker could be killed"
            assert time.monotonic() < deadline, "no result arrived"
            victim = cluster.names().get("victim")
            busy = victim and cluster.client.processing([victim]).get(victim)
            if busy and (project / ".mutgate" / "results.sqlite").exists() and any(
                    s != "pending" for s in statuses(project).values()):
                break
            time.sleep(0.05)
        assert "pending" in statuses(project).values()
        cluster.kill("victim")
        _, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        cluster.kill_leftovers("victim")
    assert run.returncode == 0, err
    assert statuses(project) == slow_reference


def test_workers_that_cannot_serve_the_run_are_named(cluster: Cluster, tmp_path: Path) -> None:
    """Two threads; no project at the same path; another copy of the project."""
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-m", "true"], capture_output=True).returncode:
        pytest.skip("needs unshare -m to give a worker another view of the files")
    project = write_project(tmp_path / "p", SLOW_PROJECT)
    copy = write_project(tmp_path / "copy", {**SLOW_PROJECT, "calc.py": "def add(a, b):\n"
                                                                         "    return 0\n"})
    expected = {"threads": "runs 2 threads; mutgate needs single-threaded workers",
                "blind": f"cannot see the project: {project} does not exist there",
                "other": "another copy of the project: calc.py differs"}
    cluster.add_worker("threads", nthreads=2, wait=False)
    cluster.add_worker("blind", wrap=f"mount -t tmpfs none {tmp_path}", wait=False)
    cluster.add_worker("other", wrap=f"mount -t tmpfs none {project} && cp -a {copy}/. {project}",
                       wait=False)
    try:
        cluster.wait_for(*expected)
        while expected:
            done = mutgate(project, "run", "--backend", "dask", "--scheduler", cluster.address)
            assert done.returncode == 2, done.stderr
            message = done.stderr.strip().splitlines()[-1]
            named = [n for n, address in cluster.names().items()
                     if message.startswith(f"mutgate: error: dask worker {address} ")]
            assert named and named[0] in expected, message
            assert expected.pop(named[0]) in message
            cluster.kill(named[0])
    finally:
        cluster.kill_leftovers("threads", "blind", "other")
