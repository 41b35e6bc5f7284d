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


def shown(cell: str) -> tuple[list[str], str]:
    """What GitHub shows of a table cell: the text of its code spans and ``<code>`` elements
    (CommonMark's rules: a backtick run closes at the next run of the same length, one space
    is stripped from each end when both ends have one; GFM unescapes ``\\|`` in a cell
    first), and the text outside them."""
    cell = cell.replace("\\|", "|")
    codes, outside, at = [], [], 0
    while at < len(cell):
        if cell.startswith("<code>", at):
            end = cell.index("</code>", at)
            codes.append(html.unescape(cell[at + 6 : end]))
            at = end + 7
        elif cell[at] == "`":
            fence = re.match(r"`+", cell[at:]).group()
            close = re.compile(rf"(?<!`){fence}(?!`)")
            found = close.search(cell, at + len(fence))
            assert found, f"unclosed code span in {cell!r}"
            text = cell[at + len(fence) : found.start()]
            if text.startswith(" ") and text.endswith(" ") and text.strip():
                text = text[1:-1]
            codes.append(text)
            at = found.end()
        else:
            outside.append(cell[at])
            at += 1
    return codes, "".join(outside)


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
    rows = [line for line in text.splitlines() if "mod.py" in line]
    assert [cells(r) for r in rows] == [
        ["`src/pkg/mod.py:4`", "`operator.arith`", "`a + b` → `a - b`",
         "`tests/test_mod.py::test_add`"],
        ["`src/pkg/mod.py:9`", "`operator.arith`", "`a + b` → `a - b`",
         "`tests/test_mod.py::test_add`"],
    ]


def test_the_summary_reads_well_raw() -> None:
    data = results([mutant(3, "survived", file="src/pkg/__init__.py", original="10_000",
                           replacement="9_999", covered_by=["tests/test_mod.py::test_a_b[x-1]"],
                           operator="boundary.constant")], 0.0)
    text = to_markdown(data)
    assert "&#" not in text and "<code>" not in text
    assert ("| `src/pkg/__init__.py:3` | `boundary.constant` | `10_000` → `9_999` | "
            "`tests/test_mod.py::test_a_b[x-1]` |") in text.splitlines()


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
    original = "x | y `z` & <b> __init__"
    replacement = "@admin $x$ *bold* [link](http://e.example)\nsecond line"
    tests = [f"tests/test_x.py::test[{EVIL}]", "tests/t.py::test_`tick`|pipe", "t::a\\|b"]
    nasty = mutant(7, "survived", file="src/a|b.py", original=original,
                   replacement=replacement, covered_by=tests)
    text = to_markdown(results([nasty], 0.0))
    row = next(line for line in text.splitlines() if "a\\|b.py" in line)
    assert "\n" not in row
    where, operator, change, covered = cells(row)
    assert shown(where) == (["src/a|b.py:7"], "")
    assert shown(operator) == (["operator.arith"], "")
    flat = "@admin $x$ *bold* [link](http://e.example) second line"
    assert shown(change) == ([original, flat], " → ")
    codes, outside = shown(covered)
    assert codes == tests
    assert set(outside) <= set(", ")
    for raw in ("<script", "<b>", "</script"):  # the project's markup is never raw in the file
        assert raw not in row


def test_escape_and_code_helpers() -> None:
    assert escape_markdown("a\n\n b") == "a b"
    assert escape_markdown("src/pkg/__init__.py: score 40.0% (tolerance 1.0)") == (
        "`src/pkg/__init__.py`: score 40.0% (tolerance 1.0)")
    assert escape_markdown("# not a heading") == "`#` not a heading"
    assert escape_markdown("a<b>&c") == "<code>a&lt;b&gt;&amp;c</code>"
    assert escape_markdown("plain words, 3 points") == "plain words, 3 points"
    assert code("x" * 100, limit=10) == "`xxxxxxxxx…`"
    assert code("tests/test_mod.py::test_add") == "`tests/test_mod.py::test_add`"
    assert code("`tick`") == "`` `tick` ``"
    assert code("a|b") == "`a\\|b`"
    assert code("a <= b") == "`a <= b`"  # a comparison is no tag
    assert code("") == "` `"


def test_write_markdown_replaces_the_file_with_the_summary(tmp_path: Path) -> None:
    data = results([mutant(3, "survived"), mutant(4, "killed")], 50.0)
    target = tmp_path / "out" / "summary.md"
    assert write_markdown(data, target, 75.0) == target
    assert target.read_text(encoding="utf-8") == to_markdown(data, 75.0)
    write_markdown(data, target)
    assert target.read_text(encoding="utf-8") == to_markdown(data)
    assert [p.name for p in target.parent.iterdir()] == ["summary.md"]
