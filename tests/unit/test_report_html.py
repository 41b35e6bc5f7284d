"""The static HTML report: structure, escaping, self-containment, navigation (survivors list,
folds, folders, the tests page), and its size at scale."""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.html import Page
from helpers.report_data import big_module
from helpers.results import make_mutant

from mutgate.report.charts import MAX_FILE_BARS, file_score_chart, trend_chart
from mutgate.report.html import page_name, script_json, write_html
from mutgate.report.pages import CONTEXT, MIN_FOLD, SURVIVORS_PER_TEST, far_lines
from mutgate.report.palette import score_color
from mutgate.report.summary import plural, rank_tests, short_names, summarize_files

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
    pages = ["index.html", "tests.html", page_name(MOD), page_name(OTHER), page_name(GONE)]
    assert names == sorted(pages)
    links = {a["href"] for a in page(index).find_all("a") if a.get("href", "").endswith(".html")}
    assert links == set(pages)


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
    assert " ".join(index.text_by_id["files-shown"].split()) == "3 files in 1 folder"


def test_charts_are_inline_svg_with_a_bar_per_scored_file_and_a_point_per_scored_run(
    tmp_path: Path,
) -> None:
    index = page(write(tmp_path))
    assert len(index.find_all("svg")) == 2
    assert len(index.find_all("rect", "bar")) == 3
    assert len(index.find_all("circle", "point")) == 2  # run 1 and this run (3); run 2: no score
    chart = index.text_by_id["file-chart"]
    assert [n for n in ("gone.py", "other.py", "mod.py") if n in chart] == [
        "gone.py", "other.py", "mod.py"]  # each bar is named
    assert chart.index("gone.py") < chart.index("other.py") < chart.index("mod.py")


def test_lines_are_marked_by_their_worst_status(tmp_path: Path) -> None:
    mod = page(write(tmp_path).parent / page_name(MOD))
    rows = {r["id"]: r.get("class", "") for r in mod.find_all("tr") if r.get("id", "")[:1] == "L"}
    assert len(rows) == 8
    assert "st-survived" in rows["L2"]
    assert "st-timeout" in rows["L6"]
    assert "st-killed" in rows["L8"]
    assert rows["L1"] == ""


def test_each_mutant_shows_its_status_operator_and_change_and_carries_its_details(
    tmp_path: Path,
) -> None:
    text = (write(tmp_path).parent / page_name(MOD)).read_text(encoding="utf-8")
    mod = Page(text)
    cards = mod.find_all("details", "mutant")
    statuses = [c["data-status"] for c in cards]
    assert statuses == ["survived", "killed", "timeout", "killed", "killed"]
    assert [c["data-operator"] for c in cards][:2] == ["operator.arith", "operator.compare"]
    assert "open" in cards[0] and "open" not in cards[1]
    assert '<code class="change"><del>a + b</del> → <ins>a - b</ins></code>' in text
    assert "<pre" not in text  # diffs are drawn from the JSON when a mutant is opened
    assert 'killed by <code class="test">test_add</code>' in text  # its full id: in the JSON
    assert 'timed out in <code class="test">test_add</code>' in text
    operators = [b["data-value"] for b in mod.find_all("button") if b.get("data-value")]
    assert operators == ["survived", "timeout", "killed", "operator.arith", "operator.compare"]
    data = mod.data()
    tests = data["tests"]
    details = {m["id"]: m for m in data["mutants"]}
    assert list(details) == [c["id"][2:] for c in cards]
    assert details["m0001"]["diff"] == ["@@ -2 +2 @@", "-    return a + b", "+    return a - b"]
    assert [tests[i] for i in details["m0002"]["killers"]] == ["tests/test_mod.py::test_add"]
    evil_test = f"tests/test_mod.py::test_x[{EVIL}]"
    assert [tests[i] for i in details["m0005"]["covered_by"]] == [evil_test]
    assert details["m0001"]["confirmed"] is False and "confirmed" not in details["m0002"]
    assert details["m0003"]["ms"] == 2.0 and details["m0003"]["col"] == 12


def test_text_from_the_project_is_escaped_everywhere(tmp_path: Path) -> None:
    index = write(tmp_path)
    for path in index.parent.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text, path.name
        assert "<img" not in text, path.name
        for _, body in Page(text).scripts:
            assert "</" not in body and "<script" not in body.lower(), path.name
    mod = (index.parent / page_name(MOD)).read_text(encoding="utf-8")
    assert "# &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in mod  # in the source
    other = (index.parent / page_name(OTHER)).read_text(encoding="utf-8")
    assert "<code>&lt;img src=x onerror=&#34;alert(2)&#34;&gt;</code>" in other  # a qualname
    tests = (index.parent / "tests.html").read_text(encoding="utf-8")
    assert "tests/t.py::</span>test[&lt;img src=x onerror=&#34;alert(2)&#34;&gt;]" in tests


def test_the_embedded_json_round_trips_the_project_s_text(tmp_path: Path) -> None:
    other = page(write(tmp_path).parent / page_name(OTHER))
    data = other.data()
    assert data["file"] == OTHER
    assert data["mutants"][0]["qualname"] == IMG
    assert data["tests"] == [f"tests/t.py::test[{IMG}]"]
    assert data["mutants"][0]["diff"][1] == f'-X = "{EVIL}"'


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
    assert [m.name for m in chart.marks] == ["gone.py", "other.py", "mod.py"]
    assert [m.value for m in chart.marks] == ["0%", "0%", "80%"]
    zero = next(g.x1 for g in chart.gridlines if g.label == "0")
    hundred = next(g.x1 for g in chart.gridlines if g.label == "100")
    mod = chart.marks[2]
    assert mod.x == zero and abs(mod.width / (hundred - zero) - 0.8) < 0.01
    assert chart.marks[0].y < chart.marks[1].y < mod.y  # lowest score on top
    assert chart.caption == "3 files, lowest score first"
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
    assert len(pages) == 502  # the index, the tests page, a page per file
    assert len(page(index).find_all("tr", "file-row")) == 500
    assert len(page(index).find_all("tbody", "folder")) == 9
    sample = page(index.parent / page_name("src/pkg0/module_0.py"))
    assert len(sample.find_all("details", "mutant")) == 20
    assert len([r for r in sample.find_all("tr") if r.get("id", "").startswith("L")]) == 120
    survivors = sum(1 for m in results["mutants"] if m["status"] == "survived")
    assert page(index).text_by_id["count-survived"] == str(survivors)


def test_a_mutant_says_why_it_was_not_scored_and_a_survivor_whether_it_was_confirmed(
        tmp_path: Path) -> None:
    other = page(write(tmp_path).parent / page_name(OTHER))
    text = (write(tmp_path).parent / page_name(OTHER)).read_text(encoding="utf-8")
    why = "every covering test failed when run unmutated in the worker"
    assert f'<span class="by why">{why}</span>' in text
    assert "1 covering test passed, not confirmed" in text
    survived, no_tests = other.data()["mutants"]
    assert no_tests["detail"] == why and survived["confirmed"] is False


# ---- Plurals, the survivors list, the survivors-only view's folds -------------------------

def lines_source(count: int) -> str:
    return "".join(f"x{n} = a + b\n" for n in range(1, count + 1))


def one_file(mutants: list[dict[str, Any]], lines: int, path: str = MOD) -> dict[str, Any]:
    return {"score": None, "counts": {}, "total": len(mutants), "run": {}, "mutants": mutants}


def test_counts_are_written_with_the_right_plural(tmp_path: Path) -> None:
    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    results = one_file([mutant(1, MOD, 2, "survived", col=6)], 3)
    index = write_html(results, {MOD: lines_source(3)}, [], tmp_path / "one")
    summary = page(index)
    assert "<h2>1 mutant in 1 file</h2>" in index.read_text(encoding="utf-8")
    assert " ".join(summary.text_by_id["files-shown"].split()) == "1 file in 1 folder"
    text = (index.parent / page_name(MOD)).read_text(encoding="utf-8")
    assert "1 survived of 1 mutant<" in text
    assert "<h2>1 survivor</h2>" in text
    assert Page(text).text_by_id["showing"] == "1 of 1 mutant shown"
    assert "1 covering test passed" in text
    tests = (index.parent / "tests.html").read_text(encoding="utf-8")
    assert "1 test cover" in tests and "1 survivor<" in tests


def test_the_survivors_are_listed_on_top_with_links_to_their_lines(tmp_path: Path) -> None:
    mutants = [mutant(1, MOD, 3, "survived", col=6), mutant(2, MOD, 40, "survived", col=6),
               mutant(3, MOD, 40, "killed", col=6), mutant(4, MOD, 40, "survived", col=10,
                                                         operator="operator.compare"),
               mutant(5, MOD, 77, "survived", col=6, confirmed=True)]
    index = write_html(one_file(mutants, 80), {MOD: lines_source(80)}, [], tmp_path / "r")
    text = (index.parent / page_name(MOD)).read_text(encoding="utf-8")
    listing = text[text.index('<ol class="survivor-list">'):text.index("</ol>")]
    links = Page(listing).find_all("a")
    assert [a["href"] for a in links] == ["#L3", "#L40", "#L40", "#L77"]
    assert [a["data-mutant"] for a in links] == ["m0001", "m0002", "m0004", "m0005"]
    items = listing.split("<li>")[1:]
    assert "operator.compare" in items[2] and "<del>a + b</del>" in items[2]
    assert "not confirmed" in items[0] and "not confirmed" not in items[3]
    assert "<h2>4 survivors</h2>" in text
    assert Page(text).text_by_id["survivor-pos"] == "4 survivors"  # next/previous: its counter
    steps = [b["data-step"] for b in Page(text).find_all("button") if "data-step" in b]
    assert steps == ["-1", "1"]


def test_the_survivors_only_view_folds_what_is_far_from_every_survivor(tmp_path: Path) -> None:
    mutants = [
        mutant(1, MOD, 10, "survived", col=6),
        mutant(2, MOD, 20, "survived", col=6),
        mutant(3, MOD, 24, "survived", col=6, end_line=25),  # spans two lines
        mutant(4, MOD, 30, "survived", col=6),
        mutant(5, MOD, 38, "survived", col=6),  # 27..41 near these two, but for line 34
        mutant(6, MOD, 60, "killed", col=6),
    ]
    index = write_html(one_file(mutants, 100), {MOD: lines_source(100)}, [], tmp_path / "r")
    mod = page(index.parent / page_name(MOD))
    folds = mod.find_all("tr", "fold")
    assert [(f["data-first"], f["data-last"]) for f in folds] == [
        ("1", "6"), ("14", "16"), ("42", "100")]
    text = (index.parent / page_name(MOD)).read_text(encoding="utf-8")
    assert ">… 6 lines …</button>" in text and ">… 59 lines …</button>" in text
    classes = {r["id"]: r.get("class", "").split() for r in mod.find_all("tr") if "id" in r}
    far = {int(i[1:]) for i, c in classes.items() if "f" in c}
    expected = set(range(1, 7)) | {14, 15, 16} | set(range(42, 101))
    assert far == expected == far_lines(mutants, 100)
    assert 34 not in far  # a one-line gap is shown: its fold would take a line too
    assert "f" in classes["L60"] and "st-killed" in classes["L60"]
    held = [r for r in mod.find_all("tr", "mutants-row") if r["data-line"] == "60"]
    assert "f" in held[0]["class"].split()  # its mutants fold away with it
    assert CONTEXT == 3 and MIN_FOLD == 2


def test_a_long_file_is_drawn_in_chunks_of_a_hundred_lines(tmp_path: Path) -> None:
    mutants = [mutant(1, MOD, 5, "survived", col=6), mutant(2, MOD, 250, "killed", col=6)]
    index = write_html(one_file(mutants, 350), {MOD: lines_source(350)}, [], tmp_path / "r")
    text = (index.parent / page_name(MOD)).read_text(encoding="utf-8")
    chunks = text.split('<div class="chunk"')[1:]
    assert len(chunks) == 4
    assert [len(re.findall(r'<tr id="L\d+"', c)) for c in chunks] == [100, 100, 100, 50]
    heights = [int(re.match(r' style="--h: (\d+)px"', c).group(1)) for c in chunks]
    assert heights[3] == round(50 * 20.2)
    assert heights[0] > 100 * 20.2 + 190  # the open survivor's details
    assert len(Page(text).find_all("tr", "fold")) == 1  # lines 9..350, over four chunks


# ---- The summary page: folders, labelled bars ---------------------------------------------

def test_files_are_grouped_by_folder_with_each_folder_s_counts(tmp_path: Path) -> None:
    files = {"setup.py": "survived", "src/a/x.py": "killed", "src/a/y.py": "survived",
             "src/b/util.py": "killed", "src/c/util.py": "timeout"}
    mutants = [mutant(n, path, 1, status, col=6)
               for n, (path, status) in enumerate(files.items())]
    mutants.append(mutant(9, "src/a/x.py", 1, "survived", col=6))
    sources = {path: lines_source(2) for path in files}
    written = write_html(one_file(mutants, 2), sources, [], tmp_path / "r")
    index = page(written)
    groups = index.find_all("tbody", "folder")
    assert [g["data-path"] for g in groups] == ["", "src/a", "src/b", "src/c"]
    a = groups[1]
    assert (a["data-total"], a["data-killed"], a["data-survived"]) == ("3", "1", "2")
    assert float(a["data-score"]) == pytest.approx(100 / 3)
    text = index.text_by_id
    assert " ".join(text["files-shown"].split()) == "5 files in 4 folders"
    html = written.read_text(encoding="utf-8")
    for path in files:  # a file is named inside its folder, its path in the tooltip
        assert f'title="{path}">{path.rsplit("/", 1)[-1]}</a>' in html
    rows = index.find_all("tr", "file-row")
    assert [r["data-path"] for r in rows] == list(files)
    assert "(project root)" in "".join(v for k, v in text.items() if k == "files")
    chart = text["file-chart"]
    for label in ("setup.py", "a/x.py", "y.py", "b/util.py", "c/util.py"):
        assert label in chart


def test_short_names_tell_files_apart_by_the_fewest_folders() -> None:
    paths = ["src/a/util.py", "src/b/util.py", "src/a/x.py", "lib/a/util.py", "top.py"]
    assert short_names(paths) == {"src/a/util.py": "src/a/util.py",
                                  "src/b/util.py": "b/util.py", "src/a/x.py": "x.py",
                                  "lib/a/util.py": "lib/a/util.py", "top.py": "top.py"}


def test_the_file_chart_shows_the_lowest_files_when_there_are_many() -> None:
    results = {"mutants": [mutant(n, f"src/m{n:02d}.py", 1, "killed" if n % 3 else "survived")
                           for n in range(30)]
               + [mutant(100 + n, f"src/m{n:02d}.py", 2, "killed") for n in range(30)]}
    files = summarize_files(results)
    chart = file_score_chart(files, {})
    assert len(chart.marks) == MAX_FILE_BARS == 20
    assert chart.caption == "the 20 lowest of 30 scored files"
    assert [m.value for m in chart.marks[:10]] == ["50%"] * 10
    assert chart.height == pytest.approx(10 + 20 * 22 + 26)


# ---- The tests page -----------------------------------------------------------------------

A, B, C, D = (f"tests/test_{n}.py::test_{n}" for n in "abcd")


def ranking_results() -> dict[str, Any]:
    return {"score": None, "counts": {}, "total": 8, "run": {}, "mutants": [
        mutant(1, MOD, 2, "survived", covered_by=[A, B], confirmed=True),
        mutant(2, MOD, 6, "survived", covered_by=[A, C]),
        mutant(3, OTHER, 4, "survived", covered_by=[A], col=5),
        mutant(4, OTHER, 1, "survived", covered_by=[B, D], col=5),
        mutant(5, MOD, 8, "killed", covered_by=[B, C], killed_by=B),
        mutant(6, MOD, 8, "killed", covered_by=[C, D], killed_by=C, killers=[C, D], col=5),
        mutant(7, OTHER, 4, "killed", covered_by=[D], killed_by=D),
        mutant(8, OTHER, 1, "survived", covered_by=[]),
    ]}


def test_tests_are_ranked_by_the_survivors_they_cover() -> None:
    ranked = rank_tests(ranking_results())
    got = [(r.test, [m["id"] for m in r.survivors], r.covered, r.killed) for r in ranked]
    assert got == [
        (A, ["m0001", "m0002", "m0003"], 3, 0),
        (B, ["m0001", "m0004"], 3, 1),  # survivors by file and line
        (C, ["m0002"], 3, 1),  # killed m0006 (with D: there every covering test ran)
        (D, ["m0004"], 3, 2),  # as many survivors as C, but it killed more: it checks more
    ]


def test_the_tests_page_lists_each_test_s_survivors_with_links_to_them(tmp_path: Path) -> None:
    index = write_html(ranking_results(), SOURCES, [], tmp_path / "r")
    tests = page(index.parent / "tests.html")
    ranked = tests.find_all("li", "ranked-test")
    assert [(r["id"], r["data-test"], r["data-survived"]) for r in ranked] == [
        ("t1", A, "3"), ("t2", B, "2"), ("t3", C, "1"), ("t4", D, "1")]
    text = (index.parent / "tests.html").read_text(encoding="utf-8")
    first = text[text.index('id="t1"'):text.index('id="t2"')]
    hrefs = [a["href"] for a in Page(first).find_all("a")]
    assert hrefs == [f"{page_name(MOD)}#m-m0001", f"{page_name(MOD)}#m-m0002",
                     f"{page_name(OTHER)}#m-m0003"]
    assert ">mod.py:2</a>" in first and ">other.py:4</a>" in first
    assert "3 survivors</b> · killed 0 of 3 covered mutants" in first
    assert "not confirmed" in first.split("<li>")[2] and "not confirmed" not in first.split(
        "<li>")[1]
    assert "1 survivor no test covers is not listed" in text
    assert "where all covering tests ran" in text  # m0006 carries its killers
    for href in hrefs:  # every link has its target
        name, anchor = href.split("#")
        assert f'id="{anchor}"' in (index.parent / name).read_text(encoding="utf-8")
    summary = page(index)
    assert [r["data-test"] for r in summary.find_all("tr", "test-row")] == [A, B, C, D]
    assert summary.text_by_id["all-tests"] == "All 4 tests that cover survivors →"


def test_a_test_with_many_survivors_lists_the_first_few_and_the_rest_on_demand(
    tmp_path: Path,
) -> None:
    mutants = [mutant(n, MOD, n, "survived", col=6, covered_by=[A]) for n in range(1, 9)]
    mutants.append(mutant(20, MOD, 20, "survived", col=6, covered_by=[B]))
    index = write_html(one_file(mutants, 20), {MOD: lines_source(20)}, [], tmp_path / "r")
    tests = page(index.parent / "tests.html")
    text = (index.parent / "tests.html").read_text(encoding="utf-8")
    first = text[text.index('id="t1"'):text.index('id="t2"')]
    assert len(Page(first).find_all("a")) == SURVIVORS_PER_TEST == 5
    assert '<button type="button" class="chip more" data-rank="1">3 more</button>' in first
    data = tests.data()
    rest = [data["survivors"][i] for i in data["more"]["1"]]
    assert [s["href"] for s in rest] == [f"{page_name(MOD)}#m-m{n:04d}" for n in (6, 7, 8)]
    assert rest[0]["where"] == "mod.py:6" and rest[0]["original"] == "a + b"
    assert list(data["more"]) == ["1"] and len(data["survivors"]) == 3


# ---- Size: a large file's page -------------------------------------------------------------

def test_a_large_file_s_page_stays_small(tmp_path: Path) -> None:
    """3,000 lines and 1,000 mutants: 2.48 MB when every mutant's diff and tests were markup,
    1.25 MB now (measured; the bound leaves room for small changes, not for per-mutant
    details in the markup again). Times are in the browser test, never asserted."""
    results, sources = big_module()
    (path,) = sources
    index = write_html(results, sources, [], tmp_path / "big")
    text = (index.parent / page_name(path)).read_text(encoding="utf-8")
    size = len(text.encode("utf-8"))
    print(f"\n3,000 lines / 1,000 mutants: file page {size / 1e6:.2f} MB, tests page "
          f"{(index.parent / 'tests.html').stat().st_size / 1e6:.2f} MB")
    assert size < 1_400_000
    parsed = Page(text)
    assert len(parsed.find_all("details", "mutant")) == 1000
    assert len(parsed.find_all("div", "chunk")) == 30
    assert "<pre" not in text and "<dl" not in text
    assert len(parsed.data()["tests"]) <= 150  # each test name written once
    assert (index.parent / "tests.html").stat().st_size < 400_000
