"""The committed baseline file (``mutgate-baseline.json``): its format, made from a run, written
and read back.

The baseline holds the overall and per-file mutation scores, the operators and settings they
were measured with, and the known survivors (mutants no test kills, accepted for now). It is
written for review in a diff: sorted keys, no timestamps, scores rounded to two decimals, one
survivor per block. How a later run may move it (a ratchet) is ``ratchet.py``'s.

A baseline is measured on the whole project (or on a random sample of it); a run restricted to a
diff or a shard cannot make one. The overall score records how it was measured
(``overall.measured``: ``{"run": "full" | "sampled", "mutants": N}``, and ``overall.ci95``, the
95% interval of a sampled score). ``load_baseline`` checks every field of a file and reports
what is wrong in one line naming it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mutgate.errors import ConfigError
from mutgate.outcome import PENDING, SURVIVED, count_statuses, score
from mutgate.run_results import (
    file_summaries,
    is_finite_number,
    is_interval,
    measured_with,
    result_mutants,
    round_score,
    run_info,
    run_interval,
)
from mutgate.text import plural, shorten

FORMAT_VERSION = 1
BASELINE_FILENAME = "mutgate-baseline.json"
_SURVIVOR_FIELDS = ("file", "line", "operator", "original", "replacement")
#: How a baseline's overall score was measured (``overall.measured.run``).
FULL, SAMPLED = "full", "sampled"


# -- how the score was measured -----------------------------------------------------------------


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
    return f"a sample of {plural(int(measured['mutants']), 'mutant')}"


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
        raise ConfigError(f"the run is unfinished ({plural(pending, 'mutant')} pending); "
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
        raise _Invalid(f"format_version must be a positive integer, not {brief_json(version)}")
    if version > FORMAT_VERSION:
        raise _Invalid(
            f"written by a newer mutgate (format_version {version}; this mutgate reads up to "
            f"{FORMAT_VERSION}); upgrade mutgate"
        )
    name = _field(data, "project", "")
    if not isinstance(name, str) or not name:
        raise _Invalid(f"project must be a non-empty string, not {brief_json(name)}")
    if project is not None and name != project:
        raise _Invalid(f"this is the baseline of project {name!r}, not {project!r}")
    _check_summary(_field(data, "overall", ""), "overall", with_interval=True)
    files = _mapping(_field(data, "files", ""), "files")
    for file, summary in files.items():
        _check_summary(summary, f"files[{file!r}]")
    operators = _field(data, "operators", "")
    if not isinstance(operators, list) or not all(isinstance(o, str) for o in operators):
        raise _Invalid(f"operators must be a list of strings, not {brief_json(operators)}")
    _mapping(_field(data, "settings", ""), "settings")
    survivors = _mapping(_field(data, "survivors", ""), "survivors")
    for mutant_id, survivor in survivors.items():
        _check_survivor(survivor, f"survivors[{mutant_id!r}]")


def _check_summary(summary: Any, where: str, with_interval: bool = False) -> None:
    summary = _mapping(summary, where)
    value = _field(summary, "score", where)
    if value is not None and not (is_finite_number(value) and 0 <= value <= 100):
        raise _Invalid(f"{where}.score must be a number from 0 to 100 or null, "
                       f"not {brief_json(value)}")
    counts = _mapping(_field(summary, "counts", where), f"{where}.counts")
    for status, count in counts.items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise _Invalid(f"{where}.counts[{status!r}] must be a count, not {brief_json(count)}")
    if with_interval:
        ci95 = summary.get("ci95")
        if ci95 is not None and not is_interval(ci95):
            raise _Invalid(f"{where}.ci95 must be [low, high] percent or null, "
                           f"not {brief_json(ci95)}")
        if "measured" in summary:
            _check_measured(summary["measured"], ci95, f"{where}.measured")


def _check_measured(measured: Any, ci95: Any, where: str) -> None:
    measured = _mapping(measured, where)
    run = _field(measured, "run", where)
    if run not in (FULL, SAMPLED):
        raise _Invalid(f"{where}.run must be {FULL!r} or {SAMPLED!r}, not {brief_json(run)}")
    mutants = _field(measured, "mutants", where)
    if not isinstance(mutants, int) or isinstance(mutants, bool) or mutants < 0:
        raise _Invalid(f"{where}.mutants must be a count, not {brief_json(mutants)}")
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
                raise _Invalid(f"{where}.line must be a line number, not {brief_json(value)}")
        elif not isinstance(value, str):
            raise _Invalid(f"{where}.{key} must be a string, not {brief_json(value)}")


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


def brief_json(value: Any) -> str:
    """``value`` as JSON for a one-line message, shortened to 40 characters."""
    try:
        text = json.dumps(value, ensure_ascii=True, default=str)
    except (ValueError, RecursionError):
        return _kind(value)
    return shorten(text, 40, "...")
