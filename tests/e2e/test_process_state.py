"""End to end: state left in a process never decides a verdict, in either mode.

The truth is the mutant written into a copy and the whole suite run with plain pytest. Two
kinds of state made the two modes kill mutants that the plain suite lets live (both found on
six): an import hook that the old copy of a module left in ``sys.meta_path`` (a fresh import
in a fork of the warm worker still saw it), and a test that passes only before another test
of its file (the isolated mode ran the covering tests fastest first, with no unmutated check
of that order).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers.commands import plugins_env
from helpers.projects import write_project

pytestmark = pytest.mark.e2e

PROJECT = {
    "pyproject.toml": """
        [project]
        name = "statepkg"
        version = "0.1.0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        """,
    "statepkg/__init__.py": "",
    # As six does: imported anew, the module drops the hook its earlier copy installed.
    "statepkg/hooks.py": """
        import sys


        class _Hook:
            name = __name__

            def find_spec(self, fullname, path, target=None):
                return None


        for i, finder in enumerate(sys.meta_path):
            if isinstance(getattr(finder, "name", None), str) and finder.name == __name__:
                del sys.meta_path[i]
                break
        sys.meta_path.append(_Hook())


        def triple(x):
            return 3 * x
        """,
    "tests/test_hooks.py": """
        import sys

        from statepkg import hooks


        def test_one_hook():
            assert sum(type(f).__name__ == "_Hook" for f in sys.meta_path) == 1
        """,
    # In file order (plain pytest) the slow test runs first and passes; fastest first, the
    # fast one fills STATE before it.
    "tests/test_order.py": """
        import time

        from statepkg import hooks

        STATE = []


        def test_slow_sees_nothing_yet():
            time.sleep(0.2)
            hooks.triple(1)
            assert not STATE


        def test_fast_fills_state():
            STATE.append(hooks.triple(2))
        """,
}


def mutgate(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mutgate", "-C", str(project), *args], capture_output=True,
                          text=True, timeout=600, env=plugins_env())


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = write_project(tmp_path_factory.mktemp("state") / "statepkg", PROJECT)
    plain = subprocess.run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                           cwd=root, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stdout
    return root


def verdicts(project: Path, *args: str) -> dict[tuple[int, str, str], dict]:
    done = mutgate(project, "run", "--no-reuse", "-j", "2", *args)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    listed = mutgate(project, "results", "--json")
    return {(m["line"], m["original"], m["replacement"]): m
            for m in json.loads(listed.stdout)["mutants"] if m["file"] == "statepkg/hooks.py"}


@pytest.mark.parametrize("mode", [(), ("--isolation", "subprocess")], ids=["default", "subprocess"])
def test_neither_mode_kills_what_the_plain_suite_lets_live(project, mode):
    found = verdicts(project, *mode)
    # `==` -> `!=` in the old-hook check: a fresh process has no old hook to keep, so the
    # plain suite passes with it.
    hook = found[(12, "==", "!=")]
    assert hook["status"] == "survived", hook
    # `3 * x` -> `3 / x`: only the order-dependent test could "kill" it, and it fails only
    # after the fast test, an order the plain suite never runs.
    triple = found[(19, "*", "/")]
    assert triple["status"] == "survived", triple
    assert "tests/test_order.py::test_slow_sees_nothing_yet" in json.loads(
        mutgate(project, "results", "--json").stdout)["run"]["flaky_tests"]
