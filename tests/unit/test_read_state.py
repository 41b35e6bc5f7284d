"""What a fresh pytest session (fork or subprocess) left for its verdict."""

from __future__ import annotations

import json
from pathlib import Path

from mutgate.execution.isolated import read_state, verdict


def test_a_recorded_state_is_read_back(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"killed_by": "t::a", "ran": 1, "collect_error": None}))
    assert read_state(str(path), 1) == {"killed_by": "t::a", "ran": 1, "collect_error": None}


def test_no_state_means_pytest_stopped_early_and_says_so(tmp_path: Path) -> None:
    state = read_state(str(tmp_path / "missing.json"), 4)
    result = verdict("abc", state, started=0.0)
    assert (result.status, result.killed_by) == (
        "killed", "pytest stopped with exit code 4 before any verdict "
                  "(e.g. a conftest failed to import)")
    assert read_state(str(tmp_path / "missing.json"), -9) == {
        "crash": "test process killed by signal 9"}


def test_a_child_that_lost_a_file_of_its_tests_gives_no_verdict() -> None:
    state = {"killed_by": None, "ran": 0, "collect_error": None, "loaded": True,
             "lost": "tests/test_a.py"}
    result = verdict("abc", state, 0.0, "fresh")
    assert result.status == "error"
    assert "tests/test_a.py" in result.detail
