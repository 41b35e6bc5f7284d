"""What each page of the HTML report shows, as plain data for its template.

The summary page gets the overall numbers, the files grouped by folder, the two charts and the
tests to strengthen; a file page gets its survivors, its source lines (highlighted, each with
its mutants and their worst status, and the folds of the survivors-only view) and a one-line
summary of each mutant; the tests page ranks the tests by the survivors they cover.

A mutant's details (diff, tests, times) are not markup: they go into the page's JSON, with
each test name written once, and the page's script draws them when the mutant is opened. A
large file's page stays a few hundred kilobytes instead of megabytes (see the size test in
``tests/unit/test_report_html.py``). Everything here is unescaped data: the templates escape it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from mutgate.outcome import DETECTED, KILLED, SURVIVED, TIMEOUT, score
from mutgate.report.charts import file_score_chart, trend_chart
from mutgate.report.diff import mutant_diff
from mutgate.report.highlight import highlight_lines
from mutgate.report.palette import STATUS_LABELS
from mutgate.report.summary import (
    SEVERITY,
    CoveringTest,
    FileSummary,
    folder_of,
    killers_of,
    overall_counts,
    overall_score,
    plural,
    rank_tests,
    short_names,
    split_node_id,
    worst_status,
)

#: Lines of source shown above and below each survivor in the survivors-only view.
CONTEXT = 3
#: A stretch between survivors shorter than this is shown, not folded: a fold takes a line too.
MIN_FOLD = 2
#: Source lines per chunk of a file page: the browser lays out and paints only the chunks
#: near the viewport (``content-visibility: auto``), so a long file opens as fast as a short one.
CHUNK_LINES = 100
#: Survivors listed under each test of the tests page before "N more" (drawn from the JSON).
SURVIVORS_PER_TEST = 5
#: Tests the summary page lists as the ones to strengthen (the tests page has all).
TOP_TESTS = 5
TESTS_PAGE = "tests.html"


@dataclass(frozen=True, slots=True)
class Tally:
    """The counts and score of a row of the summary page's file table."""

    score: float | None
    total: int
    killed: int
    survived: int
    timeout: int
    other: int


@dataclass(frozen=True, slots=True)
class FileRow(Tally):
    """A file of the file table; ``name`` is its path inside its folder."""

    path: str
    name: str
    href: str


@dataclass(frozen=True, slots=True)
class FolderGroup(Tally):
    """A folder of the file table: its files, and their counts and score together."""

    folder: str
    rows: list[FileRow]

    @property
    def label(self) -> str:
        return f"{self.folder}/" if self.folder else "(project root)"


@dataclass(frozen=True, slots=True)
class MutantView:
    """The one-line summary of a mutant on a file page (its details come from the JSON)."""

    id: str
    line: int
    status: str
    label: str
    operator: str
    original: str
    replacement: str
    qualname: str
    covered: int
    confirmed: bool | None
    detail: str | None
    killer: str | None  # the name of the test that killed it, without its file

    @property
    def verb(self) -> str:
        return "timed out in" if self.status == TIMEOUT else "killed by"

    @property
    def open(self) -> bool:
        return self.status == SURVIVED


@dataclass(frozen=True, slots=True)
class SourceLine:
    """A line of a file page: its highlighted HTML, its mutants with their worst status, and
    whether the survivors-only view folds it away (``far`` from every survivor)."""

    number: int
    html: Markup
    status: str | None
    mutants: list[MutantView]
    far: bool = False
    kind: str = "line"


@dataclass(frozen=True, slots=True)
class Fold:
    """``… N lines …`` in the survivors-only view: lines ``first``..``last`` are folded."""

    first: int
    last: int
    kind: str = "fold"

    @property
    def text(self) -> str:
        return f"… {plural(self.last - self.first + 1, 'line')} …"


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive rows of a file page, drawn as one table; ``height`` is a guess of its
    height in CSS pixels, which the browser uses until it has laid the chunk out."""

    rows: list[SourceLine | Fold]
    height: int


@dataclass(frozen=True, slots=True)
class SurvivorLink:
    """A survivor where another page points at it: its page anchor, place and change."""

    id: str
    href: str
    where: str
    operator: str
    original: str
    replacement: str
    confirmed: bool | None


@dataclass
class RankedTest:
    """A test on the tests page: its rank, name, survivors (the first few) and counts."""

    rank: int
    test: str
    file: str
    name: str
    survived: int
    covered: int
    killed: int
    survivors: list[SurvivorLink] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.survived - len(self.survivors)


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


def _file_row(f: FileSummary, href: str) -> FileRow:
    folder = folder_of(f.path)
    return FileRow(
        path=f.path,
        name=f.path[len(folder) + 1 :] if folder else f.path,
        href=href,
        score=f.score,
        total=f.total,
        killed=f.counts.get(KILLED, 0),
        survived=f.survived,
        timeout=f.counts.get(TIMEOUT, 0),
        other=f.unscored,
    )


def folder_groups(rows: Sequence[FileRow]) -> list[FolderGroup]:
    """``rows`` grouped by folder, folders by path, each with its files' counts and score."""
    by_folder: dict[str, list[FileRow]] = {}
    for row in rows:
        by_folder.setdefault(folder_of(row.path), []).append(row)
    groups = []
    for folder in sorted(by_folder):
        members = by_folder[folder]
        killed = sum(r.killed for r in members)
        survived = sum(r.survived for r in members)
        timeout = sum(r.timeout for r in members)
        groups.append(FolderGroup(
            folder=folder, rows=members,
            score=score({KILLED: killed, TIMEOUT: timeout, SURVIVED: survived}),
            total=sum(r.total for r in members), killed=killed, survived=survived,
            timeout=timeout, other=sum(r.other for r in members),
        ))
    return groups


def survivor_links(
    results: Mapping[str, Any], pages: Mapping[str, str]
) -> dict[str, SurvivorLink]:
    """Every survivor of the results by id, as a link to its place on its file's page."""
    names = short_names(sorted({str(m.get("file", "")) for m in results.get("mutants") or ()}))
    links = {}
    for m in results.get("mutants") or ():
        if m.get("status") != SURVIVED:
            continue
        path = str(m.get("file", ""))
        links[str(m["id"])] = SurvivorLink(
            id=str(m["id"]), href=f"{pages.get(path, '')}#m-{m['id']}",
            where=f"{names.get(path, path)}:{m.get('line', '?')}",
            operator=str(m.get("operator", "")), original=str(m.get("original", "")),
            replacement=str(m.get("replacement", "")), confirmed=m.get("confirmed"))
    return links


def ranked_rows(ranked: Sequence[CoveringTest], links: Mapping[str, SurvivorLink],
              per_test: int = SURVIVORS_PER_TEST) -> list[RankedTest]:
    """The ranked tests as rows, each with its first ``per_test`` survivors."""
    rows = []
    for rank, covering in enumerate(ranked, start=1):
        file, name = split_node_id(covering.test)
        rows.append(RankedTest(
            rank=rank, test=covering.test, file=file if file != covering.test else "",
            name=name, survived=len(covering.survivors), covered=covering.covered,
            killed=covering.killed,
            survivors=[links[str(m["id"])] for m in covering.survivors[:per_test]],
        ))
    return rows


def index_context(
    results: Mapping[str, Any],
    files: Sequence[FileSummary],
    pages: Mapping[str, str],
    history: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The summary page's data; ``pages`` maps each file to its page."""
    counts = overall_counts(results)
    value = overall_score(results)
    rows = [_file_row(f, pages[f.path]) for f in files]
    ranked = rank_tests(results)
    return {
        "score": value,
        "counts": counts,
        "total": int(results.get("total") or sum(counts.values())),
        "statuses": list(SEVERITY),
        "files": rows,
        "groups": folder_groups(rows),
        "file_chart": file_score_chart(files, pages),
        "trend": trend_chart(with_current_run(results, history)),
        "top_tests": ranked_rows(ranked[:TOP_TESTS], survivor_links(results, pages), per_test=0),
        "ranked_tests": len(ranked),
        "data": {
            "score": value,
            "counts": counts,
            "files": [{"path": r.path, "score": r.score, "survived": r.survived} for r in rows],
        },
    }


def ranking_context(results: Mapping[str, Any], pages: Mapping[str, str]) -> dict[str, Any]:
    """The tests page's data: every test that covers a survivor, the weakest first.

    The JSON holds the survivors beyond the first few of each test, each survivor once
    (``survivors``) and per test the indices of its others (``more``, by rank).
    """
    ranked = rank_tests(results)
    links = survivor_links(results, pages)
    rows = ranked_rows(ranked, links)
    order = {sid: index for index, sid in enumerate(links)}
    more = {}
    for row, covering in zip(rows, ranked, strict=True):
        if row.more:
            more[str(row.rank)] = [order[str(m["id"])]
                                   for m in covering.survivors[SURVIVORS_PER_TEST:]]
    needed = sorted({index for indices in more.values() for index in indices})
    remap = {old: new for new, old in enumerate(needed)}
    listed = list(links.values())
    table = [_link_data(listed[old]) for old in needed]
    survivors = sum(1 for m in results.get("mutants") or () if m.get("status") == SURVIVED)
    uncovered = sum(1 for m in results.get("mutants") or ()
                    if m.get("status") == SURVIVED and not m.get("covered_by"))
    return {
        "tests": rows,
        "survivors": survivors,
        "uncovered": uncovered,
        "full_matrix": any(m.get("killers") is not None for m in results.get("mutants") or ()),
        "data": {
            "tests": [{"test": r.test, "survived": r.survived, "killed": r.killed}
                      for r in rows],
            "survivors": table,
            "more": {rank: [remap[i] for i in indices] for rank, indices in more.items()},
        },
    }


def _link_data(link: SurvivorLink) -> dict[str, Any]:
    return {"href": link.href, "where": link.where, "operator": link.operator,
            "original": link.original, "replacement": link.replacement,
            "confirmed": bool(link.confirmed)}


def file_context(summary: FileSummary, source: str | None) -> dict[str, Any]:
    """A file page's data; without ``source`` its mutants are listed without code or diffs."""
    views = [mutant_view(m) for m in summary.mutants]
    by_line: dict[int, list[MutantView]] = {}
    for view in views:
        by_line.setdefault(view.line, []).append(view)
    if source is not None:
        highlighted = highlight_lines(source)
        far = far_lines(summary.mutants, len(highlighted))
        rows: list[SourceLine | Fold] = []
        for number, html in enumerate(highlighted, start=1):
            if number in far and number - 1 not in far:
                end = number
                while end + 1 in far:
                    end += 1
                rows.append(Fold(number, end))
            here = by_line.get(number)
            if here is None:
                rows.append(SourceLine(number, html, None, [], number in far))
            else:
                rows.append(_marked_line(number, html, here, number in far))
    else:
        rows = [_marked_line(n, Markup(""), here) for n, here in sorted(by_line.items())]
    operators: dict[str, int] = {}
    for view in views:
        operators[view.operator] = operators.get(view.operator, 0) + 1
    tests = sorted({str(t) for m in summary.mutants
                    for t in [*(m.get("covered_by") or ()), *killers_of(m)]})
    index = {name: number for number, name in enumerate(tests)}
    return {
        "path": summary.path,
        "summary": summary,
        "chunks": chunked(rows),
        "digits": len(str(max((r.number for r in rows if isinstance(r, SourceLine)), default=1))),
        "has_source": source is not None,
        "mutants": views,
        "survivors": [v for v in views if v.status == SURVIVED],
        "status_counts": [(s, summary.counts[s]) for s in SEVERITY if summary.counts.get(s)],
        "operators": sorted(operators.items()),
        "data": {
            "file": summary.path,
            "score": summary.score,
            "tests": tests,
            "mutants": [mutant_data(m, source, index) for m in summary.mutants],
        },
    }


def chunked(rows: Sequence[SourceLine | Fold], size: int = CHUNK_LINES) -> list[Chunk]:
    """``rows`` in chunks of ``size`` lines (a fold's lines may go on in the next chunk)."""
    chunks: list[Chunk] = []
    current: list[SourceLine | Fold] = []
    lines = 0
    for row in rows:
        if lines >= size and isinstance(row, SourceLine):
            chunks.append(Chunk(current, _height(current)))
            current, lines = [], 0
        current.append(row)
        lines += isinstance(row, SourceLine)
    if current:
        chunks.append(Chunk(current, _height(current)))
    return chunks


def _height(rows: Sequence[SourceLine | Fold]) -> int:
    """About how tall ``rows`` are in the whole-file view: a line, a mutant's summary, an
    open survivor's details with a line per covering test (see report.css)."""
    height = 0.0
    for row in rows:
        if isinstance(row, Fold):
            continue
        height += 20.2
        if row.mutants:
            height += 14 + sum(46 + (190 + 18 * m.covered if m.open else 0) for m in row.mutants)
    return round(height)


def far_lines(mutants: Sequence[Mapping[str, Any]], count: int) -> set[int]:
    """The lines (1..``count``) the survivors-only view folds away: those more than
    ``CONTEXT`` lines from every survivor, in stretches of at least ``MIN_FOLD`` lines."""
    near = set()
    for m in mutants:
        if m.get("status") == SURVIVED:
            first = int(m.get("line", 0))
            last = max(first, int(m.get("end_line") or first))
            near.update(range(first - CONTEXT, last + CONTEXT + 1))
    far: set[int] = set()
    stretch: list[int] = []
    for number in range(1, count + 2):
        if number <= count and number not in near:
            stretch.append(number)
            continue
        if len(stretch) >= MIN_FOLD:
            far.update(stretch)
        stretch = []
    return far


def _marked_line(number: int, html: Markup, mutants: list[MutantView],
                 far: bool = False) -> SourceLine:
    return SourceLine(number, html, worst_status(v.status for v in mutants), mutants, far)


def mutant_view(mutant: Mapping[str, Any]) -> MutantView:
    """How a page sums up one mutant of the results dict."""
    status = str(mutant.get("status", ""))
    return MutantView(
        id=str(mutant.get("id", "")),
        line=int(mutant.get("line", 0)),
        status=status,
        label=STATUS_LABELS.get(status, status),
        operator=str(mutant.get("operator", "")),
        original=str(mutant.get("original", "")),
        replacement=str(mutant.get("replacement", "")),
        qualname=str(mutant.get("qualname") or ""),
        covered=len(mutant.get("covered_by") or ()),
        confirmed=mutant.get("confirmed"),
        detail=str(mutant["detail"]) if mutant.get("detail") else None,
        killer=split_node_id(str(mutant["killed_by"]))[1]
        if mutant.get("killed_by") and status in DETECTED else None,
    )


def mutant_data(mutant: Mapping[str, Any], source: str | None,
                tests: Mapping[str, int]) -> dict[str, Any]:
    """A mutant's details for the page's script: tests as indices into the page's ``tests``,
    the diff as its rows (hunk header, ``-`` and ``+`` lines); fields without a value are left
    out, and so is what the mutant's summary on the page already says (status, operator,
    change)."""
    status = str(mutant.get("status", ""))
    data: dict[str, Any] = {
        "id": str(mutant.get("id", "")),
        "line": int(mutant.get("line", 0)),
        "col": int(mutant.get("col", 0)),
        "covered_by": [tests[str(t)] for t in mutant.get("covered_by") or ()],
    }
    if mutant.get("qualname"):
        data["qualname"] = str(mutant["qualname"])
    killers = killers_of(mutant)
    if killers:
        data["killers"] = [tests[t] for t in killers]
    if mutant.get("detail") and mutant["detail"] != mutant.get("killed_by"):
        data["detail"] = str(mutant["detail"])
    if status == SURVIVED:
        data["confirmed"] = bool(mutant.get("confirmed"))
        if mutant.get("killers") is not None:
            data["all_ran"] = True
    if mutant.get("duration_ms") is not None:
        data["ms"] = round(float(mutant["duration_ms"]), 1)
    if mutant.get("tests_run") is not None:
        data["tests_run"] = int(mutant["tests_run"])
    if source is not None:
        data["diff"] = [row for row in mutant_diff(source, mutant).split("\n")[2:] if row]
    return data
