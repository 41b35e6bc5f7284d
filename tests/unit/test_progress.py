"""Progress as a person reads it: a bar on a terminal, spaced plain lines in a CI log."""

from __future__ import annotations

import io

from mutgate.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_one_plain_line_at_most_every_ten_seconds_and_the_last_one():
    clock, out = Clock(), io.StringIO()
    with Progress(out, tty=False, clock=clock, heartbeat=False) as shown:
        for done in range(1, 101):
            clock.now += 0.5  # a mutant every half second: 50 s in all
            shown.update("mutants", done, 100, {"killed": done - done // 4,
                                                "survived": done // 4})
    lines = out.getvalue().splitlines()
    assert 5 <= len(lines) <= 7
    assert lines[0].startswith("mutants: 1/100, killed 1, survived 0, 0:00 elapsed")
    assert lines[-1] == "mutants: 100/100, killed 75, survived 25, 0:49 elapsed"
    assert all("\r" not in line and "\x1b" not in line for line in lines)
    assert "mutants: 21/100, killed 16, survived 5, 0:10 elapsed, about 0:37 left" in lines


def test_the_time_left_follows_the_rate_so_far():
    clock, out = Clock(), io.StringIO()
    shown = Progress(out, tty=False, clock=clock, heartbeat=False)
    shown.update("mutants", 0, 40)
    clock.now += 30
    shown.update("mutants", 10, 40)
    assert shown.line() == "mutants: 10/40, 0:30 elapsed, about 1:30 left"
    shown.close()


def test_a_terminal_line_is_redrawn_in_place_with_counts():
    clock, out = Clock(), io.StringIO()
    with Progress(out, tty=True, clock=clock) as shown:
        shown.update("coverage", 3, 10)
        shown.update("mutants", 2, 5, {"killed": 1, "survived": 1})
    text = out.getvalue()
    assert text.count("\r\x1b[2K") == 2  # each update redraws its line
    coverage, mutants = text.rstrip("\n").split("\n")  # a new phase keeps the last line
    assert coverage.startswith("\r\x1b[2Kcoverage: 3/10  0:00 elapsed")
    assert mutants.startswith("\r\x1b[2Kmutants: 2/5  killed 1, survived 1  0:00 elapsed")
    assert text.endswith("\n")


def test_a_heartbeat_repeats_the_state_while_nothing_finishes():
    clock, out = Clock(), io.StringIO()
    shown = Progress(out, tty=False, clock=clock, heartbeat=False, max_gap=30)
    shown.update("mutants", 1, 10)
    clock.now += 29
    shown.beat()
    assert len(out.getvalue().splitlines()) == 1
    clock.now += 2
    shown.beat()
    assert out.getvalue().splitlines()[-1] == (
        "mutants: 1/10, 0:31 elapsed, about 4:39 left")
    shown.update("mutants", 10, 10)
    clock.now += 60
    shown.beat()  # the work is done: nothing more
    assert out.getvalue().splitlines()[-1].startswith("mutants: 10/10")
    assert len(out.getvalue().splitlines()) == 3


def test_a_phase_without_a_total_yet_shows_its_count_and_is_repeated():
    clock, out = Clock(), io.StringIO()
    shown = Progress(out, tty=False, clock=clock, heartbeat=False, max_gap=30)
    shown.update("collecting tests", 40, None)
    clock.now += 31
    shown.beat()  # collecting is work going on: the log hears from it
    shown.update("coverage", 0, 50)  # a new phase, 0:00 of its own
    assert out.getvalue().splitlines() == [
        "collecting tests: 40 so far, 0:00 elapsed",
        "collecting tests: 40 so far, 0:31 elapsed",
    ]
    clock.now += 10
    shown.update("coverage", 5, 50)
    assert out.getvalue().splitlines()[-1] == "coverage: 5/50, 0:10 elapsed, about 1:30 left"
    shown.close()


def test_a_note_in_a_log_is_a_plain_line():
    clock, out = Clock(), io.StringIO()
    with Progress(out, tty=False, clock=clock, heartbeat=False) as shown:
        shown.update("coverage", 3, 10)
        shown.say("a note")
    assert out.getvalue() == "coverage: 3/10, 0:00 elapsed\na note\n"


def test_a_note_on_a_terminal_never_lands_on_the_bar():
    clock, out = Clock(), io.StringIO()
    with Progress(out, tty=True, clock=clock) as shown:
        shown.say("before any bar")
        shown.update("coverage", 3, 10)
        shown.say("while it runs")  # the bar is cleared, the note printed, the bar drawn again
        shown.update("coverage", 10, 10)
        shown.say("coverage: measured all 10 tests")  # a finished bar stays above the note
        shown.update("mutants", 0, 5, {"killed": 0, "survived": 0})
    assert out.getvalue().split("\n") == [
        "before any bar",
        "\r\x1b[2Kcoverage: 3/10  0:00 elapsed\r\x1b[2Kwhile it runs",
        "\r\x1b[2Kcoverage: 3/10  0:00 elapsed\r\x1b[2Kcoverage: 10/10  0:00 elapsed",
        "coverage: measured all 10 tests",
        "\r\x1b[2Kmutants: 0/5  killed 0, survived 0  0:00 elapsed",
        "",
    ]
