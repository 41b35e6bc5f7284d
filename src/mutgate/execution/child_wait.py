"""Waiting for a test child: its report over a pipe, and the time it is allowed.

A child reports one JSON line and exits. A child that imports and collects before its tests
(the fresh path) also writes phase lines (`mark`), and its limits are then counted per phase
(`PhaseClock`): the time the tests are allowed is not used up by a slow import or collection,
and an import that never ends still runs out of its own time. A child that is not the
waiter's own (forked by a paused child, `import_template.py`) names itself (`announce`), and
its parent relays how it ended when it wrote no report (`relay_exit`).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import time

COLLECT = "collect"
TESTS = "tests"
_MARK = b'{"phase": '
_PID = b'{"pid": '
_EXIT = b'{"exit": '


def mark(write_fd: int, phase: str) -> None:
    """In the child: say that ``phase`` starts now."""
    os.write(write_fd, _MARK + json.dumps(phase).encode() + b"}\n")


def announce(write_fd: int) -> None:
    """In a child the waiter did not fork: say which process to kill on a timeout."""
    os.write(write_fd, _PID + str(os.getpid()).encode() + b"}\n")


def relay_exit(write_fd: int, wait_status: int) -> None:
    """In the parent of an announced child, once it is gone: how it ended (read only when it
    wrote no report)."""
    os.write(write_fd, _EXIT + str(wait_status).encode() + b"}\n")


class PhaseClock:
    """The seconds each phase of a child may take, spent only while the child is in it."""

    def __init__(self, budgets: dict[str, float], first: str) -> None:
        self.left = dict(budgets)
        self.phase = first
        self.since = time.monotonic()

    def enter(self, phase: str) -> None:
        if phase not in self.left:  # a phase with no budget of its own: the clock runs on
            return
        now = time.monotonic()
        self.left[self.phase] -= now - self.since
        self.phase, self.since = phase, now

    def deadline(self) -> float:
        return self.since + self.left[self.phase]


def wait_for_child(read_fd: int, pid: int, limit: float | PhaseClock) -> dict | None:
    """The child's report, a crash description, or None when it ran out of time (``limit``:
    seconds in all, or a `PhaseClock` the child's phase lines move on)."""
    clock = limit if isinstance(limit, PhaseClock) else PhaseClock({TESTS: limit}, TESTS)
    buffer = b""
    report: bytes | None = None
    own = True
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while report is None:
            remaining = clock.deadline() - time.monotonic()
            if remaining <= 0:
                _kill(pid)
                return None
            ready, _, _ = select.select([pipe], [], [], remaining)
            if not ready:
                continue
            chunk = pipe.read(65536)
            if not chunk:
                break
            buffer += chunk
            while report is None and b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.startswith(_MARK):
                    clock.enter(json.loads(line)["phase"])
                elif line.startswith(_PID):
                    pid, own = json.loads(line)["pid"], False
                else:
                    report = line
    data = (report if report is not None else buffer).strip()
    if data.startswith(_EXIT) and data.endswith(b"}"):
        return _ended(json.loads(data)["exit"])
    if not own:
        return json.loads(data.decode()) if data else {"crash": "test process ended unseen"}
    if report is not None and data.endswith(b"}"):
        # The child exits right after reporting: let its teardown overlap the next mutant.
        _UNREAPED.append((pid, time.monotonic() + 5.0))
        reap_finished()
        return json.loads(data.decode())
    _, wait_status = _reap(pid, clock.deadline())
    if data:
        return json.loads(data.decode())
    return _ended(wait_status)


def _ended(wait_status: int) -> dict:
    if os.WIFSIGNALED(wait_status):
        return {"crash": f"test process killed by signal {os.WTERMSIG(wait_status)}"}
    return {"crash": f"test process exited with code {os.WEXITSTATUS(wait_status)}"}


def reap_later(pid: int, grace_s: float = 5.0) -> None:
    """Collect the child ``pid``, which is about to exit, once it has (killed after
    ``grace_s``)."""
    _UNREAPED.append((pid, time.monotonic() + grace_s))
    reap_finished()


_UNREAPED: list[tuple[int, float]] = []


def reap_finished() -> None:
    """Collect children that reported and exited; kill any that linger past their grace."""
    for entry in list(_UNREAPED):
        pid, deadline = entry
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped already
            done = pid
        if done:
            _UNREAPED.remove(entry)
        elif time.monotonic() > deadline:
            _kill(pid)
            _UNREAPED.remove(entry)


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


