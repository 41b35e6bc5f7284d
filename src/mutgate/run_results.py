"""Reading a run's results dict (``mutgate results --json``; ``docs/CONTRACT.md``).

The baseline and the gate both read a results dict: its ``run`` section, its mutants, what the
score was measured with, its sampled interval and its per-file scores. Each reader checks the
part it reads and raises ``ConfigError`` for a malformed one, so a hand-edited or truncated
results file is an input error, never a crash. Scores are rounded as the baseline stores them
(two decimals).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mutgate.errors import ConfigError
from mutgate.outcome import DETECTED, PENDING, STATUSES, SURVIVED, count_statuses, score
from mutgate.stats import score_interval

#: Statuses that are a verdict on a mutant; the others say nothing about the tests.
VERDICTS = (*DETECTED, SURVIVED)


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


def is_interval(value: Any) -> bool:
    """Whether ``value`` is a 95% interval as runs and baselines record it: ``[low, high]``
    percent, ``low <= high``."""
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(is_finite_number(v) and 0 <= v <= 100 for v in value)
        and value[0] <= value[1]
    )


def is_finite_number(value: Any) -> bool:
    """Whether ``value`` is an int or a float (not a bool) that is neither NaN nor infinite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
