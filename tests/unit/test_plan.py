"""The plan: each mutant's tests and limit, and batches that keep every worker busy."""

from __future__ import annotations

from helpers.results import make_mutant

from mutgate.coverage_map import CoverageMap
from mutgate.execution.plan import expected_cost, make_batches, make_jobs
from mutgate.mutant import Mutant


def mutant(n: int, file: str, tests: list[str], static: bool = False) -> Mutant:
    data = make_mutant(f"m{n:03d}", file=file, covered_by=tests)
    data.update(start=0, end=1, swap_target=None if static else "add",
                target_span=None if static else (0, 10))
    return Mutant.from_dict({k: v for k, v in data.items() if k in Mutant.__dataclass_fields__})


def cov(durations: dict[str, float]) -> CoverageMap:
    return CoverageMap(lines={}, import_lines={}, durations=durations)


def test_jobs_run_fastest_tests_first_with_a_limit_from_their_durations():
    coverage = cov({"t::slow": 2.0, "t::fast": 0.5})
    (job,) = make_jobs([mutant(1, "a.py", ["t::slow", "t::fast"])], coverage, 3.0, 1.0,
                       full={"m001"})
    assert job.tests == ["t::fast", "t::slow"]
    assert job.timeout_s == 3.0 * 2.5 + 1.0
    assert job.full


def test_a_static_mutant_is_expected_to_cost_more_than_a_swappable_one():
    coverage = cov({"t::a": 0.01})
    fork, fresh = make_jobs([mutant(1, "a.py", ["t::a"]), mutant(2, "a.py", ["t::a"], True)],
                            coverage, 3.0, 1.0)
    assert expected_cost(fresh, coverage) > expected_cost(fork, coverage) > 0.01


def test_batches_hold_one_file_each_every_job_once_longest_first():
    durations = {f"t::{n}": n / 100 for n in range(40)}
    mutants = [mutant(n, f"f{n % 3}.py", [f"t::{n}"], static=n % 5 == 0) for n in range(40)]
    coverage = cov(durations)
    batches = make_batches(make_jobs(mutants, coverage, 3.0, 1.0), coverage, workers=2)
    ids = [job.mutant.id for batch in batches for job in batch]
    assert sorted(ids) == sorted(m.id for m in mutants)
    assert all(len({job.mutant.file for job in batch}) == 1 for batch in batches)
    assert all(len(batch) <= 6 for batch in batches)
    costs = [sum(expected_cost(j, coverage) for j in batch) for batch in batches]
    assert costs == sorted(costs, reverse=True)
    assert len(batches) >= 2 * 2  # enough batches for two workers to share the end


def test_one_expensive_job_gets_a_batch_of_its_own():
    coverage = cov({"t::long": 30.0, **{f"t::{n}": 0.01 for n in range(10)}})
    mutants = [mutant(0, "a.py", ["t::long"])] + [
        mutant(n + 1, "a.py", [f"t::{n}"]) for n in range(10)]
    batches = make_batches(make_jobs(mutants, coverage, 3.0, 1.0), coverage, workers=2)
    assert [job.mutant.id for job in batches[0]] == ["m000"]
