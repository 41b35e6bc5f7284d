"""End to end: the installed command points at the key or table a user misspelled (issue 15).

Every command reads ``[tool.mutgate]`` first, so each must stop with exit 2 and one line that
names the misspelled key with the nearest known one, or the ``[tool.*]`` table that is one typo
away from ``mutgate`` (and so silently ignored until now), creating nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.commands import sh
from helpers.projects import write_project

pytestmark = pytest.mark.e2e

COMMANDS = (["run"], ["gate"], ["baseline"], ["results"], ["report", "--markdown", "r.md"])


def project(root: Path, pyproject: str) -> Path:
    return write_project(root, {
        "pyproject.toml": '[project]\nname = "typo"\n' + pyproject,
        "src/typo/__init__.py": "def one():\n    return 1\n",
        "tests/test_one.py": "from typo import one\n\n\ndef test_one():\n    assert one() == 1\n",
    })


def one_error_line(done, *fragments: str) -> str:
    where = f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    assert done.returncode == 2, where
    assert "Traceback" not in done.stdout + done.stderr, where
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("mutgate: error: "), where
    for fragment in fragments:
        assert fragment in lines[0], where
    return lines[0]


@pytest.mark.parametrize("table", ["mutgat", "mutagte"])
def test_a_table_one_typo_from_mutgate_stops_every_command(tmp_path, table):
    root = project(tmp_path / table, f'[tool.{table}]\npaths = ["src/typo"]\n')
    for command in COMMANDS:
        line = one_error_line(sh(root, "mutgate", *command, timeout=120))
        assert line == (f"mutgate: error: {root.resolve() / 'pyproject.toml'}: [tool.{table}] "
                        "is not a table mutgate reads: did you mean [tool.mutgate]?"), command
    assert not (root / ".mutgate").exists()


def test_an_unknown_key_names_the_nearest_known_one(tmp_path):
    root = project(tmp_path / "key", '[tool.mutgate]\npath = ["src/typo"]\n')
    for command in COMMANDS:
        line = one_error_line(sh(root, "mutgate", *command, timeout=120))
        assert line == ("mutgate: error: pyproject.toml: [tool.mutgate] has unknown key 'path' "
                        "(did you mean 'paths'?)"), command
    assert not (root / ".mutgate").exists()
