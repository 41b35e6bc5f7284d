"""End to end: a run without a terminal keeps a CI log informed, at a readable rate."""

from __future__ import annotations

import itertools
import re
import subprocess
import threading
import time

import pytest
from helpers.commands import plugins_env
from helpers.projects import copy_fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LINE = re.compile(r"^mutants: (\d+)/(\d+), killed \d+, survived \d+, (\d+:\d\d) elapsed"
                  r"(, about \d+:\d\d left)?$")
COVERAGE_LINE = re.compile(r"^coverage: (\d+)/(\d+), (\d+:\d\d) elapsed(, about \d+:\d\d left)?$")
#: fixtures/slow: ten tests of 1.2 s each (test_calc.py), then one of 35 s (test_wait.py).
TESTS = 11


def spaced(lines: list[tuple[float, re.Match]]) -> list[float]:
    """The gaps between progress lines, checked: at most 31 s, and at least ~10 s but before
    the line of a finished phase (done = total), which comes when the phase is done."""
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(lines)]
    finals = [match.group(1) == match.group(2) for _, match in lines[1:]]
    assert all(gap <= 31 for gap in gaps), gaps
    assert all(gap >= 9.5 for gap, final in zip(gaps, finals, strict=True) if not final), gaps
    return gaps


def test_a_long_run_prints_a_plain_progress_line_every_ten_to_thirty_seconds(tmp_path):
    """The coverage run (about 50 s) and the mutants (about 50 s) each keep the log informed."""
    project = copy_fixture("slow", tmp_path / "slow")
    started = time.monotonic()
    proc = subprocess.Popen(["mutgate", "-C", str(project), "run", "-j", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=plugins_env())
    seen: list[tuple[float, str]] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append((time.monotonic(), line.rstrip("\n")))

    reader = threading.Thread(target=read)
    reader.start()
    # Only the reader takes stderr (communicate() would read it too, and take lines).
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.wait(timeout=900)
    reader.join()
    wall = time.monotonic() - started
    assert proc.returncode == 0, "\n".join(line for _, line in seen)
    assert wall >= 80, f"the fixture is meant to run for at least 80 s, took {wall:.0f} s"
    text = "\n".join(line for _, line in seen)
    assert "\r" not in text and "\x1b" not in text

    shown = [(at, line) for at, line in seen if re.match(r"(coverage: \d|mutants: )", line)]
    matches = [(at, COVERAGE_LINE.match(line) or LINE.match(line)) for at, line in shown]
    assert matches and all(match for _, match in matches), text
    spaced(matches)  # across the phases too
    coverage = [(at, match) for at, match in matches if match.re is COVERAGE_LINE]
    gaps = spaced(coverage)
    # The coverage run is a long one: its first line comes ~10 s in, its last at the end of
    # the ~47 s run, so they are ~37 s apart (a bound of 40 failed once in CI).
    assert coverage[-1][0] - coverage[0][0] >= 30, text
    done = [int(match.group(1)) for _, match in coverage]
    assert {int(match.group(2)) for _, match in coverage} == {TESTS}
    assert done == sorted(done) and done[-1] == TESTS and 0 < max(done[:-1]) < TESTS, text
    # While the 35 s test runs no test finishes: the heartbeat speaks ~30 s after the last line.
    assert any(gap >= 29 for gap in gaps), gaps
    finished = next(i for i, (_, line) in enumerate(seen) if line.startswith("coverage: measured"))
    assert seen[finished - 1][1].startswith(f"coverage: {TESTS}/{TESTS}, ")

    progress = [(at, match) for at, match in matches if match.re is LINE]
    assert progress, text
    done = [int(match.group(1)) for _, match in progress]
    assert done[-1] == int(progress[-1][1].group(2)) == 30
    assert done == sorted(done)
    assert progress[-1][0] - progress[0][0] >= 20, text
    assert "mutation score: 100.0%" in out
