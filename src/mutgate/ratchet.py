"""The ratchet: how a new run moves the committed baseline, and whether the baseline is stale.

``update_baseline`` raises the score freely but refuses to lower it unless the user says so
(``BaselineDecrease``, exit 1); ``is_stale`` says why a baseline no longer describes a run.

A sample's score is an estimate, so it cannot be gamed by chance, a sampled run moves the
overall score only on what its interval shows with confidence:

- it never raises a score measured on a full run (it confirms it, or lowers it);
- it lowers a score only when the interval's upper bound is below it (and, as for any decrease,
  only with ``allow_decrease``);
- it raises a sampled score only when the interval's lower bound is above it;
- otherwise the score stays, and so do the per-file scores (a file's few sampled mutants would
  make its score as lucky as the overall one). When a sample does set the score, the files it
  sampled take its per-file scores and the others stay.

A sampled run always updates the survivor status of the mutants it ran (whether a mutant
survives is a fact, not an estimate); the rest of the known survivors stay. A full run replaces
everything; below a sampled baseline's score but inside that score's interval it is no drop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mutgate.baseline import (
    FORMAT_VERSION,
    FULL,
    SAMPLED,
    brief_json,
    describe_measured,
    make_baseline,
    measured_on,
)
from mutgate.errors import EXIT_GATE_FAILED, ConfigError, MutgateError
from mutgate.run_results import result_mutants, run_info
from mutgate.text import plural


class BaselineDecrease(MutgateError):
    """Updating the baseline would lower its score, and the user did not allow that."""

    exit_code = EXIT_GATE_FAILED


def updated_baseline(
    old: Mapping[str, Any] | None, results: Mapping[str, Any], project: str
) -> dict[str, Any]:
    """What the baseline becomes after ``results`` when a decrease is allowed (no ratchet check).

    A full run replaces everything. A sampled run updates the survivor status of the mutants it
    ran; it sets the overall score (and the scores of the files it sampled) only as the rules
    in this module's docstring say, and keeps the rest of ``old``.
    """
    return _update(old, results, project, allow_decrease=True)[0]


def is_stale(baseline: Mapping[str, Any], results: Mapping[str, Any], project: str) -> list[str]:
    """Why ``baseline`` no longer describes ``results`` (empty when it is current)."""
    new = updated_baseline(baseline, results, project)
    reasons = []
    if baseline.get("project") != project:
        reasons.append(f"it is the baseline of {baseline.get('project')!r}, not {project!r}")
    if baseline.get("format_version") != FORMAT_VERSION:
        reasons.append(f"it has format_version {baseline.get('format_version')}, "
                       f"not {FORMAT_VERSION}")
    for key in ("operators", "settings"):
        if baseline.get(key) != new[key]:
            reasons.append(f"{key} changed: {brief_json(baseline.get(key))} -> "
                           f"{brief_json(new[key])}")
    old_overall, new_overall = _recorded(baseline.get("overall", {})), new["overall"]
    if old_overall.get("score") != new_overall["score"]:
        reasons.append(f"overall score changed: {_pct(old_overall.get('score'))} -> "
                       f"{_pct(new_overall['score'])}")
    elif old_overall.get("measured", {}).get("run") != new_overall["measured"]["run"]:
        reasons.append(f"the score is measured on {describe_measured(new_overall)} now, not "
                       f"{describe_measured(old_overall)}")
    elif old_overall != new_overall:
        reasons.append("overall counts changed")
    reasons.extend(_file_changes(baseline.get("files", {}), new["files"]))
    reasons.extend(_survivor_changes(baseline.get("survivors", {}), new["survivors"]))
    return reasons


def update_baseline(
    old: Mapping[str, Any] | None,
    results: Mapping[str, Any],
    project: str,
    allow_decrease: bool,
) -> tuple[dict[str, Any], str]:
    """The ratchet: the new baseline data and one line saying what changed.

    A full run's score that stays or rises is accepted; a lower one raises ``BaselineDecrease``
    (exit 1) unless ``allow_decrease`` — but for a score still inside a sampled baseline's
    interval, which the full run measures exactly. A run that scored nothing counts as lower
    than any score. A sampled run follows the rules of this module's docstring: it never raises
    a full run's score, and lowers a score only with confidence (and ``allow_decrease``).
    """
    if old is not None and old.get("project") != project:
        raise ConfigError(f"the baseline is of project {old.get('project')!r}, not {project!r}")
    return _update(old, results, project, allow_decrease)


def _recorded(overall: Mapping[str, Any]) -> dict[str, Any]:
    """``overall`` with how it was measured, inferred for a baseline that did not record it."""
    return {**overall, "measured": measured_on(overall)} if overall else {}


def _update(old: Mapping[str, Any] | None, results: Mapping[str, Any], project: str,
            allow_decrease: bool) -> tuple[dict[str, Any], str]:
    """`update_baseline` without the project check (`is_stale` reports another project)."""
    new = make_baseline(results, project)
    after = new["overall"]["score"]
    if old is None:
        made = "" if new["overall"]["measured"]["run"] == FULL else \
            f" (on {describe_measured(new['overall'])}, 95% interval " \
            f"{_interval(new['overall']['ci95'])})"
        return new, (f"baseline created: score {_pct(after)}{made}, "
                     f"{plural(len(new['survivors']), 'known survivor')} "
                     f"in {plural(len(new['files']), 'file')}")
    old_overall = _recorded(old["overall"])
    settings_note = ""
    if (old["operators"], old["settings"]) != (new["operators"], new["settings"]):
        settings_note = " (measured with different operators or settings)"
    if run_info(results).get("sampled"):
        verb, takes_score = _sample_rule(old_overall, new["overall"], allow_decrease,
                                         settings_note)
        measured = {m["id"] for m in result_mutants(results)}
        survivors = {k: v for k, v in old["survivors"].items() if k not in measured}
        survivors.update(new["survivors"])
        new["survivors"] = dict(sorted(survivors.items()))
        if takes_score:
            new["files"] = dict(sorted({**old["files"], **new["files"]}.items()))
        else:
            new["overall"] = old_overall
            new["files"] = dict(old["files"])
    else:
        verb = _full_rule(old_overall, new["overall"], allow_decrease, settings_note)
    gone = len(set(old["survivors"]) - set(new["survivors"]))
    added = len(set(new["survivors"]) - set(old["survivors"]))
    survivors_text = (f"{plural(len(new['survivors']), 'known survivor')} "
                      f"({gone} killed or gone, {added} new)")
    return new, f"baseline score {verb}{settings_note}; {survivors_text}"


def _full_rule(old: Mapping[str, Any], new: Mapping[str, Any], allow_decrease: bool,
               settings_note: str) -> str:
    """What a full run does to the overall score (it always takes it, or refuses)."""
    before, after = old["score"], new["score"]
    was = "" if measured_on(old)["run"] == FULL else \
        f" (measured on a full run now, not on {describe_measured(old)})"
    if measured_on(old)["run"] == SAMPLED and before is not None and after is not None \
            and old["ci95"][0] <= after < before:
        # A sample knew the score only roughly: a full run measures it, and is no drop while
        # the sample's interval holds its score.
        return (f"set from {_pct(before)} to {_pct(after)} by a full run (the sampled "
                f"baseline's 95% interval {_interval(old['ci95'])} contains it)")
    if _lower(after, before):
        if not allow_decrease:
            raise BaselineDecrease(
                f"the baseline score would drop from {_pct(before)} to {_pct(after)}"
                f"{settings_note}; pass --allow-decrease to accept the lower score")
        return f"lowered from {_pct(before)} to {_pct(after)} (--allow-decrease){was}"
    if after == before:
        return f"unchanged at {_pct(after)}{was}"
    return f"raised from {_pct(before)} to {_pct(after)}{was}"


def _sample_rule(old: Mapping[str, Any], sample: Mapping[str, Any], allow_decrease: bool,
                 settings_note: str) -> tuple[str, bool]:
    """What a sampled run does to the overall score, and whether it takes the sample's."""
    before, after = old["score"], sample["score"]
    low, high = sample["ci95"]
    interval = _interval(sample["ci95"])
    if before is None:
        return (f"raised from nothing scored to {_pct(after)} (on "
                f"{describe_measured(sample)}, 95% interval {interval})", True)
    if high < before:
        if not allow_decrease:
            raise BaselineDecrease(
                f"the baseline score would drop from {_pct(before)} to {_pct(after)}"
                f"{settings_note} (the sample's 95% interval {interval} is below "
                f"{_pct(before)}); pass --allow-decrease to accept the lower score")
        return (f"lowered from {_pct(before)} to {_pct(after)} (--allow-decrease; the "
                f"sample's 95% interval {interval} is below {_pct(before)})", True)
    if measured_on(old)["run"] == SAMPLED and low > before:
        return (f"raised from {_pct(before)} to {_pct(after)} (the sample's 95% interval "
                f"{interval} is above the sampled baseline's score)", True)
    if after is None:
        return f"kept at {_pct(before)} (the sample scored no mutant)", False
    if measured_on(old)["run"] == FULL and after > before:
        return (f"kept at {_pct(before)}, measured on a full run: a sample never raises it "
                f"(this one's {_pct(after)} has a 95% interval {interval}; a full run can)",
                False)
    return (f"kept at {_pct(before)} (the sample's {_pct(after)} has a 95% interval "
            f"{interval} that contains it)", False)


def _interval(ci95: Any) -> str:
    return f"[{ci95[0]:.2f}%, {ci95[1]:.2f}%]"


def _lower(after: float | None, before: float | None) -> bool:
    if before is None:
        return False
    return after is None or after < before


def _file_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(f for f in set(old) & set(new) if old[f] != new[f])
    reasons = []
    for label, files in (("new", added), ("gone", removed), ("changed", changed)):
        if files:
            reasons.append(f"{plural(len(files), 'file')} {label}: {_names(files)}")
    return reasons


def _survivor_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    reasons = []
    gone = sorted(set(old) - set(new))
    added = sorted(set(new) - set(old))
    if gone:
        reasons.append(f"{plural(len(gone), 'known survivor')} killed or gone: {_names(gone)}")
    if added:
        reasons.append(f"{plural(len(added), 'new survivor')}: {_names(added)}")
    return reasons


def _names(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def _pct(value: float | None) -> str:
    return "nothing scored" if value is None else f"{value:.2f}%"
