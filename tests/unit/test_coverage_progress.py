"""The coverage run's counts: the record the plugin writes and the polling that shows it."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mutgate.coverage_progress import (
    ENV,
    RECORD_SIZE,
    Counts,
    CountsWriter,
    decode,
    encode,
    read_counts,
    run_watched,
    wait_background,
)


def test_a_record_has_a_fixed_size_and_reads_back() -> None:
    for counts in (Counts(True, 0, 0), Counts(False, 12, 909), Counts(False, 10**9, 10**9)):
        record = encode(counts)
        assert len(record) == RECORD_SIZE
        assert decode(record) == counts


def test_a_torn_or_foreign_record_is_not_misread() -> None:
    record = encode(Counts(False, 12, 909))
    assert decode(record[:10]) is None  # half written
    assert decode(record.replace(b"12", b"19", 1)) is None  # digits of two writes mixed
    assert decode(b"") is None
    assert decode(b"\xff" * RECORD_SIZE) is None
    assert decode(b"x 1 2 00000000") is None


def test_the_writer_counts_found_then_finished_tests(tmp_path: Path) -> None:
    path = tmp_path / "counts"
    writer = CountsWriter(str(path))
    writer.finished()  # before collection ends: nothing to count yet
    assert read_counts(path) is None
    writer.found()
    writer.found()
    writer.found()
    assert read_counts(path) == Counts(True, 3, 0)
    writer.start(2)  # one test deselected
    assert read_counts(path) == Counts(False, 0, 2)
    for _ in range(3):
        writer.finished()
    assert read_counts(path) == Counts(False, 2, 2)  # never more than it runs
    writer.close()
    assert path.stat().st_size == RECORD_SIZE  # each record overwrote the last


def test_no_file_reads_as_no_counts(tmp_path: Path) -> None:
    assert read_counts(tmp_path / "absent") is None


CHILD = """
    import os, sys, time
    from mutgate.coverage_progress import CountsWriter, ENV

    print("env", os.environ.get(ENV))
    print("to stderr", file=sys.stderr)
    if os.environ.get(ENV):
        writer = CountsWriter(os.environ[ENV])
        writer.found()
        time.sleep(1.2)
        writer.start(3)
        for _ in range(3):
            time.sleep(0.7)
            writer.finished()
        writer.close()
    sys.exit(7)
"""


def test_each_new_record_is_shown_while_the_command_runs(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    counts_file = tmp_path / "counts"
    shown: list[tuple[str, int, int | None, float]] = []
    started = time.monotonic()

    def progress(phase: str, done: int, total: int | None) -> None:
        shown.append((phase, done, total, time.monotonic() - started))

    done = run_watched([sys.executable, str(script)], cwd=tmp_path,
                       env={**os.environ, ENV: "stale"}, counts_file=counts_file,
                       progress=progress, poll_s=0.2)
    wall = time.monotonic() - started
    assert done.returncode == 7
    assert done.stdout == f"env {counts_file}\n" and done.stderr == "to stderr\n"
    states = [(phase, count, total) for phase, count, total, _ in shown]
    assert states[0] == ("collecting tests", 1, None)
    assert states[-1] == ("coverage", 3, 3)
    assert ("coverage", 1, 3) in states and ("coverage", 2, 3) in states  # live, not at the end
    assert len(states) == len(set(states))  # a state is shown once
    assert all(at < wall - 0.3 for *_, at in shown[:-1])


def test_without_progress_the_plugin_is_not_asked_for_counts(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    done = run_watched([sys.executable, str(script)], cwd=tmp_path,
                       env={**os.environ, ENV: "stale"}, counts_file=tmp_path / "counts",
                       progress=None)
    assert (done.returncode, done.stdout) == (7, "env None\n")
    assert not (tmp_path / "counts").exists()


def test_a_failing_display_stops_the_command(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent("""
        import os, time
        from mutgate.coverage_progress import CountsWriter, ENV

        with open("pid", "w") as handle:
            handle.write(str(os.getpid()))
        CountsWriter(os.environ[ENV]).start(5)
        time.sleep(120)
    """))

    def progress(phase: str, done: int, total: int | None) -> None:
        raise RuntimeError("display gone")

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="display gone"):
        run_watched([sys.executable, str(script)], cwd=tmp_path, env=dict(os.environ),
                    counts_file=tmp_path / "counts", progress=progress, poll_s=0.2)
    assert time.monotonic() - started < 60
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(pid, 0)


def test_a_written_result_ends_the_wait_and_the_rest_ends_in_the_background(tmp_path: Path
                                                                          ) -> None:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent("""
        import os, sys, time

        with open("result.part", "w") as handle:
            handle.write("done")
        os.replace("result.part", "result")
        time.sleep(1.5)  # the terminal summary, a lazy import, the interpreter's teardown
        sys.stdout.write("x" * 200_000)  # more than a pipe holds: it must be drained
        sys.exit(3)
    """))
    started = time.monotonic()
    done = run_watched([sys.executable, str(script)], cwd=tmp_path, env=dict(os.environ),
                       counts_file=tmp_path / "counts", progress=None,
                       result_file=tmp_path / "result")
    assert time.monotonic() - started < 1.2
    assert (tmp_path / "result").read_text() == "done"
    assert done.returncode is None  # still ending
    wait_background()
    assert time.monotonic() - started >= 1.5
    assert (done.returncode, len(done.stdout)) == (3, 200_000)


def test_a_background_end_is_stopped_when_the_run_is(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent("""
        import os, time

        open("result", "w").close()
        time.sleep(120)
    """))
    started = time.monotonic()
    done = run_watched([sys.executable, str(script)], cwd=tmp_path, env=dict(os.environ),
                       counts_file=tmp_path / "counts", progress=None,
                       result_file=tmp_path / "result")
    wait_background(kill=True)
    assert time.monotonic() - started < 60
    assert done.returncode == -9
