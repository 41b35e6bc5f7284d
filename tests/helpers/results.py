"""A results dict (docs/CONTRACT.md) built from mutant dicts, for tests of its readers."""

from __future__ import annotations

from typing import Any

from mutgate.outcome import count_statuses, score


def make_results(mutants: list[dict[str, Any]], **run: Any) -> dict[str, Any]:
    """``run`` gives the run section's values (``operators`` and ``settings`` at least)."""
    counts = count_statuses(m["status"] for m in mutants)
    run_section = {"id": 1, "started_at": "2026-11-21T19:40:00+00:00", "wall_s": 1.0,
                   "mutants_per_s": 1.0, "jobs": 2, "sampled": False, "seed": None,
                   "ci95": None, "diff_ref": None, "shard": None}
    run_section.update(run)
    return {"score": score(counts), "counts": counts, "total": len(mutants),
            "run": run_section, "mutants": mutants}
