"""The committed baseline (``mutgate-baseline.json``): the scores a change is judged against.

The baseline holds the overall and per-file mutation scores, the operators and settings they
were measured with, and the known survivors (mutants no test kills, accepted for now). It is
written for review in a diff: sorted keys, no timestamps, scores rounded to two decimals, one
survivor per block. It moves like a ratchet: ``update_baseline`` raises the score freely but
refuses to lower it unless the user says so.

A baseline is measured on the whole project (or on a random sample of it); a run restricted to a
diff or a shard cannot make one. The overall score records how it was measured
(``overall.measured``: ``{"run": "full" | "sampled", "mutants": N}``, and ``overall.ci95``, the
95% interval of a sampled score). A sample's score is an estimate, so it cannot be gamed by
chance, a sampled run moves the overall score only on what its interval shows with confidence:

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

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mutgate.errors import EXIT_GATE_FAILED, ConfigError, MutgateError
from mutgate.outcome import DETECTED, PENDING, STATUSES, SURVIVED, count_statuses, score
from mutgate.stats import score_interval
from mutgate.text import shorten

FORMAT_VERSION = 1
BASELINE_FILENAME = "mutgate-baseline.json"
#: Statuses that are a verdict on a mutant; the others say nothing about the tests.
VERDICTS = (*DETECTED, SURVIVED)
_SURVIVOR_FIELDS = ("file", "line", "operator", "original", "replacement")
#: How a baseline's overall score was measured (``overall.measured.run``).
FULL, SAMPLED = "full", "sampled"


class BaselineDecrease(MutgateError):
    """Updating the baseline would lower its score, and the user did not allow that."""

    exit_code = EXIT_GATE_FAILED


# -- reading a results dict ---------------------------------------------------------------------


def run_info(results: Mapping[str, Any]) -> dict[str, Any]:
    """The ``run`` section of a results dict; ``ConfigError`` when it is missing or malformed."""
    run = results.get("run") if isinstance(results, Mapping) else None
    if not isinstance(run, Mapping):
        raise ConfigError("results: no 'run' section")
    operators = run.get("operators")
    if not isinstance(operators, list) or not all(isinstance(o, str) for o in operators):
        raise ConfigError("results: run.operators must be a list of operator names")
    if not isinstance(run.get("settings", {}), Mapping):
        raise ConfigError("results: run.settings must be an object")
    return dict(run)


def result_mutants(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The mutants of a results dict; ``ConfigError`` when they are not a list of objects."""
    mutants = results.get("mutants", [])
    if not isinstance(mutants, list):
        raise ConfigError("results: 'mutants' must be a list")
    for mutant in mutants:
        if not isinstance(mutant, Mapping) or not isinstance(mutant.get("id"), str):
            raise ConfigError("results: every mutant must be an object with a string 'id'")
        if not isinstance(mutant.get("file"), str) or not isinstance(mutant.get("line"), int):
            raise ConfigError(f"results: mutant {mutant['id']} has no file or line")
        if mutant.get("status") not in (*STATUSES, PENDING):
            raise ConfigError(f"results: mutant {mutant['id']} has an unknown status")
    return mutants


def measured_with(results: Mapping[str, Any]) -> dict[str, Any]:
    """What the score depends on besides the code: ``{"operators": [...], "settings": {...}}``."""
    run = run_info(results)
    return {"operators": sorted(set(run["operators"])), "settings": dict(run.get("settings", {}))}


def run_interval(run: Mapping[str, Any], counts: Mapping[str, int]) -> tuple[float, float]:
    """A sampled run's 95% interval: as the run recorded it, else computed from its counts."""
    ci95 = run.get("ci95")
    if is_interval(ci95):
        return (float(ci95[0]), float(ci95[1]))
    return score_interval(counts)


def measured_on(overall: Mapping[str, Any]) -> dict[str, Any]:
    """How a baseline's overall score was measured: ``{"run": "full" | "sampled", "mutants":
    N}``. A baseline written before mutgate recorded it tells by its interval (only a sampled
    score has one)."""
    recorded = overall.get("measured")
    if isinstance(recorded, Mapping):
        return {"run": recorded.get("run"), "mutants": recorded.get("mutants")}
    counts = overall.get("counts")
    total = sum(counts.values()) if isinstance(counts, Mapping) else 0
    return {"run": SAMPLED if overall.get("ci95") is not None else FULL, "mutants": total}


def is_sampled(baseline: Mapping[str, Any]) -> bool:
    """Whether the baseline's overall score was measured on a sample (an estimate)."""
    return measured_on(baseline["overall"])["run"] == SAMPLED


def describe_measured(overall: Mapping[str, Any]) -> str:
    """``a full run`` or ``a sample of 50 mutants``."""
    measured = measured_on(overall)
    if measured["run"] == FULL:
        return "a full run"
    return f"a sample of {_plural(int(measured['mutants']), 'mutant')}"


def round_score(value: float | None) -> float | None:
    """A score as the baseline stores it: two decimals, so files compare equal across runs."""
    return None if value is None else round(float(value), 2)


def file_summaries(mutants: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{file: {"score", "counts"}}`` for every file with at least one mutant."""
    by_file: dict[str, list[str]] = {}
    for mutant in mutants:
        by_file.setdefault(mutant["file"], []).append(mutant["status"])
    summaries = {}
    for file, statuses in sorted(by_file.items()):
        counts = count_statuses(statuses)
        summaries[file] = {"score": round_score(score(counts)), "counts": counts}
    return summaries


def _whole_project_only(results: Mapping[str, Any]) -> None:
    run = run_info(results)
    part = (f"the changes since {run['diff_ref']} (run without --diff)" if run.get("diff_ref")
            else f"shard {run['shard']} (merge the shards first)" if run.get("shard") else "")
    if part:
        raise ConfigError(f"a baseline is measured on the whole project; this run covered "
                          f"only {part}")


# -- making and rendering -----------------------------------------------------------------------


def make_baseline(results: Mapping[str, Any], project: str) -> dict[str, Any]:
    """The baseline data for ``results`` alone (a sampled run is not merged with anything)."""
    _whole_project_only(results)
    mutants = result_mutants(results)
    pending = sum(1 for m in mutants if m["status"] == PENDING)
    if pending:
        raise ConfigError(f"the run is unfinished ({_plural(pending, 'mutant')} pending); "
                          f"resume it before updating the baseline")
    run = run_info(results)
    counts = count_statuses(m["status"] for m in mutants)
    sampled = bool(run.get("sampled"))
    ci95 = run_interval(run, counts) if sampled else None
    return {
        "format_version": FORMAT_VERSION,
        "project": project,
        "overall": {
            "score": round_score(score(counts)),
            "counts": counts,
            "ci95": [round_score(v) for v in ci95] if ci95 is not None else None,
            "measured": {"run": SAMPLED if sampled else FULL, "mutants": sum(counts.values())},
        },
        "files": file_summaries(mutants),
        **measured_with(results),
        "survivors": {
            m["id"]: {key: m.get(key) for key in _SURVIVOR_FIELDS}
            for m in sorted(mutants, key=lambda m: m["id"])
            if m["status"] == SURVIVED
        },
    }


def render_baseline(data: Mapping[str, Any]) -> str:
    """The file text: indented, sorted keys, trailing newline; equal data gives equal bytes."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def is_interval(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(is_finite_number(v) and 0 <= v <= 100 for v in value)
        and value[0] <= value[1]
    )


def is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# -- loading ------------------------------------------------------------------------------------


class _Invalid(Exception):
    """One thing wrong with the file's content (turned into a ConfigError naming the file)."""


def load_baseline(path: Path, project: str | None = None) -> dict[str, Any]:
    """Read and check a baseline file; never modifies it.

    Every problem — missing, unreadable, empty, truncated, not JSON, wrong shape or types, a
    newer ``format_version``, another project's baseline — is a ``ConfigError`` with one line
    naming the file and what is wrong.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found (create it with `mutgate baseline`)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the baseline ({exc.strerror or exc})") from None
    try:
        data = _parse(raw)
        _check(data, project)
    except _Invalid as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return data


def _parse(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Invalid("not a baseline: the file is not UTF-8 text") from None
    if not text.strip():
        raise _Invalid("the baseline file is empty (regenerate it with `mutgate baseline`)")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise _Invalid("the baseline is truncated (the JSON ends too early)") from None
        where = f"line {exc.lineno}, column {exc.colno}"
        raise _Invalid(f"not valid JSON: {exc.msg} ({where})") from None
    except (ValueError, RecursionError):
        raise _Invalid("not a usable JSON document (nested too deeply or a number too long)"
                       ) from None


def _reject_constant(name: str) -> Any:
    raise _Invalid(f"not valid JSON: {name} is not allowed")


def _check(data: Any, project: str | None) -> None:
    if not isinstance(data, dict):
        raise _Invalid(f"not a baseline: expected a JSON object, found {_kind(data)}")
    version = _field(data, "format_version", "")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Invalid(f"format_version must be a positive integer, not {_show(version)}")
    if version > FORMAT_VERSION:
        raise _Invalid(
            f"written by a newer mutgate (format_version {version}; this mutgate reads up to "
            f"{FORMAT_VERSION}); upgrade mutgate"
        )
    name = _field(data, "project", "")
    if not isinstance(name, str) or not name:
        raise _Invalid(f"project must be a non-empty string, not {_show(name)}")
    if project is not None and name != project:
        raise _Invalid(f"this is the baseline of project {name!r}, not {project!r}")
    _check_summary(_field(data, "overall", ""), "overall", with_interval=True)
    files = _mapping(_field(data, "files", ""), "files")
    for file, summary in files.items():
        _check_summary(summary, f"files[{file!r}]")
    operators = _field(data, "operators", "")
    if not isinstance(operators, list) or not all(isinstance(o, str) for o in operators):
        raise _Invalid(f"operators must be a list of strings, not {_show(operators)}")
    _mapping(_field(data, "settings", ""), "settings")
    survivors = _mapping(_field(data, "survivors", ""), "survivors")
    for mutant_id, survivor in survivors.items():
        _check_survivor(survivor, f"survivors[{mutant_id!r}]")


def _check_summary(summary: Any, where: str, with_interval: bool = False) -> None:
    summary = _mapping(summary, where)
    value = _field(summary, "score", where)
    if value is not None and not (is_finite_number(value) and 0 <= value <= 100):
        raise _Invalid(f"{where}.score must be a number from 0 to 100 or null, not {_show(value)}")
    counts = _mapping(_field(summary, "counts", where), f"{where}.counts")
    for status, count in counts.items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise _Invalid(f"{where}.counts[{status!r}] must be a count, not {_show(count)}")
    if with_interval:
        ci95 = summary.get("ci95")
        if ci95 is not None and not is_interval(ci95):
            raise _Invalid(f"{where}.ci95 must be [low, high] percent or null, not {_show(ci95)}")
        if "measured" in summary:
            _check_measured(summary["measured"], ci95, f"{where}.measured")


def _check_measured(measured: Any, ci95: Any, where: str) -> None:
    measured = _mapping(measured, where)
    run = _field(measured, "run", where)
    if run not in (FULL, SAMPLED):
        raise _Invalid(f"{where}.run must be {FULL!r} or {SAMPLED!r}, not {_show(run)}")
    mutants = _field(measured, "mutants", where)
    if not isinstance(mutants, int) or isinstance(mutants, bool) or mutants < 0:
        raise _Invalid(f"{where}.mutants must be a count, not {_show(mutants)}")
    if (run == SAMPLED) != (ci95 is not None):
        raise _Invalid(f"{where}.run is {run!r}, but the score "
                       + ("has no 95% interval (ci95)" if ci95 is None else
                          "has a 95% interval (ci95): only a sampled score has one"))


def _check_survivor(survivor: Any, where: str) -> None:
    survivor = _mapping(survivor, where)
    for key in _SURVIVOR_FIELDS:
        value = _field(survivor, key, where)
        if key == "line":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise _Invalid(f"{where}.line must be a line number, not {_show(value)}")
        elif not isinstance(value, str):
            raise _Invalid(f"{where}.{key} must be a string, not {_show(value)}")


def _field(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise _Invalid(f"{where + '.' if where else ''}{key} is missing")
    return obj[key]


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(f"{where} must be an object, not {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=True, default=str)
    except (ValueError, RecursionError):
        return _kind(value)
    return shorten(text, 40, "...")


# -- staleness and the ratchet ------------------------------------------------------------------


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
            reasons.append(f"{key} changed: {_show(baseline.get(key))} -> {_show(new[key])}")
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
                     f"{_plural(len(new['survivors']), 'known survivor')} "
                     f"in {_plural(len(new['files']), 'file')}")
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
    survivors_text = (f"{_plural(len(new['survivors']), 'known survivor')} "
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
            reasons.append(f"{_plural(len(files), 'file')} {label}: {_names(files)}")
    return reasons


def _survivor_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    reasons = []
    gone = sorted(set(old) - set(new))
    added = sorted(set(new) - set(old))
    if gone:
        reasons.append(f"{_plural(len(gone), 'known survivor')} killed or gone: {_names(gone)}")
    if added:
        reasons.append(f"{_plural(len(added), 'new survivor')}: {_names(added)}")
    return reasons


def _names(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _pct(value: float | None) -> str:
    return "nothing scored" if value is None else f"{value:.2f}%"
