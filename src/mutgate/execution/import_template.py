"""Static mutants of one module, each from where the mutated module is first imported.

A reimport child (`reimport.py`) spends most of its time before the mutated module's code
runs at all: the fork of the worker, forgetting the project, a new session, the conftest files
and the project modules imported ahead of it. None of that depends on the mutant: up to the
moment the mutated module is first imported, a child for one mutant of a module does exactly
what a child for any other mutant of it does, given the same files to collect. So the first
child of a module stops there (its `MutantFinder.on_import`) and becomes a template: it forks
one child per mutant, each of which takes the template's mutant's place and goes on from the
import as if it had done everything before it itself. The worker sends the template each
further mutant of that module (source, tests, digests, and a pipe for the report, over a unix
socket) and reads the report as from any child; the template tells it how a child ended that
wrote none.

Where something before the import can depend on the mutant, the first child does not become a
template and finishes its own mutant: when the import comes after pytest has begun sorting
test functions by the tests to run (`reimport._OnlyThese.asked`), or never comes during
collection (a test imports the module): the worker then stops trying for that module and
those files.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import socket
import struct
import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mutgate.execution import reimport
from mutgate.execution.child_wait import (
    PhaseClock,
    announce,
    mark,
    reap_later,
    relay_exit,
    wait_for_child,
)
from mutgate.execution.limits import die_with_parent, enter_test_child
from mutgate.execution.project_modules import forget_modules
from mutgate.execution.warm import failed
from mutgate.module_names import module_name

#: Templates kept alive per worker: a batch mixes a few modules and both kinds of judgement
#: (on marshmallow 8 made 32 first children where 4 made 36); each holds its own memory.
KEPT = 4


@dataclass
class _Template:
    pid: int
    control: socket.socket


#: This worker's live templates, by (mutated file, files collected, staged), least recently
#: used first; and the keys whose first child could not become one.
_TEMPLATES: OrderedDict[tuple, _Template] = OrderedDict()
_REFUSED: set[tuple] = set()


def run(config: Any, root: str, project: list[str], mutant_file: str, files: list[str],
        target: reimport.Target, finder: reimport.MutantFinder, limit_bytes: int,
        clock: Callable[[], PhaseClock]) -> dict | None:
    """The report of a child that runs ``target`` with the module ``mutant_file`` (relative to
    ``root``) imported by ``finder``: from a template of that module where there is one,
    else from a new child of this worker, which becomes one where it can. ``clock`` makes
    the child's time limits."""
    key = (mutant_file, (_file_of(target.tests[0]),) if target.staged else tuple(files),
           target.staged)
    template = _TEMPLATES.get(key)
    if template is not None:
        _TEMPLATES.move_to_end(key)
        state = _from_template(template, target, finder, clock())
        if state is not _GONE:
            return state
        _drop(key)  # it died: the mutant runs again from a new first child
    return _first(config, root, project, mutant_file, files, target, finder, limit_bytes,
                  clock(), key)


def _first(config: Any, root: str, project: list[str], mutant_file: str, files: list[str],
           target: reimport.Target, finder: reimport.MutantFinder, limit_bytes: int,
           clock: PhaseClock, key: tuple) -> dict | None:
    control, theirs = socket.socketpair()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns
        os.close(read_fd)
        control.close()
        _first_child(config, root, project, mutant_file, files, target, finder,
                     _Channel(write_fd), theirs if key not in _REFUSED else None, limit_bytes)
    theirs.close()
    os.close(write_fd)
    state = wait_for_child(read_fd, pid, clock)
    serving = state.pop("template", None) if state is not None else None
    if serving:
        _TEMPLATES[key] = _Template(pid, control)
        while len(_TEMPLATES) > KEPT:
            _drop(next(iter(_TEMPLATES)))
        return state
    if serving is False:
        _REFUSED.add(key)
    control.close()
    reap_later(pid)
    return state


#: What `_from_template` returns when the template has died.
_GONE: dict = {}


def _from_template(template: _Template, target: reimport.Target,
                   finder: reimport.MutantFinder, clock: PhaseClock) -> dict | None:
    read_fd, write_fd = os.pipe()
    sent = _send(template, target, finder, write_fd)
    os.close(write_fd)
    if not sent:
        os.close(read_fd)
        return _GONE
    state = wait_for_child(read_fd, template.pid, clock)
    if (state is None or "crash" in state) and not _alive(template.pid):
        return _GONE
    if state is not None:
        state.pop("template", None)
    return state


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


def _drop(key: tuple) -> None:
    """End a template: it exits when its socket closes."""
    template = _TEMPLATES.pop(key)
    template.control.close()
    reap_later(template.pid)


def _file_of(test: str) -> str:
    return test.split("::", 1)[0]


def _send(template: _Template, target: reimport.Target, finder: reimport.MutantFinder,
          write_fd: int) -> bool:
    payload = json.dumps([target.tests, target.digests, target.full, finder.source,
                          list(finder.lines)]).encode()
    try:
        template.control.settimeout(10.0)
        socket.send_fds(template.control, [struct.pack("!Q", len(payload))], [write_fd])
        template.control.sendall(payload)
    except OSError:
        return False
    return True


def _receive(control: socket.socket) -> tuple[int, list] | None:
    """The next request of the worker: the report pipe and what to run; None once it has
    closed the socket."""
    header, fds, _, _ = socket.recv_fds(control, 8, 1)
    if not header:
        return None
    while len(header) < 8:
        more = control.recv(8 - len(header))
        if not more:
            return None
        header += more
    size = struct.unpack("!Q", header)[0]
    chunks, left = [], size
    while left:
        chunk = control.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return fds[0], json.loads(b"".join(chunks))


class _Channel:
    """Where this child reports: the pipe of the mutant it runs, which a template's child
    takes over from the request it was forked for."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def mark(self, phase: str) -> None:
        mark(self.fd, phase)

    def send(self, message: dict) -> None:
        os.write(self.fd, json.dumps(message).encode() + b"\n")


class _Pause:
    """The `MutantFinder.on_import` of a first child: become the template, or go on."""

    def __init__(self, config: Any, control: socket.socket, channel: _Channel,
                 target: reimport.Target, finder: reimport.MutantFinder) -> None:
        self.config, self.control, self.channel = config, control, channel
        self.target, self.finder = target, finder
        self.serving = False

    def __call__(self) -> None:
        only = self.config.pluginmanager.get_plugin(reimport.ONLY_THESE)
        if only is None or (only.asked and only.items):
            return
        self.serving = True
        gc.freeze()  # the template's objects stay as they are; its children need not scan them
        while True:
            pid = os.fork()
            if pid == 0:
                self.control.close()
                os.setpgid(0, 0)
                die_with_parent()
                announce(self.channel.fd)
                return  # the child goes on with the import, for the mutant it was forked for
            _, wait_status = os.waitpid(pid, 0)
            with contextlib.suppress(OSError):  # the worker had its report and closed it
                relay_exit(self.channel.fd, wait_status)
            os.close(self.channel.fd)
            request = _receive(self.control)
            if request is None:
                os._exit(0)
            fd, (tests, digests, full, mutated, lines) = request
            self.channel.fd = fd
            self.target.tests, self.target.digests, self.target.full = tests, digests, full
            self.finder.source, self.finder.lines = mutated, (lines[0], lines[1])
            self.finder.loaded = False
            if not only.retarget(self.target.run()):
                # Never sent (templates are keyed by these files). Ending without a word,
                # the worker finds the template gone and runs the mutant from a first child.
                os._exit(1)


def _first_child(config: Any, root: str, project: list[str], mutant_file: str,
                 files: list[str], target: reimport.Target, finder: reimport.MutantFinder,
                 channel: _Channel, control: socket.socket | None, limit_bytes: int) -> None:
    status = 0
    try:
        enter_test_child(limit_bytes)
        try:
            forget_modules(project)
            fixtures = reimport.prepare(config, set(project))
        except Exception as exc:  # this pytest keeps its plugins elsewhere
            channel.send({"unsupported": repr(exc)})
            return
        known = set(sys.modules)
        pause = None
        if control is not None:
            pause = _Pause(config, control, channel, target, finder)
            finder.on_import = pause
        state = reimport.collect_and_run(config, files, target, finder, failed, fixtures,
                                         channel.mark)
        if not state["loaded"]:
            module = sys.modules.get(module_name(root, mutant_file))
            state["elsewhere"] = getattr(module, "__file__", None)
        state["modules"] = _new_modules(known, project)
        if pause is not None:
            state["template"] = pause.serving
        channel.send(state)
    except BaseException as exc:
        try:
            channel.send({"crash": f"{type(exc).__name__} in test process"})
        except BaseException:
            status = 1
    finally:
        os._exit(status)


def _new_modules(known: set[str], project: list[str]) -> list[str]:
    """The modules loaded since ``known`` that are not under a package of ``project``."""
    tops = {name.split(".", 1)[0] for name in project}
    return sorted(name for name in sys.modules
                  if name not in known and name.split(".", 1)[0] not in tops)

