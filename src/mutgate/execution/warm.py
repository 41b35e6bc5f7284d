"""The warm worker: one pytest session per pool worker, and a fork per mutant.

The worker collects the test session once and runs the tests it will need once, unmutated
(imports, caches and lazy state warm up; a test that fails here is unusable for verdicts).
Then for every mutant it forks: the child swaps the mutated function's code object in, runs
the covering test items through pytest's run protocol, fastest first, stopping at the first
failure, reports over a pipe and exits; the parent enforces the timeout. Children never
return, so the worker does not grow per mutant.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import resource
import select
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class Job:
    """One mutant to run, with the tests to run it against (fastest first) and its limit."""

    mutant: Mutant
    tests: list[str]
    timeout_s: float


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
    session: Any = None

    @classmethod
    def start(cls, root: str, args: list[str]) -> WarmSession:
        from _pytest.config import _prepareconfig
        from _pytest.main import Session

        os.chdir(root)
        _silence_stdio()
        config = _prepareconfig([*args, "-s", "-q"], plugins=None)
        config._do_configure()
        session = Session.from_config(config)
        config.hook.pytest_sessionstart(session=session)
        config.hook.pytest_collection(session=session)
        warm = cls(root=root, args=args, session=session)
        warm.items = {item.nodeid: item for item in session.items}
        return warm

    def warm_up(self, tests: list[str], files: set[str]) -> None:
        """Run each needed test once unmutated; failures mark the test unusable."""
        from _pytest.runner import runtestprotocol

        todo = [self.items[t] for t in tests if t in self.items and t not in self.warmed]
        for position, item in enumerate(todo):
            nextitem = todo[position + 1] if position + 1 < len(todo) else None
            reports = runtestprotocol(item, log=False, nextitem=nextitem)
            if any(r.failed for r in reports):
                self.unusable.add(item.nodeid)
            self.warmed.add(item.nodeid)
        absolute = {os.path.realpath(os.path.join(self.root, f)) for f in files}
        if self.index is None or not absolute <= self.index_files:
            self.index_files |= absolute
            fallback = {}
            if sys.version_info < (3, 11):
                fallback = {f: qualnames_by_line(self._compile(f)) for f in self.index_files}
            self.index = FunctionIndex(self.index_files, fallback)
        gc.collect()
        gc.freeze()

    def _compile(self, filename: str):
        with open(filename, encoding="utf-8", newline="") as handle:
            text = handle.read()
        code = compile(text, filename, "exec", dont_inherit=True)
        self.sources[filename] = (text, future_flags(code))
        return code

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
        if self.index.original(filename, mutant.swap_target, code.co_firstlineno) is None:
            raise SwapError(f"{mutant.swap_target} is not loaded in the test process")
        tests = [self.items[t] for t in job.tests
                 if t in self.items and t not in self.unusable]
        if not tests:
            return Result(mutant.id, NO_TESTS)
        started = time.perf_counter()
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns
            os.close(read_fd)
            _child(self.index, filename, mutant.swap_target, code, tests, write_fd,
                   memory_limit_mb, job.timeout_s)
        os.close(write_fd)
        payload = wait_for_child(read_fd, pid, job.timeout_s)
        duration_ms = (time.perf_counter() - started) * 1000
        if payload is None:
            return Result(mutant.id, TIMEOUT, None, len(tests), duration_ms)
        if "crash" in payload:
            return Result(mutant.id, KILLED, payload["crash"], payload.get("ran", 0), duration_ms)
        status = KILLED if payload["killed_by"] else SURVIVED
        return Result(mutant.id, status, payload["killed_by"], payload["ran"], duration_ms)


def _child(index: FunctionIndex, filename: str, qualname: str, code, tests: list, write_fd: int,
           memory_limit_mb: int, timeout_s: float) -> None:
    status = 0
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        die_with_parent()
        cpu = int(timeout_s * 2) + 10  # a backstop should the parent fail to kill us
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        if memory_limit_mb > 0:
            limit_memory(memory_limit_mb)
        _cheap_failure_reports()
        index.swap(filename, qualname, code)
        killed_by = None
        ran = 0
        from _pytest.runner import runtestprotocol

        for position, item in enumerate(tests):
            nextitem = tests[position + 1] if position + 1 < len(tests) else item
            if position == 0:
                item.session._setupstate.teardown_exact(item)
            ran += 1
            reports = runtestprotocol(item, log=False, nextitem=nextitem)
            if any(r.failed for r in reports[:2]):
                killed_by = item.nodeid
                break
        os.write(write_fd, json.dumps({"killed_by": killed_by, "ran": ran}).encode() + b"\n")
    except BaseException as exc:  # the mutant broke the test process itself
        try:
            message = {"crash": f"{type(exc).__name__} in test process", "ran": 0}
            os.write(write_fd, json.dumps(message).encode() + b"\n")
        except BaseException:
            status = 1
    finally:
        os._exit(status)


def wait_for_child(read_fd: int, pid: int, timeout_s: float) -> dict | None:
    """The child's report, a crash description, or None when it ran out of time."""
    deadline = time.monotonic() + timeout_s
    chunks: list[bytes] = []
    timed_out = False
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([pipe], [], [], remaining)
            if not ready:
                continue
            chunk = pipe.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                break
    if timed_out:
        _kill(pid)
        return None
    _, wait_status = _reap(pid, deadline)
    data = b"".join(chunks).strip()
    if data:
        return json.loads(data.decode())
    if os.WIFSIGNALED(wait_status):
        return {"crash": f"test process killed by signal {os.WTERMSIG(wait_status)}"}
    return {"crash": f"test process exited with code {os.WEXITSTATUS(wait_status)}"}


def _reap(pid: int, deadline: float) -> tuple[int, int]:
    while True:
        done, wait_status = os.waitpid(pid, os.WNOHANG)
        if done:
            return done, wait_status
        if time.monotonic() > deadline + 1.0:
            _kill(pid)
            return os.waitpid(pid, 0)
        time.sleep(0.0005)


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            target()
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _load_prctl():
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent (the worker) dies."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def limit_memory(megabytes: int) -> None:
    with open("/proc/self/statm") as handle:
        current = int(handle.read().split()[0]) * resource.getpagesize()
    limit = current + megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


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
