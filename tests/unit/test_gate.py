"""The gate: every rule that passes or fails a run, assertion-free tests, and the text shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.results import T_ADD
from helpers.results import make_mutant as mutant
from helpers.results import make_results as results

from mutgate.assertion_free import assertion_free_tests
from mutgate.atomic import write_text_atomic
from mutgate.baseline import load_baseline, make_baseline, render_baseline
from mutgate.errors import ConfigError
from mutgate.gate import GateVerdict, judge, summary_line
from mutgate.gate_report import render_verdict

PROJECT = "demo"
T_SMOKE = "tests/test_mod.py::test_smoke"


def scored(killed: int, survived: int, file: str = "src/pkg/mod.py", prefix: str = "",
           **run: Any) -> dict[str, Any]:
    """A run with ``killed`` killed and ``survived`` surviving mutants, all in one file."""
    mutants = [mutant(f"{prefix}k{i}", file=file, line=10 + i) for i in range(killed)]
    mutants += [mutant(f"{prefix}s{i}", "survived", file=file, line=50 + i)
                for i in range(survived)]
    return results(mutants, **run)


def baseline_of(run: dict[str, Any]) -> dict[str, Any]:
    return make_baseline(run, PROJECT)


# -- overall score ------------------------------------------------------------------------------


def test_same_run_passes() -> None:
    run = scored(4, 1)
    verdict = judge(run, baseline_of(run), tolerance=0.0)
    assert verdict.passed
    assert verdict.reasons == []
    assert verdict.new_survivors == []
    assert (verdict.baseline_score, verdict.current_score) == (80.0, 80.0)


def test_judges_a_baseline_read_back_from_its_file(tmp_path: Path) -> None:
    path = tmp_path / "mutgate-baseline.json"
    write_text_atomic(path, render_baseline(baseline_of(scored(4, 1))))
    base = load_baseline(path, PROJECT)
    assert judge(scored(4, 1), base, tolerance=0.0).passed
    assert not judge(run_with_new_survivor(), base, tolerance=0.0).passed


def test_rounded_baseline_ties_with_the_unrounded_score() -> None:
    run = scored(2, 1)  # 66.666...% is stored as 66.67
    assert judge(run, baseline_of(run), tolerance=0.0).passed


def test_higher_score_passes() -> None:
    assert judge(scored(9, 1), baseline_of(scored(4, 1)), tolerance=0.0, survivor_rule="off").passed


def test_drop_within_tolerance_passes() -> None:
    base = baseline_of(scored(4, 1))  # 80.0
    run = scored(79, 21, prefix="x")  # 79.0
    assert judge(run, base, tolerance=2.0, survivor_rule="off").passed


def test_drop_exactly_at_tolerance_passes() -> None:
    base = baseline_of(scored(4, 1))  # 80.0
    run = scored(78, 22, prefix="x")  # 78.0
    assert judge(run, base, tolerance=2.0, survivor_rule="off").passed


def test_drop_beyond_tolerance_fails() -> None:
    base = baseline_of(scored(4, 1))
    run = scored(5, 2, prefix="x")  # 71.4
    verdict = judge(run, base, tolerance=2.0, survivor_rule="off")
    assert not verdict.passed
    assert verdict.reasons[0] == ("overall score 71.4% is 8.6 points below baseline 80.0% "
                                  "(tolerance 2.0)")


def test_baseline_without_a_score_does_not_judge_the_score() -> None:
    base = baseline_of(results([mutant("n", "no-tests")]))
    verdict = judge(scored(0, 3), base, tolerance=0.0, survivor_rule="off")
    assert verdict.passed
    assert any("no score" in note for note in verdict.notes)


def test_run_that_scored_nothing_passes_with_a_note() -> None:
    verdict = judge(results([mutant("n", "no-tests")]), baseline_of(scored(4, 1)), 0.0)
    assert verdict.passed and verdict.current_score is None
    assert any("scored no mutants" in note for note in verdict.notes)


# -- per-file scores ----------------------------------------------------------------------------


def two_files(a: tuple[int, int], b: tuple[int, int]) -> dict[str, Any]:
    first, second = scored(*a, file="src/a.py", prefix="a"), scored(*b, file="src/b.py", prefix="b")
    return results(first["mutants"] + second["mutants"])


def test_file_drop_fails_even_when_the_overall_score_holds() -> None:
    base = baseline_of(two_files((10, 0), (5, 5)))  # overall 75.0, a 100, b 50
    run = two_files((8, 2), (7, 3))  # overall 75.0, a 80, b 70
    verdict = judge(run, base, tolerance=5.0, survivor_rule="off")
    assert not verdict.passed
    assert verdict.reasons == ["src/a.py: score 80.0% is 20.0 points below baseline 100.0% "
                               "(tolerance 5.0)"]


def test_file_drop_within_tolerance_passes() -> None:
    base = baseline_of(two_files((10, 0), (5, 5)))
    run = two_files((19, 1), (5, 5))  # a 95
    assert judge(run, base, tolerance=5.0, survivor_rule="off").passed


def test_files_absent_from_the_run_are_not_judged() -> None:
    base = baseline_of(two_files((10, 0), (5, 5)))
    run = scored(10, 0, file="src/a.py", prefix="a")  # only a; b's 50% is not looked at
    verdict = judge(run, base, tolerance=0.0)
    assert verdict.passed
    assert not any("src/b.py" in reason for reason in verdict.reasons)


def test_new_files_are_not_judged_per_file() -> None:
    base = baseline_of(scored(4, 1))
    run = results(scored(4, 1)["mutants"] + scored(1, 0, file="src/new.py", prefix="n")["mutants"])
    assert judge(run, base, tolerance=0.0).passed


def test_sampled_baseline_files_are_judged_against_their_lower_bound() -> None:
    base = baseline_of(scored(3, 0, sampled=True, ci95=[43.85, 100.0]))  # file: 3 of 3
    run = scored(3, 1, prefix="x")  # 75.0: below 100 but inside what 3 of 3 allows
    verdict = judge(run, base, tolerance=0.0, survivor_rule="off")
    assert not any(r.startswith("src/pkg/mod.py") for r in verdict.reasons)


# -- new survivors ------------------------------------------------------------------------------


def run_with_new_survivor(line: int = 70, end_line: int | None = None) -> dict[str, Any]:
    run = scored(4, 1)
    extra = mutant("new1", "survived", line=line, end_line=end_line or line,
                   operator="boundary.relational", original="x < 1", replacement="x <= 1",
                   covered_by=[T_SMOKE, T_ADD])
    return results(run["mutants"] + [mutant(f"more{i}", line=80 + i) for i in range(5)] + [extra])


def test_known_survivors_do_not_fail() -> None:
    run = scored(4, 1)
    assert judge(run, baseline_of(run), 0.0, survivor_rule="anywhere").new_survivors == []


def test_new_survivor_anywhere_fails() -> None:
    verdict = judge(run_with_new_survivor(), baseline_of(scored(4, 1)), tolerance=2.0)
    assert not verdict.passed
    assert verdict.reasons == ["1 new surviving mutant(s) that the baseline does not know"]
    [survivor] = verdict.new_survivors
    assert survivor["id"] == "new1"
    assert survivor["covered_by"] == [T_ADD, T_SMOKE]
    assert (survivor["file"], survivor["line"], survivor["operator"]) == \
        ("src/pkg/mod.py", 70, "boundary.relational")


def test_new_survivor_on_a_changed_line_fails() -> None:
    verdict = judge(run_with_new_survivor(), baseline_of(scored(4, 1)), 2.0,
                    survivor_rule="changed-lines", changed_lines={"src/pkg/mod.py": {69, 70}})
    assert not verdict.passed
    assert "on changed lines" in verdict.reasons[0]


def test_new_survivor_off_the_changed_lines_passes() -> None:
    verdict = judge(run_with_new_survivor(), baseline_of(scored(4, 1)), 2.0,
                    survivor_rule="changed-lines",
                    changed_lines={"src/pkg/mod.py": {71}, "src/other.py": {70}})
    assert verdict.passed
    assert verdict.new_survivors == []


def test_multi_line_survivor_touching_a_changed_line_counts() -> None:
    verdict = judge(run_with_new_survivor(line=70, end_line=73), baseline_of(scored(4, 1)), 2.0,
                    survivor_rule="changed-lines", changed_lines={"src/pkg/mod.py": {72}})
    assert not verdict.passed


def test_changed_lines_rule_needs_the_changed_lines() -> None:
    with pytest.raises(ConfigError, match="changed lines"):
        judge(scored(4, 1), baseline_of(scored(4, 1)), 0.0, survivor_rule="changed-lines")


def test_survivor_rule_off_ignores_new_survivors() -> None:
    verdict = judge(run_with_new_survivor(), baseline_of(scored(4, 1)), 2.0, survivor_rule="off")
    assert verdict.passed
    assert verdict.new_survivors == []


def test_new_survivors_are_sorted_by_place() -> None:
    run = results([mutant("zz", "survived", file="src/a.py", line=9),
                   mutant("aa", "survived", file="src/b.py", line=1),
                   mutant("mm", "survived", file="src/a.py", line=2)])
    verdict = judge(run, baseline_of(results([mutant("k")])), 100.0)
    assert [s["id"] for s in verdict.new_survivors] == ["mm", "zz", "aa"]


# -- sampled runs -------------------------------------------------------------------------------


def test_sampled_run_passes_when_the_interval_reaches_the_baseline() -> None:
    base = baseline_of(scored(9, 1))  # 90.0
    sample = scored(8, 2, prefix="x", sampled=True, ci95=[49.0, 94.3])  # 80.0 point estimate
    verdict = judge(sample, base, tolerance=0.0, survivor_rule="off")
    assert verdict.passed
    assert verdict.ci95 == (49.0, 94.3)


def test_sampled_run_fails_when_the_whole_interval_is_below() -> None:
    base = baseline_of(scored(9, 1))  # 90.0
    sample = scored(50, 50, prefix="x", sampled=True, ci95=[40.4, 59.6])
    verdict = judge(sample, base, tolerance=2.0, survivor_rule="off")
    assert not verdict.passed
    assert "upper bound 59.6%" in verdict.reasons[0]


def test_sampled_run_within_tolerance_of_the_upper_bound_passes() -> None:
    base = baseline_of(scored(9, 1))  # 90.0
    sample = scored(80, 20, prefix="x", sampled=True, ci95=[71.1, 88.5])
    assert judge(sample, base, tolerance=2.0, survivor_rule="off").passed


def test_sampled_run_without_a_recorded_interval_computes_one() -> None:
    base = baseline_of(scored(9, 1))
    sample = scored(50, 50, prefix="x", sampled=True, ci95=None)
    verdict = judge(sample, base, tolerance=0.0, survivor_rule="off")
    assert verdict.ci95 is not None and verdict.ci95[1] == pytest.approx(59.61, abs=0.01)
    assert not verdict.passed


def test_sampled_run_skips_per_file_rules_and_only_reports_new_survivors() -> None:
    base = baseline_of(two_files((10, 0), (5, 5)))
    sample = two_files((1, 1), (5, 5))
    sample["run"].update(sampled=True, ci95=[30.0, 80.0])
    verdict = judge(sample, base, tolerance=0.0)
    assert verdict.passed
    assert [s["id"] for s in verdict.new_survivors] == ["as0"]
    assert any("per-file scores are not judged" in note for note in verdict.notes)
    assert any("information only" in note for note in verdict.notes)


# -- settings and arguments ---------------------------------------------------------------------


def test_other_operators_are_a_config_error() -> None:
    run = scored(4, 1, operators=["operator"])
    with pytest.raises(ConfigError) as info:
        judge(run, baseline_of(scored(4, 1)), 0.0)
    assert "operators operator vs boundary, operator, return" in str(info.value)


def test_other_settings_are_a_config_error() -> None:
    run = scored(4, 1, settings={"timeout_factor": 3.0, "timeout_constant": 1.0})
    with pytest.raises(ConfigError) as info:
        judge(run, baseline_of(scored(4, 1)), 0.0)
    message = str(info.value)
    assert "timeout_factor=3.0" in message and "timeout_factor=2.0" in message
    assert "operators" not in message.split(":")[0]


def test_operator_order_does_not_matter() -> None:
    run = scored(4, 1, operators=["return", "boundary", "operator"])
    assert judge(run, baseline_of(scored(4, 1)), 0.0).passed


@pytest.mark.parametrize("tolerance", [-1.0, float("nan"), float("inf"), "2"])
def test_bad_tolerance(tolerance: Any) -> None:
    with pytest.raises(ConfigError, match="tolerance"):
        judge(scored(1, 0), baseline_of(scored(1, 0)), tolerance)


def test_unknown_survivor_rule() -> None:
    with pytest.raises(ConfigError, match="anywhere, changed-lines, off"):
        judge(scored(1, 0), baseline_of(scored(1, 0)), 0.0, survivor_rule="everywhere")


def test_pending_mutants_are_noted_not_judged() -> None:
    run = results(scored(4, 1)["mutants"] + [mutant("p", "pending")])
    verdict = judge(run, baseline_of(scored(4, 1)), 0.0)
    assert verdict.passed
    assert any("1 mutant(s) pending" in note for note in verdict.notes)


def test_verdict_serializes_to_json() -> None:
    verdict = judge(run_with_new_survivor(), baseline_of(scored(4, 1)), 2.0)
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data["passed"] is False
    assert data["new_survivors"][0]["id"] == "new1"


# -- assertion-free tests -----------------------------------------------------------------------


def test_test_that_covers_mutants_and_kills_none_is_listed() -> None:
    run = results([
        mutant("a", "killed", covered_by=[T_ADD]),
        mutant("b", "survived", covered_by=[T_ADD, T_SMOKE], tests_run=2),
        mutant("c", "survived", file="src/pkg/other.py", covered_by=[T_SMOKE]),
    ])
    assert assertion_free_tests(run) == [
        {"test": T_SMOKE, "covered": 2, "survived": 2,
         "files": ["src/pkg/mod.py", "src/pkg/other.py"]},
    ]


def test_test_that_kills_one_is_not_listed() -> None:
    run = results([
        mutant("a", "killed", covered_by=[T_ADD]),
        mutant("b", "survived", covered_by=[T_ADD]),
        mutant("c", "survived", covered_by=[T_ADD]),
    ])
    assert assertion_free_tests(run) == []


def test_timeout_counts_as_a_kill() -> None:
    run = results([mutant("a", "timeout", covered_by=[T_SMOKE], killed_by=T_SMOKE),
                   mutant("b", "survived", covered_by=[T_SMOKE])])
    assert assertion_free_tests(run) == []


def test_test_that_may_never_have_run_is_not_blamed() -> None:
    # T_ADD killed the mutant first; the runner stopped, so T_SMOKE may never have run.
    run = results([mutant("a", "killed", covered_by=[T_ADD, T_SMOKE], tests_run=1)])
    assert assertion_free_tests(run) == []


def test_test_that_ran_before_the_killer_is_listed() -> None:
    run = results([mutant("a", "killed", covered_by=[T_ADD, T_SMOKE], tests_run=2)])
    assert [t["test"] for t in assertion_free_tests(run)] == [T_SMOKE]


def test_mutants_without_a_verdict_are_ignored() -> None:
    run = results([mutant(f"m{status}", status, covered_by=[T_SMOKE], killed_by=None)
                   for status in ("error", "skipped", "no-tests")])
    assert assertion_free_tests(run) == []


def test_with_a_kill_matrix_a_test_that_kills_one_mutant_is_never_blamed() -> None:
    # Each mutant ran against every covering test: T_ADD kills "a" though it came second.
    run = results([
        mutant("a", "killed", line=3, covered_by=[T_SMOKE, T_ADD], killed_by=T_ADD,
               killers=[T_ADD], tests_run=2),
        mutant("b", "survived", line=5, covered_by=[T_ADD, T_SMOKE], killers=[], tests_run=2),
        mutant("c", "survived", line=7, covered_by=[T_SMOKE], killers=[], tests_run=1),
    ])
    assert assertion_free_tests(run) == [
        {"test": T_SMOKE, "covered": 3, "survived": 2, "files": ["src/pkg/mod.py"],
         "lines": ["src/pkg/mod.py:3", "src/pkg/mod.py:5", "src/pkg/mod.py:7"]}]


def test_with_a_kill_matrix_mutants_without_one_are_left_out() -> None:
    # Mutants re-run because their test file changed have no matrix: they blame no one.
    run = results([
        mutant("a", "survived", covered_by=[T_ADD], killers=[], tests_run=1),
        mutant("b", "survived", covered_by=[T_SMOKE], tests_run=1),
    ])
    assert [t["test"] for t in assertion_free_tests(run)] == [T_ADD]
    verdict = judge(run, baseline_of(run), 0.0)
    assert "tests that cover changed lines and kill none of their mutants (1):" in (
        render_verdict(verdict, run))
    assert "at src/pkg/mod.py:10" in render_verdict(verdict, run)


def test_assertion_free_tests_are_sorted_and_in_the_verdict() -> None:
    tests = [f"tests/test_x.py::test_{name}" for name in ("zeta", "alpha", "mid")]
    run = results([mutant(f"s{i}", "survived", covered_by=[t]) for i, t in enumerate(tests)])
    listed = [t["test"] for t in assertion_free_tests(run)]
    assert listed == sorted(tests)
    verdict = judge(run, baseline_of(run), 0.0)
    assert [t["test"] for t in verdict.assertion_free_tests] == listed


# -- rendering ----------------------------------------------------------------------------------


def test_render_failed_verdict() -> None:
    run = run_with_new_survivor()
    run["mutants"].append(mutant("smoke", "survived", line=90, covered_by=[T_SMOKE]))
    base = baseline_of(scored(4, 1))
    verdict = judge(run, base, tolerance=2.0)
    text = render_verdict(verdict, run)
    assert text.endswith("\n")
    lines = text.splitlines()
    assert "src/pkg/mod.py:70" in text
    assert "boundary.relational" in text
    assert "x < 1 -> x <= 1" in text
    assert f"covered by: {T_ADD}, {T_SMOKE}" in text
    assert T_SMOKE in text.split("tests that passed with every surviving mutant")[1]
    assert any(line.startswith("- ") and "new surviving" in line for line in lines)
    assert lines[-1] == ("gate: FAILED — full: score 75.0% < baseline 80.0% − 2.0; and 1 file "
                         "below its baseline, 2 new surviving mutants")
    assert "\x1b" not in text


def test_summary_line_format() -> None:
    base = baseline_of(scored(4, 1))
    run = scored(5, 2, prefix="x")
    verdict = judge(run, base, tolerance=2.0, survivor_rule="off")
    assert summary_line(verdict) == ("gate: FAILED — full: score 71.4% < baseline 80.0% − 2.0; "
                                     "and 1 file below its baseline")
    assert render_verdict(verdict, run).splitlines()[-1] == summary_line(verdict)


def test_render_passed_verdict_is_short() -> None:
    run = scored(4, 0)
    text = render_verdict(judge(run, baseline_of(run), 0.5), run)
    assert text == "gate: passed — full: score 100.0% ≥ baseline 100.0% − 0.5\n"


def test_render_sampled_verdict_shows_the_interval() -> None:
    sample = scored(8, 2, prefix="x", sampled=True, ci95=[49.0, 94.3])
    verdict = judge(sample, baseline_of(scored(9, 1)), tolerance=0.0)
    text = render_verdict(verdict, sample)
    assert "new surviving mutants (2, information only: sampled run):" in text
    assert text.splitlines()[-1] == (
        "gate: passed — sampled: upper bound 94.3% ≥ baseline 90.0% − 0.0 (score 80.0%, 95% CI "
        "49.0-94.3 from 10 scored mutants)")


def test_render_flattens_and_shortens_long_changes() -> None:
    original = "compute(\n    first_argument,\n    second_argument,\n    third_argument)"
    run = results([mutant("long", "survived", original=original, replacement="None")])
    text = render_verdict(judge(run, baseline_of(results([mutant("k")])), 100.0), run)
    change_line = next(line for line in text.splitlines() if "-> None" in line)
    assert "compute( first_argument," in change_line
    assert "..." in change_line
    assert len(change_line) < 120


def test_render_lists_at_most_three_covering_tests() -> None:
    tests = [f"tests/t.py::test_{i}" for i in range(5)]
    run = results([mutant("s", "survived", covered_by=tests)])
    text = render_verdict(judge(run, baseline_of(results([mutant("k")])), 100.0), run)
    assert "and 2 more" in text


def test_render_mentions_the_diff() -> None:
    run = scored(4, 1, diff_ref="origin/main")
    verdict = GateVerdict(passed=True, reasons=[], new_survivors=[], baseline_score=80.0,
                          current_score=80.0, tolerance=1.25,
                          rule="full: score 80.0% ≥ baseline 80.0% − 1.25")
    text = render_verdict(verdict, run)
    assert text.startswith("mutants on lines changed since origin/main\n")
    assert text.splitlines()[-1] == "gate: passed — full: score 80.0% ≥ baseline 80.0% − 1.25"


# -- the verdict line names the rule it applied ------------------------------------------------


def sampled_baseline(killed: int, survived: int, ci95: list[float]) -> dict[str, Any]:
    return baseline_of(scored(killed, survived, sampled=True, ci95=ci95, seed="s"))


@pytest.mark.parametrize(("run", "base", "tolerance", "line"), [
    (scored(4, 1), baseline_of(scored(4, 1)), 1.0,
     "gate: passed — full: score 80.0% ≥ baseline 80.0% − 1.0"),
    (scored(5, 2, prefix="x", file="src/pkg/new.py"), baseline_of(scored(4, 1)), 2.0,
     "gate: FAILED — full: score 71.4% < baseline 80.0% − 2.0"),
    (scored(8, 2, prefix="x", sampled=True, ci95=[49.0, 94.3]), baseline_of(scored(9, 1)), 1.0,
     "gate: passed — sampled: upper bound 94.3% ≥ baseline 90.0% − 1.0 (score 80.0%, 95% CI "
     "49.0-94.3 from 10 scored mutants)"),
    (scored(50, 50, prefix="x", sampled=True, ci95=[40.4, 59.6]), baseline_of(scored(9, 1)),
     2.0, "gate: FAILED — sampled: upper bound 59.6% < baseline 90.0% − 2.0 (score 50.0%, 95% "
          "CI 40.4-59.6 from 100 scored mutants)"),
    # The issue: a full run judged against a sampled baseline's lower bound must say so.
    (scored(807, 193, prefix="x"), sampled_baseline(43, 7, [73.81, 93.05]), 1.0,
     "gate: passed — full: score 80.7% ≥ sampled baseline's lower bound 73.8% − 1.0 (baseline "
     "86.0%, 95% CI 73.8-93.0)"),
    (scored(7, 3, prefix="x", sampled=True, ci95=[39.68, 89.22]),
     sampled_baseline(8, 2, [49.02, 94.33]), 1.0,
     "gate: passed — sampled: upper bound 89.2% ≥ sampled baseline's lower bound 49.0% − 1.0 "
     "(score 70.0%, 95% CI 39.7-89.2 from 10 scored mutants; baseline 80.0%, 95% CI "
     "49.0-94.3)"),
    (scored(0, 3), baseline_of(results([mutant("n", "no-tests")])), 1.0,
     "gate: passed — full: score 0.0%, not compared (the baseline has no score)"),
    (results([mutant("n", "no-tests")], sampled=True, ci95=None), baseline_of(scored(4, 1)),
     1.0, "gate: passed — sampled: nothing scored, not compared with baseline 80.0%"),
])
def test_the_verdict_line_states_the_rule(run: dict[str, Any], base: dict[str, Any],
                                          tolerance: float, line: str) -> None:
    verdict = judge(run, base, tolerance=tolerance, survivor_rule="off")
    assert summary_line(verdict) == line
    assert render_verdict(verdict, run).splitlines()[-1] == line
    assert verdict.passed == line.startswith("gate: passed")


def test_a_full_run_below_a_sampled_baselines_lower_bound_fails_naming_it() -> None:
    verdict = judge(scored(60, 40, prefix="x", file="src/pkg/new.py"),
                    sampled_baseline(43, 7, [73.81, 93.05]), 1.0, survivor_rule="off")
    assert not verdict.passed
    assert verdict.reasons == ["overall score 60.0% is 13.8 points below the sampled "
                               "baseline's lower bound 73.8% (tolerance 1.0)"]
    assert summary_line(verdict).startswith(
        "gate: FAILED — full: score 60.0% < sampled baseline's lower bound 73.8% − 1.0")


def test_the_verdict_line_shows_two_decimals_where_one_would_mislead() -> None:
    # 79.66% against 80.70% − 1.0 = 79.70%: fails, but one decimal would show 79.7% < 79.7%.
    base = baseline_of(scored(807, 193))
    verdict = judge(scored(7966, 2034, prefix="x", file="src/pkg/new.py"), base, 1.0,
                    survivor_rule="off")
    assert not verdict.passed
    assert summary_line(verdict) == "gate: FAILED — full: score 79.66% < baseline 80.70% − 1.0"


def test_the_verdict_line_names_the_other_rules_that_failed() -> None:
    base = baseline_of(two_files((10, 0), (5, 5)))
    verdict = judge(two_files((8, 2), (7, 3)), base, tolerance=5.0, survivor_rule="off")
    assert summary_line(verdict) == ("gate: FAILED — full: score 75.0% ≥ baseline 75.0% − 5.0; "
                                     "but 1 file below its baseline")
    verdict = judge(run_with_new_survivor(), baseline_of(scored(4, 1)), tolerance=5.0,
                    survivor_rule="changed-lines", changed_lines={"src/pkg/mod.py": {70}})
    assert summary_line(verdict).endswith("; but 1 new surviving mutant on changed lines")


def test_survivors_that_are_information_only_do_not_fail_the_line() -> None:
    sample = scored(8, 2, prefix="x", sampled=True, ci95=[49.0, 94.3])
    verdict = judge(sample, baseline_of(scored(9, 1)), tolerance=0.0)
    assert verdict.passed and verdict.also_failed == []


def test_a_legacy_sampled_baseline_is_judged_by_its_lower_bound() -> None:
    base = sampled_baseline(43, 7, [73.81, 93.05])
    del base["overall"]["measured"]  # as mutgate wrote it before recording how
    verdict = judge(scored(807, 193, prefix="x"), base, 1.0, survivor_rule="off")
    assert "sampled baseline's lower bound 73.8%" in summary_line(verdict)


def test_the_committed_baseline_of_this_repository_can_judge_a_run() -> None:
    """`.ci/run` gates mutgate with the committed mutgate-baseline.json: it must still work."""
    from mutgate.config import project_name

    root = Path(__file__).resolve().parents[2]
    base = load_baseline(root / "mutgate-baseline.json", project_name(root))
    run = scored(9, 1, operators=base["operators"], settings=base["settings"], sampled=True,
                 ci95=[59.58, 98.21])
    verdict = judge(run, base, tolerance=3.0, survivor_rule="off")
    assert verdict.passed
    assert summary_line(verdict).startswith("gate: passed — sampled: upper bound 98.2% ≥ ")
