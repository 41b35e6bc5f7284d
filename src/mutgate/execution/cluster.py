"""The pool on a dask.distributed cluster: the same batches, sent through joblib's dask backend.

`execute_on_dask` is what `pool.execute` calls with ``backend="dask"``. Without a scheduler
address it starts a private `LocalCluster` on loopback (``jobs`` single-threaded worker
processes) and shuts it down at the end. With an address it uses every worker of that cluster,
after these checks (a failed one is a one-line `ConfigError` naming the worker):

1. one mutgate run at a time per cluster (a distributed `Lock` named ``mutgate-run``);
2. every worker is single-threaded (``dask worker --nthreads 1``): two tasks at once would
   share one warm test session;
3. a probe on every worker (``client.run``) checks that mutgate imports under the same Python
   minor version, that the project root exists at the same path and that the files the run
   depends on (mutated sources, test files, conftest and config files) hash the same as here.

Fresh state per run, without restarting workers: a dask worker process never imports the
project. The first batch of a run on a worker starts a session process
(`session_process.py`), a fresh interpreter that plays a loky worker's part (`pool._init_worker`
with the run's key, then `pool.run_batch` per batch, its warm session in its own
`pool._WORKER`); the next run's first batch replaces it, and the end of the run stops it. It is
single-threaded (safe to fork per mutant, tests run on the main thread) and dies with its
worker. This module never imports `pool` (which calls it): the session process does.

Each batch is one dask task. A worker that dies mid-batch loses nothing: the scheduler re-runs
the task on another worker (up to ``distributed.scheduler.allowed-failures`` times), and joblib
holds one future per batch, so each batch's results are yielded exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import CancelledError
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from mutgate.errors import ConfigError, MutgateError
from mutgate.execution.batch import BatchOutcome, RunContext
from mutgate.execution.warm import Job

LOCK_NAME = "mutgate-run"
CONNECT_TIMEOUT_S = 15.0
WORKERS_TIMEOUT_S = 60.0
CONFIG_FILES = ("pyproject.toml", "setup.cfg", "pytest.ini", "tox.ini", "conftest.py")


class WorkerMismatch(RuntimeError):
    """A task reached a worker process that cannot serve this run."""


@dataclass
class SessionProcess:
    """A dask worker's session process for one run, fed batches over a socket pair."""

    key: str
    process: subprocess.Popen
    conn: Connection


_SESSION: dict[str, SessionProcess] = {}  # in a dask worker process: its session, if any


def run_batch_on_worker(ctx: RunContext, batch: list[Job]) -> BatchOutcome:
    """The dask task: `pool.run_batch` in this worker's session process for the run.

    The dask worker process itself never imports the project: the first batch of a run starts
    a session process (a fresh interpreter, as a loky worker is) that takes the run's key with
    `pool._init_worker` and keeps the warm session for the rest of the run; a batch of another
    run replaces it.
    """
    from distributed import get_worker

    worker = get_worker()
    if worker.state.nthreads != 1:
        raise WorkerMismatch(f"dask worker {worker.address} runs {worker.state.nthreads} "
                             "threads; mutgate needs workers started with --nthreads 1")
    session = _SESSION.get("current")
    if session is None or session.key != ctx.key:
        stop_session()
        try:
            session = _SESSION["current"] = _start_session(ctx)
        except OSError as exc:
            raise WorkerMismatch(f"dask worker {worker.address} cannot start a test session "
                                 f"process: {exc}") from None
    try:
        session.conn.send((ctx, batch))
        return session.conn.recv()
    except (EOFError, OSError):
        status = stop_session()
        raise WorkerMismatch(f"dask worker {worker.address}: its test session process died "
                             f"({status}) running mutants of {batch[0].mutant.file}") from None


def stop_session(key: str | None = None) -> str:
    """End this worker's session process (only if it serves `key`, when given)."""
    session = _SESSION.get("current")
    if session is None or (key is not None and session.key != key):
        return "none"
    del _SESSION["current"]
    session.conn.close()
    session.process.kill()
    code = session.process.wait()
    return f"signal {-code}" if code < 0 else f"exit code {code}"


def _start_session(ctx: RunContext) -> SessionProcess:
    ours, theirs = socket.socketpair()
    with theirs:
        process = subprocess.Popen(
            [sys.executable, "-c", "from mutgate.execution.session_process import serve; "
             "serve()", str(theirs.fileno()), str(os.getpid()), ctx.key],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, cwd=ctx.root)
    return SessionProcess(ctx.key, process, Connection(ours.detach()))


# The probe runs on workers before mutgate is known to be importable there, so it is defined
# in a module that does not exist anywhere: dask's cloudpickle then ships it by value.
_PROBE_SOURCE = '''
def probe(root, digests):
    import hashlib, os, sys
    report = {"python": "%d.%d" % sys.version_info[:2], "mutgate": None, "error": None,
              "root": os.path.isdir(root), "bad": []}
    try:
        import mutgate
        import mutgate.execution.cluster
        import mutgate.execution.session_process
        report["mutgate"] = mutgate.__version__
    except Exception as exc:
        report["error"] = "%s: %s" % (type(exc).__name__, exc)
    for rel, digest in digests.items() if report["root"] else ():
        try:
            with open(os.path.join(root, rel), "rb") as handle:
                if hashlib.sha256(handle.read()).hexdigest() != digest:
                    report["bad"].append(rel + " differs from this machine's copy")
        except OSError:
            report["bad"].append(rel + " is missing")
    return report
'''


def _probe_function() -> Any:
    namespace: dict[str, Any] = {"__name__": "mutgate_worker_probe"}
    exec(compile(_PROBE_SOURCE, "<mutgate worker probe>", "exec"), namespace)
    return namespace["probe"]


def project_digests(ctx: RunContext) -> dict[str, str]:
    """sha256 of the files a run depends on, by path relative to the project root."""
    files = set(ctx.files) | set(CONFIG_FILES)
    for test in ctx.warm_tests:
        test_file = test.split("::", 1)[0]
        files.add(test_file)
        parent = os.path.dirname(test_file)
        while parent:
            files.add(os.path.join(parent, "conftest.py"))
            parent = os.path.dirname(parent)
    digests = {}
    for rel in sorted(files):
        path = os.path.join(ctx.root, rel)
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                digests[rel] = hashlib.sha256(handle.read()).hexdigest()
    return digests


def worker_problem(address: str, report: dict[str, Any], root: str) -> str | None:
    """What keeps one worker from serving the run, as a sentence naming it; None when fine."""
    from mutgate import __version__

    here = "{}.{}".format(*sys.version_info[:2])
    where = f"dask worker {address}"
    if report["error"]:
        return (f"{where} cannot import mutgate ({report['error']}); install the same mutgate "
                "in the workers' environment: pip install 'pymutgate[dask]'")
    if report["python"] != here or report["mutgate"] != __version__:
        return (f"{where} runs Python {report['python']} with mutgate {report['mutgate']}; "
                f"this machine runs Python {here} with mutgate {__version__}")
    if not report["root"]:
        return (f"{where} cannot see the project: {root} does not exist there (workers need "
                "the same checkout at the same path)")
    if report["bad"]:
        more = f" (and {len(report['bad']) - 1} more)" if len(report["bad"]) > 1 else ""
        return (f"{where} has another copy of the project: {report['bad'][0]}{more}; workers "
                f"need the same checkout at {root}")
    return None


def split_batches(batches: list[list[Job]], workers: int, max_size: int = 40
                  ) -> list[list[Job]]:
    """Split batches (never across files) so a cluster of `workers` gets ~4 batches each."""
    total = sum(len(batch) for batch in batches)
    size = max(1, min(max_size, total // max(1, workers * 4)))
    if all(len(batch) <= size for batch in batches):
        return batches
    pieces = [batch[i:i + size] for batch in batches for i in range(0, len(batch), size)]
    return sorted(pieces, key=lambda piece: -sum(job.timeout_s for job in piece))


def execute_on_dask(ctx: RunContext, batches: list[list[Job]], jobs: int,
                    scheduler: str | None) -> Iterator[BatchOutcome]:
    """Run every batch on dask workers; yield each batch's outcome as soon as it finishes."""
    try:
        import distributed
        from joblib import Parallel, delayed, parallel_config
    except ImportError:
        raise ConfigError("--backend dask needs dask.distributed: "
                          "pip install 'pymutgate[dask]'") from None
    client, cluster = _connect(distributed, scheduler, jobs)
    lock = None
    try:
        if cluster is None:
            lock = _lock(distributed, client, scheduler)
        _prepare_workers(client, ctx)
        batches = split_batches(batches, len(client.nthreads()))
        with parallel_config(backend=_dask_backend(client)):
            parallel = Parallel(n_jobs=-1, return_as="generator_unordered", batch_size=1,
                                pre_dispatch="all")
            try:
                yield from parallel(delayed(run_batch_on_worker)(ctx, b) for b in batches)
            except WorkerMismatch as exc:
                raise ConfigError(str(exc)) from None
            except distributed.KilledWorker as exc:
                raise MutgateError(
                    f"dask workers died {exc.allowed_failures + 1} times running one batch of "
                    "mutants (distributed.scheduler.allowed-failures); finished results are "
                    "kept — `mutgate run` again to resume") from None
            except (CancelledError, distributed.comm.CommClosedError) as exc:
                raise MutgateError(
                    f"lost the dask scheduler {scheduler or '(local)'} ({type(exc).__name__}); "
                    "finished results are kept — `mutgate run` again to resume") from None
    finally:
        if client.status == "running":  # else a lost scheduler took the lease with it
            with contextlib.suppress(Exception):
                client.run(stop_session, ctx.key)  # the sessions' memory goes back now
            with contextlib.suppress(Exception):
                if lock is not None:
                    lock.release()
        client.close()
        if cluster is not None:
            cluster.close()


def _dask_backend(client: Any) -> Any:
    """joblib's dask backend (joblib 1.6), with two fixes.

    - joblib runs ``n_jobs == 1`` sequentially in the calling process, and the dask backend's
      ``n_jobs`` is the cluster's thread count: a one-worker cluster would run nothing on it.
    - Its result loop only calls joblib back on success. With ``generator_unordered``, a task
      that dask gave up on (``KilledWorker``) would leave the run waiting forever.
    """
    from joblib._dask import DaskDistributedBackend

    class ClusterBackend(DaskDistributedBackend):
        def effective_n_jobs(self, n_jobs: int) -> int:
            return max(2, super().effective_n_jobs(n_jobs))

        async def _collect(self) -> None:
            while self._continue:
                async for future, result in self.waiting_futures:
                    done = self._results.pop(future)
                    callback = self._callbacks.pop(future)
                    if future.status == "error":
                        done.set_exception(result[1])
                        callback(result[1])  # joblib raises an exception it is handed
                    else:
                        done.set_result(result)
                        callback(result)
                await asyncio.sleep(0.01)

    return ClusterBackend(client=client, wait_for_workers_timeout=WORKERS_TIMEOUT_S)


def _connect(distributed: Any, scheduler: str | None, jobs: int) -> tuple[Any, Any]:
    if scheduler is None:
        cluster = distributed.LocalCluster(
            n_workers=max(1, jobs), threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, memory_limit=0, silence_logs=logging.ERROR)
        return distributed.Client(cluster, set_as_default=False), cluster
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except TimeoutError:
        client.close()
        raise ConfigError(f"no dask worker joined the scheduler at {scheduler} within "
                          f"{WORKERS_TIMEOUT_S:.0f} s") from None
    return client, None


def _lock(distributed: Any, client: Any, scheduler: str | None) -> Any:
    lock = distributed.Lock(LOCK_NAME, scheduler_rpc=client.scheduler, loop=client.loop)
    if not lock.acquire(timeout=1):
        print(f"mutgate: waiting for another mutgate run on {scheduler} to finish",
              file=sys.stderr, flush=True)
        lock.acquire()
    return lock


def _prepare_workers(client: Any, ctx: RunContext) -> None:
    """Refuse multi-threaded workers and workers that cannot see or import the project."""
    for address, threads in sorted(client.nthreads().items()):
        if threads != 1:
            raise ConfigError(f"dask worker {address} runs {threads} threads; mutgate needs "
                              "single-threaded workers: dask worker --nthreads 1 ...")
    reports = client.run(_probe_function(), ctx.root, project_digests(ctx))
    problems = [problem for address, report in sorted(reports.items())
                if (problem := worker_problem(address, report, ctx.root))]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(problems[0] + more)
