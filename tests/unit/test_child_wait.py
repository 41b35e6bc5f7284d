"""Waiting for forked children: reports, crashes, and time limits counted per phase."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time

from mutgate.execution.child_wait import (
    COLLECT,
    TESTS,
    PhaseClock,
    announce,
    mark,
    relay_exit,
    wait_for_child,
)


def _child(steps) -> tuple[int, int]:
    """Fork a child that runs ``steps`` (phase names to mark, seconds to sleep, a dict to
    report, "announce", "crash") and exits."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _take(steps, write_fd)
        os._exit(0)
    os.close(write_fd)
    return read_fd, pid


def _take(steps, write_fd: int) -> None:
    for step in steps:
        if step == "announce":
            announce(write_fd)
        elif step == "crash":
            os.kill(os.getpid(), signal.SIGKILL)
        elif isinstance(step, str):
            mark(write_fd, step)
        elif isinstance(step, dict):
            os.write(write_fd, json.dumps(step).encode() + b"\n")
        else:
            time.sleep(step)


def test_a_report_after_phase_lines_is_the_report() -> None:
    read_fd, pid = _child([COLLECT, TESTS, {"killed_by": "t::a", "ran": 1}])
    assert wait_for_child(read_fd, pid, PhaseClock({COLLECT: 5, TESTS: 5}, COLLECT)) == {
        "killed_by": "t::a", "ran": 1}


def test_each_phase_spends_only_its_own_budget() -> None:
    # 0.6 s collecting and 0.6 s testing: more than either budget and than both but one.
    read_fd, pid = _child([0.6, TESTS, 0.6, {"ran": 2}])
    clock = PhaseClock({COLLECT: 1.0, TESTS: 1.0}, COLLECT)
    assert wait_for_child(read_fd, pid, clock) == {"ran": 2}


def test_a_collection_that_never_ends_runs_out_of_its_own_time() -> None:
    read_fd, pid = _child([30, {"ran": 0}])
    started = time.monotonic()
    assert wait_for_child(read_fd, pid, PhaseClock({COLLECT: 0.5, TESTS: 20}, COLLECT)) is None
    assert time.monotonic() - started < 5


def test_tests_that_never_end_run_out_of_the_tests_time() -> None:
    read_fd, pid = _child([COLLECT, TESTS, 30, {"ran": 1}])
    started = time.monotonic()
    assert wait_for_child(read_fd, pid, PhaseClock({COLLECT: 20, TESTS: 0.5}, COLLECT)) is None
    assert time.monotonic() - started < 5


def test_a_plain_limit_counts_everything() -> None:
    read_fd, pid = _child([0.4, TESTS, 0.4, {"ran": 1}])
    assert wait_for_child(read_fd, pid, 0.6) is None


def test_a_child_that_exits_without_a_report_is_a_crash() -> None:
    read_fd, pid = _child([COLLECT])
    assert wait_for_child(read_fd, pid, 5.0) == {"crash": "test process exited with code 0"}



def _grandchild(steps, relay: bool = True) -> tuple[int, int]:
    """Fork a child that forks a grandchild running ``steps`` (as `_child`),
    then, with ``relay``, says how the grandchild ended: as a template and its children do."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        inner = os.fork()
        if inner == 0:
            _take(steps, write_fd)
            os._exit(0)
        _, status = os.waitpid(inner, 0)
        if relay:
            with contextlib.suppress(OSError):
                relay_exit(write_fd, status)
        os._exit(0)
    os.close(write_fd)
    return read_fd, pid


def test_an_announced_grandchild_reports_as_a_child_does() -> None:
    read_fd, pid = _grandchild(["announce", TESTS, {"killed_by": "t::b", "ran": 2}])
    assert wait_for_child(read_fd, pid, PhaseClock({COLLECT: 5, TESTS: 5}, COLLECT)) == {
        "killed_by": "t::b", "ran": 2}
    os.waitpid(pid, 0)


def test_a_grandchild_that_dies_without_a_report_is_a_crash_its_parent_relays() -> None:
    read_fd, pid = _grandchild(["announce", TESTS, "crash"])
    assert wait_for_child(read_fd, pid, 5.0) == {
        "crash": f"test process killed by signal {int(signal.SIGKILL)}"}
    os.waitpid(pid, 0)


def test_a_timeout_kills_the_announced_grandchild_not_its_parent() -> None:
    read_fd, pid = _grandchild(["announce", TESTS, 30, {"ran": 1}])
    started = time.monotonic()
    assert wait_for_child(read_fd, pid, PhaseClock({COLLECT: 5, TESTS: 0.5}, COLLECT)) is None
    # The parent outlives the grandchild: it relays its end and exits by itself.
    assert os.waitpid(pid, 0)[0] == pid
    assert time.monotonic() - started < 5


def test_a_grandchild_gone_with_nothing_said_is_never_a_report() -> None:
    read_fd, pid = _grandchild(["announce", "crash"], relay=False)
    assert wait_for_child(read_fd, pid, 5.0) == {"crash": "test process ended unseen"}
    os.waitpid(pid, 0)
