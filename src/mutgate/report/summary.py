"""What every reporter derives from a results dict: per-file counts and scores, line verdicts.

The results dict (``docs/CONTRACT.md``) lists mutants flat; reports speak of files and lines.
This module groups the mutants once, in a fixed order (files by path, mutants by position), so
every format agrees on the numbers and lists things in the same order.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
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


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 file``, ``3 files``, ``0 files``: a count with its noun in the right number."""
    word = singular if count == 1 else plural_form or f"{singular}s"
    return f"{count} {word}"


def folder_of(path: str) -> str:
    """The folder of a results path (``src/pkg/mod.py`` → ``src/pkg``); ``""`` at the top."""
    return posixpath.dirname(path)


def short_names(paths: Sequence[str]) -> dict[str, str]:
    """Each path by its shortest tail of folders that no other path of ``paths`` shares.

    ``src/a/util.py`` and ``src/b/util.py`` become ``a/util.py`` and ``b/util.py``; a path
    whose file name is unique is its file name.
    """
    parts = {path: path.split("/") for path in paths}
    names: dict[str, str] = {}
    for path, segments in parts.items():
        for depth in range(1, len(segments) + 1):
            tail = segments[-depth:]
            clash = any(other != path and others[-depth:] == tail
                        for other, others in parts.items())
            if not clash:
                break
        names[path] = "/".join(tail)
    return names


@dataclass
class CoveringTest:
    """A test and what it covers: the survivors it let through, how many mutants it ran
    against and how many of them it killed."""

    test: str
    survivors: list[Mapping[str, Any]] = field(default_factory=list)
    covered: int = 0
    killed: int = 0


def killers_of(mutant: Mapping[str, Any]) -> list[str]:
    """The tests known to kill ``mutant``: every killer when all covering tests ran (a PR
    check's ``killers``), else the one that failed first (``killed_by``)."""
    if mutant.get("status") not in DETECTED:
        return []
    if mutant.get("killers") is not None:
        return [str(t) for t in mutant["killers"]]
    return [str(mutant["killed_by"])] if mutant.get("killed_by") else []


def rank_tests(results: Mapping[str, Any]) -> list[CoveringTest]:
    """The tests that cover survivors, the ones to strengthen first on top.

    Order: most survivors covered first; among equals, the test that killed fewer of the
    mutants it covers (it checks less), then by node id.
    """
    ranks: dict[str, CoveringTest] = {}
    for mutant in sorted(results.get("mutants") or (), key=mutant_order):
        covered = {str(t) for t in mutant.get("covered_by") or ()}
        for test in covered:
            rank = ranks.setdefault(test, CoveringTest(test))
            rank.covered += 1
            if mutant.get("status") == SURVIVED:
                rank.survivors.append(mutant)
        for test in killers_of(mutant):
            ranks.setdefault(test, CoveringTest(test)).killed += 1
    ranked = [rank for rank in ranks.values() if rank.survivors]
    ranked.sort(key=lambda r: (-len(r.survivors), r.killed, r.test))
    return ranked


def split_node_id(node_id: str) -> tuple[str, str]:
    """A pytest node id as (test file, test name): ``a/t.py::C::t[x]`` → ``a/t.py``, ``C::t[x]``.

    The file part ends at the first ``::`` (parametrize ids may contain ``::`` but a path
    cannot); an id without one is its own file and name.
    """
    path, sep, name = node_id.partition("::")
    return (path, name) if sep else (node_id, node_id)
