"""The plan: each mutant's tests and limit, and batches that keep every worker busy."""

from __future__ import annotations

import pytest
from helpers.results import make_mutant

from mutgate.coverage_delta import Snapshot
from mutgate.coverage_map import CoverageMap
from mutgate.execution.plan import expected_cost, make_batches, make_jobs, workers_for_change
from mutgate.mutant import Mutant


def mutant(n: int, file: str, tests: list[str], static: bool = False,
           scope: tuple[int, int] | None = None) -> Mutant:
    data = make_mutant(f"m{n:03d}", file=file, covered_by=tests)
    data.update(start=0, end=1, swap_target=None if static else "add",
                target_span=None if static else (0, 10), scope_lines=scope)
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


def ran(by_line: dict[int, list[str]], durations: dict[str, float]) -> CoverageMap:
    coverage = cov(durations)
    coverage.contexts.ran["a.py"] = by_line
    return coverage


def test_a_static_mutant_runs_the_tests_that_ran_its_class_first_then_the_rest():
    durations = {"t::fast": 0.1, "t::other": 0.2, "t::method": 0.5, "t::slow_method": 0.9}
    coverage = ran({5: ["t::slow_method"], 7: ["t::method"], 20: ["t::other"]}, durations)
    tests = ["t::other", "t::slow_method", "t::fast", "t::method"]
    static, swappable = make_jobs([mutant(1, "a.py", tests, static=True, scope=(4, 8)),
                                   mutant(2, "a.py", tests, scope=(4, 8))], coverage, 3.0, 1.0)
    assert static.tests == ["t::method", "t::slow_method", "t::fast", "t::other"]
    assert swappable.tests == ["t::fast", "t::other", "t::method", "t::slow_method"]
    assert static.timeout_s == pytest.approx(swappable.timeout_s)


def test_a_static_mutant_runs_the_tests_that_ran_its_own_line_first():
    # A lambda in a module-level table: its line ran at import, and again in the tests that
    # called it. make_mutant puts the mutant on line 10.
    durations = {"t::fast": 0.1, "t::caller": 0.5, "t::method": 0.3}
    coverage = ran({10: ["t::caller"], 5: ["t::method"]}, durations)
    tests = ["t::fast", "t::method", "t::caller"]
    (job,) = make_jobs([mutant(1, "a.py", tests, static=True, scope=(4, 12))], coverage,
                       3.0, 1.0)
    assert job.tests == ["t::caller", "t::method", "t::fast"]


def test_a_module_level_mutant_no_test_ran_while_testing_keeps_the_fastest_first():
    coverage = ran({1: ["t::slow"]}, {"t::fast": 0.1, "t::slow": 0.9})
    (job,) = make_jobs([mutant(1, "a.py", ["t::slow", "t::fast"], static=True)], coverage,
                       3.0, 1.0)
    assert job.tests == ["t::fast", "t::slow"]


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


def earlier_map(test_time: float) -> CoverageMap:
    """A map whose line 2 of pkg/a.py ran at import, lines 5-6 in two tests of ``test_time``."""
    tests = ["tests/test_a.py::one", "tests/test_a.py::two"]
    return CoverageMap(
        lines={"pkg/a.py": {2: tests, 5: tests, 6: tests[:1]}}, import_lines={"pkg/a.py": {2}},
        durations=dict.fromkeys(tests, test_time), startup_s=1.0,
        test_files={"tests/test_a.py": "h1"},
        snapshot=Snapshot({}, {"pkg/a.py": "h0", "pkg/b.py": "h2", "tests/test_a.py": "h1"}))


def test_a_small_change_to_fast_code_gets_one_worker():
    # 3 mutants x (2 x 10 ms + the fork) on line 5: far below the 1 s a worker takes to start.
    assert workers_for_change({"pkg/a.py": {5}, "README.md": {1}}, earlier_map(0.01), 2) == 1


def test_a_change_whose_mutants_outlast_a_worker_start_keeps_every_worker():
    assert workers_for_change({"pkg/a.py": {5}}, earlier_map(0.2), 2) == 2
    # A line the map does not know is priced as the file's dearest line.
    assert workers_for_change({"pkg/a.py": set(range(20, 30))}, earlier_map(0.01), 2) == 2


@pytest.mark.parametrize("changes", [{"tests/test_a.py": {3}}, {"pkg/new.py": {1}}],
                         ids=["changed test file", "new module"])
def test_a_change_the_map_cannot_price_keeps_every_worker(changes):
    assert workers_for_change(changes, earlier_map(0.0), 2) == 2


def test_without_an_earlier_map_or_with_one_job_nothing_changes():
    assert workers_for_change({"pkg/a.py": {5}}, None, 2) == 2
    assert workers_for_change({"pkg/a.py": {5}}, earlier_map(0.01), 1) == 1
    # Only files without covered lines changed: nothing to run, one worker is plenty.
    assert workers_for_change({"pkg/b.py": {1}}, earlier_map(0.01), 2) == 1
