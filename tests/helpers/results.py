"""A results dict (docs/CONTRACT.md) built from mutant dicts, for tests of its readers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mutgate.outcome import count_statuses, score

#: The operators and settings of a run unless a test gives its own.
OPERATORS = ["boundary", "operator", "return"]
SETTINGS = {"timeout_factor": 2.0, "timeout_constant": 1.0}
#: The test that covers, and kills, every mutant unless a test says otherwise.
T_ADD = "tests/test_mod.py::test_add"


def make_mutant(mid: str, status: str = "killed", file: str = "src/pkg/mod.py", line: int = 10,
                **extra: Any) -> dict[str, Any]:
    """A mutant of the results dict: ``a + b -> a - b`` in ``add``, killed by ``T_ADD`` when
    it was detected; ``extra`` overrides any field."""
    data = {"id": mid, "file": file, "line": line, "col": 5, "end_line": line, "end_col": 10,
            "operator": "operator.arith", "original": "a + b", "replacement": "a - b",
            "qualname": "add", "status": status,
            "killed_by": T_ADD if status in ("killed", "timeout") else None,
            "covered_by": [T_ADD], "tests_run": 1, "duration_ms": 1.0}
    data.update(extra)
    return data


def make_results(mutants: list[dict[str, Any]], *, operators: list[str] = OPERATORS,
                 settings: Mapping[str, Any] = SETTINGS, **run: Any) -> dict[str, Any]:
    """``run`` gives the run section's other values; ``operators`` and ``settings`` are
    copied, so a test may change them in the dict it gets."""
    counts = count_statuses(m["status"] for m in mutants)
    run_section = {"id": 1, "started_at": "2026-11-21T19:40:00+00:00", "wall_s": 1.0,
                   "mutants_per_s": 1.0, "jobs": 2, "sampled": False, "seed": None,
                   "ci95": None, "diff_ref": None, "shard": None,
                   "operators": list(operators), "settings": dict(settings)}
    run_section.update(run)
    return {"score": score(counts), "counts": counts, "total": len(mutants),
            "run": run_section, "mutants": mutants}
