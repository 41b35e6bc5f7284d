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
from typing import Any

from mutgate.execution import import_template, reimport
from mutgate.execution.child_wait import COLLECT, TESTS, PhaseClock, wait_for_child
from mutgate.execution.isolated import (
    PLUGIN_ARGS,
    covering_test_files,
    read_state,
    verdict,
    write_spec,
)
from mutgate.execution.limits import enter_test_child, memory_limit
from mutgate.execution.module_code import ModuleCode
from mutgate.execution.project_modules import forget_modules, import_ahead, project_packages
from mutgate.execution.warm import NO_USABLE_TESTS, PRISTINE_WARNING_FILTERS, Job
from mutgate.module_names import module_name
from mutgate.outcome import NO_TESTS
from mutgate.store import Result


def run_fresh(root: str, args: list[str], job: Job, source: str, startup_s: float,
              memory_limit_mb: int, warm: Any = None) -> Result:
    """Run a mutant that needs a fresh import in a fork of this worker. With ``warm`` (the
    worker's `WarmSession`), the child keeps its configured pytest and only collects anew
    (`reimport.py`); where that cannot work with this pytest, a whole new session runs."""
    if not job.tests:
        return Result(job.mutant.id, NO_TESTS, detail=NO_USABLE_TESTS)
    started = time.perf_counter()
    if warm is not None and _WARM_PATH["usable"]:
        project = project_modules(root)  # here: the worker resolves module paths once
        # The kill matrix runs every test: of every file, collected first.
        state = _reimport(warm, root, project, job, source, memory_limit_mb, startup_s,
                          not job.full)
        if state and reimport.beyond_first_file(state):
            state = _reimport(warm, root, project, job, source, memory_limit_mb, startup_s,
                              False)
        if not (state and state.get("unsupported")):
            _import_new_modules(state, root)
            return verdict(job.mutant.id, state, started, "fresh", job.mutant.file)
        _WARM_PATH["usable"] = False
    with tempfile.TemporaryDirectory(prefix="mutgate-") as tmp:
        spec_path, result_path = write_spec(tmp, root, job, source)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns
            os.close(read_fd)
            _fresh_child(args, covering_test_files(job), root, spec_path, result_path, write_fd,
                         memory_limit(memory_limit_mb))
        os.close(write_fd)
        state = wait_for_child(read_fd, pid, job.timeout_s + startup_s + 2.0)
    _import_new_modules(state, root)
    return verdict(job.mutant.id, state, started, "fresh", job.mutant.file)


def _reimport(warm: Any, root: str, project: list[str], job: Job, source: str,
              memory_limit_mb: int, startup_s: float, staged: bool) -> dict | None:
    """The report of a child that runs ``job`` in a new collection of the warm session
    (`import_template.py`): its imports and collection within the coverage run's start-up
    (which collected every file, under coverage) and 2 s, its tests within the job's limit
    and that margin again."""
    # The tests may also set up module and session fixtures that the coverage run charged to
    # tests outside this job: they keep the start-up's margin too.
    def clock() -> PhaseClock:
        return PhaseClock({COLLECT: startup_s + 2.0, TESTS: job.timeout_s + startup_s + 2.0},
                          COLLECT)

    target = reimport.Target(job.tests, job.digests, job.full, staged)
    finder = reimport.MutantFinder(os.path.join(root, job.mutant.file),
                                   job.mutant.apply_to(source), _module_code(root, job, source),
                                   (job.mutant.line, job.mutant.end_line))
    return import_template.run(warm.session.config, root, project, job.mutant.file,
                               covering_test_files(job), target, finder,
                               memory_limit(memory_limit_mb), clock)


def _module_code(root: str, job: Job, source: str) -> ModuleCode | None:
    """The mutated file's `ModuleCode`, made once per worker, under the name its module was
    loaded from here (the name children compile it under)."""
    known = _MODULE_CODE.get(job.mutant.file)
    if known is None or known[0] != source:
        module = sys.modules.get(module_name(root, job.mutant.file))
        path = getattr(module, "__file__", None) or os.path.join(root, job.mutant.file)
        known = (source, ModuleCode.of(path, source))
        _MODULE_CODE[job.mutant.file] = known
    return known[1]


_MODULE_CODE: dict[str, tuple[str, ModuleCode | None]] = {}


#: Whether this worker's pytest lets a child collect anew in the configured session.
_WARM_PATH = {"usable": True}


def _import_new_modules(state: dict | None, root: str) -> None:
    """What the child imported that is not the project's is imported here, once, so later
    children find it loaded."""
    new = [name for name in (state or {}).get("modules") or () if name not in _TRIED]
    if new:
        _TRIED.update(new)
        import_ahead(new, root)


#: The modules children reported that this worker has tried to import already.
_TRIED: set[str] = set()


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


def project_modules(root: str) -> list[str]:
    """The names of the loaded modules that are the project's (code, tests, conftest).
    Asked once per mutant, answered anew only when the worker loaded modules since."""
    key = (root, len(sys.modules))
    if _PROJECT.get("key") != key:
        packages = project_packages(os.path.realpath(root) + os.sep)
        _PROJECT["key"] = key
        _PROJECT["names"] = [name for name in list(sys.modules)
                             if name.split(".", 1)[0] in packages]
    return list(_PROJECT["names"])


_PROJECT: dict = {}


def _forget_project(root: str) -> None:
    """Drop the project's modules, and the old session's import hooks and warning filters (a
    project's `filterwarnings = error` applied by the warm session would turn any plugin's
    warning in the new session into an error). A collection in the configured session
    (`reimport.py`) keeps both, as the fork path does."""
    forget_modules(project_modules(root))
    warnings.filters[:] = PRISTINE_WARNING_FILTERS
    warnings._filters_mutated()  # type: ignore[attr-defined]  (as catch_warnings does)
    from _pytest.assertion.rewrite import AssertionRewritingHook

    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, AssertionRewritingHook)]
