"""What each page of the HTML report shows, as plain data for its template.

The summary page gets the overall numbers, a row per file and the two charts; a file page gets
its source lines (highlighted, each with its mutants and their worst status) and a view of each
mutant with its diff. Everything here is unescaped data: the templates escape it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from mutgate.outcome import DETECTED, KILLED, SURVIVED, TIMEOUT
from mutgate.report.charts import file_score_chart, trend_chart
from mutgate.report.diff import mutant_diff
from mutgate.report.highlight import highlight_lines
from mutgate.report.palette import STATUS_LABELS
from mutgate.report.summary import (
    SEVERITY,
    FileSummary,
    overall_counts,
    overall_score,
    worst_status,
)

_DIFF_KINDS = {"@": "hunk", "-": "del", "+": "add"}


@dataclass(frozen=True, slots=True)
class FileRow:
    """A row of the summary page's file table."""

    path: str
    href: str
    score: float | None
    total: int
    killed: int
    survived: int
    timeout: int
    other: int


@dataclass(frozen=True, slots=True)
class MutantView:
    """One mutant on a file page; ``diff`` is ``(kind, text)`` rows, kind ∈ hunk/del/add/ctx."""

    id: str
    line: int
    col: int
    status: str
    label: str
    operator: str
    original: str
    replacement: str
    qualname: str
    covered_by: list[str]
    killed_by: str | None
    detail: str | None
    confirmed: bool | None
    verb: str
    duration_ms: float | None
    tests_run: int | None
    diff: list[tuple[str, str]]

    @property
    def open(self) -> bool:
        return self.status == SURVIVED


@dataclass(frozen=True, slots=True)
class SourceLine:
    """A line of a file page: its highlighted HTML, and its mutants with their worst status."""

    number: int
    html: Markup
    status: str | None
    mutants: list[MutantView]
    title: str


def with_current_run(
    results: Mapping[str, Any], history: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """``history`` with the results' own run appended when it is not there yet."""
    runs = list(history)
    run = results.get("run") or {}
    if run.get("id") is not None and all(r.get("run_id") != run["id"] for r in runs):
        current = {"run_id": run["id"], "started_at": run.get("started_at", "")}
        runs.append({**current, "score": overall_score(results)})
    return runs


def index_context(
    results: Mapping[str, Any],
    files: Sequence[FileSummary],
    pages: Mapping[str, str],
    history: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The summary page's data; ``pages`` maps each file to its page."""
    counts = overall_counts(results)
    value = overall_score(results)
    rows = [
        FileRow(
            path=f.path,
            href=pages[f.path],
            score=f.score,
            total=f.total,
            killed=f.counts.get(KILLED, 0),
            survived=f.survived,
            timeout=f.counts.get(TIMEOUT, 0),
            other=f.unscored,
        )
        for f in files
    ]
    return {
        "score": value,
        "counts": counts,
        "total": int(results.get("total") or sum(counts.values())),
        "statuses": list(SEVERITY),
        "files": rows,
        "file_chart": file_score_chart(files, pages),
        "trend": trend_chart(with_current_run(results, history)),
        "data": {
            "score": value,
            "counts": counts,
            "files": [{"path": r.path, "score": r.score, "survived": r.survived} for r in rows],
        },
    }


def file_context(summary: FileSummary, source: str | None) -> dict[str, Any]:
    """A file page's data; without ``source`` its mutants are listed without code or diffs."""
    views = [mutant_view(m, source) for m in summary.mutants]
    by_line: dict[int, list[MutantView]] = {}
    for view in views:
        by_line.setdefault(view.line, []).append(view)
    lines = []
    if source is not None:
        for number, html in enumerate(highlight_lines(source), start=1):
            here = by_line.get(number)
            if here is None:
                lines.append(SourceLine(number, html, None, [], ""))
            else:
                lines.append(_marked_line(number, html, here))
    else:
        lines = [_marked_line(n, Markup(""), here) for n, here in sorted(by_line.items())]
    operators: dict[str, int] = {}
    for view in views:
        operators[view.operator] = operators.get(view.operator, 0) + 1
    return {
        "path": summary.path,
        "summary": summary,
        "lines": lines,
        "has_source": source is not None,
        "mutants": views,
        "status_counts": [(s, summary.counts[s]) for s in SEVERITY if summary.counts.get(s)],
        "operators": sorted(operators.items()),
        "data": {
            "file": summary.path,
            "score": summary.score,
            "mutants": [
                {
                    "id": v.id,
                    "line": v.line,
                    "status": v.status,
                    "operator": v.operator,
                    "original": v.original,
                    "replacement": v.replacement,
                    "killed_by": v.killed_by,
                }
                for v in views
            ],
        },
    }


def _marked_line(number: int, html: Markup, mutants: list[MutantView]) -> SourceLine:
    status = worst_status(view.status for view in mutants)
    title = f"{len(mutants)} mutant(s), worst: {STATUS_LABELS.get(str(status), status)}"
    return SourceLine(number, html, status, mutants, title)


def mutant_view(mutant: Mapping[str, Any], source: str | None) -> MutantView:
    """How a page shows one mutant of the results dict."""
    diff = mutant_diff(source, mutant) if source is not None else ""
    status = str(mutant.get("status", ""))
    killed_by = mutant.get("killed_by")
    return MutantView(
        id=str(mutant.get("id", "")),
        line=int(mutant.get("line", 0)),
        col=int(mutant.get("col", 0)),
        status=status,
        label=STATUS_LABELS.get(status, status),
        operator=str(mutant.get("operator", "")),
        original=str(mutant.get("original", "")),
        replacement=str(mutant.get("replacement", "")),
        qualname=str(mutant.get("qualname") or ""),
        covered_by=[str(t) for t in mutant.get("covered_by") or ()],
        killed_by=str(killed_by) if killed_by and status in DETECTED else None,
        detail=str(mutant["detail"]) if mutant.get("detail") else None,
        confirmed=mutant.get("confirmed"),
        verb="timed out in" if status == TIMEOUT else "killed by",
        duration_ms=mutant.get("duration_ms"),
        tests_run=mutant.get("tests_run"),
        diff=[(_DIFF_KINDS.get(row[:1], "ctx"), row) for row in diff.split("\n")[2:] if row],
    )
