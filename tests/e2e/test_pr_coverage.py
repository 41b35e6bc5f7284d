"""End to end: a pull request's coverage step measures only what the change can affect (issue 13).

A git repo in a temp dir holds ``fixtures/gate_repo`` (with its strong shipping tests), fully
run on ``main`` with the installed ``mutgate``. A branch then changes one test file; its
``mutgate run --diff`` must measure only that file's tests under coverage, say so, and leave
the map a full measurement gives.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from helpers.commands import commit, ok, sh
from helpers.projects import FIXTURES

from mutgate.coverage_map import CoverageMap

pytestmark = pytest.mark.e2e

FIXTURE = FIXTURES / "gate_repo"
SHIPPING_TESTS = "tests/test_shipping.py"


def saved_map(repo: Path) -> dict:
    return json.loads((repo / ".mutgate" / "coverage-map.json").read_text(encoding="utf-8"))


def gate_repo(tmp_path: Path) -> Path:
    """The fixture at step C (strong shipping tests), committed on ``main``."""
    repo = tmp_path / "gate_repo"
    shutil.copytree(FIXTURE, repo, ignore=shutil.ignore_patterns(
        ".mutgate", "__pycache__", ".pytest_cache", ".coverage*", "_steps"))
    shutil.copytree(FIXTURE / "_steps" / "C", repo, dirs_exist_ok=True)
    ok(sh(repo, "git", "init", "-q", "-b", "main"))
    commit(repo, "gatepkg")
    return repo


def coverage_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("coverage: ")
             and not re.match(r"coverage: \d", line)]  # not the progress lines (N/M)
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_changed_test_file_re_measures_only_its_own_tests(tmp_path: Path) -> None:
    repo = gate_repo(tmp_path)
    first = ok(sh(repo, "mutgate", "run", "-j", "2"))
    before = saved_map(repo)
    total = len(before["durations"])
    assert coverage_line(first.stderr) == (
        f"coverage: measured all {total} tests (no map from an earlier run)")

    ok(sh(repo, "git", "checkout", "-q", "-b", "pr-tests"))
    shutil.copytree(FIXTURE / "_steps" / "pr_tests_only", repo, dirs_exist_ok=True)
    commit(repo, "one more assertion in test_shipping.py")
    done = ok(sh(repo, "mutgate", "run", "-j", "2", "--diff", "HEAD~1"))
    after = saved_map(repo)
    own = sorted(t for t in after["durations"] if t.startswith(SHIPPING_TESTS + "::"))
    others = sorted(t for t in before["durations"] if not t.startswith(SHIPPING_TESTS + "::"))
    assert own and others
    assert coverage_line(done.stderr) == (
        f"coverage: re-measured {len(own)} of {total} tests (1 changed file: {SHIPPING_TESTS})")
    # The other tests did not run: their measured durations are the first run's.
    assert {t: after["durations"][t] for t in others} == {
        t: before["durations"][t] for t in others}
    assert {t: after["durations"][t] for t in own} != {t: before["durations"][t] for t in own}

    full = ok(sh(repo, "mutgate", "run", "-j", "2", "--no-reuse", "--diff", "HEAD~1"))
    assert coverage_line(full.stderr) == f"coverage: measured all {total} tests (--no-reuse)"
    remeasured = saved_map(repo)
    for part in ("contexts", "test_files", "params", "key"):
        assert after[part] == remeasured[part], part
    merged, full = CoverageMap.from_json(after), CoverageMap.from_json(remeasured)
    assert (merged.lines, merged.import_lines) == (full.lines, full.import_lines)
    assert sorted(after["durations"]) == sorted(remeasured["durations"])


def test_a_change_inside_one_function_re_measures_only_the_tests_that_ran_it(
        tmp_path: Path) -> None:
    repo = gate_repo(tmp_path)
    ok(sh(repo, "mutgate", "run", "-j", "2"))
    total = len(saved_map(repo)["durations"])

    ok(sh(repo, "git", "checkout", "-q", "-b", "pr-function"))
    pricing = repo / "src" / "gatepkg" / "pricing.py"
    pricing.write_text(pricing.read_text().replace(
        "    return amount + amount * rate_percent // 100\n",
        "    tax = amount * rate_percent // 100\n    return amount + tax\n"))
    commit(repo, "with_tax names its tax")
    done = ok(sh(repo, "mutgate", "run", "-j", "2", "--diff", "HEAD~1"))
    assert coverage_line(done.stderr) == (
        f"coverage: re-measured 1 of {total} tests (1 changed file: src/gatepkg/pricing.py; "
        "only the tests that ran with_tax)")
    # The mutants on the changed lines found their covering test in the merged map.
    assert re.search(r"killed: [1-9]", done.stdout) and "no-tests: 0" in done.stdout
    after = CoverageMap.from_json(saved_map(repo))
    assert after.lines["src/gatepkg/pricing.py"][19] == ["tests/test_pricing.py::test_with_tax"]

    # A comment in another file measures nothing and moves that file's lines.
    shipping = repo / "src" / "gatepkg" / "shipping.py"
    shipping.write_text(shipping.read_text().replace(
        "def shipping_cost(", "# express doubles the base\ndef shipping_cost("))
    commit(repo, "a comment in shipping.py")
    moved = ok(sh(repo, "mutgate", "run", "-j", "2", "--diff", "HEAD~1"))
    assert coverage_line(moved.stderr) == (
        "coverage: reused the map, lines moved (only lines without code changed in the 1 "
        "changed file: src/gatepkg/shipping.py)")
    merged = saved_map(repo)
    ok(sh(repo, "mutgate", "run", "-j", "2", "--no-reuse", "--diff", "HEAD~1"))
    full = saved_map(repo)
    assert merged["contexts"] == full["contexts"]
    assert CoverageMap.from_json(merged).lines == CoverageMap.from_json(full).lines
