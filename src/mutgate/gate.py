"""The merge gate: judge a run's results against the committed baseline.

The gate fails when the overall score, or the score of a file the run measured, drops more than
``tolerance`` percentage points below the baseline, or when a survivor appears that the baseline
does not know (anywhere, only on changed lines, or never, by ``survivor_rule``). A sampled run
is judged by its 95% interval: it fails only when even the interval's upper bound is below the
allowed minimum, its per-file scores are not judged, and its new survivors are information.
A baseline measured on a sample knows its score only roughly: runs are compared with the lower
bound of its interval. The verdict line names the rule it applied, with the numbers compared:
``full: score 80.7% ≥ baseline 80.7% − 1.0``, ``sampled: upper bound 93.0% ≥ baseline 80.7%
− 1.0 (score 86.0%, 95% CI 73.8-93.0 from 50 scored mutants)``.

The verdict also carries the assertion-free tests (``assertion_free.py``); ``gate_report.py``
renders it all for the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mutgate.assertion_free import assertion_free_tests
from mutgate.baseline import is_sampled
from mutgate.config_keys import SURVIVOR_RULES
from mutgate.errors import ConfigError
from mutgate.outcome import PENDING, SURVIVED, count_statuses, score
from mutgate.run_results import (
    VERDICTS,
    file_summaries,
    is_finite_number,
    measured_with,
    result_mutants,
    run_info,
    run_interval,
)
from mutgate.stats import score_interval

#: Scores are compared as the baseline stores them (two decimals); this absorbs float noise.
_EPSILON = 1e-9


@dataclass
class GateVerdict:
    """The gate's decision and everything needed to explain it."""

    passed: bool
    reasons: list[str]
    new_survivors: list[dict[str, Any]]
    baseline_score: float | None
    current_score: float | None
    tolerance: float
    assertion_free_tests: list[dict[str, Any]] = field(default_factory=list)
    #: Things worth saying that do not affect the verdict (e.g. rules skipped for a sample).
    notes: list[str] = field(default_factory=list)
    sampled: bool = False
    ci95: tuple[float, float] | None = None
    #: A run of part of the project (``--diff``): its score is shown, never compared.
    partial: bool = False
    #: Why new survivors do not decide (a sampled run or baseline), or "" when they do.
    survivors_info: str = ""
    #: The overall rule as applied, with the numbers compared (the verdict line says it):
    #: ``full: score 80.7% ≥ baseline 80.7% − 1.0``.
    rule: str = ""
    #: Whether the overall score passed its rule (the verdict may fail on other rules).
    score_passed: bool = True
    #: The other rules that failed, briefly: ``1 file below its baseline``.
    also_failed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ci95"] = list(self.ci95) if self.ci95 else None
        return data


def judge(
    results: Mapping[str, Any],
    baseline: Mapping[str, Any],
    tolerance: float,
    survivor_rule: str = "anywhere",
    changed_lines: Mapping[str, set[int]] | None = None,
    partial: bool = False,
) -> GateVerdict:
    """Judge ``results`` against ``baseline`` (as returned by ``load_baseline``).

    ``partial`` marks a run of part of the project (``--diff``): its score is not comparable
    with the whole project's, so only new survivors decide; the scores are shown as notes.

    ``ConfigError`` for a bad tolerance or rule, ``"changed-lines"`` without ``changed_lines``,
    or a run measured with other operators or settings than the baseline.
    """
    if not is_finite_number(tolerance) or tolerance < 0:
        raise ConfigError(f"the tolerance must be a number of percentage points >= 0, "
                          f"not {tolerance!r}")
    if survivor_rule not in SURVIVOR_RULES:
        raise ConfigError(f"unknown survivor rule {survivor_rule!r} "
                          f"(choose from {', '.join(SURVIVOR_RULES)})")
    if survivor_rule == "changed-lines" and changed_lines is None:
        raise ConfigError("the survivor rule 'changed-lines' needs the changed lines "
                          "(run with --diff)")
    check_settings(results, baseline)
    mutants = result_mutants(results)
    run = run_info(results)
    sampled = bool(run.get("sampled"))
    counts = count_statuses(m["status"] for m in mutants)
    current = score(counts)
    scored = sum(counts.get(status, 0) for status in VERDICTS)
    ci95 = run_interval(run, counts) if sampled else None
    baseline_score = baseline["overall"]["score"]
    verdict = GateVerdict(
        passed=True, reasons=[], new_survivors=[], baseline_score=baseline_score,
        current_score=None if current is None else round(current, 2),
        tolerance=float(tolerance), assertion_free_tests=assertion_free_tests(results),
        sampled=sampled, ci95=ci95, partial=partial,
    )
    pending = counts.get(PENDING, 0)
    if pending:
        verdict.notes.append(f"the run is unfinished: {pending} mutant(s) pending, not judged")
    if partial:
        verdict.notes.append("run of the changed code only: scores are not compared with the "
                             "whole project's baseline; new survivors decide")
    elif sampled:
        _judge_overall(verdict, baseline, scored)
        verdict.notes.append("sampled run: per-file scores are not judged")
    else:
        _judge_overall(verdict, baseline, scored)
        _judge_files(verdict, mutants, baseline)
    _judge_survivors(verdict, mutants, baseline, survivor_rule, changed_lines)
    verdict.passed = not verdict.reasons
    return verdict


def check_settings(results: Mapping[str, Any], baseline: Mapping[str, Any]) -> None:
    """``ConfigError`` unless ``results`` were measured as the baseline was."""
    run = measured_with(results)
    differences = []
    if run["operators"] != sorted(baseline["operators"]):
        differences.append(f"operators {', '.join(run['operators']) or '(none)'} vs "
                           f"{', '.join(sorted(baseline['operators'])) or '(none)'}")
    if run["settings"] != baseline["settings"]:
        differences.append(f"settings {_settings(run['settings'])} vs "
                           f"{_settings(baseline['settings'])}")
    if differences:
        raise ConfigError(
            "the run was measured differently from the baseline (run vs baseline: "
            + "; ".join(differences)
            + "): re-run with the baseline's settings or update the baseline"
        )


def summary_line(verdict: GateVerdict) -> str:
    """The last line, naming the rule applied: ``gate: FAILED — full: score 71.4% < baseline
    80.0% − 2.0``; other rules that failed follow it (``; and 3 new surviving mutants``)."""
    state = "passed" if verdict.passed else "FAILED"
    if verdict.partial:
        return (f"gate: {state} — changed code only: score {_pct(verdict.current_score)}, not "
                f"compared with baseline {_pct(verdict.baseline_score)}")
    line = f"gate: {state} — {verdict.rule}"
    if verdict.also_failed:
        line += ("; and " if not verdict.score_passed else "; but ") + \
            ", ".join(verdict.also_failed)
    return line


# -- the rules ----------------------------------------------------------------------------------


def _judge_overall(verdict: GateVerdict, baseline: Mapping[str, Any], scored: int) -> None:
    """The overall score's rule, applied: ``verdict.rule`` says it, with the numbers."""
    kind = "sampled" if verdict.sampled else "full"
    base, current = verdict.baseline_score, verdict.current_score
    if base is None:
        verdict.rule = f"{kind}: score {_pct(current)}, not compared (the baseline has no score)"
        verdict.notes.append("the baseline has no score yet: the overall score is not judged")
        return
    if current is None:
        verdict.rule = f"{kind}: nothing scored, not compared with baseline {_pct(base)}"
        verdict.notes.append("the run scored no mutants: the overall score is not judged")
        return
    reference, label, details = base, "baseline", []
    if verdict.ci95 is not None:
        low, high = verdict.ci95
        value, value_label = high, "upper bound"
        details.append(f"score {_pct(current)}, 95% CI {low:.1f}-{high:.1f} from {scored} "
                       f"scored mutant{'' if scored == 1 else 's'}")
    else:
        value, value_label = current, "score"
    baseline_ci95 = baseline["overall"].get("ci95")
    if is_sampled(baseline) and baseline_ci95 is not None:
        # A baseline measured on a sample knows the score only roughly (its point estimate is
        # as likely too high as too low): compare with the lower end of its interval.
        reference, label = float(baseline_ci95[0]), "sampled baseline's lower bound"
        details.append(f"baseline {_pct(base)}, 95% CI {baseline_ci95[0]:.1f}-"
                       f"{baseline_ci95[1]:.1f}")
    minimum = reference - verdict.tolerance
    passed = value >= minimum - _EPSILON
    digits = 1
    if (round(value, 1) >= round(reference, 1) - verdict.tolerance - _EPSILON) != passed:
        digits = 2  # one decimal would show the comparison the wrong way round
    verdict.rule = (f"{kind}: {value_label} {value:.{digits}f}% {'≥' if passed else '<'} "
                    f"{label} {reference:.{digits}f}% − {_points(verdict.tolerance)}"
                    + (f" ({'; '.join(details)})" if details else ""))
    verdict.score_passed = passed
    if passed:
        return
    label = f"{'the ' if label != 'baseline' else ''}{label} {_pct(reference)}"
    if verdict.ci95 is not None:
        verdict.reasons.append(
            f"overall score dropped: even the sample's upper bound {value:.1f}% "
            f"(95% CI {verdict.ci95[0]:.1f}-{value:.1f}) is below {label} "
            f"minus tolerance {_points(verdict.tolerance)}"
        )
    else:
        verdict.reasons.append(
            f"overall score {_pct(current)} is {reference - current:.1f} points below "
            f"{label} (tolerance {_points(verdict.tolerance)})"
        )


def _judge_files(
    verdict: GateVerdict, mutants: list[dict[str, Any]], baseline: Mapping[str, Any]
) -> None:
    known = baseline["files"]
    sampled_baseline = is_sampled(baseline)
    dropped = 0
    for file, summary in file_summaries(mutants).items():
        current = summary["score"]
        if file not in known or current is None or known[file]["score"] is None:
            continue
        reference, label = known[file]["score"], "baseline"
        if sampled_baseline:
            # A baseline measured on a sample knows a file's score only roughly: compare with
            # the lower end of what its sampled counts allow.
            reference = round(score_interval(known[file]["counts"])[0], 2)
            label = "the sampled baseline's lower bound"
        if current < reference - verdict.tolerance - _EPSILON:
            dropped += 1
            verdict.reasons.append(
                f"{file}: score {_pct(current)} is {reference - current:.1f} points below "
                f"{label} {_pct(reference)} (tolerance {_points(verdict.tolerance)})"
            )
    if dropped:
        verdict.also_failed.append(f"{dropped} file{'' if dropped == 1 else 's'} below "
                                   f"{'its' if dropped == 1 else 'their'} baseline")


def _judge_survivors(
    verdict: GateVerdict,
    mutants: list[dict[str, Any]],
    baseline: Mapping[str, Any],
    rule: str,
    changed_lines: Mapping[str, set[int]] | None,
) -> None:
    if rule == "off":
        return
    known = baseline["survivors"]
    new = [m for m in mutants if m["status"] == SURVIVED and m["id"] not in known]
    if rule == "changed-lines":
        new = [m for m in new if _touches(m, (changed_lines or {}).get(m["file"], set()))]
    new.sort(key=lambda m: (m["file"], m["line"], m.get("col") or 0, m["id"]))
    verdict.new_survivors = [_survivor_view(m) for m in new]
    if not new:
        return
    where = " on changed lines" if rule == "changed-lines" else ""
    message = f"{len(new)} new surviving mutant(s){where} that the baseline does not know"
    if verdict.sampled:
        verdict.survivors_info = "sampled run"
    elif rule == "anywhere" and is_sampled(baseline):
        # The baseline ran a sample: a survivor it does not know may simply not have been drawn.
        verdict.survivors_info = "the baseline is a sample"
    if verdict.survivors_info:
        verdict.notes.append(f"{message} (information only: {verdict.survivors_info})")
    else:
        verdict.reasons.append(message)
        verdict.also_failed.append(f"{len(new)} new surviving mutant{'' if len(new) == 1 else 's'}"
                                   f"{where}")


def _touches(mutant: Mapping[str, Any], lines: set[int]) -> bool:
    first = mutant["line"]
    last = mutant.get("end_line") if isinstance(mutant.get("end_line"), int) else first
    return any(line in lines for line in range(first, max(first, last) + 1))


def _survivor_view(mutant: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "file", "line", "col", "end_line", "end_col", "operator", "original",
            "replacement", "qualname")
    view = {key: mutant.get(key) for key in keys}
    view["covered_by"] = sorted(t for t in mutant.get("covered_by") or () if isinstance(t, str))
    return view


def _settings(settings: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={settings[k]!r}" for k in sorted(settings)) + "}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _points(value: float) -> str:
    return f"{value:.1f}" if round(value, 1) == value else f"{value:g}"
