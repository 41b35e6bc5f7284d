"""End to end: reproducible sampled runs, and sharded runs merged back into one (issue 5).

The project is ``fixtures/gate_repo`` with its strong shipping tests (step C): 26 mutants in two
files. Every run happens in its own copy of the project, so each has its own ``.mutgate/``: a
full reference run, three sampled runs, the three shards of ``--shard K/3`` (run side by side,
as a CI matrix would) and a fresh copy that merges the shards' databases.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.commands import hermetic_env
from helpers.projects import FIXTURES

pytestmark = pytest.mark.e2e

FIXTURE = FIXTURES / "gate_repo"
SHARDS = 3


def start(project: Path, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(["mutgate", "-C", str(project), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=hermetic_env(**env))


def finish(process: subprocess.Popen, check: bool = True) -> subprocess.CompletedProcess:
    try:
        out, err = process.communicate(timeout=420)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    done = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    assert done.returncode == 0 or not check, f"{done.args} -> {done.returncode}\n{out}{err}"
    return done


def mutgate(project: Path, *args: str, check: bool = True, **env: str
            ) -> subprocess.CompletedProcess:
    return finish(start(project, *args, **env), check)


def results(project: Path) -> dict:
    return json.loads(mutgate(project, "results", "--json").stdout)


def project_copy(root: Path, name: str) -> Path:
    target = root / name
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns(
        ".mutgate", "__pycache__", ".pytest_cache", ".coverage*", "_steps"))
    shutil.copytree(FIXTURE / "_steps" / "C", target, dirs_exist_ok=True)
    return target


def statuses(data: dict) -> dict[str, str]:
    return {m["id"]: m["status"] for m in data["mutants"]}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """Every run of this module; the full run and the shards run at the same time."""
    root = tmp_path_factory.mktemp("sampling")
    shards = [project_copy(root, f"shard{k}") for k in range(1, SHARDS + 1)]
    full = project_copy(root, "full")
    background = [start(full, "run", "-j", "1")]
    background += [start(shard, "run", "-j", "1", "--shard", f"{k}/{SHARDS}")
                   for k, shard in enumerate(shards, 1)]
    halves = [project_copy(root, f"sample-half{k}") for k in (1, 2)]
    background += [start(half, "run", "-j", "1", "--sample", "10", "--seed", "a", "--shard",
                         f"{k}/2") for k, half in enumerate(halves, 1)]
    sampled = project_copy(root, "sampled")
    seen: dict = {"samples": []}
    for seed in ("a", "a", "b"):
        seen["samples"].append((seed, mutgate(sampled, "run", "-j", "1", "--sample", "10",
                                              "--seed", seed), results(sampled)))
        if len(seen["samples"]) == 2:  # the nightly flow: a sample moves the baseline
            seen["sampled.baseline"] = mutgate(sampled, "baseline", check=False)
    seen["sampled.gate"] = mutgate(sampled, "gate", check=False)  # seed b vs seed a
    seen["sampled.ratchet"] = mutgate(sampled, "baseline", check=False)
    mutgate(sampled, "run", "-j", "1")  # every mutant, against the sampled baseline
    seen["sampled.full_gate"] = mutgate(sampled, "gate", check=False, GITHUB_ACTIONS="true")
    for process in background:
        finish(process)
    seen["full"] = results(full)
    seen["shards"] = [results(shard) for shard in shards]
    seen["shard_dbs"] = [shard / ".mutgate" / "results.sqlite" for shard in shards]
    seen["full_db"] = str(full / ".mutgate" / "results.sqlite")
    merged = project_copy(root, "merged")
    seen["merge"] = mutgate(merged, "merge",
                            *(str(s / ".mutgate" / "results.sqlite") for s in shards))
    seen["merged"] = results(merged)
    seen["merged.baseline"] = mutgate(merged, "baseline")
    merged_sample = project_copy(root, "merged-sample")
    mutgate(merged_sample, "merge", *(str(h / ".mutgate" / "results.sqlite") for h in halves))
    seen["merged.sample"] = results(merged_sample)
    return seen


def test_full_reference_run(runs):
    full = runs["full"]
    assert full["total"] == 26
    assert (full["counts"]["killed"], full["counts"]["survived"]) == (19, 7)
    assert full["run"]["sampled"] is False and full["run"]["ci95"] is None


def test_same_seed_selects_the_same_mutants(runs):
    (seed1, run1, first), (seed2, run2, second), _ = runs["samples"]
    assert seed1 == seed2 == "a"
    ids = [m["id"] for m in first["mutants"]]
    assert len(ids) == len(set(ids)) == first["total"] == 10
    assert sorted(ids) == sorted(m["id"] for m in second["mutants"])
    assert ("26 mutants on covered lines, 10 selected (sample 10, seed a), 10 to run"
            in run1.stderr)
    assert ("26 mutants on covered lines, 10 selected (sample 10, seed a), 10 results reused,"
            " 0 to run" in run2.stderr)
    assert statuses(first) == statuses(second)
    # Stratified by file: both files are in the sample, in proportion (16 and 10 mutants).
    by_file = sorted(m["file"] for m in first["mutants"])
    assert by_file.count("src/gatepkg/pricing.py") == 6
    assert by_file.count("src/gatepkg/shipping.py") == 4


def test_other_seed_selects_other_mutants(runs):
    (_, _, first), _, (seed, _, other) = runs["samples"]
    assert seed == "b" and other["total"] == 10
    assert {m["id"] for m in other["mutants"]} != {m["id"] for m in first["mutants"]}
    every = set(statuses(runs["full"]))
    assert {m["id"] for m in other["mutants"]} <= every
    assert {m["id"] for m in first["mutants"]} <= every


def test_sampled_run_has_an_interval_that_holds_the_full_score(runs):
    full = runs["full"]
    for seed, run, data in runs["samples"]:
        info = data["run"]
        assert info["sampled"] is True
        assert info["seed"] == seed
        lo, hi = info["ci95"]
        assert isinstance(lo, float) and isinstance(hi, float) and 0 <= lo < hi <= 100
        assert lo <= data["score"] <= hi
        print(f"seed {seed}: sample {data['score']:.1f}% (95% CI {lo}-{hi}), "
              f"full {full['score']:.1f}%")
        assert lo <= full["score"] <= hi
        assert f"(95% CI {lo:.1f}–{hi:.1f}%, sampled)" in run.stdout
        # The sample's verdicts are the full run's verdicts.
        assert statuses(data).items() <= statuses(full).items()


def test_shards_cover_every_mutant_exactly_once(runs):
    every = statuses(runs["full"])
    seen: list[str] = []
    for k, shard in enumerate(runs["shards"], 1):
        assert shard["run"]["shard"] == [k, SHARDS]
        ids = [m["id"] for m in shard["mutants"]]
        assert ids, f"shard {k}/{SHARDS} is empty"
        print(f"shard {k}/{SHARDS}: {len(ids)} mutants")
        seen += ids
    assert len(seen) == len(set(seen)), "a mutant ran in two shards"
    assert sorted(seen) == sorted(every)


def test_merged_shards_equal_the_unsharded_run(runs):
    full, merged = runs["full"], runs["merged"]
    lines = runs["merge"].stdout.splitlines()
    assert lines[0] == f"merged {SHARDS} shard(s) into run 1: {full['total']} mutants"
    assert json.loads(lines[1]) == full["counts"]
    assert statuses(merged) == statuses(full)
    assert merged["counts"] == full["counts"]
    assert merged["score"] == full["score"]
    assert merged["total"] == full["total"]
    assert merged["run"]["shard"] is None
    for shard in runs["shards"]:
        assert statuses(shard).items() <= statuses(merged).items()
    # A merged run is a whole-project run: it can make the baseline.
    assert runs["merged.baseline"].stdout == (
        "mutgate-baseline.json: baseline created: score 73.08%, "
        "7 known survivors in 2 files\n")


def test_merge_refuses_an_incomplete_or_mixed_set_of_shards(runs, tmp_path):
    """Two shards of three are not the whole project: no run is written, exit 2."""
    target = project_copy(tmp_path, "target")
    dbs = [str(p) for p in runs["shard_dbs"]]
    cases = {
        (dbs[0], dbs[1]): f"mutgate: error: shard 3/{SHARDS} missing: merge all {SHARDS} "
                          "shards into one run\n",
        (dbs[0], dbs[1], dbs[1]): f"mutgate: error: {dbs[1]}: shard 2/{SHARDS} is also "
                                  f"{dbs[1]}; the same shard was given twice?\n",
        (runs["full_db"],): f"mutgate: error: {runs['full_db']}: run 1 is not a shard (run "
                            "`mutgate run --shard K/N` on each part)\n",
    }
    for args, message in cases.items():
        done = subprocess.run(["mutgate", "-C", str(target), "merge", *args], text=True,
                              capture_output=True, env=hermetic_env(), timeout=120)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", message)
    assert not (target / ".mutgate").exists(), "a refused merge wrote a run"


def test_sampled_baseline_judges_later_runs_by_its_interval(runs):
    """Nightly samples make the baseline; runs judged against it must not fail on noise."""
    assert runs["sampled.baseline"].returncode == 0
    assert runs["sampled.baseline"].stdout == (
        "mutgate-baseline.json: baseline created: score 80.00% (on a sample of 10 mutants, 95% "
        "interval [49.02%, 94.33%]), 2 known survivors in 2 files\n")
    # Seed b scores 70.0% (95% CI 39.7-89.2): not a confident drop from 80.0% (49.0-94.3).
    # The verdict line says that the sample's upper bound met the baseline's lower bound.
    gate = runs["sampled.gate"]
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert gate.stdout.splitlines()[-1] == (
        "gate: passed — sampled: upper bound 89.2% ≥ sampled baseline's lower bound 49.0% − 1.0 "
        "(score 70.0%, 95% CI 39.7-89.2 from 10 scored mutants; baseline 80.0%, 95% CI "
        "49.0-94.3)")
    # A lower sample whose interval still holds the old score is noise: the ratchet keeps it.
    ratchet = runs["sampled.ratchet"]
    assert ratchet.returncode == 0, ratchet.stderr
    assert ratchet.stdout.startswith(
        "mutgate-baseline.json: baseline score kept at 80.00% (the sample's 70.00% has a 95% "
        "interval [39.68%, 89.22%] that contains it)")
    # The full run (73.1%) is judged against the sampled baseline's lower bound, and the
    # verdict line says so; its survivors that the sample never drew are not "new": they are
    # shown, and do not fail the gate.
    full = runs["sampled.full_gate"]
    assert full.returncode == 0, full.stdout + full.stderr
    lines = [line for line in full.stdout.splitlines() if not line.startswith("::")]
    annotations = [line.split(" ", 1)[0] for line in full.stdout.splitlines()
                   if line.startswith("::")]
    # The kept baseline took sample b's survivors: 2 of the full run's 5 survivors stay unknown.
    assert annotations == ["::warning"] * 2  # under GitHub Actions: warnings, not errors
    assert "new surviving mutants (2, information only: the baseline is a sample):" in lines
    assert ("note: 2 new surviving mutant(s) that the baseline does not know (information "
            "only: the baseline is a sample)") in lines
    assert lines[-1] == ("gate: passed — full: score 73.1% ≥ sampled baseline's lower bound "
                         "49.0% − 1.0 (baseline 80.0%, 95% CI 49.0-94.3)")


def test_merged_sample_shards_equal_the_unsharded_sample(runs):
    """Sampling then sharding splits one sample; the merge has the whole sample's interval."""
    _, _, sample = runs["samples"][0]
    merged = runs["merged.sample"]
    assert statuses(merged) == statuses(sample)
    assert merged["run"]["sampled"] is True and merged["run"]["seed"] == "a"
    assert merged["run"]["ci95"] == sample["run"]["ci95"]
