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


def test_a_long_run_prints_a_plain_progress_line_every_ten_to_thirty_seconds(tmp_path):
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
    out, _ = proc.communicate(timeout=900)
    reader.join()
    wall = time.monotonic() - started
    assert proc.returncode == 0, "\n".join(line for _, line in seen)
    assert wall >= 40, f"the fixture is meant to run for at least 40 s, took {wall:.0f} s"
    text = "\n".join(line for _, line in seen)
    assert "\r" not in text and "\x1b" not in text
    progress = [(at, LINE.match(line)) for at, line in seen if line.startswith("mutants: ")]
    assert progress and all(match for _, match in progress), text
    done = [int(match.group(1)) for _, match in progress]
    assert done[0] == 0 and done[-1] == int(progress[-1][1].group(2)) == 30
    assert done == sorted(done)
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(progress)]
    assert all(gap <= 31 for gap in gaps), gaps
    assert all(gap >= 9.5 for gap in gaps[:-1]), gaps  # the final line comes when done
    assert "mutation score: 100.0%" in out
