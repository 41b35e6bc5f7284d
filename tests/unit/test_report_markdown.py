"""The Markdown summary for PR comments and GitHub step summaries."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from mutgate.report.markdown import code, escape_markdown, to_markdown, write_markdown

EVIL = "</script><script>alert(1)</script>"


def mutant(line: int, status: str, **fields: Any) -> dict[str, Any]:
    base = {
        "id": f"id{line}{status}",
        "file": "src/pkg/mod.py",
        "line": line,
        "col": 5,
        "operator": "operator.arith",
        "original": "a + b",
        "replacement": "a - b",
        "status": status,
        "killed_by": None,
        "covered_by": ["tests/test_mod.py::test_add"],
    }
    base.update(fields)
    return base


def results(mutants: list[dict[str, Any]], score: float | None) -> dict[str, Any]:
    counts = dict.fromkeys(("killed", "survived", "timeout", "error", "skipped", "no-tests"), 0)
    for m in mutants:
        counts[m["status"]] += 1
    return {"score": score, "counts": counts, "total": len(mutants), "run": {}, "mutants": mutants}


def cells(row: str) -> list[str]:
    """The cells of a Markdown table row, split on the pipes GitHub would split on."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_headline_counts_and_survivors_table() -> None:
    data = results(
        [mutant(3, "killed"), mutant(9, "survived"), mutant(4, "survived"), mutant(5, "timeout")],
        50.0,
    )
    text = to_markdown(data)
    assert text.startswith("### mutgate: mutation score **50.0%**\n")
    header, _, counts = [line for line in text.splitlines() if line.startswith("|")][:3]
    assert cells(header) == [
        "killed", "survived", "timeout", "error", "skipped", "no tests", "total"
    ]
    assert cells(counts) == ["1", "2", "1", "0", "0", "0", "4"]
    assert "#### Surviving mutants (2)" in text
    rows = [line for line in text.splitlines() if "mod.py" in html.unescape(line)]
    assert [html.unescape(r).split("</code>")[0] for r in rows] == [
        "| <code>src/pkg/mod.py:4",
        "| <code>src/pkg/mod.py:9",
    ]


def test_change_against_the_baseline_is_signed() -> None:
    data = results([mutant(1, "killed"), mutant(2, "survived")], 50.0)
    assert "▼ -10.0 pts vs baseline 60.0%" in to_markdown(data, baseline_score=60.0)
    assert "▲ +5.0 pts vs baseline 45.0%" in to_markdown(data, baseline_score=45.0)
    assert "= +0.0 pts vs baseline 50.0%" in to_markdown(data, baseline_score=50.0)


def test_rows_are_capped_and_the_rest_is_counted() -> None:
    data = results([mutant(n, "survived") for n in range(1, 8)], 0.0)
    text = to_markdown(data, max_rows=3)
    assert "#### Surviving mutants (first 3 of 7)" in text
    assert "…and 4 more (see the full report)." in text
    assert sum(1 for line in text.splitlines() if "mod.py:" in line) == 3


def test_no_survivors_and_nothing_scored() -> None:
    assert "No surviving mutants." in to_markdown(results([mutant(1, "killed")], 100.0))
    empty = to_markdown(results([mutant(1, "no-tests")], None))
    assert "**–**" in empty
    assert "No mutant was scored." in empty


def test_sampled_runs_show_their_interval() -> None:
    data = results([mutant(1, "killed")], 100.0)
    data["run"] = {"ci95": [91.25, 99.5]}
    assert "(95% CI 91.2–99.5%)" in to_markdown(data)


def test_untrusted_text_cannot_break_the_table_or_inject_markup() -> None:
    nasty = mutant(
        7,
        "survived",
        file="src/a|b.py",
        original="x | y `z` & <b> __init__",
        replacement="@admin $x$ *bold* [link](http://e.example)\nsecond line",
        covered_by=[f"tests/test_x.py::test[{EVIL}]", "tests/t.py::test_`tick`|pipe"],
    )
    text = to_markdown(results([nasty], 0.0))
    row = next(line for line in text.splitlines() if "a&#124;b.py" in line)
    assert len(cells(row)) == 4
    for raw in ("<script", "<b>", "`", "$x$", "*bold*", "[link]", "|pipe", "& ", "__init__"):
        assert raw not in row
    assert "\n" not in row
    outside_code = re.sub(r"<code>.*?</code>", "", row)
    assert set(outside_code) <= set("| →,+0123456789more–")
    shown = html.unescape(re.sub(r"</?code>", "", row))
    assert "x | y `z` & <b> __init__" in shown
    assert "@admin $x$ *bold* [link](http://e.example) second line" in shown
    assert f"tests/test_x.py::test[{EVIL}]" in shown


def test_escape_and_code_helpers() -> None:
    assert escape_markdown("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert escape_markdown("a\n\n b") == "a b"
    assert code("x" * 100, limit=10) == "<code>xxxxxxxxx…</code>"


def test_write_markdown_replaces_the_file_with_the_summary(tmp_path: Path) -> None:
    data = results([mutant(3, "survived"), mutant(4, "killed")], 50.0)
    target = tmp_path / "out" / "summary.md"
    assert write_markdown(data, target, 75.0) == target
    assert target.read_text(encoding="utf-8") == to_markdown(data, 75.0)
    write_markdown(data, target)
    assert target.read_text(encoding="utf-8") == to_markdown(data)
    assert [p.name for p in target.parent.iterdir()] == ["summary.md"]
