"""The arguments mutgate gives every pytest it starts: plugin options only for plugins that load."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.projects import write_project

from mutgate.config import load_config
from mutgate.coverage_map import pytest_base_args


@pytest.fixture
def installed_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Importable stand-ins for pytest-cov and pytest-xdist (found, never loaded here)."""
    site = write_project(tmp_path / "site", {"pytest_cov/__init__.py": "", "xdist/__init__.py": ""})
    monkeypatch.syspath_prepend(str(site))
    for name in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    return write_project(tmp_path / "project", {"pkg/__init__.py": ""})


def test_installed_plugins_are_turned_off_with_their_own_options(installed_plugins: Path) -> None:
    args = pytest_base_args(load_config(installed_plugins))
    assert "--no-cov" in args
    assert args[args.index("-n") + 1] == "0"


def test_no_plugin_options_when_autoload_is_off(installed_plugins: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # pytest would stop with "unrecognized arguments: --no-cov" and never run a test.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    args = pytest_base_args(load_config(installed_plugins))
    assert "--no-cov" not in args
    assert "-n" not in args


@pytest.mark.parametrize("where", ["pytest_args", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"])
def test_a_plugin_named_explicitly_loads_without_autoload(installed_plugins: Path, where: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    overrides = {}
    if where == "pytest_args":
        overrides = {"pytest_args": ["-p", "pytest_cov"]}
    elif where == "PYTEST_ADDOPTS":
        monkeypatch.setenv("PYTEST_ADDOPTS", "-p pytest_cov")
    else:
        monkeypatch.setenv("PYTEST_PLUGINS", "pytest_cov")
    args = pytest_base_args(load_config(installed_plugins, overrides))
    assert "--no-cov" in args
    assert "-n" not in args
