"""What a run shows while it works: a live bar on a terminal, plain lines in a CI log.

On a terminal the line is redrawn in place: the phase, done/total, killed and survived so
far, and the time left. Without one (a CI log) nothing needs a terminal to read: one plain
line at most every ``min_gap`` seconds when work advances, and, while work goes on with nothing
finished, the last state again every ``max_gap`` seconds, so a log never looks stalled.
A phase whose total is not known yet (tests being collected) shows what it counted so far.
Notes printed while a bar is drawn (`say`) get lines of their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TextIO


def _clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}:" if hours else "") + f"{rest // 60:0{2 if hours else 1}d}:{rest % 60:02d}"


class Progress:
    """Call `update` as work advances and `close` at the end (or use it as a context)."""

    def __init__(self, stream: TextIO, tty: bool, *, min_gap: float = 10.0,
                 max_gap: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 heartbeat: bool = True) -> None:
        self.stream = stream
        self.tty = tty
        self.min_gap = min_gap
        self.max_gap = max_gap
        self.clock = clock
        self.state: tuple[str, int, int | None, dict[str, int]] | None = None
        self.drawn = False  # a terminal line holds an unfinished bar
        self.phase_started = clock()
        self.printed_at: float | None = None
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        if heartbeat and not tty:
            self.thread = threading.Thread(target=self._beat, name="mutgate-progress",
                                           daemon=True)
            self.thread.start()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, phase: str, done: int, total: int | None,
               counts: Mapping[str, int] | None = None) -> None:
        """``total`` None: not known yet; the line shows ``done`` so far."""
        with self.lock:
            if self.state is None or self.state[0] != phase:
                self.phase_started = self.clock()
                self._end_bar()
            self.state = (phase, done, total, dict(counts or {}))
            now = self.clock()
            if self.tty or (self.printed_at is None or now - self.printed_at >= self.min_gap
                  or done == total):
                self._write(now)

    def line(self, now: float | None = None) -> str:
        """The current state as one line of text."""
        assert self.state is not None
        phase, done, total, counts = self.state
        now = self.clock() if now is None else now
        elapsed = now - self.phase_started
        parts = [f"{phase}: {done} so far" if total is None else f"{phase}: {done}/{total}"]
        if counts:
            parts.append(", ".join(f"{name} {counts.get(name, 0)}"
                                   for name in ("killed", "survived") if name in counts))
        parts.append(f"{_clock_text(elapsed)} elapsed")
        if total is not None and 0 < done < total and elapsed >= 1:
            parts.append(f"about {_clock_text(elapsed / done * (total - done))} left")
        return "  ".join(parts) if self.tty else ", ".join(parts)

    def _write(self, now: float) -> None:
        text = self.line(now)
        self.stream.write(f"\r\x1b[2K{text}" if self.tty else text + "\n")
        self.stream.flush()
        self.printed_at = now
        self.drawn = self.tty

    def _end_bar(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.drawn = False

    def say(self, message: str) -> None:
        """Print ``message`` on a line of its own. On a terminal a finished bar stays above
        it; an unfinished one is drawn again below it."""
        with self.lock:
            if not self.drawn:
                self.stream.write(message + "\n")
            elif self.state is not None and self.state[1] == self.state[2]:
                self._end_bar()
                self.stream.write(message + "\n")
            else:
                self.stream.write(f"\r\x1b[2K{message}\n")
                self._write(self.clock())
            self.stream.flush()

    def _beat(self) -> None:
        while not self.stop.wait(min(self.max_gap, 1.0)):
            self.beat()

    def beat(self) -> None:
        """Repeat the state when work goes on and nothing was printed for ``max_gap``."""
        with self.lock:
            now = self.clock()
            if (self.state is not None and self.printed_at is not None and _going_on(self.state)
                    and now - self.printed_at >= self.max_gap):
                self._write(now)

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=1.0)
        with self.lock:
            self._end_bar()
            self.stream.flush()


def _going_on(state: tuple[str, int, int | None, dict[str, int]]) -> bool:
    _, done, total, _ = state
    return total is None or done < total
