"""The static HTML report: structure, escaping, self-containment, and its size at scale."""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.html import Page
from helpers.results import make_mutant

from mutgate.report.charts import file_score_chart, trend_chart
from mutgate.report.html import page_name, script_json, write_html
from mutgate.report.palette import score_color
from mutgate.report.summary import summarize_files

EVIL = "</script><script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'


def mutant(n: int, file: str, line: int, status: str, **fields: Any) -> dict[str, Any]:
    return make_mutant(f"m{n:04d}", status, file, line, **{"col": 12, "end_col": 17,
                                                          "duration_ms": 2.0, **fields})


MOD = "src/pkg/mod.py"
OTHER = "src/pkg/other.py"
GONE = "src/pkg/gone.py"
SOURCES = {
    MOD: "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n"
    f'    # {EVIL}\n    return a + b\n',
    OTHER: f'X = "{EVIL}"\n\ndef f(a, b):\n    return a + b\n',
}
MUTANTS = [
    mutant(1, MOD, 2, "survived"),
    mutant(2, MOD, 2, "killed", operator="operator.compare"),
    mutant(3, MOD, 6, "timeout"),
    mutant(4, MOD, 6, "killed"),
    mutant(5, MOD, 8, "killed", covered_by=[f"tests/test_mod.py::test_x[{EVIL}]"],
           killed_by=f"tests/test_mod.py::test_x[{EVIL}]"),
    mutant(6, OTHER, 1, "survived", col=5, original=f'"{EVIL}"', replacement='""',
           operator="return.empty", qualname=IMG, covered_by=[f"tests/t.py::test[{IMG}]"]),
    mutant(7, OTHER, 4, "no-tests", covered_by=[],
           detail="every covering test failed when run unmutated in the worker"),
    mutant(8, GONE, 3, "survived"),
]
RESULTS = {
    "score": 50.0,
    "counts": {"killed": 3, "survived": 3, "timeout": 1, "error": 0, "skipped": 0, "no-tests": 1},
    "total": 8,
    "run": {"id": 3, "started_at": "2026-11-21T19:40:00+00:00", "wall_s": 4.2, "jobs": 2},
    "mutants": MUTANTS,
}
HISTORY = [
    {"run_id": 1, "started_at": "2026-11-19T10:00:00+00:00", "score": 40.0},
    {"run_id": 2, "started_at": "2026-11-20T10:00:00+00:00", "score": None},
]


def write(tmp_path: Path) -> Path:
    return write_html(RESULTS, SOURCES, HISTORY, tmp_path / "report")


def page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def test_an_index_and_one_page_per_file(tmp_path: Path) -> None:
    index = write(tmp_path)
    assert index == tmp_path / "report" / "index.html"
    names = sorted(p.name for p in index.parent.iterdir())
    assert names == sorted(["index.html", page_name(MOD), page_name(OTHER), page_name(GONE)])
    links = {a["href"] for a in page(index).find_all("a") if a.get("href", "").endswith(".html")}
    assert links == {"index.html", page_name(MOD), page_name(OTHER), page_name(GONE)}


def test_the_summary_shows_score_counts_and_a_row_per_file(tmp_path: Path) -> None:
    index = page(write(tmp_path))
    assert index.text_by_id["total-score"].strip() == "50.0%"
    assert index.text_by_id["count-survived"] == "3"
    assert index.text_by_id["count-no-tests"] == "1"
    rows = index.find_all("tr", "file-row")
    assert [r["data-path"] for r in rows] == [GONE, MOD, OTHER]
    by_path = {r["data-path"]: r for r in rows}
    assert by_path[MOD]["data-score"] == "80.0"
    assert by_path[MOD]["data-survived"] == "1"
    assert by_path[OTHER]["data-other"] == "1"
    headers = {th["data-sort"] for th in index.find_all("th") if "data-sort" in th}
    assert {"score", "survived"} <= headers
    assert index.data()["counts"]["survived"] == 3


def test_charts_are_inline_svg_with_a_bar_per_scored_file_and_a_point_per_scored_run(
    tmp_path: Path,
) -> None:
    index = page(write(tmp_path))
    assert len(index.find_all("svg")) == 2
    assert len(index.find_all("rect", "bar")) == 3
    assert len(index.find_all("circle", "point")) == 2  # run 1 and this run (3); run 2: no score


def test_lines_are_marked_by_their_worst_status(tmp_path: Path) -> None:
    mod = page(write(tmp_path).parent / page_name(MOD))
    rows = {r["id"]: r.get("class", "") for r in mod.find_all("tr") if r.get("id", "")[:1] == "L"}
    assert len(rows) == 8
    assert "st-survived" in rows["L2"]
    assert "st-timeout" in rows["L6"]
    assert "st-killed" in rows["L8"]
    assert rows["L1"] == ""


def test_each_mutant_shows_its_status_operator_diff_and_tests(tmp_path: Path) -> None:
    text = (write(tmp_path).parent / page_name(MOD)).read_text(encoding="utf-8")
    mod = Page(text)
    cards = mod.find_all("details", "mutant")
    statuses = [c["data-status"] for c in cards]
    assert statuses == ["survived", "killed", "timeout", "killed", "killed"]
    assert [c["data-operator"] for c in cards][:2] == ["operator.arith", "operator.compare"]
    assert "open" in cards[0] and "open" not in cards[1]
    assert '<span class="del">-    return a + b</span>' in text
    assert '<span class="add">+    return a - b</span>' in text
    assert "killed by <code class=\"test\">tests/test_mod.py::test_add</code>" in text
    assert "timed out in" in text
    operators = [b["data-value"] for b in mod.find_all("button") if b.get("data-value")]
    assert operators == ["survived", "timeout", "killed", "operator.arith", "operator.compare"]


def test_text_from_the_project_is_escaped_everywhere(tmp_path: Path) -> None:
    index = write(tmp_path)
    for path in index.parent.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text, path.name
        assert "<img" not in text, path.name
        for _, body in Page(text).scripts:
            assert "</" not in body and "<script" not in body.lower(), path.name
    mod = (index.parent / page_name(MOD)).read_text(encoding="utf-8")
    assert "test_x[&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;]" in mod
    other = (index.parent / page_name(OTHER)).read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in other


def test_the_embedded_json_round_trips_the_project_s_text(tmp_path: Path) -> None:
    other = page(write(tmp_path).parent / page_name(OTHER))
    data = other.data()
    assert data["file"] == OTHER
    assert data["mutants"][0]["original"] == f'"{EVIL}"'
    assert [m["status"] for m in data["mutants"]] == ["survived", "no-tests"]


def test_script_json_escapes_what_could_end_a_script() -> None:
    text = str(script_json({"a": f"{EVIL}<!-- & \u2028"}))
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": f"{EVIL}<!-- & \u2028"}


def test_pages_are_self_contained(tmp_path: Path) -> None:
    index = write(tmp_path)
    for path in index.parent.iterdir():
        parsed = page(path)
        assert not parsed.find_all("link"), path.name
        assert all("src" not in attrs for attrs, _ in parsed.scripts), path.name
        assert all("src" not in attrs for attrs in parsed.find_all("img")), path.name
        refs = [a.get("href", "") for a in parsed.find_all("a")]
        assert not [r for r in refs if re.match(r"[a-z]+:", r)], path.name
        text = path.read_text(encoding="utf-8")
        assert "@import" not in text and "url(" not in text


def test_a_file_without_source_lists_its_mutants_without_code(tmp_path: Path) -> None:
    gone = (write(tmp_path).parent / page_name(GONE)).read_text(encoding="utf-8")
    assert "source of this file was not available" in gone
    assert len(Page(gone).find_all("details", "mutant")) == 1


def test_page_names_are_distinct_even_when_slugs_collide() -> None:
    assert page_name("a/b.py") != page_name("a_b.py")
    assert page_name("src/pkg/mod.py").startswith("src_pkg_mod.py_")
    assert re.fullmatch(r"[A-Za-z0-9_.-]+\.html", page_name("ü/ß <x>.py"))


def test_rewriting_a_report_replaces_its_files_and_leaves_no_temporary_files(
    tmp_path: Path,
) -> None:
    index = write(tmp_path)
    index.write_text("stale", encoding="utf-8")
    write(tmp_path)
    assert index.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not [p for p in index.parent.iterdir() if p.name.startswith(".")]


def test_chart_geometry() -> None:
    files = summarize_files(RESULTS)
    chart = file_score_chart(files, {f.path: f.path for f in files})
    assert [m.href for m in chart.marks] == [GONE, OTHER, MOD]  # 0%, 0% (by path), 80%
    bottom = chart.marks[0].y + chart.marks[0].height
    mod = chart.marks[2]
    top = next(g.y for g in chart.gridlines if g.label == "100")
    assert abs((bottom - mod.y) / (bottom - top) - 0.8) < 0.01
    trend = trend_chart([*HISTORY, {"run_id": 3, "score": 50.0}, {"run_id": 4, "score": 70.0}])
    assert len(trend.marks) == 3
    assert len(trend.lines) == 1  # runs 3-4 joined; run 1 stands alone after the gap
    assert trend_chart([]).marks == []


def test_the_color_scale_has_three_bands() -> None:
    def rgb(value: float | None) -> tuple[int, ...]:
        text = score_color(value)
        return tuple(int(text[i : i + 2], 16) for i in (1, 3, 5))

    for low in (0.0, 30.0, 59.0):
        red, green, _ = rgb(low)
        assert red > 1.5 * green
    for mid in (60.0, 70.0, 79.0):
        red, green, blue = rgb(mid)
        assert red > green > blue
    for high in (80.0, 90.0, 100.0):
        red, green, _ = rgb(high)
        assert green > red
    assert rgb(None) == rgb(None)


def synthetic(files: int, per_file: int, lines_per_mutant: int) -> tuple[dict[str, Any], dict]:
    rng = random.Random(7)
    statuses = ["killed"] * 6 + ["survived", "survived", "timeout", "no-tests"]
    sources, mutants = {}, []
    for f in range(files):
        path = f"src/pkg{f % 9}/module_{f}.py"
        body = []
        for i in range(per_file):
            body += [f"def func_{i}(a, b):", f'    """Doc {i} {EVIL}."""', f"    if a < {i}:"]
            body += ["        return a + b"] + ["    x = 1"] * (lines_per_mutant - 4)
        sources[path] = "\n".join(body) + "\n"
        for i in range(per_file):
            line = i * lines_per_mutant + 4
            mutants.append(mutant(f * per_file + i, path, line, rng.choice(statuses), col=16,
                                  covered_by=["tests/test_a.py::test_a", f"tests/t.py::t[{EVIL}]"]))
    results = {"score": None, "counts": {}, "total": len(mutants), "run": {}, "mutants": mutants}
    return results, sources


@pytest.mark.slow
def test_ten_thousand_mutants_over_five_hundred_files(tmp_path: Path) -> None:
    results, sources = synthetic(files=500, per_file=20, lines_per_mutant=6)
    started = time.perf_counter()
    index = write_html(results, sources, [], tmp_path / "big")
    elapsed = time.perf_counter() - started
    print(f"\nHTML report of 10,000 mutants / 500 files / 60,000 lines: {elapsed:.2f} s")
    pages = sorted(index.parent.iterdir())
    assert len(pages) == 501
    assert len(page(index).find_all("tr", "file-row")) == 500
    sample = page(index.parent / page_name("src/pkg0/module_0.py"))
    assert len(sample.find_all("details", "mutant")) == 20
    assert len([r for r in sample.find_all("tr") if r.get("id", "").startswith("L")]) == 120
    survivors = sum(1 for m in results["mutants"] if m["status"] == "survived")
    assert page(index).text_by_id["count-survived"] == str(survivors)


def test_a_mutant_says_why_it_was_not_scored_and_a_survivor_whether_it_was_confirmed(
        tmp_path: Path) -> None:
    text = (write(tmp_path).parent / page_name(OTHER)).read_text(encoding="utf-8")
    assert "<dt>Why</dt><dd>every covering test failed when run unmutated in the worker" in text
    assert "<dt>Confirmed</dt><dd>no: only the tests that ran its lines were run" in text
