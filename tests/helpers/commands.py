"""Commands the end-to-end tests run: a hermetic environment, git and mutgate in it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def hermetic_env(**extra: str) -> dict[str, str]:
    """The environment of every subprocess: no user git config, no CI output, no plugins.

    Variables of the outer run that mutgate, coverage or GitHub Actions read are dropped; git
    gets a fixed identity, so commits work on a machine without one; ``extra`` comes last.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "COVERAGE_", "MUTGATE_"))}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="Mutgate Test",
               GIT_AUTHOR_EMAIL="test@example.invalid", GIT_COMMITTER_NAME="Mutgate Test",
               GIT_COMMITTER_EMAIL="test@example.invalid")
    env.update(extra)
    return env


def plugins_env(**extra: str) -> dict[str, str]:
    """The outer environment, installed pytest plugins autoloaded as in a user's, but for
    pytest-asyncio, which mutgate's ``[test]`` extra installs and no project under test uses.

    With ``asyncio_default_fixture_loop_scope`` unset it warns in ``pytest_configure``, and
    pytest 9.2 applies ``filterwarnings`` there: projects that turn warnings into errors
    (fixtures/flat, isodate) would not even start.
    """
    addopts = f"{os.environ.get('PYTEST_ADDOPTS', '')} -p no:asyncio".strip()
    return {**os.environ, "PYTEST_ADDOPTS": addopts, **extra}


def sh(cwd: Path, *cmd: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run ``cmd`` in ``cwd`` with the hermetic environment (plus ``env``), output captured."""
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=hermetic_env(**env))


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, f"{done.args} -> {done.returncode}\n{done.stdout}{done.stderr}"
    return done


def commit(repo: Path, message: str) -> None:
    """Commit everything in ``repo`` (what .gitignore allows)."""
    ok(sh(repo, "git", "add", "-A", "."))
    ok(sh(repo, "git", "commit", "-q", "--no-gpg-sign", "-m", message))
