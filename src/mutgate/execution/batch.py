"""What a worker is sent with each batch of mutants (`RunContext`) and what it sends back
(`BatchOutcome`), whichever backend carries them: `pool.py` (loky) and `cluster.py` (dask)
both import these, neither imports the other for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from mutgate.store import Result


@dataclass(frozen=True)
class RunContext:
    """What every worker needs to know, whichever machine it is on."""

    key: str
    root: str
    session_args: tuple[str, ...]
    isolated_args: tuple[str, ...]
    warm_tests: tuple[str, ...]
    files: tuple[str, ...]
    isolation: str = "auto"
    memory_limit_mb: int = 4096
    startup_s: float = 1.0
    preload: tuple[str, ...] = ()


@dataclass
class BatchOutcome:
    """A batch's results, the tests that failed unmutated in this worker (flaky), and the
    worker's process id and resident memory once the batch was done."""

    results: list[Result]
    flaky_tests: list[str]
    worker: int = 0
    rss_mb: float = 0.0
    busy_s: float = 0.0  # the batch's time in the worker, its session start included


@dataclass
class WorkerLog:
    """What the workers of a run's mutant phase reported: each one's resident memory after
    its first and its last batch (MiB), the time each spent on batches, and the phase's wall
    time, so a run can say how long its workers sat idle (a batch plan that leaves one worker
    finishing alone shows here)."""

    rss_mb: dict[int, list[float]] = field(default_factory=dict)
    busy_s: dict[int, float] = field(default_factory=dict)
    wall_s: float = 0.0

    def add(self, outcome: BatchOutcome) -> None:
        if not outcome.worker:
            return
        self.rss_mb.setdefault(outcome.worker, [outcome.rss_mb, outcome.rss_mb])[1] = \
            outcome.rss_mb
        self.busy_s[outcome.worker] = self.busy_s.get(outcome.worker, 0.0) + outcome.busy_s

    def idle_share(self, jobs: int) -> float | None:
        """The share of ``jobs`` workers' time in the phase that went to no batch."""
        if self.wall_s <= 0 or jobs <= 0:
            return None
        return max(0.0, 1.0 - sum(self.busy_s.values()) / (jobs * self.wall_s))


def resident_mb() -> float:
    """This process's resident memory in MiB (0.0 where /proc is not there to ask)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
