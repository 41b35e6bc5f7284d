"""End to end: the documented nightly flow cannot raise the baseline by luck (issue 15).

On ``fixtures/gate_repo`` with its strong shipping tests (step C: 26 mutants, 19 killed, a full
run scores 73.08%), the installed ``mutgate`` runs what docs/ci.md's nightly job runs:

1. a full run and ``mutgate baseline`` (the committed baseline, measured on every mutant);
2. a lucky night: ``run --sample 10 --seed a`` scores 80.0%, then ``gate`` and ``baseline``;
3. an unlucky night: ``--seed b`` scores 70.0%, then ``gate``, ``baseline`` and
   ``baseline --allow-decrease``;
4. a full run again (every result reused), ``gate``, ``baseline --check``;
5. ``report --html``: the trend chart's line joins the full runs, the samples are points with
   their intervals.

The baseline file stays byte-identical from step 1 on, and every verdict line states the rule
it applied with the numbers it compared.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.commands import ok, sh
from helpers.projects import FIXTURES

pytestmark = pytest.mark.e2e

FIXTURE = FIXTURES / "gate_repo"
BASELINE = "mutgate-baseline.json"


def mutgate(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return sh(project, "mutgate", *args, timeout=420, **env)


def verdict_line(done: subprocess.CompletedProcess) -> str:
    """The gate's verdict line (GitHub annotations may follow it)."""
    return [line for line in done.stdout.splitlines() if line.startswith("gate: ")][-1]


@pytest.fixture(scope="module")
def nightly(tmp_path_factory) -> dict:
    """Every step of the flow once, with each command's output and the baseline after it."""
    project = tmp_path_factory.mktemp("nightly") / "gate_repo"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns(
        ".mutgate", "__pycache__", ".pytest_cache", ".coverage*", "_steps"))
    shutil.copytree(FIXTURE / "_steps" / "C", project, dirs_exist_ok=True)
    seen: dict = {"project": project}

    def step(name: str, *args: str, **env: str) -> None:
        seen[name] = mutgate(project, *args, **env)
        path = project / BASELINE
        seen[f"{name}.baseline"] = path.read_bytes() if path.exists() else None

    step("full.run", "run", "-j", "2")
    step("full.baseline", "baseline")
    for night, seed in (("lucky", "a"), ("unlucky", "b")):
        step(f"{night}.run", "run", "-j", "2", "--sample", "10", "--seed", seed)
        seen[f"{night}.results"] = json.loads(ok(mutgate(project, "results", "--json")).stdout)
        summary = project.parent / f"{night}-summary.md"
        step(f"{night}.gate", "gate", GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
        seen[f"{night}.summary"] = summary.read_text(encoding="utf-8")
        step(f"{night}.baseline", "baseline")
    step("unlucky.allow", "baseline", "--allow-decrease")
    step("again.run", "run", "-j", "2")
    step("again.gate", "gate")
    step("again.check", "baseline", "--check")
    step("report", "report", "--html", str(project.parent / "report"))
    seen["report.html"] = (project.parent / "report" / "index.html").read_text(encoding="utf-8")
    return seen


def test_the_full_run_makes_a_baseline_measured_on_every_mutant(nightly):
    ok(nightly["full.run"])
    assert ok(nightly["full.baseline"]).stdout == (
        f"{BASELINE}: baseline created: score 73.08%, 7 known survivors in 2 files\n")
    overall = json.loads(nightly["full.baseline.baseline"])["overall"]
    assert overall["score"] == 73.08
    assert overall["ci95"] is None
    assert overall["measured"] == {"run": "full", "mutants": 26}


def test_a_lucky_sample_passes_the_gate_and_never_raises_the_baseline(nightly):
    sample = nightly["lucky.results"]
    assert sample["run"]["sampled"] is True and sample["score"] == 80.0 > 73.08  # lucky
    low, high = sample["run"]["ci95"]
    gate = ok(nightly["lucky.gate"])
    assert verdict_line(gate) == (
        f"gate: passed — sampled: upper bound {high:.1f}% ≥ baseline 73.1% − 1.0 (score 80.0%, "
        f"95% CI {low:.1f}-{high:.1f} from 10 scored mutants)")
    baseline = ok(nightly["lucky.baseline"])
    assert baseline.stdout.startswith(
        f"{BASELINE}: baseline score kept at 73.08%, measured on a full run: a sample never "
        f"raises it (this one's 80.00% has a 95% interval [{low:.2f}%, {high:.2f}%]; a full "
        "run can)")
    assert nightly["lucky.baseline.baseline"] == nightly["full.baseline.baseline"]


def test_an_unlucky_sample_passes_the_gate_and_never_lowers_the_baseline(nightly):
    sample = nightly["unlucky.results"]
    assert sample["score"] == 70.0 < 73.08  # unlucky, but not a confident drop
    low, high = sample["run"]["ci95"]
    assert high >= 73.08
    gate = ok(nightly["unlucky.gate"])
    assert verdict_line(gate) == (
        f"gate: passed — sampled: upper bound {high:.1f}% ≥ baseline 73.1% − 1.0 (score 70.0%, "
        f"95% CI {low:.1f}-{high:.1f} from 10 scored mutants)")
    kept = (f"{BASELINE}: baseline score kept at 73.08% (the sample's 70.00% has a 95% "
            f"interval [{low:.2f}%, {high:.2f}%] that contains it)")
    assert ok(nightly["unlucky.baseline"]).stdout.startswith(kept)
    # --allow-decrease accepts a drop the sample shows with confidence, not sampling noise.
    assert ok(nightly["unlucky.allow"]).stdout.startswith(kept)
    for step in ("unlucky.baseline", "unlucky.allow"):
        assert nightly[f"{step}.baseline"] == nightly["full.baseline.baseline"], step


def test_the_step_summary_carries_the_verdict_line_with_its_rule(nightly):
    for night in ("lucky", "unlucky"):
        line = verdict_line(nightly[f"{night}.gate"])
        assert "sampled: upper bound " in line
        bold = [row for row in nightly[f"{night}.summary"].splitlines() if row.startswith("**")]
        assert bold and "sampled: upper bound" in bold[-1], nightly[f"{night}.summary"]


def test_a_full_run_after_the_samples_is_judged_on_the_full_baseline(nightly):
    assert "26 results reused, 0 to run" in ok(nightly["again.run"]).stderr
    assert verdict_line(ok(nightly["again.gate"])) == (
        "gate: passed — full: score 73.1% ≥ baseline 73.1% − 1.0")
    assert ok(nightly["again.check"]).stdout == f"{BASELINE} is up to date\n"


def test_the_trend_chart_draws_samples_as_points_with_their_interval(nightly):
    ok(nightly["report"])
    html = nightly["report.html"]
    chart = html[html.index('id="trend-chart"'):]
    chart = chart[:chart.index("</svg>")]
    polylines = re.findall(r'<polyline class="trend" points="([^"]+)"', chart)
    sizes = sorted(len(points.split()) for points in polylines)
    assert sizes == [2, 6, 6]  # the line through the two full runs; two capped intervals
    titles = re.findall(r"<title>([^<]+)</title>", chart)
    assert sum("full run: 73.1%" in t for t in titles) == 2
    assert sum("sampled: 80.0% (95% CI " in t for t in titles) == 1
    assert sum("sampled: 70.0% (95% CI " in t for t in titles) == 1
