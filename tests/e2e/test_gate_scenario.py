"""End to end: the merge gate catches coverage without assertions (issue 4).

On a git repo built in a temp dir from ``fixtures/gate_repo`` (the starting project; its later
states are files under ``_steps/`` copied over it):

- A: baseline committed, ``mutgate gate`` passes;
- B: a test calls uncovered code and asserts nothing: line coverage (coverage.py) rises, the
  gate fails and names the new survivors (file:line) and that test as assertion-free;
- C: the test gets real assertions: the gate passes, ``mutgate baseline`` ratchets up;
- weakening an existing test: ``mutgate baseline`` refuses (exit 1) unless ``--allow-decrease``;
  ``baseline --check`` says current (0) or stale (1); a run with other operators: exit 2.

Then the same on a real project from PyPI (inflection 0.5.1, its own pytest suite): stripping
every assertion keeps line coverage identical and fails the gate.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from helpers.commands import commit, ok, sh
from helpers.projects import FIXTURES

pytestmark = pytest.mark.e2e

FIXTURE = FIXTURES / "gate_repo"
#: How the gate heads its list of assertion-free tests after a full (not a --diff) run.
WITNESS_HEADER = ("tests that passed with every surviving mutant they cover in place and "
                  "killed no mutant of this run")
BASELINE = "mutgate-baseline.json"
SHIPPING = "src/gatepkg/shipping.py"
PRICING = "src/gatepkg/pricing.py"
LAZY_TEST = "tests/test_shipping.py::test_shipping_runs"
# Every mutant of shipping.py (CONTRACT.md's operator table): all survive an assertion-free test.
SHIPPING_SURVIVORS = sorted([
    (f"{SHIPPING}:5", "operator.arith", "+ -> -"),
    (f"{SHIPPING}:5", "operator.arith", "* -> /"),
    (f"{SHIPPING}:7", "return.empty", "base * 2 -> 0"),
    (f"{SHIPPING}:7", "operator.arith", "* -> /"),
    (f"{SHIPPING}:8", "return.empty", "base -> 0"),
    (f"{SHIPPING}:12", "return.bool", "weight_kg > 20 -> not (weight_kg > 20)"),
    (f"{SHIPPING}:12", "operator.compare", "> -> !="),
    (f"{SHIPPING}:12", "boundary.relational", "> -> >="),
    (f"{SHIPPING}:12", "boundary.constant", "20 -> 19"),
    (f"{SHIPPING}:12", "boundary.constant", "20 -> 21"),
])
# The starting project's survivors: untested boundaries of bulk_discount, and `//` -> `/`.
KNOWN_SURVIVOR_LINES = sorted([f"{PRICING}:10"] * 3 + [f"{PRICING}:12"] * 3 + [f"{PRICING}:18"])


# -- helpers ------------------------------------------------------------------------------------


def mutgate(project: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return sh(project, "mutgate", *args, timeout=timeout)


def new_repo(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(
        ".mutgate", "__pycache__", ".pytest_cache", ".coverage*"))
    ok(sh(target, "git", "init", "-q"))
    commit(target, "import")
    return target


def apply_step(project: Path, step: str) -> None:
    shutil.copytree(FIXTURE / "_steps" / step, project, dirs_exist_ok=True)


def results(project: Path) -> dict:
    return json.loads(ok(mutgate(project, "results", "--json")).stdout)


def coverage_of(project: Path, source: str) -> dict:
    """coverage.py's own measurement of the project's suite: total % and lines run per file."""
    data = project.parent / f"{project.name}.coverage"
    env = {"COVERAGE_FILE": str(data)}
    ok(sh(project, sys.executable, "-m", "coverage", "run", f"--source={source}", "-m", "pytest",
          "-q", "-p", "no:cacheprovider", **env))
    total = float(ok(sh(project, sys.executable, "-m", "coverage", "report", "--format=total",
                        "--precision=2", **env)).stdout)
    report = project.parent / f"{project.name}.coverage.json"
    ok(sh(project, sys.executable, "-m", "coverage", "json", "-o", str(report), **env))
    lines = {f: d["executed_lines"] for f, d in json.loads(report.read_text())["files"].items()}
    data.unlink()
    return {"total": total, "lines": lines}


def block(output: str, header: str) -> list[str]:
    """The lines under the gate output's section whose first line starts with ``header``."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    end = next(i for i in range(start + 1, len(lines) + 1) if i == len(lines) or not lines[i])
    return lines[start + 1 : end]


def survivor_rows(output: str) -> list[tuple[str, str, str]]:
    rows = []
    for line in block(output, "new surviving mutants ("):
        match = re.fullmatch(r"  (\S+:\d+) +(\S+) +(.+)", line)
        if match and not line.strip().startswith("covered by:"):
            rows.append(match.groups())
    return sorted(rows)


# -- the fixture scenario -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> dict:
    """Runs A -> B -> C -> weakening -> other operators once; records every command's output."""
    repo = new_repo(FIXTURE, tmp_path_factory.mktemp("gate") / "gate_repo")
    seen: dict = {"repo": repo}
    # A: the starting project and its committed baseline.
    seen["A.coverage"] = coverage_of(repo, "src")
    seen["A.run"] = mutgate(repo, "run", "-j", "2")
    seen["A.results"] = results(repo)
    seen["A.baseline"] = mutgate(repo, "baseline")
    seen["A.check"] = mutgate(repo, "baseline", "--check")
    commit(repo, "A: baseline")
    seen["A.baseline.json"] = json.loads((repo / BASELINE).read_text())
    seen["A.gate"] = mutgate(repo, "gate")
    # B: a test that runs shipping.py and asserts nothing.
    apply_step(repo, "B")
    commit(repo, "B: test shipping (no assertions)")
    seen["B.coverage"] = coverage_of(repo, "src")
    seen["B.run"] = mutgate(repo, "run", "-j", "2")
    seen["B.results"] = results(repo)
    seen["B.gate"] = mutgate(repo, "gate")
    seen["B.check"] = mutgate(repo, "baseline", "--check")
    # C: the same test with real assertions, and a boundary test.
    apply_step(repo, "C")
    commit(repo, "C: assert what shipping returns")
    seen["C.run"] = mutgate(repo, "run", "-j", "2")
    seen["C.gate"] = mutgate(repo, "gate")
    seen["C.baseline"] = mutgate(repo, "baseline")
    seen["C.check"] = mutgate(repo, "baseline", "--check")
    commit(repo, "C: ratchet the baseline")
    # A deliberate weakening: test_line_total loses its assertion.
    apply_step(repo, "weaken")
    seen["W.run"] = mutgate(repo, "run", "-j", "2")
    seen["W.check"] = mutgate(repo, "baseline", "--check")
    before = (repo / BASELINE).read_bytes()
    seen["W.baseline"] = mutgate(repo, "baseline")
    seen["W.baseline.unchanged"] = (repo / BASELINE).read_bytes() == before
    seen["W.allow"] = mutgate(repo, "baseline", "--allow-decrease")
    seen["W.check.after"] = mutgate(repo, "baseline", "--check")
    # A run measured with other operators than the baseline.
    seen["O.run"] = mutgate(repo, "run", "-j", "2", "--operators", "operator")
    seen["O.gate"] = mutgate(repo, "gate")
    return seen


def test_a_baseline_is_committed_and_the_gate_passes(scenario):
    ok(scenario["A.run"])
    counts = scenario["A.results"]["counts"]
    assert (counts["killed"], counts["survived"]) == (9, 7)
    assert ok(scenario["A.baseline"]).stdout == (
        f"{BASELINE}: baseline created: score 56.25%, 7 known survivors in 1 file\n")
    assert ok(scenario["A.check"]).stdout == f"{BASELINE} is up to date\n"
    data = scenario["A.baseline.json"]
    survived = {m["id"] for m in scenario["A.results"]["mutants"] if m["status"] == "survived"}
    assert set(data["survivors"]) == survived
    assert sorted(f"{s['file']}:{s['line']}" for s in data["survivors"].values()) == \
        KNOWN_SURVIVOR_LINES
    assert list(data["files"]) == [PRICING]  # shipping.py is not covered yet: no mutant
    gate = ok(scenario["A.gate"])
    assert gate.stdout.splitlines()[-1] == (
        "gate: passed — full: score 56.2% ≥ baseline 56.2% − 1.0")
    assert "new surviving mutants" not in gate.stdout


def test_b_assertion_free_test_raises_coverage_but_fails_the_gate(scenario):
    before, after = scenario["A.coverage"], scenario["B.coverage"]
    print(f"line coverage: A {before['total']}% -> B {after['total']}%")
    assert after["total"] > before["total"]
    assert not before["lines"].get(SHIPPING) and after["lines"][SHIPPING]
    ok(scenario["B.run"])
    counts = scenario["B.results"]["counts"]
    assert (counts["killed"], counts["survived"]) == (9, 17)
    gate = scenario["B.gate"]
    assert gate.returncode == 1, gate.stdout + gate.stderr
    out = gate.stdout
    assert "new surviving mutants (10):" in out
    assert survivor_rows(out) == SHIPPING_SURVIVORS
    covered = [line.strip() for line in block(out, "new surviving mutants (")
               if "covered by:" in line]
    assert covered == [f"covered by: {LAZY_TEST}"] * 10
    assert block(out, f"{WITNESS_HEADER} (1):") == [
        f"  {LAZY_TEST}  covers 10 mutant(s), 10 survived, in {SHIPPING}"]
    assert "- overall score 34.6% is 21.6 points below baseline 56.2% (tolerance 1.0)" in out
    assert "- 10 new surviving mutant(s) that the baseline does not know" in out
    assert out.splitlines()[-1] == ("gate: FAILED — full: score 34.6% < baseline 56.2% − 1.0; "
                                    "and 10 new surviving mutants")
    # The stale baseline is reported as such.
    check = scenario["B.check"]
    assert check.returncode == 1, check.stdout
    assert check.stdout.splitlines()[:3] == [
        f"{BASELINE} is stale:", "  - overall score changed: 56.25% -> 34.62%",
        f"  - 1 file new: {SHIPPING}"]


def test_c_real_assertions_pass_the_gate_and_ratchet_the_baseline(scenario):
    ok(scenario["C.run"])
    assert "26 mutants on covered lines, 16 results reused, 10 to run" in scenario["C.run"].stderr
    gate = ok(scenario["C.gate"])
    assert "new surviving mutants" not in gate.stdout
    assert "killed none" not in gate.stdout
    assert gate.stdout.splitlines()[-1] == (
        "gate: passed — full: score 73.1% ≥ baseline 56.2% − 1.0")
    assert ok(scenario["C.baseline"]).stdout == (
        f"{BASELINE}: baseline score raised from 56.25% to 73.08%; "
        "7 known survivors (0 killed or gone, 0 new)\n")
    assert ok(scenario["C.check"]).stdout == f"{BASELINE} is up to date\n"


def test_weakening_needs_allow_decrease(scenario):
    ok(scenario["W.run"])
    check = scenario["W.check"]
    assert check.returncode == 1
    assert check.stdout.splitlines()[:2] == [
        f"{BASELINE} is stale:", "  - overall score changed: 73.08% -> 65.38%"]
    refused = scenario["W.baseline"]
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr == (
        "mutgate: error: the baseline score would drop from 73.08% to 65.38%; "
        "pass --allow-decrease to accept the lower score\n")
    assert scenario["W.baseline.unchanged"], "a refused baseline update changed the file"
    assert ok(scenario["W.allow"]).stdout == (
        f"{BASELINE}: baseline score lowered from 73.08% to 65.38% (--allow-decrease); "
        "9 known survivors (0 killed or gone, 2 new)\n")
    assert ok(scenario["W.check.after"]).stdout == f"{BASELINE} is up to date\n"


def test_run_with_other_operators_cannot_be_gated(scenario):
    ok(scenario["O.run"])
    gate = scenario["O.gate"]
    assert gate.returncode == 2
    assert gate.stdout == ""
    assert gate.stderr == (
        "mutgate: error: the run was measured differently from the baseline (run vs baseline: "
        "operators operator vs boundary, operator, return): re-run with the baseline's "
        "settings or update the baseline\n")


def test_steps_are_neither_mutated_nor_collected(scenario):
    for key in ("A.results", "B.results"):
        for m in scenario[key]["mutants"]:
            assert m["file"].startswith("src/gatepkg/"), m
            assert all(t.startswith("tests/") for t in m["covered_by"]), m


# -- a real project from PyPI -------------------------------------------------------------------

REAL = "inflection==0.5.1"  # pure Python, no dependencies, its pytest suite ships in the sdist


def real_sdist(cache: pytest.Cache | None, tmp_path: Path) -> Path:
    """The sdist of REAL, from pytest's cache or downloaded (``pytest.skip`` when offline)."""
    folder = cache.mkdir("mutgate-e2e-sdists") if cache is not None else tmp_path / "sdists"
    found = sorted(folder.glob("inflection-0.5.1.tar.gz"))
    if found:
        return found[0]
    done = sh(tmp_path, sys.executable, "-m", "pip", "download", "--no-binary", ":all:",
              "--no-deps", "--disable-pip-version-check", "-q", REAL, "-d", str(folder),
              timeout=240)
    found = sorted(folder.glob("inflection-0.5.1.tar.gz"))
    if done.returncode or not found:
        if os.environ.get("CI"):
            pytest.fail(f"pip download {REAL} failed (CI is set, so no skip):\n{done.stderr}")
        pytest.skip(f"needs network access to PyPI: pip download {REAL} failed")
    return found[0]


class StripAsserts(ast.NodeTransformer):
    """``assert x, msg`` -> ``x``: the test still runs the code, and checks nothing."""

    def visit_Assert(self, node: ast.Assert) -> ast.Expr:
        return ast.copy_location(ast.Expr(node.test), node)


@pytest.mark.slow
def test_real_project_without_assertions_fails_the_gate(tmp_path, request):
    sdist = real_sdist(getattr(request.config, "cache", None), tmp_path)
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "src", filter="data")
    project = tmp_path / "inflection"
    shutil.move(tmp_path / "src" / "inflection-0.5.1", project)
    (project / ".gitignore").write_text(".mutgate/\n__pycache__/\n.pytest_cache/\n")
    ok(sh(project, "git", "init", "-q"))
    commit(project, "inflection 0.5.1")
    strong = coverage_of(project, "inflection")
    ok(mutgate(project, "run", "-j", "2", timeout=600))
    before = results(project)
    ok(mutgate(project, "baseline"))
    commit(project, "baseline")
    assert ok(mutgate(project, "gate")).stdout.splitlines()[-1].startswith("gate: passed")

    tests = project / "test_inflection.py"
    tree = ast.parse(tests.read_text(encoding="utf-8"))
    asserts = sum(isinstance(node, ast.Assert) for node in ast.walk(tree))
    stripped = ast.fix_missing_locations(StripAsserts().visit(tree))
    tests.write_text(ast.unparse(stripped) + "\n", encoding="utf-8")
    assert asserts > 30
    assert not any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(
        tests.read_text(encoding="utf-8"))))
    commit(project, "tests: strip every assertion")
    weak = coverage_of(project, "inflection")
    print(f"line coverage with assertions {strong['total']}%, without {weak['total']}%")
    assert weak == strong  # the same lines run: coverage cannot tell the difference

    ok(mutgate(project, "run", "-j", "2", timeout=600))
    after = results(project)
    gate = mutgate(project, "gate")
    assert gate.returncode == 1, gate.stdout + gate.stderr
    survivors = [m for m in after["mutants"] if m["status"] == "survived"]
    print(f"mutation score with assertions {before['score']}%, without {after['score']}%, "
          f"{len(survivors)} survivors")
    assert before["counts"]["survived"] == 0 < len(survivors)
    assert after["score"] < before["score"]
    out = gate.stdout
    assert f"new surviving mutants ({len(survivors)}):" in out
    assert sorted(row[0] for row in survivor_rows(out)) == sorted(
        f"{m['file']}:{m['line']}" for m in survivors)
    lazy = block(out, f"{WITNESS_HEADER} (")
    assert any(line.startswith("  test_inflection.py::test_") for line in lazy)
    assert out.splitlines()[-1].startswith("gate: FAILED — full: score ")
