"""The plan: for each mutant, its tests (fastest first) and time limit; batches by module.

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
        tests = sorted(mutant.covered_by, key=lambda t: (cov.durations.get(t, 0.0), t))
        expected = sum(cov.durations.get(t, 0.0) for t in tests)
        digests = {t: cov.params[t] for t in tests if t in cov.params}
        jobs.append(Job(mutant, tests, timeout_factor * expected + timeout_constant, digests,
                        full=mutant.id in full))
    return jobs


def expected_cost(job: Job, cov: CoverageMap) -> float:
    return sum(cov.durations.get(t, 0.0) for t in job.tests) + 0.002


def make_batches(jobs: list[Job], cov: CoverageMap, workers: int, max_size: int = 6
                 ) -> list[list[Job]]:
    """Group jobs by file into batches small enough to keep every worker busy."""
    by_file: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        by_file[job.mutant.file].append(job)
    size = max(1, min(max_size, len(jobs) // max(1, workers * 4)))
    batches = []
    for file in sorted(by_file):
        file_jobs = by_file[file]
        batches += [file_jobs[i:i + size] for i in range(0, len(file_jobs), size)]
    batches.sort(key=lambda batch: -sum(expected_cost(j, cov) for j in batch))
    return batches
