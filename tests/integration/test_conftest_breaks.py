"""A static mutant that breaks the conftest's import: plain pytest stops with a usage error
before any test runs, so the mutant is killed, in the default mode as in the reference."""

from __future__ import annotations

import pytest

from mutgate.config import load_config
from mutgate.runner import Selection, run
from mutgate.store import Store

pytestmark = pytest.mark.usefixtures("fast_pytest_subprocesses")

FILES = {
    "pkg/__init__.py": "",
    "pkg/consts.py": "LIMIT = 5 + 5\n\n\ndef limit():\n    return LIMIT\n",
    "tests/conftest.py": "from pkg import consts\n\nif consts.LIMIT != 10:\n"
                         "    raise RuntimeError('bad limit')\n",
    "tests/test_limit.py": "from pkg import consts\n\n\ndef test_limit():\n"
                           "    assert consts.limit() > 0\n",
}


@pytest.mark.parametrize("isolation", ["auto", "subprocess"])
def test_a_broken_conftest_kills_the_mutant(tmp_path, make_project, isolation) -> None:
    root = make_project(tmp_path, FILES)
    outcome = run(load_config(root, {"jobs": 1, "isolation": isolation}), Selection(reuse=False))
    store = Store.open(root / ".mutgate", must_exist=True)
    try:
        mutants = store.results_dict(outcome.run_id)["mutants"]
    finally:
        store.close()
    minus = [m for m in mutants if m["line"] == 1 and m["replacement"] == "-"]
    assert minus and minus[0]["status"] == "killed", minus
