"""What every reporter derives from a results dict: per-file counts and scores, line verdicts.

The results dict (``docs/CONTRACT.md``) lists mutants flat; reports speak of files and lines.
This module groups the mutants once, in a fixed order (files by path, mutants by position), so
every format agrees on the numbers and lists things in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mutgate.outcome import (
    DETECTED,
    ERROR,
    KILLED,
    NO_TESTS,
    SKIPPED,
    STATUSES,
    SURVIVED,
    TIMEOUT,
    count_statuses,
    score,
)

#: Statuses from the most to the least alarming; a line shows the first one among its mutants.
SEVERITY = (SURVIVED, TIMEOUT, KILLED, NO_TESTS, ERROR, SKIPPED)


@dataclass
class FileSummary:
    """The mutants of one file, ordered by position, with their counts and score."""

    path: str
    mutants: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    score: float | None = None

    @property
    def total(self) -> int:
        return len(self.mutants)

    @property
    def survived(self) -> int:
        return self.counts.get(SURVIVED, 0)

    @property
    def detected(self) -> int:
        return sum(self.counts.get(status, 0) for status in DETECTED)

    @property
    def unscored(self) -> int:
        """Mutants counted neither as detected nor as survived (error, skipped, no tests)."""
        return self.total - self.detected - self.survived


def mutant_order(mutant: Mapping[str, Any]) -> tuple[str, int, int, str, str]:
    """Sort key: file, position, then operator and id so that ties are stable."""
    return (
        str(mutant.get("file", "")),
        int(mutant.get("line", 0)),
        int(mutant.get("col", 0)),
        str(mutant.get("operator", "")),
        str(mutant.get("id", "")),
    )


def summarize_files(results: Mapping[str, Any]) -> list[FileSummary]:
    """One summary per file that has mutants, sorted by path."""
    by_file: dict[str, FileSummary] = {}
    for mutant in sorted(results.get("mutants") or (), key=mutant_order):
        path = str(mutant.get("file", ""))
        by_file.setdefault(path, FileSummary(path)).mutants.append(mutant)
    summaries = [by_file[path] for path in sorted(by_file)]
    for summary in summaries:
        summary.counts = count_statuses(str(m.get("status")) for m in summary.mutants)
        summary.score = score(summary.counts)
    return summaries


def overall_counts(results: Mapping[str, Any]) -> dict[str, int]:
    """The results' counts, recomputed from the mutants when the dict has none."""
    given = results.get("counts")
    if given:
        counts = dict.fromkeys(STATUSES, 0)
        counts.update({str(k): int(v) for k, v in given.items()})
        return counts
    return count_statuses(str(m.get("status")) for m in results.get("mutants") or ())


def overall_score(results: Mapping[str, Any]) -> float | None:
    """The results' score, recomputed from the counts when the dict has none."""
    given = results.get("score")
    return float(given) if given is not None else score(overall_counts(results))


def worst_status(statuses: Iterable[str]) -> str | None:
    """The most alarming of ``statuses`` by ``SEVERITY``; None for none."""
    present = set(statuses)
    for status in SEVERITY:
        if status in present:
            return status
    return next(iter(sorted(present)), None)


def format_score(value: float | None, digits: int = 1) -> str:
    """``83.3%``, or an en dash when nothing was scored."""
    return "–" if value is None else f"{value:.{digits}f}%"


def split_node_id(node_id: str) -> tuple[str, str]:
    """A pytest node id as (test file, test name): ``a/t.py::C::t[x]`` → ``a/t.py``, ``C::t[x]``.

    The file part ends at the first ``::`` (parametrize ids may contain ``::`` but a path
    cannot); an id without one is its own file and name.
    """
    path, sep, name = node_id.partition("::")
    return (path, name) if sep else (node_id, node_id)
