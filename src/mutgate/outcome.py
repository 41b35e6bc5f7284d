"""The outcomes a mutant can have, and the mutation score computed from them.

- ``killed``: a covering test failed or errored, or the test process crashed.
- ``timeout``: the covering tests ran past the mutant's time limit (counts as detected).
- ``survived``: every covering test passed with the mutant in place.
- ``error``: the mutant could not be applied (excluded from the score).
- ``skipped``: excluded by a pragma or a filter (excluded from the score).
- ``no-tests``: no test covers the mutant's line any more (excluded from the score).
- ``pending``: not run yet (an interrupted run resumes these).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

KILLED = "killed"
TIMEOUT = "timeout"
SURVIVED = "survived"
ERROR = "error"
SKIPPED = "skipped"
NO_TESTS = "no-tests"
PENDING = "pending"

STATUSES = (KILLED, SURVIVED, TIMEOUT, ERROR, SKIPPED, NO_TESTS)
DETECTED = (KILLED, TIMEOUT)


def count_statuses(statuses: Iterable[str]) -> dict[str, int]:
    """Count statuses; every known status appears, with 0 where there is none."""
    counts = dict.fromkeys(STATUSES, 0)
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def score(counts: Mapping[str, int]) -> float | None:
    """(killed + timeout) / (killed + timeout + survived) × 100, or None with nothing scored."""
    detected = counts.get(KILLED, 0) + counts.get(TIMEOUT, 0)
    scored = detected + counts.get(SURVIVED, 0)
    return None if scored == 0 else 100.0 * detected / scored
