"""The HTML report in a real browser: headless Chromium loads it from disk and runs its JS.

Filters and sorting are driven through the URL hash (``#status=survived``, ``#sort=-survived``),
which the report's JS applies on load, and the DOM is read back with ``--dump-dom``. Keys,
clicks and what is on screen go through the DevTools protocol (``helpers/chromium.py``): the
survivors-only view and next/previous survivor, details drawn when a mutant is opened, the
tests page of a real run checked against its database, and a large file's page. Skipped only
when Chromium is missing outside CI.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.chromium import Browser
from helpers.commands import ok, sh
from helpers.html import Page
from helpers.projects import copy_fixture
from helpers.report_data import big_module

from mutgate.report.html import page_name, write_html

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
PWN = "document.documentElement.setAttribute('data-pwned', '{}')"
EVIL_SCRIPT = f"</script><script>{PWN.format('script')}</script>"
EVIL_IMG = f'<img src=x onerror="{PWN.format("img")}">'

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run scripts/install-test-deps as root"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def run_chromium(binary: Path, profile: Path, *args: str) -> str:
    command = [
        str(binary), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dump_dom(binary: Path, tmp_path: Path, url: str) -> Page:
    text = run_chromium(binary, tmp_path / "profile", "--dump-dom", url)
    assert "</html>" in text
    return Page(text)


def mutant(n: int, file: str, line: int, status: str, operator: str, **fields: Any) -> dict:
    base = {
        "id": f"m{n:03d}", "file": file, "line": line, "col": 12, "end_line": line,
        "end_col": 17, "operator": operator, "original": "a + b", "replacement": "a - b",
        "qualname": "f", "status": status,
        "killed_by": "tests/test_a.py::test_a" if status in ("killed", "timeout") else None,
        "covered_by": ["tests/test_a.py::test_a", f"tests/test_a.py::test_b[{EVIL_SCRIPT}]"],
        "tests_run": 2, "duration_ms": 4.0,
    }
    base.update(fields)
    return base


WEAK, STRONG, ODD = "src/app/weak.py", "src/app/strong.py", "src/app/odd.py"
SOURCE = "def f(a, b):\n    return a + b\n\n\ndef g(a, b):\n    return a + b\n"
SOURCES = {
    WEAK: SOURCE,
    STRONG: SOURCE,
    ODD: f"X = '{EVIL_SCRIPT}'\nY = '{EVIL_IMG}'\n" + SOURCE,
}
MUTANTS = [
    mutant(1, WEAK, 2, "survived", "operator.arith"),
    mutant(2, WEAK, 2, "killed", "operator.compare"),
    mutant(3, WEAK, 6, "survived", "operator.compare"),
    mutant(4, WEAK, 6, "timeout", "operator.arith"),
    mutant(5, WEAK, 6, "survived", "operator.arith", qualname=EVIL_IMG),
    mutant(6, STRONG, 2, "killed", "operator.arith"),
    mutant(7, STRONG, 6, "killed", "operator.arith"),
    mutant(8, ODD, 1, "survived", "return.empty", col=5, original=f"'{EVIL_SCRIPT}'",
           replacement="''"),
    mutant(9, ODD, 4, "killed", "operator.arith", killed_by=f"tests/t.py::t[{EVIL_IMG}]"),
]
SURVIVORS = sum(1 for m in MUTANTS if m["status"] == "survived")
DETECTED = sum(1 for m in MUTANTS if m["status"] in ("killed", "timeout"))
SCORE = 100.0 * DETECTED / (DETECTED + SURVIVORS)
RESULTS = {
    "score": SCORE,
    "counts": {"killed": 4, "survived": 4, "timeout": 1, "error": 0, "skipped": 0, "no-tests": 0},
    "total": len(MUTANTS),
    "run": {"id": 5, "started_at": "2026-11-21T19:40:00+00:00", "wall_s": 3.0, "jobs": 2},
    "mutants": MUTANTS,
}
HISTORY = [
    {"run_id": run, "started_at": f"2026-11-{run + 10}T08:00:00+00:00", "score": score}
    for run, score in ((1, 38.0), (2, 45.5), (3, 41.0), (4, 52.0))
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_html(RESULTS, SOURCES, HISTORY, tmp_path_factory.mktemp("report") / "html")


def test_summary_shows_the_score_and_survivors_of_the_data(
    chromium: Path, report: Path, tmp_path: Path
) -> None:
    dom = dump_dom(chromium, tmp_path, report.as_uri())
    assert dom.text_by_id["total-score"].strip() == f"{SCORE:.1f}%"
    assert dom.text_by_id["count-survived"] == str(SURVIVORS)
    assert len(dom.find_all("tr", "file-row")) == 3
    assert not [attrs for tag, attrs in dom.elements if "data-pwned" in attrs]


def test_a_status_filter_in_the_hash_shows_survivors_only(
    chromium: Path, report: Path, tmp_path: Path
) -> None:
    url = (report.parent / page_name(WEAK)).as_uri() + "#status=survived"
    dom = dump_dom(chromium, tmp_path, url)
    cards = dom.find_all("details", "mutant")
    assert len(cards) == 5
    visible = [c for c in cards if "is-filtered" not in c["class"].split()]
    assert [c["data-status"] for c in visible] == ["survived"] * 3
    assert dom.text_by_id["showing"] == "3 of 5 mutants shown"
    pressed = [b["data-value"] for b in dom.find_all("button") if b.get("aria-pressed") == "true"]
    assert pressed == ["survived", ""]  # status: survived; operator: all
    assert not [attrs for tag, attrs in dom.elements if "data-pwned" in attrs]


def test_status_and_operator_filters_combine(
    chromium: Path, report: Path, tmp_path: Path
) -> None:
    url = (report.parent / page_name(WEAK)).as_uri()
    dom = dump_dom(chromium, tmp_path, url + "#status=survived,timeout&operator=operator.arith")
    visible = [
        c for c in dom.find_all("details", "mutant") if "is-filtered" not in c["class"].split()
    ]
    assert sorted(c["id"] for c in visible) == ["m-m001", "m-m004", "m-m005"]
    rows = dom.find_all("tr", "mutants-row")
    assert all("is-filtered" not in r["class"].split() for r in rows)  # each line keeps one


def test_sorting_the_file_table_by_survivors(
    chromium: Path, report: Path, tmp_path: Path
) -> None:
    dom = dump_dom(chromium, tmp_path, report.as_uri() + "#sort=-survived")
    assert [r["data-path"] for r in dom.find_all("tr", "file-row")] == [WEAK, ODD, STRONG]
    sorted_by = [th["data-sort"] for th in dom.find_all("th") if th.get("aria-sort")]
    assert sorted_by == ["survived"]
    dom = dump_dom(chromium, tmp_path, report.as_uri() + "#sort=score")  # 40%, 50%, 100%
    assert [r["data-path"] for r in dom.find_all("tr", "file-row")] == [WEAK, ODD, STRONG]
    dom = dump_dom(chromium, tmp_path, report.as_uri() + "#sort=-score")
    assert [r["data-path"] for r in dom.find_all("tr", "file-row")] == [STRONG, ODD, WEAK]


def test_injected_markup_in_sources_and_test_names_does_not_run(
    chromium: Path, report: Path, tmp_path: Path
) -> None:
    dom = dump_dom(chromium, tmp_path, (report.parent / page_name(ODD)).as_uri())
    assert not [attrs for tag, attrs in dom.elements if "data-pwned" in attrs]
    assert not dom.find_all("img")
    assert len(dom.find_all("details", "mutant")) == 2


def test_screenshots_of_the_summary_a_file_page_and_the_tests_page(
    chromium: Path, report: Path, tmp_path: Path
) -> None:
    pages = {"summary": report, "file": report.parent / page_name(WEAK),
             "tests": report.parent / "tests.html"}
    for name, path in pages.items():
        shot = tmp_path / f"{name}.png"
        run_chromium(chromium, tmp_path / "profile", "--hide-scrollbars",
                     "--window-size=1366,900", f"--screenshot={shot}", path.as_uri())
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 20_000, f"{name} screenshot is nearly empty ({len(data)} bytes)"


# ---- Driven like a person: keys, clicks, what is on screen ---------------------------------

@pytest.fixture
def browser(chromium: Path, tmp_path: Path) -> Iterator[Browser]:
    with Browser(tmp_path / "profile", width=1366, height=900, binary=chromium) as opened:
        yield opened
        assert opened.errors() == []


LONG = "src/app/long.py"
LONG_SURVIVORS = (20, 95, 96, 180)


@pytest.fixture(scope="module")
def long_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 240-line file: survivors on lines 20, 95, 96 and 180, killed mutants between."""
    source = "".join(f"v{n} = a + b\n" for n in range(1, 241))
    found = [mutant(n, LONG, line, "survived", "operator.arith", col=6)
             for n, line in enumerate(LONG_SURVIVORS, start=1)]
    found += [mutant(10 + n, LONG, line, "killed", op, col=6)
              for n, (line, op) in enumerate([(5, "operator.arith"), (60, "operator.compare"),
                                               (95, "operator.compare"), (200, "return.none")])]
    results = {"score": 50.0, "counts": {}, "total": len(found), "run": {}, "mutants": found}
    out = tmp_path_factory.mktemp("long") / "html"
    return write_html(results, {LONG: source}, [], out).parent / page_name(LONG)


CURRENT = """(function () {
  var row = document.querySelector("tr.is-current"), card = document.querySelector(
    "details.mutant.is-current");
  if (!row) { return null; }
  var box = row.getBoundingClientRect(), bar = document.querySelector("[data-filters]");
  return {line: row.id, card: card && card.id, open: !!(card && card.open),
          body: !!(card && card.querySelector(".mutant-body .diff")),
          visible: box.top >= bar.getBoundingClientRect().bottom && box.bottom <= innerHeight,
          position: document.getElementById("survivor-pos").textContent};
})()"""

SHOWN_LINES = """Array.from(document.querySelectorAll(".src tr[id]")).filter(function (r) {
  return r.getBoundingClientRect().height > 0; }).map(function (r) { return +r.id.slice(1); })"""


def near(lines: tuple[int, ...], last: int, context: int = 3) -> list[int]:
    return sorted({n for line in lines for n in range(line - context, line + context + 1)
                   if 1 <= n <= last})


def test_the_survivors_only_view_folds_the_source_and_n_and_p_step_through_survivors(
    browser: Browser, long_report: Path
) -> None:
    browser.open(long_report.as_uri() + "#status=survived")
    assert browser.js("document.body.classList.contains('survivors-view')")
    assert browser.js(SHOWN_LINES) == near(LONG_SURVIVORS, 240)
    folds = browser.js("Array.from(document.querySelectorAll('tr.fold')).filter(function (f) {"
                       " return f.getBoundingClientRect().height > 0; }).map(function (f) {"
                       " return f.textContent.trim(); })")
    assert folds == ["… 16 lines …", "… 68 lines …", "… 77 lines …", "… 57 lines …"]

    assert browser.js(CURRENT) is None
    browser.press("n")
    assert browser.js(CURRENT) == {"line": "L20", "card": "m-m001", "open": True, "body": True,
                                   "visible": True, "position": "survivor 1 of 4"}
    browser.press("n")
    browser.press("n")
    assert browser.js(CURRENT)["line"] == "L96"
    browser.click("[data-survivor-nav] button[data-step='1']")
    assert browser.js(CURRENT) == {"line": "L180", "card": "m-m004", "open": True,
                                   "body": True, "visible": True, "position": "survivor 4 of 4"}
    browser.press("n")  # the last one stays chosen
    assert browser.js(CURRENT)["line"] == "L180"
    browser.press("p")
    browser.click("[data-survivor-nav] button[data-step='-1']")
    assert browser.js(CURRENT)["position"] == "survivor 2 of 4"

    browser.click("tr.fold[data-first='24'] button")  # unfold lines 24..94
    shown = browser.js(SHOWN_LINES)
    assert set(range(24, 95)) <= set(shown) and 5 not in shown and 200 not in shown
    browser.js("document.querySelector(\"[data-value='']\").click()")  # status: all
    assert not browser.js("document.body.classList.contains('survivors-view')")
    assert browser.js(SHOWN_LINES) == list(range(1, 241))


def test_counts_follow_the_other_filter_and_a_link_to_a_line_selects_its_survivor(
    browser: Browser, long_report: Path
) -> None:
    browser.open(long_report.as_uri() + "#status=survived")
    chips = ("Array.from(document.querySelectorAll('[data-group=%s] button')).map(function (b)"
             " { return [b.dataset.value, +b.querySelector('.n').textContent]; })")
    assert browser.js(chips % "operator") == [
        ["", 4], ["operator.arith", 4], ["operator.compare", 0], ["return.none", 0]]
    assert browser.js(chips % "status") == [["", 8], ["survived", 4], ["killed", 4]]
    browser.open(long_report.as_uri() + "#operator=operator.compare")
    assert browser.js(chips % "status") == [["", 2], ["survived", 0], ["killed", 2]]
    assert browser.js(chips % "operator")[2] == ["operator.compare", 2]

    browser.open(long_report.as_uri())
    browser.click("#survivors a[href='#L96']")
    assert browser.js(CURRENT) == {"line": "L96", "card": "m-m003", "open": True, "body": True,
                                   "visible": True, "position": "survivor 3 of 4"}
    browser.press("p")
    assert browser.js(CURRENT)["card"] == "m-m002"  # the other survivor of line 95


def test_a_mutant_s_details_are_drawn_from_the_page_s_data_when_it_is_opened(
    browser: Browser, report: Path
) -> None:
    browser.open((report.parent / page_name(WEAK)).as_uri())
    card = "document.getElementById('m-m002')"
    assert browser.js(f"{card}.open") is False
    assert browser.js(f"{card}.querySelector('.mutant-body')") is None
    browser.click("#m-m002 > summary")
    body = browser.js(f"{card}.querySelector('.mutant-body').innerText")
    assert "-    return a + b" in body and "+    return a - b" in body
    assert "Killed by\ntests/test_a.py::test_a" in body
    assert f"tests/test_a.py::test_b[{EVIL_SCRIPT}]" in body  # as text, never run
    assert browser.js("document.documentElement.getAttribute('data-pwned')") is None
    survivor = browser.js("document.getElementById('m-m001').querySelector('.mutant-body')"
                          ".innerText")
    assert "Confirmed\nno: only the tests that ran its lines were run" in survivor


# ---- The tests page of a real run, against its database -------------------------------------

@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fixtures/demo, run by the mutgate command, its HTML report written by it too."""
    project = copy_fixture("demo", tmp_path_factory.mktemp("demo") / "demo")
    ok(sh(project, "mutgate", "run", "-j", "2", timeout=600))
    ok(sh(project, "mutgate", "report", "--html", "report"))
    return project


def ranking_in_database(database: Path) -> list[tuple[str, list[str]]]:
    """From the latest run's rows: each test that covers survivors with their ids, the one
    with the most first; ties go to the test that killed fewer mutants, then by name."""
    db = sqlite3.connect(database)
    try:
        rows = db.execute("SELECT spec, status, killed_by, killers FROM mutants"
                          " WHERE run_id = (SELECT max(id) FROM runs)"
                          " ORDER BY file, line, json_extract(spec, '$.col'),"
                          " operator, id").fetchall()
    finally:
        db.close()
    survivors: dict[str, list[str]] = {}
    killed: dict[str, int] = {}
    for spec, status, killed_by, killers in rows:
        mutant_spec = json.loads(spec)
        if status == "survived":
            for test in mutant_spec["covered_by"]:
                survivors.setdefault(test, []).append(mutant_spec["id"])
        elif status in ("killed", "timeout"):
            for test in json.loads(killers) if killers else [killed_by]:
                killed[test] = killed.get(test, 0) + 1
    order = sorted(survivors, key=lambda t: (-len(survivors[t]), killed.get(t, 0), t))
    return [(test, survivors[test]) for test in order]


def test_the_tests_page_ranks_a_real_run_s_tests_as_its_database_does(
    browser: Browser, demo_run: Path
) -> None:
    expected = ranking_in_database(demo_run / ".mutgate" / "results.sqlite")
    assert len(expected) >= 2 and len(expected[0][1]) > len(expected[-1][1])
    browser.open((demo_run / "report" / "tests.html").as_uri())
    browser.js("document.querySelectorAll('button.more').forEach(function (b) { b.click(); })")
    shown = browser.js("""Array.from(document.querySelectorAll("li.ranked-test")).map(
      function (li) { return [li.dataset.test, Array.from(li.querySelectorAll(
        ".survivor-list a")).map(function (a) { return a.getAttribute("href").split("#m-")[1]; })];
      })""")
    assert [tuple(item) for item in shown] == expected
    first = browser.js("document.querySelector('li.ranked-test .survivor-list a').href")
    browser.open(first)  # the link lands on the survivor, chosen and open
    target = first.split("#")[1]
    state = browser.js(CURRENT)
    assert state["card"] == target and state["open"] and state["body"] and state["visible"]


# ---- A large file ------------------------------------------------------------------------------

PAINT = """new Promise(function (done) { requestAnimationFrame(function () {
 setTimeout(function () {
  var paint = performance.getEntriesByName("first-contentful-paint")[0];
  var nav = performance.getEntriesByType("navigation")[0];
  done({paint: paint ? paint.startTime : null, loaded: nav.domContentLoadedEventEnd}); }, 50);
}); })"""


def test_a_large_file_s_page_opens_and_n_reaches_a_survivor_far_down(
    browser: Browser, tmp_path: Path
) -> None:
    """The 3,000-line, 1,000-mutant page of the size test. Times are printed, never asserted
    (a shared machine's load decides them): first contentful paint and DOMContentLoaded."""
    results, sources = big_module()
    (path,) = sources
    page = write_html(results, sources, [], tmp_path / "big").parent / page_name(path)
    times = []
    for _ in range(3):
        browser.open("about:blank")
        browser.open(page.as_uri())
        times.append(browser.js(PAINT))
    print(f"\n3,000 lines / 1,000 mutants ({page.stat().st_size / 1e6:.2f} MB): first paint "
          f"{statistics.median(t['paint'] for t in times):.0f} ms, DOMContentLoaded "
          f"{statistics.median(t['loaded'] for t in times):.0f} ms (median of 3)")
    last = max(m["line"] for m in results["mutants"] if m["status"] == "survived")
    browser.click(f"#survivors a[href='#L{last}']")
    state = browser.js(CURRENT)
    assert state["line"] == f"L{last}" and state["visible"] and state["body"]
    browser.press("p")
    assert browser.js(CURRENT)["visible"]


def test_the_file_table_sorts_folders_and_their_files_and_counts_what_a_search_shows(
    browser: Browser, tmp_path: Path
) -> None:
    plan = {"src/a/one.py": ["survived", "killed"], "src/a/two.py": ["survived"] * 3,
            "src/b/three.py": ["survived"] * 2 + ["killed"], "src/b/four.py": ["killed"]}
    found = [mutant(10 * f + n, path, 2, status, "operator.arith")
             for f, (path, statuses) in enumerate(plan.items())
             for n, status in enumerate(statuses)]
    results = {"score": None, "counts": {}, "total": len(found), "run": {}, "mutants": found}
    index = write_html(results, dict.fromkeys(plan, SOURCE), [], tmp_path / "html")
    order = ("Array.from(document.querySelectorAll('tr.file-row')).map(function (r) {"
             " return r.dataset.path; })")
    browser.open(index.as_uri() + "#sort=-survived")  # folders by their survivors: a 4, b 2
    assert browser.js(order) == ["src/a/two.py", "src/a/one.py", "src/b/three.py",
                                 "src/b/four.py"]
    browser.open(index.as_uri() + "#sort=score")  # a (20%) before b (50%); 0% before 50%
    assert browser.js(order) == ["src/a/two.py", "src/a/one.py", "src/b/three.py",
                                 "src/b/four.py"]
    browser.open(index.as_uri() + "#sort=-score")
    assert browser.js(order) == ["src/b/four.py", "src/b/three.py", "src/a/one.py",
                                 "src/a/two.py"]
    browser.type("#file-search", "t")  # two.py, three.py
    shown = ("Array.from(document.querySelectorAll('tr.file-row')).filter(function (r) {"
             " return r.getBoundingClientRect().height > 0; }).map(function (r) {"
             " return r.dataset.path; })")
    assert browser.js(shown) == ["src/b/three.py", "src/a/two.py"]
    assert browser.js("document.getElementById('files-shown').textContent") == (
        "2 of 4 files, 5 survived")
    browser.click("tbody.folder[data-path='src/b'] .folder-toggle")
    assert browser.js(shown) == ["src/a/two.py"]
