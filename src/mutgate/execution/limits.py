"""What every test child sets up before it runs a test: it dies with the worker, leaves no core
file, stays inside a memory limit, and has its own multiprocessing resource trackers."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys


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


def own_resource_trackers() -> None:
    """A test that starts a multiprocessing pool in a child must not share the worker's
    resource tracker: its lock may be held by a thread that did not survive the fork, and the
    semaphores the child leaks when it exits would be reported by mutgate's own tracker. A new
    tracker starts only if the child needs one; it cleans up after the child, silently."""
    for name in ("multiprocessing.resource_tracker",
                 "joblib.externals.loky.backend.resource_tracker"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "_resource_tracker"):
            tracker = module.ResourceTracker()
            module._resource_tracker = tracker
            for export in ("ensure_running", "register", "unregister", "getfd"):
                if hasattr(module, export) and hasattr(tracker, export):
                    setattr(module, export, getattr(tracker, export))


def no_core_dumps() -> None:
    """A mutant that segfaults must not leave a core file in the project."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def memory_limit(megabytes: int) -> int:
    """An address-space limit for children: this process's size plus ``megabytes``."""
    if megabytes <= 0:
        return 0
    with open("/proc/self/statm") as handle:
        current = int(handle.read().split()[0]) * resource.getpagesize()
    return current + megabytes * 1024 * 1024


def limit_memory(limit_bytes: int) -> None:
    if limit_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def enter_test_child(limit_bytes: int, cpu_seconds: int = 0) -> None:
    """Set up a forked child that runs tests: its own process group (the worker kills the group
    on a timeout), Ctrl-C left to the worker, death with the worker, no core files, its own
    resource trackers, the memory limit and, when given, a CPU-time backstop."""
    os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    die_with_parent()
    no_core_dumps()
    own_resource_trackers()
    if cpu_seconds > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    limit_memory(limit_bytes)
