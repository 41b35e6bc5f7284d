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
