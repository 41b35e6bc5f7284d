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
import signal
import sys
import tempfile
import time

from mutgate.execution.warm import Job, _limit_memory, _wait_for, die_with_parent
from mutgate.outcome import KILLED, NO_TESTS, SURVIVED, TIMEOUT
from mutgate.store import Result


def run_fresh(root: str, args: list[str], job: Job, source: str, startup_s: float,
              memory_limit_mb: int) -> Result:
    mutant = job.mutant
    if not job.tests:
        return Result(mutant.id, NO_TESTS)
    started = time.perf_counter()
    timeout = job.timeout_s + startup_s + 2.0
    with tempfile.TemporaryDirectory(prefix="mutgate-") as tmp:
        spec_path = os.path.join(tmp, "spec.json")
        result_path = os.path.join(tmp, "result.json")
        with open(spec_path, "w", encoding="utf-8") as handle:
            json.dump({"file": os.path.join(root, mutant.file), "source": mutant.apply_to(source),
                       "tests": job.tests, "result": result_path}, handle)
        test_files = sorted({t.split("::", 1)[0] for t in job.tests})
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns
            os.close(read_fd)
            _fresh_child(root, args, test_files, spec_path, result_path, write_fd,
                         memory_limit_mb, timeout)
        os.close(write_fd)
        state = _wait_for(read_fd, pid, timeout)
    return verdict(mutant.id, state, started)


def verdict(mutant_id: str, state: dict | None, started: float) -> Result:
    """The outcome from what the isolated plugin recorded (None: out of time)."""
    duration = (time.perf_counter() - started) * 1000
    if state is None:
        return Result(mutant_id, TIMEOUT, None, 0, duration)
    if "crash" in state:
        return Result(mutant_id, KILLED, state["crash"], 0, duration)
    if state["killed_by"]:
        return Result(mutant_id, KILLED, state["killed_by"], state["ran"], duration)
    if state["collect_error"]:
        return Result(mutant_id, KILLED, f"collection error in {state['collect_error']}", 0,
                      duration)
    if state["ran"] == 0:
        return Result(mutant_id, NO_TESTS, None, 0, duration)
    return Result(mutant_id, SURVIVED, None, state["ran"], duration)


def _fresh_child(root: str, args: list[str], test_files: list[str], spec_path: str,
                 result_path: str, write_fd: int, memory_limit_mb: int, timeout: float) -> None:
    status = 0
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        die_with_parent()
        if memory_limit_mb > 0:
            _limit_memory(memory_limit_mb)
        _forget_project(root)
        os.environ["MUTGATE_MUTANT_SPEC"] = spec_path
        import pytest

        pytest.main(["-p", "mutgate.plugins.isolated_plugin", "-x", "-q", "--tb=no",
                     "--no-header", *args, *test_files])
        with open(result_path, encoding="utf-8") as handle:
            payload = handle.read().strip()
        os.write(write_fd, payload.encode() + b"\n")
    except BaseException as exc:
        try:
            message = {"crash": f"{type(exc).__name__} in test process"}
            os.write(write_fd, json.dumps(message).encode() + b"\n")
        except BaseException:
            status = 1
    finally:
        os._exit(status)


def _forget_project(root: str) -> None:
    """Drop the project's modules (code, tests, conftest) and the old session's import hooks."""
    prefix = os.path.realpath(root) + os.sep
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and os.path.realpath(path).startswith(prefix):
            del sys.modules[name]
    from _pytest.assertion.rewrite import AssertionRewritingHook

    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, AssertionRewritingHook)]
