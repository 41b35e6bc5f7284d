"""Fresh imports without a new interpreter: fork the warm worker, forget the project, re-import.

Mutants that cannot be swapped into live functions (module-level code, class bodies, default
values, decorator arguments, code run at import time) need the project imported anew with the
mutated module. Starting a new interpreter and pytest (with its plugins) for each costs seconds;
forking the warm worker, dropping the project's modules from ``sys.modules`` and running a new
pytest session in the child keeps pytest and every third-party module loaded and re-imports only
the project's own code, through the same import hook as the isolated mode.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings

from mutgate.execution.isolated import (
    PLUGIN_ARGS,
    covering_test_files,
    read_state,
    verdict,
    write_spec,
)
from mutgate.execution.limits import enter_test_child, memory_limit
from mutgate.execution.project_modules import import_ahead, project_packages
from mutgate.execution.warm import (
    NO_USABLE_TESTS,
    PRISTINE_WARNING_FILTERS,
    Job,
    wait_for_child,
)
from mutgate.outcome import NO_TESTS
from mutgate.store import Result


def run_fresh(root: str, args: list[str], job: Job, source: str, startup_s: float,
              memory_limit_mb: int) -> Result:
    if not job.tests:
        return Result(job.mutant.id, NO_TESTS, detail=NO_USABLE_TESTS)
    started = time.perf_counter()
    timeout = job.timeout_s + startup_s + 2.0
    with tempfile.TemporaryDirectory(prefix="mutgate-") as tmp:
        spec_path, result_path = write_spec(tmp, root, job, source)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns
            os.close(read_fd)
            _fresh_child(args, covering_test_files(job), root, spec_path, result_path, write_fd,
                         memory_limit(memory_limit_mb))
        os.close(write_fd)
        state = wait_for_child(read_fd, pid, timeout)
    if state and state.get("modules"):
        import_ahead(state["modules"], root)
    return verdict(job.mutant.id, state, started, "fresh", job.mutant.file)


def _fresh_child(args: list[str], files: list[str], root: str, spec_path: str,
                 result_path: str, write_fd: int, memory_limit_bytes: int) -> None:
    status = 0
    try:
        enter_test_child(memory_limit_bytes)
        _forget_project(root)
        known = set(sys.modules)
        os.environ["MUTGATE_MUTANT_SPEC"] = spec_path
        import pytest

        code = pytest.main([*PLUGIN_ARGS, *args, *files])
        payload = read_state(result_path, int(code))
        payload["modules"] = sorted(name for name in sys.modules if name not in known)
        os.write(write_fd, json.dumps(payload).encode() + b"\n")
    except BaseException as exc:
        try:
            message = {"crash": f"{type(exc).__name__} in test process"}
            os.write(write_fd, json.dumps(message).encode() + b"\n")
        except BaseException:
            status = 1
    finally:
        os._exit(status)


def _forget_project(root: str) -> None:
    """Drop the project's modules (code, tests, conftest), and the old session's import hooks
    and warning filters (a project's `filterwarnings = error` applied by the warm session would
    turn any plugin's warning in the new session into an error)."""
    warnings.filters[:] = PRISTINE_WARNING_FILTERS
    warnings._filters_mutated()  # type: ignore[attr-defined]  (as catch_warnings does)
    packages = project_packages(os.path.realpath(root) + os.sep)
    for name in list(sys.modules):
        if name.split(".", 1)[0] in packages:
            del sys.modules[name]
    from _pytest.assertion.rewrite import AssertionRewritingHook

    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, AssertionRewritingHook)]
