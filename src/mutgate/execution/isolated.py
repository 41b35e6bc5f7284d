"""The isolated mode: one fresh pytest process per mutant, the mutant loaded by an import hook.

It is the reference the fork engine is checked against, and the mode for mutants that cannot
be swapped into a live process (module level, class bodies, default values, decorators).
Nothing is written into the project: the mutated source goes to a spec file in the temp dir.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from functools import partial

from mutgate.execution.limits import (
    die_with_parent,
    limit_memory,
    memory_limit,
    no_core_dumps,
)
from mutgate.execution.warm import NO_USABLE_TESTS, Job
from mutgate.module_names import module_name
from mutgate.outcome import ERROR, KILLED, NO_TESTS, SURVIVED, TIMEOUT
from mutgate.store import Result

#: pytest's options for a fresh session that runs one mutant. A collection error is already a
#: kill: going on past it (``-x`` then stops at once) spares the interrupt report, whose
#: traceback with source is the slowest thing such a session would do.
PLUGIN_ARGS = ("-p", "mutgate.plugins.isolated_plugin", "-x", "-q", "--tb=no", "--no-header",
               "--continue-on-collection-errors")


def write_spec(tmp: str, root: str, job: Job, source: str) -> tuple[str, str]:
    """The mutant, for the import hook, as a file in ``tmp``; returns (spec, result) paths."""
    spec_path = os.path.join(tmp, "spec.json")
    result_path = os.path.join(tmp, "result.json")
    with open(spec_path, "w", encoding="utf-8") as handle:
        json.dump({"file": os.path.join(root, job.mutant.file),
                   "module": module_name(root, job.mutant.file),
                   "source": job.mutant.apply_to(source), "tests": job.tests,
                   "digests": job.digests, "full": job.full, "result": result_path}, handle)
    return spec_path, result_path


def covering_test_files(job: Job) -> list[str]:
    return sorted({t.split("::", 1)[0] for t in job.tests})


#: pytest's exit codes for a session that stopped before its tests could run.
_STOPPED = {2: "interrupted", 3: "internal error", 4: "usage error"}


def verdict(mutant_id: str, state: dict | None, started: float, path: str = "subprocess",
            file: str = "") -> Result:
    """The outcome from what the isolated plugin recorded (None: out of time)."""
    duration = (time.perf_counter() - started) * 1000
    if state is None:
        return Result(mutant_id, TIMEOUT, None, 0, duration, path=path)
    if "crash" in state:
        return Result(mutant_id, KILLED, state["crash"], 0, duration, detail=state["crash"],
                      path=path)
    if not state.get("loaded", True):
        where = state.get("elsewhere")
        detail = (f"the tests never imported {file} from this project"
                  + (f" (they loaded {where})" if where else "")
                  + ": its mutant reached no test")
        return Result(mutant_id, ERROR, None, state["ran"], duration, detail=detail, path=path)
    if state.get("lost"):
        detail = (f"the test process did not collect {state['lost']}, a file of its covering "
                  "tests, so no verdict is given")
        return Result(mutant_id, ERROR, None, state["ran"], duration, detail=detail, path=path)
    if state["killed_by"]:
        return Result(mutant_id, KILLED, state["killed_by"], state["ran"], duration, path=path,
                      killers=state.get("killers"), tests_ms=state.get("tests_ms"))
    if state["collect_error"]:
        reason = f"collection error in {state['collect_error']}"
        return Result(mutant_id, KILLED, reason, 0, duration, detail=reason, path=path)
    stopped = _STOPPED.get(state.get("exitstatus") or 0)
    if state["ran"] == 0 and (stopped or state.get("internal_error")):
        reason = (f"pytest stopped before any test ran ({stopped or 'error'}"
                  + (f": {state['internal_error']}" if state.get("internal_error") else "")
                  + ")")
        return Result(mutant_id, KILLED, reason, 0, duration, detail=reason, path=path)
    if state["ran"] == 0:
        return Result(mutant_id, NO_TESTS, None, 0, duration, path=path,
                      detail="none of its covering tests was collected with the mutant in place")
    return Result(mutant_id, SURVIVED, None, state["ran"], duration, path=path,
                  killers=state.get("killers"), tests_ms=state.get("tests_ms"))


def run_isolated(root: str, args: list[str], job: Job, source: str, startup_s: float,
                 memory_limit_mb: int = 0) -> Result:
    if not job.tests:
        return Result(job.mutant.id, NO_TESTS, detail=NO_USABLE_TESTS)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mutgate-") as tmp:
        spec_path, result_path = write_spec(tmp, root, job, source)
        env = dict(os.environ, MUTGATE_MUTANT_SPEC=spec_path)
        cmd = [sys.executable, "-m", "pytest", *PLUGIN_ARGS, *args, *covering_test_files(job)]
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=partial(_limit_child, memory_limit(memory_limit_mb)))
        try:
            code = proc.wait(timeout=job.timeout_s + 2 * startup_s + 5.0)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return verdict(job.mutant.id, None, started, "subprocess", job.mutant.file)
        state = read_state(result_path, code)
    return verdict(job.mutant.id, state, started, "subprocess", job.mutant.file)


def _limit_child(limit_bytes: int) -> None:
    die_with_parent()
    no_core_dumps()
    limit_memory(limit_bytes)


def read_state(path: str, exit_code: int) -> dict:
    """What the isolated plugin recorded; when it recorded nothing, pytest stopped before the
    session ended (a conftest that no longer imports, say): that counts as a kill."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        if exit_code < 0:
            return {"crash": f"test process killed by signal {-exit_code}"}
        return {"crash": f"pytest stopped with exit code {exit_code} before any verdict "
                         "(e.g. a conftest failed to import)"}


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

