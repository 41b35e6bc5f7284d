"""The passes that check a run's verdicts after its main pass: survivors confirmed against
wider tests, kills found there verified alone, and kills by tests that write into the
project's tree run again with one worker.
"""

from __future__ import annotations

from dataclasses import replace

from mutgate.config import Config
from mutgate.confirm import as_confirmation, survivors_to_confirm
from mutgate.coverage_map import CoverageMap
from mutgate.dispatch import dispatch
from mutgate.execution.plan import make_jobs
from mutgate.mutant import Mutant
from mutgate.outcome import DETECTED, KILLED, SURVIVED
from mutgate.store import Result, Store


def confirm(config: Config, cov: CoverageMap, mutants: list[Mutant], store: Store,
            run_id: int, jobs_count: int, flaky: set[str], echo, progress=None,
            seen_by: dict[str, frozenset[str]] | None = None) -> None:
    """The survivors not confirmed yet, run against the wider tests of their module (or
    suite); kills found there count only once verified alone (`verify_kills`)."""
    by_id = {m.id: m for m in mutants}
    pending = [by_id[row["id"]] for row in store.mutants(run_id, SURVIVED)
               if row["confirmed"] is None and row["id"] in by_id]
    nothing_more, wider = survivors_to_confirm(config, cov, pending, flaky, seen_by)
    store.confirm(run_id, nothing_more)
    if not wider:
        return
    echo(f"confirming {len(wider)} survivor(s) against the other tests of their "
         + ("suite" if config.confirm == "suite" else "module"))
    jobs = make_jobs(wider, cov, config.timeout_factor, config.timeout_constant)
    found: list[Result] = []
    dispatch(config, cov, jobs, store, run_id, jobs_count, progress, flaky, len(jobs),
             transform=as_confirmation, collected=found)
    kills = [r for r in found if r.status in DETECTED and r.killed_by in cov.durations]
    if kills:
        verify_kills(config, cov, by_id, kills, store, run_id, jobs_count, flaky)


def recheck_tree_writers(config: Config, cov: CoverageMap, todo: list[Mutant], store: Store,
                          run_id: int, jobs_count: int, flaky: set[str], full: set[str],
                          echo) -> None:
    """Mutants killed by a test that writes into the project's tree run again with one
    worker: beside a second worker doing the same in the same folders, such a test can fail
    for a reason the mutant did not cause (`mutgate.tree_writes`)."""
    if jobs_count <= 1 or not cov.tree_writers:
        return
    mine = {m.id: m for m in todo}
    again = [mine[row["id"]] for row in store.mutants(run_id, KILLED)
             if row["id"] in mine and row["killed_by"] in cov.tree_writers]
    if not again:
        return
    echo(f"running {len(again)} mutant(s) again with one worker: their killing tests write "
         "into the project's tree")
    jobs = make_jobs(again, cov, config.timeout_factor, config.timeout_constant, full)
    dispatch(config, cov, jobs, store, run_id, 1, None, flaky, len(jobs))


def verify_kills(config: Config, cov: CoverageMap, by_id: dict[str, Mutant],
                  kills: list[Result], store: Store, run_id: int, jobs_count: int,
                  flaky: set[str]) -> None:
    """A kill found by confirmation counts only when its test fails alone with the mutant and
    passes alone without it: a test that fails only after others it did not follow in the
    project's own run (files written, state left behind) proves nothing about the mutant."""
    alone = []
    for result in kills:
        mutant = replace(by_id[result.mutant_id], covered_by=(result.killed_by,))
        alone += [mutant, replace(mutant, id=f"{mutant.id}:unmutated",
                                  replacement=mutant.original)]
    verdicts: list[Result] = []
    # Tests that write into the project's tree are verified with one worker (no race).
    serial = any(result.killed_by in cov.tree_writers for result in kills)
    dispatch(config, cov, make_jobs(alone, cov, config.timeout_factor,
                                    config.timeout_constant),
             store, run_id, 1 if serial else jobs_count, None, flaky, len(alone),
             collected=verdicts, record=False)
    status = {r.mutant_id: r.status for r in verdicts}
    for result in kills:
        if (status.get(result.mutant_id) in DETECTED
                and status.get(f"{result.mutant_id}:unmutated") == SURVIVED):
            continue
        store.record(run_id, [Result(
            result.mutant_id, SURVIVED, None, result.tests_run, result.duration_ms,
            detail=f"{result.killed_by} failed only after other tests, not alone with the "
                   "mutant, or failed alone without it: not counted as a kill",
            confirmed=False, path=result.path)])
