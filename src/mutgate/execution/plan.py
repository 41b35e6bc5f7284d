"""The plan: for each mutant, its tests (in the order they run) and time limit; batches by module.

A mutant's tests run fastest first, and stop at the first that fails. A static mutant (code
run at import: a class body, a default value, a decorator, a lambda in a module-level table) is
covered by every test of its file, and the one that kills it is rarely among the fastest: the
tests that ran its own lines while they ran come first, then those that ran its class or
function, then the rest, fastest first in each group.

Batches hold mutants of one file, so a worker's warm state for that module is reused, and are
dispatched longest first so the pool ends together.
"""

from __future__ import annotations

from collections import defaultdict

from mutgate.coverage_map import CoverageMap
from mutgate.execution.warm import Job
from mutgate.mutant import Mutant


def make_jobs(mutants: list[Mutant], cov: CoverageMap, timeout_factor: float,
              timeout_constant: float, full: set[str] = frozenset()) -> list[Job]:
    """``full``: the ids of mutants to run against every covering test (the kill matrix)."""
    jobs = []
    for mutant in mutants:
        tests = run_order(mutant, cov)
        expected = sum(cov.durations.get(t, 0.0) for t in tests)
        digests = {t: cov.params[t] for t in tests if t in cov.params}
        jobs.append(Job(mutant, tests, timeout_factor * expected + timeout_constant, digests,
                        full=mutant.id in full))
    return jobs


def run_order(mutant: Mutant, cov: CoverageMap) -> list[str]:
    """``mutant``'s covering tests in the order they run (see the module's doc)."""
    own: set[str] = set()
    near: set[str] = set()
    if mutant.swap_target is None:  # what ran while the tests ran, not at import
        ran = cov.contexts.tests_of
        own = ran(mutant.file, range(mutant.line, mutant.end_line + 1))
        if mutant.scope_lines:
            first, last = mutant.scope_lines
            near = ran(mutant.file, range(first, last + 1))
    return sorted(set(mutant.covered_by),
                  key=lambda t: (t not in own, t not in near, cov.durations.get(t, 0.0), t))


#: What a mutant costs beyond its tests, by path (measured medians on a 2-core VM): a fork
#: of the warm worker, or a fork that imports the project anew and collects its tests.
FORK_OVERHEAD_S = 0.012
FRESH_OVERHEAD_S = 0.060


def expected_cost(job: Job, cov: CoverageMap) -> float:
    """Seconds the job is expected to take: its tests (all of them, as for a survivor) and
    the overhead of the path it will take."""
    overhead = FORK_OVERHEAD_S if job.mutant.swap_target else FRESH_OVERHEAD_S
    return sum(cov.durations.get(t, 0.0) for t in job.tests) + overhead


def make_batches(jobs: list[Job], cov: CoverageMap, workers: int, max_size: int = 6
                 ) -> list[list[Job]]:
    """Batches of one file's jobs (a worker's warm state for that module is reused), longest
    first: the most expensive jobs start at once and the cheap ones fill the end, so no worker
    is left alone with a long batch. A batch holds at most ``max_size`` jobs and about a
    ``4 × workers``-th of the run's expected time."""
    by_file: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        by_file[job.mutant.file].append(job)
    costs = {id(job): expected_cost(job, cov) for job in jobs}
    budget = sum(costs.values()) / max(1, workers * 4)
    batches: list[list[Job]] = []
    for file in sorted(by_file):
        batch: list[Job] = []
        spent = 0.0
        for job in sorted(by_file[file], key=lambda j: -costs[id(j)]):
            if batch and (len(batch) >= max_size or spent + costs[id(job)] > budget):
                batches.append(batch)
                batch, spent = [], 0.0
            batch.append(job)
            spent += costs[id(job)]
        if batch:
            batches.append(batch)
    batches.sort(key=lambda batch: -sum(costs[id(j)] for j in batch))
    return batches


#: Mutants a changed line is expected to yield: an upper estimate (operators give 1–3).
MUTANTS_PER_LINE = 3


def workers_for_change(changes: dict[str, set[int]], old: CoverageMap | None, jobs: int) -> int:
    """The workers a PR check's mutants can keep busy, estimated from the earlier map before
    the coverage run: one when one worker is expected to run them all (every covering test,
    as for the kill matrix) before a second worker's test session would have started
    (``old.startup_s``); else ``jobs``. A second worker would only compete with the coverage
    run for the CPU. A change the map cannot price (a new file, a changed test file, whose
    tests select mutants on unchanged lines) keeps ``jobs``."""
    if jobs <= 1 or old is None or old.snapshot is None:
        return jobs
    work = 0.0
    for file, lines in changes.items():
        if file in old.test_files or (file.endswith(".py") and file not in old.snapshot.files):
            return jobs
        costs = _line_costs(old, file)
        if not costs or not lines:
            continue
        dearest = max(costs.values())
        work += MUTANTS_PER_LINE * sum(costs.get(line, dearest) for line in lines)
        if work > old.startup_s:
            return jobs
    return 1


def _line_costs(old: CoverageMap, file: str) -> dict[int, float]:
    """Seconds one mutant on each covered line of ``file`` is expected to take."""
    static = old.import_lines.get(file, set())
    return {line: (FRESH_OVERHEAD_S if line in static else FORK_OVERHEAD_S)
            + sum(old.durations.get(t, 0.0) for t in tests)
            for line, tests in old.lines.get(file, {}).items()}
