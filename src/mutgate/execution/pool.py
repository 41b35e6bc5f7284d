"""The execution pool: batches of mutants go to worker processes, results stream back.

Locally the pool is joblib's loky executor; with ``backend="dask"`` the same tasks go through
joblib's dask backend to a dask.distributed cluster. Each worker process keeps one warm test
session (`warm.py`) for the whole run; the run's key makes sure a worker never serves two
different runs with one session. Timeouts are enforced per mutant inside the task.

What goes to a worker and comes back (`RunContext`, `BatchOutcome`) is in `batch.py`, shared
with `cluster.py`, which this module calls for the dask backend and which never imports it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from mutgate.errors import ConfigError
from mutgate.execution.batch import BatchOutcome, RunContext, resident_mb
from mutgate.execution.fresh import run_fresh
from mutgate.execution.isolated import run_isolated
from mutgate.execution.project_modules import import_ahead
from mutgate.execution.swap import SwapError
from mutgate.execution.warm import Job, WarmSession
from mutgate.module_names import foreign_copies, module_files
from mutgate.outcome import ERROR, SURVIVED
from mutgate.store import Result

_WORKER: dict[str, object] = {}


def _init_worker(key: str) -> None:
    _WORKER.clear()
    _WORKER["key"] = key
    _exit_with_parent()


def _exit_with_parent() -> None:
    """A worker whose mutgate died (kill -9) must not go on running mutants."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="mutgate-parent-watch", daemon=True).start()


def start_session(root: str, session_args: tuple[str, ...], key: str, roll: str = "",
                  jobs: int = 1) -> None:
    """The task `prestart` sends: this worker's test session, started before its first batch
    (the coverage run goes on meanwhile). A failure is kept for that batch to meet. The task
    ends once ``jobs`` workers have signed the ``roll`` directory (or after `ROLL_CALL_S`): a
    worker that started its session before the others were up would otherwise take their
    tasks too, and leave them to start theirs when the first batch comes."""
    if roll:
        with contextlib.suppress(OSError):
            Path(roll, str(os.getpid())).touch()
    if "session" not in _WORKER and "session_error" not in _WORKER:
        try:
            _new_session(root, session_args, key)
        except BaseException as exc:  # noqa: BLE001  (re-raised by the first batch's _session)
            _WORKER["session_error"] = exc
    deadline = time.monotonic() + ROLL_CALL_S
    while roll and time.monotonic() < deadline:
        try:
            if len(os.listdir(roll)) >= jobs:
                return
        except OSError:
            return
        time.sleep(0.02)


#: How long a prestarted worker waits for the others to take their sessions' tasks.
ROLL_CALL_S = 10.0


def _new_session(root: str, session_args: tuple[str, ...], key: str) -> WarmSession:
    warm = WarmSession.start(root, list(session_args))
    _WORKER.update(session=warm, session_key=key, session_args=tuple(session_args))
    return warm


def _session(ctx: RunContext) -> WarmSession:
    if "session_error" in _WORKER:
        raise _WORKER["session_error"]  # type: ignore[misc]
    warm = _WORKER.get("session")
    if warm is None or _WORKER.get("session_key") != ctx.key:
        if "session" in _WORKER:
            raise RuntimeError("worker process already serves another run")
        warm = _new_session(ctx.root, ctx.session_args, ctx.key)
    if _WORKER.get("session_args") != ctx.session_args:
        raise RuntimeError("worker session was started with other pytest arguments")
    assert isinstance(warm, WarmSession)
    if not _WORKER.get("prepared"):
        foreign = foreign_copies(ctx.root, list(ctx.files), module_files(sys.modules))
        if foreign:
            raise ConfigError(foreign[0].message())
        import_ahead(list(ctx.preload), ctx.root)
        warm.warm_up(set(ctx.files))
        _WORKER["prepared"] = True
    if not {os.path.realpath(os.path.join(ctx.root, f)) for f in ctx.files} <= warm.index_files:
        warm.warm_up(set(ctx.files))
    return warm


def _source(ctx: RunContext, file: str) -> str:
    cache = _WORKER.setdefault("sources", {})
    assert isinstance(cache, dict)
    if file not in cache:
        with open(os.path.join(ctx.root, file), encoding="utf-8", newline="") as handle:
            cache[file] = handle.read()
    return cache[file]


def _fresh_works(ctx: RunContext, job: Job, source: str) -> bool:
    """Once per worker: the unmutated code through the fresh-import path must survive."""
    if "fresh_ok" not in _WORKER:
        unchanged = replace(job.mutant, replacement=job.mutant.original)
        check = run_fresh(ctx.root, list(ctx.isolated_args), replace(job, mutant=unchanged),
                          source, ctx.startup_s, ctx.memory_limit_mb, _session(ctx))
        _WORKER["fresh_ok"] = check.status == SURVIVED
    return bool(_WORKER["fresh_ok"])


def run_batch(ctx: RunContext, jobs: list[Job]) -> BatchOutcome:
    """The task a worker runs: every mutant of the batch, in order."""
    started = time.perf_counter()
    if ctx.isolation != "subprocess":
        _check_tests(ctx, jobs)
    else:
        _check_isolated(ctx, jobs)
    results = [run_one(ctx, job) for job in jobs]
    warm = _WORKER.get("session")
    flaky = set(warm.unusable) if isinstance(warm, WarmSession) else set()
    return BatchOutcome(results, sorted(flaky | _isolated_unusable()), os.getpid(),
                        resident_mb(), time.perf_counter() - started)


def _check_tests(ctx: RunContext, jobs: list[Job]) -> None:
    """Check, unmutated, the tests this batch needs that this worker has not checked yet."""
    needed = {test for job in jobs for test in job.tests}
    digests = {t: d for job in jobs for t, d in job.digests.items()}
    try:
        _session(ctx).check([test for test in ctx.warm_tests if test in needed], digests)
    except ConfigError:
        raise
    except Exception:  # noqa: S110  (run_one meets the same failure, records it per mutant)
        pass


def _isolated_unusable() -> set[str]:
    unusable = _WORKER.setdefault("isolated_unusable", set())
    assert isinstance(unusable, set)
    return unusable


def _check_isolated(ctx: RunContext, jobs: list[Job]) -> None:
    """The isolated mode's unmutated check, as the warm worker's: the tests this batch needs
    and this worker has not checked yet run once, unmutated, in one fresh pytest process and
    fastest first, as most mutants run them; a test that fails there (flaky, or order-dependent:
    it needs a test that runs after it here) judges no mutant."""
    checked = _WORKER.setdefault("isolated_checked", set())
    assert isinstance(checked, set)
    needed = {test for job in jobs for test in job.tests}
    todo = [test for test in ctx.warm_tests if test in needed and test not in checked]
    if not todo:
        return
    first = jobs[0]
    unchanged = replace(first.mutant, replacement=first.mutant.original)
    digests = {t: d for job in jobs for t, d in job.digests.items()}
    check = Job(unchanged, todo, max(600.0, sum(job.timeout_s for job in jobs)), digests,
                full=True)
    try:
        result = run_isolated(ctx.root, list(ctx.isolated_args), check,
                              _source(ctx, first.mutant.file), ctx.startup_s,
                              ctx.memory_limit_mb)
    except Exception:  # noqa: S110  (each mutant's own run meets the same failure)
        return
    checked.update(todo)
    _isolated_unusable().update(result.killers or [])


def run_one(ctx: RunContext, job: Job) -> Result:
    try:
        source = _source(ctx, job.mutant.file)
        if ctx.isolation == "subprocess" and _isolated_unusable() & set(job.tests):
            job = replace(job, tests=[t for t in job.tests if t not in _isolated_unusable()])
        if ctx.isolation != "subprocess":
            warm = _session(ctx)
            job = replace(job, tests=[t for t in job.tests if t not in warm.unusable])
            if job.mutant.swap_target:
                try:
                    return warm.run(job, ctx.memory_limit_mb)
                except SwapError:
                    pass
            if _fresh_works(ctx, job, source):
                return run_fresh(ctx.root, list(ctx.isolated_args), job, source, ctx.startup_s,
                                 ctx.memory_limit_mb, warm)
        return run_isolated(ctx.root, list(ctx.isolated_args), job, source, ctx.startup_s,
                            ctx.memory_limit_mb)
    except ConfigError:  # the run cannot be trusted at all: stop it
        raise
    except Exception:
        detail = traceback.format_exc(limit=3).strip().splitlines()[-1]
        return Result(job.mutant.id, ERROR, f"mutgate error: {detail}",
                      detail=f"mutgate error: {detail}")


def execute(ctx: RunContext, batches: list[list[Job]], jobs: int, backend: str = "loky",
            scheduler: str | None = None) -> Iterator[BatchOutcome]:
    """Run every batch; yield each batch's outcome as soon as it finishes."""
    if backend == "dask":
        from mutgate.execution.cluster import execute_on_dask

        yield from execute_on_dask(ctx, batches, jobs, scheduler)
        return
    from joblib.externals.loky import as_completed

    executor = _executor(ctx.key, jobs)
    _PRESTARTED.pop(ctx.key, None)  # taken up: the run's end leaves these workers be
    futures = [executor.submit(run_batch, ctx, batch) for batch in batches]
    try:
        for future in as_completed(futures):
            yield future.result()
    except BaseException:
        executor.shutdown(wait=False, kill_workers=True)  # Ctrl-C: stop now, not later
        raise


def _executor(key: str, jobs: int):
    """joblib's loky executor with ``jobs`` workers for the run ``key``: the same processes
    (and their warm sessions) for every dispatch of the run, new ones for another run. An
    idle worker waits up to ``IDLE_S`` for work (a prestarted one waits out the coverage run)."""
    from joblib.externals.loky import get_reusable_executor

    return get_reusable_executor(max_workers=jobs, timeout=IDLE_S, initializer=_init_worker,
                                 initargs=(key,))


IDLE_S = 1800


def prestart(key: str, root: str, session_args: tuple[str, ...], jobs: int) -> None:
    """Start ``jobs`` local workers and their test sessions now, so they are ready when the
    run's first batch comes (the caller measures coverage meanwhile). `discard_unused` stops
    them if no batch ever came."""
    executor = _executor(key, jobs)
    _PRESTARTED[key] = executor
    roll = tempfile.mkdtemp(prefix="mutgate-prestart-")
    atexit.register(shutil.rmtree, roll, ignore_errors=True)
    for _ in range(jobs):
        executor.submit(start_session, root, session_args, key, roll, jobs)


def discard_unused(key: str) -> None:
    """Stop the workers `prestart` started for ``key`` if no batch went to them: a run with
    nothing to run must not wait at exit for sessions nobody needs."""
    executor = _PRESTARTED.pop(key, None)
    if executor is not None:
        executor.shutdown(wait=False, kill_workers=True)


_PRESTARTED: dict[str, object] = {}
