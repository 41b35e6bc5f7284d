"""Mutants to the pool and their results to the store: one dispatch of jobs, and the main
pass over a run's mutants (with its re-run of kills by tests found flaky meanwhile).

`runner.py` calls it for the main pass, `verify.py` for the passes that check verdicts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from mutgate import coverage_map
from mutgate.config import Config
from mutgate.coverage_map import CoverageMap
from mutgate.execution.batch import WorkerLog
from mutgate.execution.plan import make_batches, make_jobs, workers_for_change
from mutgate.execution.pool import RunContext, discard_unused, execute, prestart
from mutgate.execution.warm import Job
from mutgate.mutant import Mutant
from mutgate.outcome import DETECTED, KILLED
from mutgate.store import Result, Store


def execute_mutants(config: Config, cov: CoverageMap, todo: list[Mutant], store: Store,
                    run_id: int, jobs_count: int, progress, flaky: set[str], full: set[str],
                    workers: WorkerLog) -> int:
    """The main pass: every mutant of ``todo``, then the kills by tests found flaky meanwhile
    again without those tests."""
    jobs = make_jobs(todo, cov, config.timeout_factor, config.timeout_constant, full)
    started = time.perf_counter()
    done = dispatch(config, cov, jobs, store, run_id, jobs_count, progress, flaky, len(todo),
                    workers=workers)
    workers.wall_s = time.perf_counter() - started
    # A worker that saw a test pass twice may have trusted a test another worker found flaky:
    # a mutant killed by a flaky test is run again without the flaky tests.
    suspects = [m for m in store.mutants(run_id, KILLED) if m["killed_by"] in flaky]
    if suspects:
        by_id = {job.mutant.id: job for job in jobs}
        again = [replace(by_id[m["id"]], tests=[t for t in by_id[m["id"]].tests
                                                if t not in flaky])
                 for m in suspects if m["id"] in by_id]
        dispatch(config, cov, again, store, run_id, jobs_count, None, flaky, len(again))
    return done


def run_jobs(config: Config, changes: dict[str, set[int]] | None, old: CoverageMap | None
             ) -> int:
    """The workers of a run: ``-j``/``jobs`` when set, else one per CPU, or fewer for a PR
    check whose mutants a second local worker could not speed up (`workers_for_change`)."""
    jobs = config.effective_jobs
    if (changes is None or config.jobs != 0 or config.isolation == "subprocess"
            or config.backend != "loky"):
        return jobs
    return workers_for_change(changes, old, jobs)


def start_workers(config: Config, key: str, jobs: int) -> bool:
    """Start the ``jobs`` local workers of the run ``key`` and their test sessions now, while
    the caller measures coverage; whether it did (not for the isolated mode or a cluster)."""
    if config.isolation == "subprocess" or config.backend != "loky":
        return False
    prestart(key, str(config.root), tuple(coverage_map.pytest_base_args(config)), jobs)
    return True


def stop_unused_workers(key: str) -> None:
    """Stop the workers `start_workers` started if no mutant went to them."""
    discard_unused(key)


def dispatch(config: Config, cov: CoverageMap, jobs: list[Job], store: Store, run_id: int,
             jobs_count: int, progress, flaky: set[str], total: int,
             transform: Callable | None = None, workers: WorkerLog | None = None,
             collected: list[Result] | None = None, record: bool = True) -> int:
    """Run ``jobs`` in the pool, recording results as they arrive; ``workers`` collects
    what each worker reports with its batches (memory, time busy)."""
    if not jobs:
        return 0
    batches = make_batches(jobs, cov, jobs_count)
    base = coverage_map.pytest_base_args(config)
    no_tests = [a for a in base if a not in config.tests]
    warm = sorted({t for job in jobs for t in job.tests},
                  key=lambda t: (cov.durations.get(t, 0.0), t))
    info = store.run_info(run_id)
    ctx = RunContext(
        # One key per run: the flaky re-runs and the confirmations reuse the warm workers.
        key=info.get("worker_key") or f"{config.root}:{run_id}:{info['started_at']}",
        root=str(config.root),
        session_args=tuple(base), isolated_args=tuple(no_tests), warm_tests=tuple(warm),
        files=tuple(sorted({job.mutant.file for job in jobs})), isolation=config.isolation,
        memory_limit_mb=config.memory_limit_mb, startup_s=cov.startup_s,
        preload=tuple(cov.modules))
    done = 0
    counts = {"killed": 0, "survived": 0}
    phase = "confirming survivors" if transform is not None else "mutants"
    if progress:
        progress(phase, 0, total, counts)
    for outcome in execute(ctx, batches, jobs_count, config.backend, config.scheduler):
        results = outcome.results
        if transform is not None:
            results = [r for r in map(transform, results) if r is not None]
        if record:
            store.record(run_id, results)
        if collected is not None:
            collected.extend(results)
        flaky.update(outcome.flaky_tests)
        if workers is not None:
            workers.add(outcome)
        done += len(outcome.results)
        for result in results:
            key = "killed" if result.status in DETECTED else result.status
            counts[key] = counts.get(key, 0) + 1
        if progress:
            progress(phase, done, total, counts)
    return done
