"""What a worker is sent with each batch of mutants (`RunContext`) and what it sends back
(`BatchOutcome`), whichever backend carries them: `pool.py` (loky) and `cluster.py` (dask)
both import these, neither imports the other for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

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


def resident_mb() -> float:
    """This process's resident memory in MiB (0.0 where /proc is not there to ask)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
