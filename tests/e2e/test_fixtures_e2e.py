"""End to end: the installed `mutgate` command on every bundled fixture project.

Each fixture's source marks expected outcomes inline (`# expect: killed`, ...); the run must
match them exactly, leave every project file byte-identical, and the fork engine must agree
with the isolated (fresh process per mutant) reference on every mutant.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers.commands import plugins_env
from helpers.expectations import check_expectations, read_expectations
from helpers.projects import FIXTURES, copy_fixture

RUNNABLE = ["demo", "kinds", "flat", "loops", "weak", "pragmas", "htmlish", "trust"]

pytestmark = pytest.mark.e2e


def mutgate(project: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["mutgate", "-C", str(project), *args], capture_output=True,
                          text=True, timeout=timeout, env=plugins_env())


def results(project: Path) -> dict:
    done = mutgate(project, "results", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", RUNNABLE)
def test_fixture_statuses_match_expectations(name, tmp_path, hash_tree):
    if not (FIXTURES / name).is_dir():
        pytest.fail(f"fixture {name} is missing")
    project = copy_fixture(name, tmp_path / name)
    before = hash_tree(project)
    done = mutgate(project, "run", "-j", "2")
    assert done.returncode == 0, done.stderr
    assert "mutation score:" in done.stdout
    data = results(project)
    assert hash_tree(project) == before, "the run changed project files"
    expectations = read_expectations(project)
    assert expectations, f"fixture {name} marks no expected outcome"
    assert check_expectations(data, expectations) == []
    assert data["total"] == len(data["mutants"]) > 0
    for mutant in data["mutants"]:
        assert mutant["covered_by"], f"{mutant['id']} was generated on an uncovered line"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["kinds", "flat", "loops", "weak", "demo", "trust"])
def test_fork_engine_agrees_with_isolated_reference(name, tmp_path):
    project = copy_fixture(name, tmp_path / name)
    assert mutgate(project, "run", "-j", "2").returncode == 0
    fork = {m["id"]: m["status"] for m in results(project)["mutants"]}
    done = mutgate(project, "run", "-j", "2", "--isolation", "subprocess", "--no-reuse")
    assert done.returncode == 0, done.stderr
    isolated = {m["id"]: m["status"] for m in results(project)["mutants"]}
    assert fork.keys() == isolated.keys()
    disagreements = {k: (fork[k], isolated[k]) for k in fork if fork[k] != isolated[k]}
    assert disagreements == {}


def test_demo_summary_names_survivors_and_score(tmp_path):
    project = copy_fixture("demo", tmp_path / "demo")
    done = mutgate(project, "run")
    assert done.returncode == 0, done.stderr
    data = results(project)
    survivors = [m for m in data["mutants"] if m["status"] == "survived"]
    assert survivors, "the demo is meant to show survivors"
    assert f"mutation score: {data['score']:.1f}%" in done.stdout
    for m in survivors[:10]:
        assert m["id"] in done.stdout
    detected = data["counts"]["killed"] + data["counts"]["timeout"]
    assert data["score"] == pytest.approx(100 * detected / (detected + len(survivors)), abs=0.01)
    shown = mutgate(project, "show", survivors[0]["id"])
    assert shown.returncode == 0
    added = [line for line in shown.stdout.splitlines()
             if line.startswith("+") and not line.startswith("+++")]
    assert added and survivors[0]["replacement"].splitlines()[0] in added[0]
    assert survivors[0]["covered_by"][0] in shown.stdout


def test_second_run_reuses_every_result(tmp_path):
    project = copy_fixture("weak", tmp_path / "weak")
    assert mutgate(project, "run").returncode == 0
    first = {m["id"]: m["status"] for m in results(project)["mutants"]}
    again = mutgate(project, "run")
    assert again.returncode == 0
    assert f"{len(first)} results reused, 0 to run" in again.stderr
    assert {m["id"]: m["status"] for m in results(project)["mutants"]} == first


def test_apply_writes_exactly_one_mutant(tmp_path):
    project = copy_fixture("weak", tmp_path / "weak")
    assert mutgate(project, "run").returncode == 0
    mutant = results(project)["mutants"][0]
    path = project / mutant["file"]
    original = path.read_text(encoding="utf-8")
    done = mutgate(project, "apply", mutant["id"])
    assert done.returncode == 0, done.stderr
    changed = path.read_text(encoding="utf-8")
    assert changed != original
    assert len(changed) - len(original) == len(mutant["replacement"]) - len(mutant["original"])
    lines_before, lines_after = original.splitlines(), changed.splitlines()
    pairs = zip(lines_before, lines_after, strict=True)
    differing = [n for n, (a, b) in enumerate(pairs, 1) if a != b]
    assert differing == [mutant["line"]]
