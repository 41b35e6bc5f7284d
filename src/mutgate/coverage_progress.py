"""How far the coverage run is: its pytest plugin writes counts, mutgate polls them.

The coverage run is a pytest subprocess whose output mutgate captures, so it cannot draw a
bar itself. Its plugin (`mutgate.plugins.coverage_plugin`) keeps one small record in a file:
the tests found while collecting, then the tests finished and the number it runs (in an
incremental run, the tests measured again, not the suite). Each change is one ``pwrite`` of a
fixed-size record over the last one, a few microseconds. mutgate reads the record while it
waits for the subprocess and hands each new state to its progress display
(`mutgate.progress`), which decides what to print and when. A record carries a checksum: a
read that races a write is ignored, never misread.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: The variable that tells the plugin where to keep the record.
ENV = "MUTGATE_COV_PROGRESS"
#: The phases as the progress display names them.
COLLECTING = "collecting tests"
RUNNING = "coverage"
RECORD_SIZE = 48
#: How often mutgate reads the record while the coverage run goes on (seconds).
POLL_S = 0.5


@dataclass(frozen=True)
class Counts:
    """``collecting``: ``done`` tests found so far (``total`` unknown, 0); else ``done`` of
    ``total`` tests finished."""

    collecting: bool
    done: int
    total: int


def encode(counts: Counts) -> bytes:
    body = f"{'c' if counts.collecting else 'r'} {counts.done} {counts.total}"
    text = f"{body} {zlib.crc32(body.encode()):08x}"
    if len(text) >= RECORD_SIZE:
        raise ValueError(f"counts too large for a record: {counts}")
    return text.ljust(RECORD_SIZE - 1).encode() + b"\n"


def decode(data: bytes) -> Counts | None:
    """The counts of a record, or None when it is not a whole, intact one."""
    try:
        kind, done, total, check = data.decode("ascii").split()
    except (UnicodeDecodeError, ValueError):
        return None
    body = f"{kind} {done} {total}"
    if kind not in ("c", "r") or f"{zlib.crc32(body.encode()):08x}" != check:
        return None
    return Counts(kind == "c", int(done), int(total))


def read_counts(path: Path) -> Counts | None:
    try:
        with open(path, "rb") as handle:
            return decode(handle.read(RECORD_SIZE))
    except OSError:
        return None


class CountsWriter:
    """The plugin's side: call `found` per collected test, `start` when collection is done
    and `finished` per test run."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        self.done = 0
        self.total = 0
        self.collecting = True

    def found(self) -> None:
        self.total += 1
        self._write(Counts(True, self.total, 0))

    def start(self, total: int) -> None:
        self.collecting, self.done, self.total = False, 0, total
        self._write(Counts(False, 0, total))

    def finished(self) -> None:
        if not self.collecting:
            self.done = min(self.done + 1, self.total)
            self._write(Counts(False, self.done, self.total))

    def _write(self, counts: Counts) -> None:
        os.pwrite(self.fd, encode(counts), 0)

    def close(self) -> None:
        os.close(self.fd)


def show_counts(progress: Callable[..., None]) -> Callable[[Counts], None]:
    """Counts as ``progress(phase, done, total)`` calls (total None while collecting)."""
    def show(counts: Counts) -> None:
        if counts.collecting:
            progress(COLLECTING, counts.done, None)
        else:
            progress(RUNNING, counts.done, counts.total)
    return show


def run_watched(cmd: Sequence[str], *, cwd: Path, env: dict[str, str], counts_file: Path,
                progress: Callable[..., None] | None, poll_s: float = POLL_S,
                on_start: Callable[[], None] | None = None, result_file: Path | None = None
                ) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(cmd, capture_output=True, text=True)`` (undecodable bytes replaced).
    With ``progress``, the plugin keeps its record in ``counts_file``: each new one is shown
    while the command runs (`show_counts`), and the last one when it ends. ``on_start`` is
    called once the command has started. With ``result_file`` (which the command creates
    whole, by a rename, once its work is done) it returns as soon as that file exists: what
    the command does after (pytest's terminal summary, where the hypothesis plugin imports
    hypothesis; its garbage collections; the interpreter's teardown) goes on meanwhile, and
    `wait_background` waits for it; the output and exit code arrive in the returned object."""
    env = {name: value for name, value in env.items() if name != ENV}
    if progress is not None:
        env[ENV] = str(counts_file)
    show = show_counts(progress) if progress is not None else None
    shown: Counts | None = None

    def look() -> None:
        nonlocal shown
        if show is None:
            return
        counts = read_counts(counts_file)
        if counts is not None and counts != shown:
            shown = counts
            show(counts)

    step = RESULT_POLL_S if result_file is not None else poll_s
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace")
    try:
        if on_start is not None:
            on_start()
        looked = time.monotonic()
        while True:
            try:
                out, err = proc.communicate(timeout=step)
                break
            except subprocess.TimeoutExpired:
                if result_file is not None and result_file.exists():
                    look()
                    return _finish_in_background(proc, cmd)
                if time.monotonic() - looked >= poll_s:
                    look()
                    looked = time.monotonic()
    except BaseException:  # interrupted: as subprocess.run does, stop the child
        proc.kill()
        proc.wait()
        raise
    look()
    return subprocess.CompletedProcess(list(cmd), proc.returncode, out, err)


#: How often mutgate looks for a command's result file (seconds).
RESULT_POLL_S = 0.02
_BACKGROUND: list[tuple[subprocess.Popen, threading.Thread]] = []


def _finish_in_background(proc: subprocess.Popen, cmd: Sequence[str]
                          ) -> subprocess.CompletedProcess[str]:
    done = subprocess.CompletedProcess(list(cmd), None, "", "")

    def drain() -> None:  # a full pipe would stop the command before its end
        done.stdout, done.stderr = proc.communicate()
        done.returncode = proc.returncode

    thread = threading.Thread(target=drain, name="mutgate-coverage-end", daemon=True)
    thread.start()
    _BACKGROUND.append((proc, thread))
    return done


def wait_background(kill: bool = False) -> None:
    """Wait until every command `run_watched` left finishing has ended (or stop them)."""
    while _BACKGROUND:
        proc, thread = _BACKGROUND.pop()
        if kill:
            proc.kill()
        thread.join()
