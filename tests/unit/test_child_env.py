"""The environment of the processes a run starts (`child_env.py`)."""

from __future__ import annotations

import os
from pathlib import Path

from mutgate.child_env import PYCACHE_DIR, child_environment, for_children
from mutgate.rewrite_cache import ENV


def test_an_unset_hash_seed_is_fixed_and_a_users_seed_is_kept(tmp_path):
    assert child_environment({}, tmp_path) == {"PYTHONHASHSEED": "0"}
    assert child_environment({"PYTHONHASHSEED": "123"}, tmp_path) == {}


def test_no_bytecode_keeps_only_pytests_rewrites_under_the_state_dir(tmp_path):
    # The user's variable stays: the installed packages' pycs are read, none is written.
    changes = child_environment({"PYTHONHASHSEED": "1", "PYTHONDONTWRITEBYTECODE": "1"},
                                tmp_path / ".mutgate")
    assert changes == {ENV: str(tmp_path.resolve() / ".mutgate" / PYCACHE_DIR)}


def test_a_users_pycache_prefix_or_an_empty_variable_is_left_alone(tmp_path):
    assert child_environment({"PYTHONHASHSEED": "1", "PYTHONDONTWRITEBYTECODE": "1",
                              "PYTHONPYCACHEPREFIX": "/elsewhere"}, tmp_path) == {}
    assert child_environment({"PYTHONHASHSEED": "1", "PYTHONDONTWRITEBYTECODE": ""},
                             tmp_path) == {}


def test_the_environment_is_restored_after_the_run(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.delenv(ENV, raising=False)
    with for_children(Path(tmp_path)):
        assert os.environ["PYTHONHASHSEED"] == "0"
        assert os.environ["PYTHONDONTWRITEBYTECODE"] == "1"
        assert os.environ[ENV].endswith(PYCACHE_DIR)
    assert "PYTHONHASHSEED" not in os.environ
    assert os.environ["PYTHONDONTWRITEBYTECODE"] == "1"
    assert ENV not in os.environ
