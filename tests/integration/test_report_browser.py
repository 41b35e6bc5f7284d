"""The HTML report in a real browser: headless Chromium loads it from disk and runs its JS.

Chromium's command line cannot click, so the filters and the sorting are driven through the
URL hash (``#status=survived``, ``#sort=-survived``), which the report's JS applies on load,
and the DOM is read back with ``--dump-dom``. Skipped only when Chromium is missing outside CI.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers.html import Page

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
    pressed = [b["data-value"] for b in dom.find_all("button") if b["aria-pressed"] == "true"]
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


def test_screenshots_of_the_summary_and_a_file_page(
    chromium: Path, report: Path, tmp_path: Path
) -> None:
    pages = {"summary": report, "file": report.parent / page_name(WEAK)}
    for name, path in pages.items():
        shot = tmp_path / f"{name}.png"
        run_chromium(chromium, tmp_path / "profile", "--hide-scrollbars",
                     "--window-size=1366,900", f"--screenshot={shot}", path.as_uri())
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 20_000, f"{name} screenshot is nearly empty ({len(data)} bytes)"
