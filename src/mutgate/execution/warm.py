"""The warm worker: one pytest session per pool worker, and a fork per mutant.

The worker collects the test session once (imports done, plugins configured) and never runs a
test itself, so every child starts from the state right after collection, as a fresh pytest
process would. A first child re-runs the needed tests unmutated; a test that fails there is
flaky or order-dependent and is never used for verdicts. Then for every mutant the worker
forks: the child swaps the mutated function's code objects in, runs the covering test items
through pytest's run protocol, fastest first, stopping at the first failure, reports over a
pipe and exits; the parent enforces the timeout. Children never return, so the worker does
not grow per mutant.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from mutgate import rewrite_cache
from mutgate.execution import pytest_memo
from mutgate.execution.child_wait import wait_for_child
from mutgate.execution.limits import enter_test_child, memory_limit
from mutgate.execution.swap import (
    FunctionIndex,
    SwapError,
    compile_mutated_function,
    future_flags,
    qualnames_by_line,
)
from mutgate.mutant import Mutant
from mutgate.outcome import KILLED, NO_TESTS, SURVIVED, TIMEOUT
from mutgate.store import Result
from mutgate.test_identity import param_digest, resolve

#: Why a covered mutant has no test to run: each of its tests failed unmutated.
NO_USABLE_TESTS = ("every covering test failed when run unmutated in the worker (flaky or "
                   "order-dependent), so none can judge this mutant")

#: The warning filters before any pytest session configured this process.
PRISTINE_WARNING_FILTERS = list(warnings.filters)


@dataclass
class Job:
    """One mutant to run, with the tests to run it against (fastest first) and its limit."""

    mutant: Mutant
    tests: list[str]
    timeout_s: float
    #: The coverage run's parameter digests of the parametrized tests among ``tests``.
    digests: dict[str, str] = field(default_factory=dict)
    #: Run every test, not only up to the first failure, and report all that fail (the kill
    #: matrix of a PR check's mutants on changed lines).
    full: bool = False


@dataclass
class WarmSession:
    root: str
    args: list[str]
    items: dict[str, Any] = field(default_factory=dict)
    unusable: set[str] = field(default_factory=set)
    warmed: set[str] = field(default_factory=set)
    index: FunctionIndex | None = None
    index_files: set[str] = field(default_factory=set)
    sources: dict[str, tuple[str, int]] = field(default_factory=dict)
    memory_limit_bytes: int | None = None
    session: Any = None

    @classmethod
    def start(cls, root: str, args: list[str]) -> WarmSession:
        from _pytest.config import _prepareconfig
        from _pytest.main import Session

        os.chdir(root)
        if not getattr(sys.flags, "safe_path", False) and root not in sys.path:
            sys.path.insert(0, root)  # as `python -m pytest` does in the coverage run
        _silence_stdio()
        _default_multiprocessing()
        rewrite_cache.install()
        pytest_memo.install(root)
        config = _prepareconfig([*args, "-s", "-q"], plugins=None)
        config._do_configure()
        session = Session.from_config(config)
        config.hook.pytest_sessionstart(session=session)
        config.hook.pytest_collection(session=session)
        _cheap_failure_reports()  # this process never runs a test; its children do
        config.pluginmanager.register(LOGGED, "mutgate-logged-failures")
        warm = cls(root=root, args=args, session=session)
        warm.items = {item.nodeid: item for item in session.items}
        return warm

    def warm_up(self, files: set[str]) -> None:
        """Index the live functions of ``files`` (for swapping), then freeze what exists now."""
        absolute = {os.path.realpath(os.path.join(self.root, f)) for f in files}
        if self.index is None or not absolute <= self.index_files:
            self.index_files |= absolute
            fallback = {}
            if sys.version_info < (3, 11):
                fallback = {f: qualnames_by_line(self._compile(f)) for f in self.index_files}
            gc.unfreeze()  # frozen objects are invisible to gc.get_objects()
            self.index = FunctionIndex(self.index_files, fallback)
        gc.collect()
        gc.freeze()

    def check(self, tests: list[str], digests: dict[str, str] | None = None,
              timeout_s: float = 600.0) -> None:
        """Run the tests not checked yet once, unmutated, in a child; failures make them unusable.

        The tests never run in this process: children must start from the state right after
        collection, as a fresh pytest process would (a lazily filled module cache, say, would
        otherwise hide mutants in the code that fills it). A worker checks only the tests its
        own mutants need, batch by batch, not the whole suite up front.
        """
        todo = [item for item in resolve_tests(self.items, tests, digests)
                if item.nodeid not in self.warmed]
        if not todo:
            return
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns
            os.close(read_fd)
            _check_child(todo, write_fd)
        os.close(write_fd)
        report = wait_for_child(read_fd, pid, timeout_s)
        if report and "failed" in report:
            self.unusable.update(report["failed"])
        self.warmed.update(item.nodeid for item in todo)

    def _compile(self, filename: str):
        with open(filename, encoding="utf-8", newline="") as handle:
            text = handle.read()
        code = compile(text, filename, "exec", dont_inherit=True)
        self.sources[filename] = (text, future_flags(code))
        return code

    def _memory_limit(self, megabytes: int) -> int:
        if self.memory_limit_bytes is None:
            self.memory_limit_bytes = memory_limit(megabytes)
        return self.memory_limit_bytes

    def _source(self, filename: str) -> tuple[str, int]:
        if filename not in self.sources:
            self._compile(filename)
        return self.sources[filename]

    def run(self, job: Job, memory_limit_mb: int) -> Result:
        """Run one mutant in a forked child; raises SwapError when it cannot be swapped."""
        mutant = job.mutant
        filename = os.path.realpath(os.path.join(self.root, mutant.file))
        source, flags = self._source(filename)
        code = compile_mutated_function(mutant, source, filename, flags)
        assert self.index is not None
        targets = self.index.targets(filename, mutant.swap_target, code)
        if not targets:
            raise SwapError(f"{mutant.swap_target} is not loaded in the test process")
        tests = [item for item in resolve_tests(self.items, job.tests, job.digests)
                 if item.nodeid not in self.unusable]
        if not tests:
            return Result(mutant.id, NO_TESTS, detail=NO_USABLE_TESTS, path="fork")
        started = time.perf_counter()
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns
            os.close(read_fd)
            _child(self.index, targets, tests, write_fd, self._memory_limit(memory_limit_mb),
                   job.timeout_s, job.full)
        os.close(write_fd)
        payload = wait_for_child(read_fd, pid, job.timeout_s)
        duration_ms = (time.perf_counter() - started) * 1000
        if payload is None:
            return Result(mutant.id, TIMEOUT, None, len(tests), duration_ms, path="fork")
        if "crash" in payload:
            return Result(mutant.id, KILLED, payload["crash"], payload.get("ran", 0), duration_ms,
                          detail=payload["crash"], path="fork")
        status = KILLED if payload["killed_by"] else SURVIVED
        return Result(mutant.id, status, payload["killed_by"], payload["ran"], duration_ms,
                      path="fork", killers=payload.get("killers"),
                      tests_ms=payload.get("tests_ms"))


def resolve_tests(items: dict[str, Any], nodeids: list[str],
                  digests: dict[str, str] | None = None) -> list[Any]:
    """The collected items for ``nodeids``, in order (see `mutgate.test_identity`)."""
    return resolve(items, nodeids, digests or {}, _cached_digest)


_DIGESTS: dict[int, str | None] = {}


def _cached_digest(item: Any) -> str | None:
    if id(item) not in _DIGESTS:  # items live as long as the worker's session
        _DIGESTS[id(item)] = param_digest(item)
    return _DIGESTS[id(item)]


class _LoggedFailures:
    """Failed reports that pytest logs while a child runs a test: a failing ``subTest`` or
    ``subtests`` block is reported this way, beside a passing report of its test."""

    count = 0

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed:
            self.count += 1


LOGGED = _LoggedFailures()


def failed(item: Any, nextitem: Any, runtestprotocol: Any) -> bool:
    """Run one test through pytest's protocol; whether any part of it failed."""
    before = LOGGED.count
    reports = runtestprotocol(item, log=False, nextitem=nextitem)
    return any(r.failed for r in reports) or LOGGED.count > before


def _check_child(items: list, write_fd: int) -> None:
    status = 0
    try:
        enter_test_child(0)
        from _pytest.runner import runtestprotocol

        failing = []
        for position, item in enumerate(items):
            nextitem = items[position + 1] if position + 1 < len(items) else item
            if failed(item, nextitem, runtestprotocol):
                failing.append(item.nodeid)
        os.write(write_fd, json.dumps({"failed": failing}).encode() + b"\n")
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _child(index: FunctionIndex, targets: list, tests: list, write_fd: int, limit_bytes: int,
           timeout_s: float, full: bool = False) -> None:
    status = 0
    try:
        # The CPU limit is a backstop should the worker fail to kill us.
        enter_test_child(limit_bytes, cpu_seconds=int(timeout_s * 2) + 10)
        index.apply(targets)
        killers: list[str] = []
        ran = 0
        from _pytest.runner import runtestprotocol

        started = time.perf_counter()
        for position, item in enumerate(tests):
            nextitem = tests[position + 1] if position + 1 < len(tests) else item
            if position == 0:
                item.session._setupstate.teardown_exact(item)
            ran += 1
            if failed(item, nextitem, runtestprotocol):
                killers.append(item.nodeid)
                if not full:
                    break
        report = {"killed_by": killers[0] if killers else None, "ran": ran,
                  "killers": killers if full else None,
                  "tests_ms": (time.perf_counter() - started) * 1000}
        os.write(write_fd, json.dumps(report).encode() + b"\n")
    except BaseException as exc:  # the mutant broke the test process itself
        try:
            message = {"crash": f"{type(exc).__name__} in test process", "ran": 0}
            os.write(write_fd, json.dumps(message).encode() + b"\n")
        except BaseException:
            status = 1
    finally:
        os._exit(status)


def _default_multiprocessing() -> None:
    """A loky worker's multiprocessing starts processes the loky way (a new interpreter each);
    the tests must see the start method a plain pytest process has (a pool in a test would
    otherwise take seconds to start, and time out)."""
    import multiprocessing

    multiprocessing.set_start_method(None, force=True)


def _cheap_failure_reports() -> None:
    """Formatting failure tracebacks is the child's largest hidden cost: nobody reads them."""
    from _pytest import nodes

    def short(self, excinfo, style=None):
        return excinfo.typename

    nodes.Node._repr_failure_py = short  # type: ignore[method-assign]


def _silence_stdio() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
