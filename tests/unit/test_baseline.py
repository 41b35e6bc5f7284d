"""The baseline file: making it, its exact text, loading it defensively, staleness, the ratchet."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from helpers.results import SETTINGS, make_results
from helpers.results import make_mutant as mutant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutgate.atomic import write_text_atomic
from mutgate.baseline import FORMAT_VERSION, load_baseline, make_baseline, render_baseline
from mutgate.errors import EXIT_GATE_FAILED, EXIT_USAGE, ConfigError
from mutgate.outcome import count_statuses
from mutgate.ratchet import BaselineDecrease, is_stale, update_baseline

PROJECT = "demo"
#: Not in order, so that a baseline's sorted operators show.
OPERATORS = ["return", "operator", "boundary"]
results = functools.partial(make_results, operators=OPERATORS)


def standard_run() -> dict[str, Any]:
    return results([
        mutant("c3", "survived", file="src/pkg/b.py", line=4, operator="boundary.relational",
               original="x < 1", replacement="x <= 1"),
        mutant("a1", "killed"),
        mutant("b2", "timeout", line=11),
        mutant("d4", "survived", line=12),
        mutant("e5", "error", file="src/pkg/b.py"),
        mutant("f6", "no-tests", file="src/pkg/c.py"),
    ])


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else render_baseline(data), encoding="utf-8")
    return path


def baseline_file(tmp_path: Path, data: dict[str, Any] | None = None) -> Path:
    return write(tmp_path / "mutgate-baseline.json", data or make_baseline(standard_run(), PROJECT))


# -- make_baseline ------------------------------------------------------------------------------


def test_make_baseline_fields() -> None:
    data = make_baseline(standard_run(), PROJECT)
    assert data["format_version"] == FORMAT_VERSION == 1
    assert data["project"] == PROJECT
    assert data["overall"]["score"] == 50.0
    assert data["overall"]["counts"]["killed"] == 1
    assert data["overall"]["counts"]["survived"] == 2
    assert data["overall"]["ci95"] is None
    assert data["overall"]["measured"] == {"run": "full", "mutants": 6}
    assert data["operators"] == ["boundary", "operator", "return"]
    assert data["settings"] == SETTINGS


def test_make_baseline_per_file_scores() -> None:
    files = make_baseline(standard_run(), PROJECT)["files"]
    assert list(files) == ["src/pkg/b.py", "src/pkg/c.py", "src/pkg/mod.py"]
    assert files["src/pkg/mod.py"]["score"] == 66.67
    assert files["src/pkg/b.py"]["score"] == 0.0
    assert files["src/pkg/b.py"]["counts"]["error"] == 1
    assert files["src/pkg/c.py"] == {"score": None, "counts": count_statuses(["no-tests"])}


def test_make_baseline_known_survivors() -> None:
    survivors = make_baseline(standard_run(), PROJECT)["survivors"]
    assert list(survivors) == ["c3", "d4"]
    assert survivors["c3"] == {"file": "src/pkg/b.py", "line": 4,
                               "operator": "boundary.relational", "original": "x < 1",
                               "replacement": "x <= 1"}


def test_nothing_scored_gives_a_null_score() -> None:
    data = make_baseline(results([mutant("a", "skipped")]), PROJECT)
    assert data["overall"]["score"] is None


def test_sampled_run_records_its_interval() -> None:
    run = results([mutant("a")], sampled=True, ci95=[20.654321, 100.0], seed="2026-11-21")
    assert make_baseline(run, PROJECT)["overall"]["ci95"] == [20.65, 100.0]
    assert make_baseline(run, PROJECT)["overall"]["measured"] == {"run": "sampled",
                                                                  "mutants": 1}


def test_sampled_run_without_a_recorded_interval_gets_one_from_its_counts() -> None:
    run = results([mutant("a"), mutant("b", "survived")], sampled=True, ci95=None)
    assert make_baseline(run, PROJECT)["overall"]["ci95"] == [9.45, 90.55]


@pytest.mark.parametrize(("key", "value", "words"), [
    ("diff_ref", "origin/main", "origin/main"),
    ("shard", [1, 4], "shard"),
])
def test_partial_runs_cannot_make_a_baseline(key: str, value: Any, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        make_baseline(results([mutant("a")], **{key: value}), PROJECT)


def test_unfinished_run_cannot_make_a_baseline() -> None:
    with pytest.raises(ConfigError, match="pending"):
        make_baseline(results([mutant("a"), mutant("b", "pending")]), PROJECT)


@pytest.mark.parametrize("bad", [
    {"mutants": []},
    {"run": {"operators": "operator"}, "mutants": []},
    {"run": {"operators": [], "settings": 3}, "mutants": []},
    {"run": {"operators": []}, "mutants": {}},
    {"run": {"operators": []}, "mutants": [{"id": "x", "file": "f.py", "line": 1,
                                             "status": "exploded"}]},
    {"run": {"operators": []}, "mutants": [{"id": 1}]},
])
def test_malformed_results_are_config_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        make_baseline(bad, PROJECT)


# -- render_baseline ----------------------------------------------------------------------------


def test_render_is_sorted_indented_and_ends_with_a_newline() -> None:
    text = render_baseline(make_baseline(standard_run(), PROJECT))
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.startswith('{\n  "files": {')
    assert json.loads(text) == make_baseline(standard_run(), PROJECT)
    keys = [line.split('"')[1] for line in text.splitlines() if line.startswith('  "')]
    assert keys == sorted(keys)


def test_render_is_deterministic_across_runs_and_mutant_order() -> None:
    run = standard_run()
    shuffled = results(list(reversed(run["mutants"])), id=99, started_at="2030-01-01T00:00:00",
                       wall_s=77.0, jobs=8, operators=list(reversed(OPERATORS)))
    assert render_baseline(make_baseline(run, PROJECT)) == \
        render_baseline(make_baseline(shuffled, PROJECT))


def test_render_has_no_timestamps_or_run_details() -> None:
    text = render_baseline(make_baseline(standard_run(), PROJECT))
    assert "2026" not in text and "wall_s" not in text and "started_at" not in text


def test_render_keeps_non_ascii_readable() -> None:
    run = results([mutant("a", "survived", original="'é'", replacement="''")])
    assert "'é'" in render_baseline(make_baseline(run, PROJECT))


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    data = make_baseline(standard_run(), PROJECT)
    path = tmp_path / "mutgate-baseline.json"
    write_text_atomic(path, render_baseline(data))
    assert load_baseline(path, PROJECT) == data
    assert load_baseline(path) == data


# -- load_baseline errors -----------------------------------------------------------------------


def assert_load_fails(path: Path, *words: str, project: str | None = PROJECT) -> str:
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(ConfigError) as info:
        load_baseline(path, project)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    for word in words:
        assert word in message
    assert info.value.exit_code == EXIT_USAGE
    if before is not None:
        assert path.read_bytes() == before
    return message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "mutgate-baseline.json"
    assert_load_fails(path, "not found", "mutgate baseline")
    assert not path.exists()


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert_load_fails(tmp_path, "cannot read")


@pytest.mark.parametrize("content", ["", "   \n\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    assert_load_fails(write(tmp_path / "b.json", content), "empty")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file(tmp_path: Path, fraction: float) -> None:
    text = render_baseline(make_baseline(standard_run(), PROJECT))
    assert_load_fails(write(tmp_path / "b.json", text[: int(len(text) * fraction)]), "truncated")


@pytest.mark.parametrize("content", ['{"format_version": 1, "proj', '{"a": [1, 2', '{"a":'])
def test_truncated_inside_a_value(tmp_path: Path, content: str) -> None:
    assert_load_fails(write(tmp_path / "b.json", content), "truncated")


def test_absurdly_long_number(tmp_path: Path) -> None:
    assert_load_fails(write(tmp_path / "b.json", "1" * 5000), "number too long")


@pytest.mark.parametrize("content", [
    "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> branch\n",
    "format_version = 1\n",
    '{"format_version": 1,,}',
    "{'single': 'quotes'}",
])
def test_mangled_file(tmp_path: Path, content: str) -> None:
    assert_load_fails(write(tmp_path / "b.json", content), "not valid JSON", "line")


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(b"\xff\xfe\x00garbage\x80")
    assert_load_fails(path, "not UTF-8")


def test_nan_is_rejected(tmp_path: Path) -> None:
    text = render_baseline(make_baseline(standard_run(), PROJECT)).replace("50.0", "NaN")
    assert_load_fails(write(tmp_path / "b.json", text), "NaN")


def test_deeply_nested_json(tmp_path: Path) -> None:
    assert_load_fails(write(tmp_path / "b.json", "[" * 100_000 + "]" * 100_000))


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    data = make_baseline(standard_run(), PROJECT)
    path = tmp_path / "b.json"
    path.write_bytes(b"\xef\xbb\xbf" + render_baseline(data).encode())
    assert load_baseline(path) == data


def test_foreign_project(tmp_path: Path) -> None:
    path = baseline_file(tmp_path, make_baseline(standard_run(), "other-project"))
    assert_load_fails(path, "'other-project'", "'demo'")


def test_newer_format_version(tmp_path: Path) -> None:
    data = make_baseline(standard_run(), PROJECT)
    data["format_version"] = FORMAT_VERSION + 1
    message = assert_load_fails(baseline_file(tmp_path, data), "newer mutgate", "upgrade")
    assert str(FORMAT_VERSION + 1) in message


def edit(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    node = data
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


DELETE = object()


@pytest.mark.parametrize(("dotted", "value", "words"), [
    ("format_version", "1", "format_version"),
    ("format_version", 0, "format_version"),
    ("format_version", True, "format_version"),
    ("format_version", DELETE, "format_version is missing"),
    ("project", "", "project"),
    ("project", 7, "project"),
    ("overall", [], "overall must be an object"),
    ("overall.score", "80", "overall.score"),
    ("overall.score", 100.5, "overall.score"),
    ("overall.score", -1, "overall.score"),
    ("overall.counts", DELETE, "overall.counts is missing"),
    ("overall.counts.killed", -3, "overall.counts['killed']"),
    ("overall.counts.killed", 1.5, "overall.counts['killed']"),
    ("overall.ci95", [90, 10], "overall.ci95"),
    ("overall.ci95", [10], "overall.ci95"),
    ("files", None, "files must be an object, not null"),
    ("files.src/pkg/mod.py.score", {}, "files['src/pkg/mod.py'].score"),
    ("operators", "operator", "operators"),
    ("operators", [1], "operators"),
    ("settings", [], "settings"),
    ("survivors", [], "survivors"),
    ("survivors.c3.line", 0, "survivors['c3'].line"),
    ("survivors.c3.line", True, "survivors['c3'].line"),
    ("survivors.c3.original", None, "survivors['c3'].original"),
    ("survivors.d4.file", DELETE, "survivors['d4'].file is missing"),
])
def test_wrong_shapes_and_types(tmp_path: Path, dotted: str, value: Any, words: str) -> None:
    data = make_baseline(standard_run(), PROJECT)
    if dotted.startswith("files."):
        data["files"]["src/pkg/mod.py"]["score"] = value
    else:
        edit(data, dotted, value)
    assert_load_fails(baseline_file(tmp_path, data), words)


@pytest.mark.parametrize("content", ["[]", "null", "42", '"text"', "true"])
def test_not_an_object(tmp_path: Path, content: str) -> None:
    assert_load_fails(write(tmp_path / "b.json", content), "expected a JSON object")


def test_long_values_are_shortened_in_messages(tmp_path: Path) -> None:
    data = edit(make_baseline(standard_run(), PROJECT), "overall.score", "x" * 500)
    assert len(assert_load_fails(baseline_file(tmp_path, data))) < 200


def test_unknown_extra_keys_are_tolerated(tmp_path: Path) -> None:
    data = make_baseline(standard_run(), PROJECT)
    data["comment"] = "added by hand"
    assert load_baseline(baseline_file(tmp_path, data))["comment"] == "added by hand"


# -- fuzzing ------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def load_or_config_error(path: Path, project: str | None = None) -> None:
    before = path.read_bytes()
    try:
        data = load_baseline(path, project)
    except ConfigError as exc:
        assert "\n" not in str(exc)
        assert str(exc).startswith(str(path))
    else:
        assert isinstance(data, dict)
    assert path.read_bytes() == before


@FUZZ
@given(raw=st.binary(max_size=300))
def test_fuzz_random_bytes(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(raw)
    load_or_config_error(path)


@FUZZ
@given(value=json_values)
def test_fuzz_random_json(tmp_path: Path, value: Any) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    load_or_config_error(path, PROJECT)


@FUZZ
@given(data=st.data())
def test_fuzz_one_field_of_a_valid_baseline(tmp_path: Path, data: st.DataObject) -> None:
    baseline = make_baseline(standard_run(), PROJECT)
    node: Any = baseline
    while isinstance(node, dict) and node:
        key = data.draw(st.sampled_from(sorted(node)))
        if not isinstance(node[key], dict) or data.draw(st.booleans()):
            node[key] = data.draw(json_values)
            break
        node = node[key]
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(baseline), encoding="utf-8")
    load_or_config_error(path, PROJECT)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=2000), junk=st.binary(max_size=5))
def test_fuzz_damaged_file(tmp_path: Path, cut: int, junk: bytes) -> None:
    raw = render_baseline(make_baseline(standard_run(), PROJECT)).encode()
    path = tmp_path / "fuzz.json"
    path.write_bytes(raw[:cut] + junk + raw[cut + len(junk):])
    load_or_config_error(path, PROJECT)


# -- staleness ----------------------------------------------------------------------------------


def test_current_baseline_is_not_stale() -> None:
    assert is_stale(make_baseline(standard_run(), PROJECT), standard_run(), PROJECT) == []


def test_score_change_is_stale() -> None:
    old = make_baseline(standard_run(), PROJECT)
    run = standard_run()
    run["mutants"][3]["status"] = "killed"  # d4 is killed now
    reasons = is_stale(old, run, PROJECT)
    assert any("overall score changed: 50.00% -> 75.00%" in r for r in reasons)
    assert any("killed or gone: d4" in r for r in reasons)
    assert any("file changed: src/pkg/mod.py" in r for r in reasons)


def test_new_survivor_and_new_file_are_stale() -> None:
    old = make_baseline(standard_run(), PROJECT)
    run = standard_run()
    run["mutants"].append(mutant("z9", "survived", file="src/pkg/new.py"))
    reasons = is_stale(old, run, PROJECT)
    assert any("1 new survivor: z9" in r for r in reasons)
    assert any("1 file new: src/pkg/new.py" in r for r in reasons)


def test_other_settings_are_stale() -> None:
    old = make_baseline(standard_run(), PROJECT)
    run = standard_run()
    run["run"]["settings"] = {"timeout_factor": 3.0, "timeout_constant": 1.0}
    run["run"]["operators"] = ["operator"]
    reasons = is_stale(old, run, PROJECT)
    assert any(r.startswith("operators changed") for r in reasons)
    assert any(r.startswith("settings changed") for r in reasons)


def test_other_project_is_stale() -> None:
    old = make_baseline(standard_run(), "elsewhere")
    assert any("'elsewhere'" in r for r in is_stale(old, standard_run(), PROJECT))


def test_counts_change_without_score_change_is_stale() -> None:
    old = make_baseline(standard_run(), PROJECT)
    run = standard_run()
    run["mutants"].append(mutant("g7", "skipped", file="src/pkg/mod.py"))
    assert "overall counts changed" in is_stale(old, run, PROJECT)


# -- the ratchet --------------------------------------------------------------------------------


def run_with_score(killed: int, survived: int, **run: Any) -> dict[str, Any]:
    mutants = [mutant(f"k{i}") for i in range(killed)]
    mutants += [mutant(f"s{i}", "survived", line=20 + i) for i in range(survived)]
    return results(mutants, **run)


def test_first_baseline_is_created() -> None:
    data, message = update_baseline(None, run_with_score(3, 1), PROJECT, allow_decrease=False)
    assert data == make_baseline(run_with_score(3, 1), PROJECT)
    assert message == "baseline created: score 75.00%, 1 known survivor in 1 file"


def test_ratchet_moves_up() -> None:
    old = make_baseline(run_with_score(3, 2), PROJECT)
    data, message = update_baseline(old, run_with_score(4, 1), PROJECT, allow_decrease=False)
    assert data["overall"]["score"] == 80.0
    assert message.startswith("baseline score raised from 60.00% to 80.00%")
    assert "1 known survivor (1 killed or gone, 0 new)" in message


def test_ratchet_accepts_an_equal_score() -> None:
    old = make_baseline(run_with_score(3, 1), PROJECT)
    data, message = update_baseline(old, run_with_score(3, 1), PROJECT, allow_decrease=False)
    assert data == old
    assert message.startswith("baseline score unchanged at 75.00%")


def test_ratchet_refuses_to_move_down() -> None:
    old = make_baseline(run_with_score(4, 1), PROJECT)
    with pytest.raises(BaselineDecrease) as info:
        update_baseline(old, run_with_score(3, 2), PROJECT, allow_decrease=False)
    message = str(info.value)
    assert "would drop from 80.00% to 60.00%" in message
    assert "--allow-decrease" in message
    assert info.value.exit_code == EXIT_GATE_FAILED


def test_ratchet_moves_down_when_allowed() -> None:
    old = make_baseline(run_with_score(4, 1), PROJECT)
    data, message = update_baseline(old, run_with_score(3, 2), PROJECT, allow_decrease=True)
    assert data["overall"]["score"] == 60.0
    assert message.startswith("baseline score lowered from 80.00% to 60.00% (--allow-decrease)")


def test_nothing_scored_counts_as_a_decrease() -> None:
    old = make_baseline(run_with_score(4, 1), PROJECT)
    empty = results([mutant("x", "no-tests")])
    with pytest.raises(BaselineDecrease, match="to nothing scored"):
        update_baseline(old, empty, PROJECT, allow_decrease=False)


def test_any_score_beats_an_empty_baseline() -> None:
    old = make_baseline(results([mutant("x", "no-tests")]), PROJECT)
    _, message = update_baseline(old, run_with_score(1, 9), PROJECT, allow_decrease=False)
    assert message.startswith("baseline score raised from nothing scored to 10.00%")


def test_settings_change_is_mentioned_and_still_ratcheted() -> None:
    old = make_baseline(run_with_score(4, 1), PROJECT)
    stronger = run_with_score(3, 2, operators=["operator", "boundary", "return", "extra"])
    with pytest.raises(BaselineDecrease, match="different operators or settings"):
        update_baseline(old, stronger, PROJECT, allow_decrease=False)
    _, message = update_baseline(old, run_with_score(9, 1, settings={"timeout_factor": 5.0}),
                                 PROJECT, allow_decrease=False)
    assert "different operators or settings" in message


def test_update_refuses_another_projects_baseline() -> None:
    old = make_baseline(run_with_score(4, 1), "elsewhere")
    with pytest.raises(ConfigError, match="elsewhere"):
        update_baseline(old, run_with_score(4, 1), PROJECT, allow_decrease=False)


def test_update_refuses_a_diff_run() -> None:
    old = make_baseline(run_with_score(4, 1), PROJECT)
    with pytest.raises(ConfigError, match="whole project"):
        update_baseline(old, run_with_score(5, 0, diff_ref="origin/main"), PROJECT, True)


# -- sampled runs: the baseline cannot be gamed by chance ------------------------------------


def sample_of(killed: int, survived: int, ci95: list[float] | None, **run: Any
              ) -> dict[str, Any]:
    return run_with_score(killed, survived, sampled=True, ci95=ci95, seed="2026-11-21", **run)


def test_a_lucky_sample_never_raises_a_full_runs_score() -> None:
    """The issue: a 50-mutant sample scoring 86% replaced a full run's 80.71%."""
    old = make_baseline(run_with_score(8, 2), PROJECT)  # full run, 80.00%
    lucky = sample_of(9, 1, ci95=[59.58, 98.21])
    data, message = update_baseline(old, lucky, PROJECT, allow_decrease=False)
    assert data["overall"] == old["overall"]
    assert data["overall"]["measured"] == {"run": "full", "mutants": 10}
    assert message.startswith(
        "baseline score kept at 80.00%, measured on a full run: a sample never raises it "
        "(this one's 90.00% has a 95% interval [59.58%, 98.21%]; a full run can)")


def test_even_a_confidently_higher_sample_does_not_raise_a_full_runs_score() -> None:
    old = make_baseline(run_with_score(5, 5), PROJECT)  # full run, 50.00%
    data, message = update_baseline(old, sample_of(95, 5, ci95=[88.83, 97.85]), PROJECT,
                                    allow_decrease=True)
    assert data["overall"] == old["overall"]
    assert message.startswith("baseline score kept at 50.00%, measured on a full run")


def test_a_sample_keeps_a_full_runs_file_scores_and_updates_its_survivors() -> None:
    old = make_baseline(results([
        mutant("a", "survived", file="src/a.py"),
        mutant("b", "survived", file="src/b.py"),
        mutant("c", "killed", file="src/c.py"),
    ]), PROJECT)
    sample = results([mutant("a", "killed", file="src/a.py"),
                      mutant("d", "survived", file="src/a.py", line=30)],
                     sampled=True, seed="2026-11-21", ci95=[9.45, 90.55])
    data, message = update_baseline(old, sample, PROJECT, allow_decrease=False)
    assert sorted(data["survivors"]) == ["b", "d"]  # a was killed, b not sampled, d is new
    assert data["files"] == old["files"]  # a.py's 1 of 2 sampled mutants is no score
    assert data["overall"] == old["overall"]
    assert message == ("baseline score kept at 33.33%, measured on a full run: a sample never "
                       "raises it (this one's 50.00% has a 95% interval [9.45%, 90.55%]; a full "
                       "run can); 2 known survivors (1 killed or gone, 1 new)")


@pytest.mark.parametrize("allow_decrease", [False, True])
def test_a_lower_sample_whose_interval_holds_the_score_keeps_it(allow_decrease: bool) -> None:
    old = make_baseline(run_with_score(9, 1), PROJECT)
    sample = sample_of(8, 2, ci95=[49.0, 94.3])
    data, message = update_baseline(old, sample, PROJECT, allow_decrease=allow_decrease)
    assert data["overall"] == old["overall"]
    assert message.startswith("baseline score kept at 90.00% (the sample's 80.00% has a 95% "
                              "interval [49.00%, 94.30%] that contains it)")


def test_a_confident_drop_needs_allow_decrease_and_names_the_interval() -> None:
    old = make_baseline(run_with_score(9, 1), PROJECT)
    sample = sample_of(8, 2, ci95=[49.0, 85.0])
    with pytest.raises(BaselineDecrease) as info:
        update_baseline(old, sample, PROJECT, allow_decrease=False)
    assert str(info.value) == (
        "the baseline score would drop from 90.00% to 80.00% (the sample's 95% interval "
        "[49.00%, 85.00%] is below 90.00%); pass --allow-decrease to accept the lower score")
    assert info.value.exit_code == EXIT_GATE_FAILED


def test_a_confident_drop_with_allow_decrease_lowers_to_the_sample() -> None:
    old = make_baseline(results([mutant(f"k{i}", file="src/a.py") for i in range(9)]
                                + [mutant("s", "survived", file="src/b.py")]), PROJECT)
    sample = results([mutant("k0", file="src/a.py"), mutant("s", "survived", file="src/b.py"),
                      mutant("t", "survived", file="src/b.py", line=40)],
                     sampled=True, seed="x", ci95=[6.15, 79.23])
    data, message = update_baseline(old, sample, PROJECT, allow_decrease=True)
    assert data["overall"]["score"] == 33.33
    assert data["overall"]["ci95"] == [6.15, 79.23]
    assert data["overall"]["measured"] == {"run": "sampled", "mutants": 3}
    # The sample set the score: the files it sampled take its scores, the others stay.
    assert data["files"]["src/b.py"]["score"] == 0.0
    assert data["files"]["src/a.py"]["score"] == 100.0
    assert message.startswith(
        "baseline score lowered from 90.00% to 33.33% (--allow-decrease; the sample's 95% "
        "interval [6.15%, 79.23%] is below 90.00%)")


def test_a_sample_raises_a_sampled_score_only_with_confidence() -> None:
    old = make_baseline(sample_of(6, 4, ci95=[31.27, 83.18]), PROJECT)  # sampled, 60.00%
    _, kept = update_baseline(old, sample_of(8, 2, ci95=[49.02, 94.33]), PROJECT, False)
    assert kept.startswith("baseline score kept at 60.00% (the sample's 80.00% has a 95% "
                           "interval [49.02%, 94.33%] that contains it)")
    confident = sample_of(95, 5, ci95=[88.83, 97.85])
    data, raised = update_baseline(old, confident, PROJECT, allow_decrease=False)
    assert data["overall"]["score"] == 95.0
    assert data["overall"]["measured"] == {"run": "sampled", "mutants": 100}
    assert raised.startswith("baseline score raised from 60.00% to 95.00% (the sample's 95% "
                             "interval [88.83%, 97.85%] is above the sampled baseline's score)")


def test_a_sample_that_scored_nothing_keeps_the_score() -> None:
    old = make_baseline(run_with_score(9, 1), PROJECT)
    empty = results([mutant("x", "no-tests")], sampled=True, ci95=None)
    data, message = update_baseline(old, empty, PROJECT, allow_decrease=False)
    assert data["overall"] == old["overall"]
    assert message.startswith("baseline score kept at 90.00% (the sample scored no mutant)")


def test_a_sample_scores_a_baseline_that_had_no_score() -> None:
    old = make_baseline(results([mutant("x", "no-tests")]), PROJECT)
    data, message = update_baseline(old, sample_of(8, 2, ci95=[49.02, 94.33]), PROJECT, False)
    assert data["overall"]["score"] == 80.0
    assert message.startswith("baseline score raised from nothing scored to 80.00% (on a "
                              "sample of 10 mutants, 95% interval [49.02%, 94.33%])")


def test_a_first_baseline_from_a_sample_says_so() -> None:
    _, message = update_baseline(None, sample_of(8, 2, ci95=[49.02, 94.33]), PROJECT, False)
    assert message == ("baseline created: score 80.00% (on a sample of 10 mutants, 95% "
                       "interval [49.02%, 94.33%]), 2 known survivors in 1 file")


def test_a_full_run_measures_a_sampled_score_it_falls_within() -> None:
    old = make_baseline(sample_of(9, 1, ci95=[59.58, 98.21]), PROJECT)  # sampled, 90.00%
    data, message = update_baseline(old, run_with_score(8, 2), PROJECT, allow_decrease=False)
    assert data == make_baseline(run_with_score(8, 2), PROJECT)
    assert message.startswith("baseline score set from 90.00% to 80.00% by a full run (the "
                              "sampled baseline's 95% interval [59.58%, 98.21%] contains it)")


def test_a_full_run_equal_to_a_sampled_score_leaves_it_measured_fully() -> None:
    old = make_baseline(sample_of(8, 2, ci95=[49.02, 94.33]), PROJECT)
    data, message = update_baseline(old, run_with_score(8, 2), PROJECT, allow_decrease=False)
    assert data["overall"]["measured"] == {"run": "full", "mutants": 10}
    assert message.startswith("baseline score unchanged at 80.00% (measured on a full run now, "
                              "not on a sample of 10 mutants)")


def test_a_full_run_at_a_sampled_scores_lower_bound_is_no_drop() -> None:
    old = make_baseline(sample_of(9, 1, ci95=[50.0, 98.21]), PROJECT)
    _, message = update_baseline(old, run_with_score(5, 5), PROJECT, allow_decrease=False)
    assert message.startswith("baseline score set from 90.00% to 50.00% by a full run")


def test_a_sample_whose_upper_bound_is_the_score_is_no_confident_drop() -> None:
    old = make_baseline(run_with_score(9, 1), PROJECT)  # 90.00%
    data, message = update_baseline(old, sample_of(7, 3, ci95=[39.68, 90.0]), PROJECT, False)
    assert data["overall"] == old["overall"]
    assert message.startswith("baseline score kept at 90.00% (the sample's 70.00%")


def test_a_sample_whose_lower_bound_is_a_sampled_score_does_not_raise_it() -> None:
    old = make_baseline(sample_of(6, 4, ci95=[31.27, 83.18]), PROJECT)  # sampled, 60.00%
    data, _ = update_baseline(old, sample_of(9, 1, ci95=[60.0, 98.21]), PROJECT, False)
    assert data["overall"]["score"] == 60.0


def test_a_full_run_below_a_sampled_scores_interval_is_a_drop() -> None:
    old = make_baseline(sample_of(9, 1, ci95=[59.58, 98.21]), PROJECT)
    with pytest.raises(BaselineDecrease, match="would drop from 90.00% to 50.00%"):
        update_baseline(old, run_with_score(5, 5), PROJECT, allow_decrease=False)


def test_a_full_run_raising_a_sampled_score_says_it_is_measured_fully_now() -> None:
    old = make_baseline(sample_of(6, 4, ci95=[31.27, 83.18]), PROJECT)
    data, message = update_baseline(old, run_with_score(9, 1), PROJECT, allow_decrease=False)
    assert data["overall"]["measured"] == {"run": "full", "mutants": 10}
    assert data["overall"]["ci95"] is None
    assert message.startswith("baseline score raised from 60.00% to 90.00% (measured on a full "
                              "run now, not on a sample of 10 mutants)")


def test_the_nightly_flow_never_ratchets_up_on_luck() -> None:
    """Full run, then a night of samples: lucky and unlucky ones alike leave the score."""
    baseline = make_baseline(run_with_score(8, 2), PROJECT)
    for killed, survived, ci95 in [(10, 0, [72.25, 100.0]), (6, 4, [31.27, 83.18]),
                                   (9, 1, [59.58, 98.21]), (7, 3, [39.68, 89.22])]:
        baseline, _ = update_baseline(baseline, sample_of(killed, survived, ci95), PROJECT,
                                      allow_decrease=False)
        assert baseline["overall"]["score"] == 80.0
        assert baseline["overall"]["measured"]["run"] == "full"


def test_a_sample_that_keeps_the_score_leaves_the_baseline_current() -> None:
    old = make_baseline(run_with_score(8, 2), PROJECT)
    assert is_stale(old, sample_of(9, 1, ci95=[59.58, 98.21]), PROJECT) == []


def test_a_confident_drop_makes_the_baseline_stale() -> None:
    old = make_baseline(run_with_score(9, 1), PROJECT)
    reasons = is_stale(old, sample_of(8, 2, ci95=[49.0, 85.0]), PROJECT)
    assert "overall score changed: 90.00% -> 80.00%" in reasons


# -- baselines written before mutgate recorded how they were measured --------------------------


def legacy(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as mutgate wrote it before ``overall.measured``."""
    del data["overall"]["measured"]
    return data


def test_a_legacy_baseline_loads_and_is_read_as_its_interval_says(tmp_path: Path) -> None:
    from mutgate.baseline import is_sampled, measured_on

    full = load_baseline(baseline_file(tmp_path, legacy(make_baseline(standard_run(),
                                                                      PROJECT))), PROJECT)
    assert measured_on(full["overall"]) == {"run": "full", "mutants": 6}
    sampled = legacy(make_baseline(sample_of(9, 1, ci95=[59.58, 98.21]), PROJECT))
    assert is_sampled(load_baseline(baseline_file(tmp_path, sampled), PROJECT))


def test_a_legacy_sampled_baseline_is_not_raised_by_luck_either() -> None:
    old = legacy(make_baseline(sample_of(8, 2, ci95=[49.02, 94.33]), PROJECT))
    data, message = update_baseline(old, sample_of(10, 0, ci95=[72.25, 100.0]), PROJECT, False)
    assert data["overall"]["score"] == 80.0
    assert data["overall"]["measured"] == {"run": "sampled", "mutants": 10}
    assert message.startswith("baseline score kept at 80.00%")


def test_a_legacy_baseline_is_not_stale_for_lacking_the_record() -> None:
    assert is_stale(legacy(make_baseline(standard_run(), PROJECT)), standard_run(),
                    PROJECT) == []


def test_the_committed_baseline_of_this_repository_still_loads() -> None:
    """`.ci/run` gates mutgate with it: it must load as the baseline of this project."""
    from mutgate.baseline import is_sampled
    from mutgate.config import project_name

    root = Path(__file__).resolve().parents[2]
    data = load_baseline(root / "mutgate-baseline.json", project_name(root))
    assert data["overall"]["score"] is not None
    assert is_sampled(data) == (data["overall"]["ci95"] is not None)


@pytest.mark.parametrize(("measured", "ci95", "words"), [
    ([], None, "overall.measured must be an object"),
    ({"mutants": 3}, None, "overall.measured.run is missing"),
    ({"run": "partial", "mutants": 3}, None, "overall.measured.run must be 'full' or 'sampled'"),
    ({"run": "full"}, None, "overall.measured.mutants is missing"),
    ({"run": "full", "mutants": -1}, None, "overall.measured.mutants must be a count"),
    ({"run": "full", "mutants": True}, None, "overall.measured.mutants must be a count"),
    ({"run": "sampled", "mutants": 3}, None, "has no 95% interval"),
    ({"run": "full", "mutants": 3}, [10.0, 90.0], "only a sampled score has one"),
])
def test_a_bad_measured_record_is_refused(tmp_path: Path, measured: Any, ci95: Any,
                                          words: str) -> None:
    data = make_baseline(standard_run(), PROJECT)
    data["overall"]["measured"] = measured
    data["overall"]["ci95"] = ci95
    assert_load_fails(baseline_file(tmp_path, data), words)


def test_updated_baseline_renders_identically_to_a_fresh_one() -> None:
    old = make_baseline(run_with_score(3, 2), PROJECT)
    data, _ = update_baseline(old, run_with_score(4, 1), PROJECT, allow_decrease=False)
    assert render_baseline(data) == render_baseline(make_baseline(run_with_score(4, 1), PROJECT))
