"""A project whose pytest rootdir is not its root (a pytest.ini inside tests/): test ids are
relative to tests/, and a static mutant's child must still find their files."""

from __future__ import annotations

import pytest

from mutgate.config import load_config
from mutgate.runner import Selection, run
from mutgate.store import Store

pytestmark = pytest.mark.usefixtures("fast_pytest_subprocesses")


def test_a_static_mutant_is_judged_by_its_test(tmp_path, make_project) -> None:
    root = make_project(tmp_path, {
        "pyproject.toml": '[tool.mutgate]\npaths = ["calc"]\ntests = ["tests"]\n',
        "calc/__init__.py": "LIMIT = 5 + 5\n\n\ndef clip(x):\n    return min(x, LIMIT)\n",
        "tests/pytest.ini": "[pytest]\npythonpath = ..\n",
        "tests/test_calc.py": "import calc\n\n\ndef test_clip():\n"
                              "    assert calc.clip(30) == 10\n"})
    outcome = run(load_config(root, {"jobs": 1}), Selection(reuse=False))
    store = Store.open(root / ".mutgate", must_exist=True)
    try:
        mutants = store.results_dict(outcome.run_id)["mutants"]
    finally:
        store.close()
    static = [m for m in mutants if m["line"] == 1]
    assert static and all(m["path"] == "fresh" for m in static)
    assert {(m["status"], m["killed_by"]) for m in static} == {
        ("killed", "test_calc.py::test_clip")}
