"""A whole mutgate run on a project, called in-process, and the mutants it stored."""

from __future__ import annotations

from pathlib import Path

from mutgate.config import load_config
from mutgate.runner import Selection, run
from mutgate.store import Store


def mutants_of_run(root: Path, settings: dict) -> list[dict]:
    """Run mutgate on ``root`` with ``settings`` (config keys), nothing reused; the run's
    mutants as `Store.results_dict` gives them."""
    outcome = run(load_config(root, settings), Selection(reuse=False))
    store = Store.open(root / ".mutgate", must_exist=True)
    try:
        return store.results_dict(outcome.run_id)["mutants"]
    finally:
        store.close()
