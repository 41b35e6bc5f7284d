"""Adapters for mutgate and its peers, used by bench/score_time.py and bench/pr_check.py.

Each tool runs in its own venv (bench/peer_env.py) on its own copy of the project's tree, with
its default number of workers, and says how many mutants it made and how they ended. `full` is
a run from nothing to a complete score; `pr` is the tool's way of checking a pull request after
a full run (a diff mode, or an incremental re-run that only redoes what changed):

    tool            full run                                  PR check
    mutgate         mutgate run                               mutgate run --diff REF
    mutmut 3.8.1    mutmut run (+ export-cicd-stats)          mutmut run again (per-function reuse)
    irradiate 0.4.3 irradiate run PKG --report json           irradiate run PKG --diff REF
    moonbuggy 0.2.0 moonbuggy --source PKG --json (Py 3.12+)  moonbuggy --since REF
    pytest-gremlins pytest --gremlins --gremlin-cache         the same again (cache by content hash)
    cosmic-ray      cosmic-ray init + exec (one worker)       (none)

Scores are each tool's own: (killed + timeout) / (killed + timeout + survived) over the mutants
it made, which differ from tool to tool (what is mutated, and whether uncovered lines count).
"""

from __future__ import annotations

import glob
import json
import re
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from peer_env import REPO, Done, Project, log, must, run, venv

MUTGATE = ["-c", "from mutgate.cli import main; main()"]
#: mutgate's stderr: the coverage step's line, and the line naming how many mutants are to run.
MUTGATE_MARKS = {"coverage": r"^coverage: (?:measured|re-measured|reused)",
                 "planned": r" to run with \d+ job"}


@dataclass
class Score:
    """One tool's run: how long it took, what it made, how its mutants ended."""

    tool: str
    status: str = "ok"  # ok, timeout (killed at its time limit), error, none (no such mode)
    wall_s: float | None = None
    mutants: int | None = None  # every mutant the tool made (or selected, in a PR check)
    detected: int = 0  # killed + timeout
    survived: int = 0
    other: dict[str, int] = field(default_factory=dict)  # not scored: no tests, errors...
    note: str = ""
    marks: dict[str, float] = field(default_factory=dict)
    said: dict[str, str] = field(default_factory=dict)  # the lines the marks matched
    load: list[float] = field(default_factory=list)  # 1-minute load average before, after

    @property
    def score(self) -> float | None:
        scored = self.detected + self.survived
        return round(100 * self.detected / scored, 1) if scored and self.status == "ok" else None

    @property
    def rate(self) -> float | None:
        if self.status != "ok" or not self.mutants or not self.wall_s:
            return None
        return round(self.mutants / self.wall_s, 2)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "score": self.score, "mutants_per_s": self.rate}


def finish(tool: str, done: Done, what: str, ok: tuple[int, ...] = (0,)) -> Score | None:
    """A Score for a command that did not end well (no exit code in ``ok``); None when it
    did."""
    if done.code is None:
        return Score(tool, "timeout", round(done.wall, 1), note=f"{what}: time limit",
                     load=done.load)
    if done.code not in ok:
        log(f"{tool}: {what} exited {done.code}: {done.tail(600)}")
        return Score(tool, "error", round(done.wall, 1),
                     note=f"{what}: exit {done.code}: {why(done)}", load=done.load)
    return None


def why(done: Done) -> str:
    """The output's last line that names an error or warning (else its last line)."""
    lines = [line.strip() for line in done.text.splitlines() if line.strip()]
    named = [line for line in lines if re.search(r"(Error|Warning|error): ", line)]
    return ((named or lines or [""])[-1]).removeprefix("INTERNALERROR> ")[:200]


def tally(tool: str, done: Done, counts: dict[str, int], detected: tuple[str, ...],
          survived: str, note: str = "", wall: float | None = None) -> Score:
    """A finished run's Score from the tool's counts per outcome."""
    return Score(tool, "ok", round(done.wall if wall is None else wall, 1), sum(counts.values()),
                 sum(counts.get(k, 0) for k in detected), counts.get(survived, 0),
                 {k: v for k, v in counts.items() if v and k not in (*detected, survived)},
                 note, {k: round(v, 1) for k, v in done.marks.items()}, done.said, done.load)


#: Every tool's venv holds the same test packages and nothing else of this machine's: plugins
#: installed here (pytest-benchmark runs git and file in every session, pytest-asyncio) would
#: slow only the tools whose venv saw them.
TEST_PINS = ("pytest==9.0.3", "hypothesis==6.155.2")


class Tool:
    """A tool: its venv, one `invoke` that runs it with extra arguments and reads its counts,
    a full run (no extra arguments) and a PR check (``pr_args``, None when it has no mode)."""

    name = ""
    version = ""
    pr_mode = ""  # how the tool checks a pull request, "" when it cannot
    pr_needs_full = False  # its PR mode re-runs what changed since a full run (a cache)

    def python(self) -> str:
        return sys.executable

    def packages(self) -> list[str]:
        return [f"{self.name}=={self.version}", *TEST_PINS]

    def env(self, workdir: Path, project: Project) -> str:
        return venv(workdir, project, self.name, self.python(), self.packages())

    def invoke(self, py: str, root: Path, project: Project, extra: list[str], timeout: float,
               logfile: Path, what: str) -> Score:
        raise NotImplementedError

    def pr_args(self, ref: str) -> list[str] | None:
        return None

    def full(self, py: str, root: Path, project: Project, timeout: float, logs: Path) -> Score:
        return self.invoke(py, root, project, [], timeout, logs / f"{self.name}-full.log",
                           f"{self.name} (full run)")

    def pr(self, py: str, root: Path, project: Project, ref: str, timeout: float,
           logs: Path) -> Score:
        extra = self.pr_args(ref)
        if extra is None:
            return Score(self.name, "none", note="no PR mode")
        return self.invoke(py, root, project, extra, timeout, logs / f"{self.name}-pr.log",
                           f"{self.name} {self.pr_mode}")


class Mutgate(Tool):
    name = "mutgate"
    pr_mode = "run --diff REF"
    DETECTED = ("killed", "timeout")

    def packages(self) -> list[str]:
        return ["-e", str(REPO), *TEST_PINS]

    def env(self, workdir: Path, project: Project) -> str:
        py = super().env(workdir, project)
        where = must(run([py, "-c", "import mutgate; print(mutgate.__file__)"], workdir, 60),
                     "import mutgate").out.strip()
        if not where.startswith(str(REPO)):
            raise RuntimeError(f"the venv imports another mutgate: {where}")
        return py

    def pr_args(self, ref: str) -> list[str]:
        return ["--diff", ref]

    def results(self, py: str, root: Path) -> dict[str, Any] | None:
        shown = run([py, *MUTGATE, "results", "--json"], root, 600)
        return json.loads(shown.out) if shown.code == 0 else None

    def command(self, py: str, root: Path, args: list[str], timeout: float,
                logfile: Path, what: str) -> tuple[Done, Score]:
        """One mutgate command (timed, with its marks), scored from `results --json`."""
        done = run([py, *MUTGATE, *args], root, timeout, marks=MUTGATE_MARKS, logfile=logfile)
        results = self.results(py, root) if done.code == 0 else None
        if results is None:
            return done, finish(self.name, done, what) or Score(
                self.name, "error", round(done.wall, 1), note=f"{what}: {why(done)}")
        return done, tally(self.name, done, results["counts"], self.DETECTED, "survived")

    def invoke(self, py: str, root: Path, project: Project, extra: list[str], timeout: float,
               logfile: Path, what: str) -> Score:
        return self.command(py, root, ["run", *extra], timeout, logfile, what)[1]


class Mutmut(Tool):
    name, version = "mutmut", "3.8.1"
    pr_mode = "run again (reuses unchanged functions)"
    pr_needs_full = True
    DETECTED = ("killed", "timeout", "segfault")

    def pr_args(self, ref: str) -> list[str]:
        return []

    def full(self, py: str, root: Path, project: Project, timeout: float, logs: Path) -> Score:
        pyproject = root / "pyproject.toml"
        if "[tool.mutmut]" not in pyproject.read_text(encoding="utf-8"):
            with open(pyproject, "a", encoding="utf-8") as handle:
                handle.write(f'\n[tool.mutmut]\nsource_paths = ["{project.package}/"]\n'
                             f'pytest_add_cli_args_test_selection = ["{project.tests}"]\n')
        return super().full(py, root, project, timeout, logs)

    def invoke(self, py: str, root: Path, project: Project, extra: list[str], timeout: float,
               logfile: Path, what: str) -> Score:
        done = run([py, "-m", "mutmut", "run", *extra], root, timeout, logfile=logfile,
                   marks={"phase": "Running mutation testing"})
        if "Failed to run clean test" in done.text:
            failed = re.findall(r"^FAILED (\S+)", done.text, re.M)
            return Score(self.name, "error", round(done.wall, 1),
                         note=f"{what}: the unmutated suite fails in mutants/: "
                         + (failed[-1] if failed else why(done)))
        stats = run([py, "-m", "mutmut", "export-cicd-stats"], root, 600)
        bad = finish(self.name, done, what) or finish(self.name, stats, "export-cicd-stats")
        if bad:
            return bad
        data = json.loads((root / "mutants" / "mutmut-cicd-stats.json").read_text())
        if not data.get("total"):
            return Score(self.name, "error", round(done.wall, 1), note=f"{what}: no mutants")
        rate = re.findall(r"([0-9.]+) mutations/second", done.text)
        return tally(self.name, done, {k: v for k, v in data.items() if k != "total"},
                     self.DETECTED, "survived",
                     f"{rate[-1]} mutations/s by its own count" if rate else "",
                     done.wall + stats.wall)


class Irradiate(Tool):
    name, version = "irradiate", "0.4.3"
    pr_mode = "run --diff REF"
    DETECTED = ("Killed", "Timeout")

    def pr_args(self, ref: str) -> list[str]:
        return ["--diff", ref]

    def invoke(self, py: str, root: Path, project: Project, extra: list[str], timeout: float,
               logfile: Path, what: str) -> Score:
        report = root / "irradiate-report.json"
        report.unlink(missing_ok=True)
        binary = str(Path(py).parent / "irradiate")
        done = run([binary, "run", project.package, "--tests-dir", project.tests, "--python", py,
                    "--report", "json", "-o", str(report), *extra], root, timeout,
                   logfile=logfile, marks={"phase": "Running mutation testing"})
        bad = finish(self.name, done, what)
        if bad:
            return bad
        statuses: dict[str, int] = {}
        if report.is_file():
            for data in json.loads(report.read_text(encoding="utf-8"))["files"].values():
                for mutant in data["mutants"]:
                    statuses[mutant["status"]] = statuses.get(mutant["status"], 0) + 1
        else:  # no mutant (a diff with nothing to mutate): the summary lines
            for name, count in re.findall(r"^\s+([A-Z][a-z ]+):\s+(\d+)$", done.out, re.M):
                statuses[name] = int(count)
        return tally(self.name, done, statuses, self.DETECTED, "Survived")


class Moonbuggy(Tool):
    name, version = "moonbuggy", "0.2.0"
    pr_mode = "--since REF"
    DETECTED = ("killed", "killed_by_error", "timeout")

    def python(self) -> str:  # moonbuggy needs Python 3.12+
        found = sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.1[2-9]*/bin/python3")))
        chosen = found[0] if found else shutil.which("python3.12")
        if not chosen:
            raise RuntimeError("moonbuggy needs Python >= 3.12: none found")
        return chosen

    def pr_args(self, ref: str) -> list[str]:
        return ["--since", ref]

    def invoke(self, py: str, root: Path, project: Project, extra: list[str], timeout: float,
               logfile: Path, what: str) -> Score:
        done = run([py, "-m", "moonbuggy.cli", "--source", project.package, "--json",
                    "--no-progress", *extra], root, timeout, logfile=logfile,
                   marks={"coverage": "running coverage pass"})
        bad = finish(self.name, done, what, (0, 1))  # 1: survivors or uncovered lines
        if bad:
            return bad
        try:
            summary = json.loads(done.out)
        except ValueError:
            return Score(self.name, "error", round(done.wall, 1),
                         note=f"{what}: no JSON summary: {why(done)}")
        cached = summary.get("cached")
        return tally(self.name, done, summary["counts"], self.DETECTED, "survived",
                     f"{cached} cached" if cached else "")


class Gremlins(Tool):
    name, version = "pytest-gremlins", "1.12.2"
    pr_mode = "run again with --gremlin-cache"
    pr_needs_full = True

    def pr_args(self, ref: str) -> list[str]:
        return []

    def invoke(self, py: str, root: Path, project: Project, extra: list[str], timeout: float,
               logfile: Path, what: str) -> Score:
        report = root / "coverage" / "gremlins" / "gremlins.json"
        report.unlink(missing_ok=True)
        done = run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--gremlins",
                    f"--gremlin-targets={project.package}", "--gremlin-report=json",
                    "--gremlin-parallel", "--gremlin-cache", *extra, project.tests], root,
                   timeout, logfile=logfile)
        bad = finish(self.name, done, what, (0, 1))  # pytest's 1: a test failed
        if (bad and bad.status == "timeout") or not report.is_file():
            return bad or Score(self.name, "error", round(done.wall, 1),
                                note=f"{what}: no report: {why(done)}")
        summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
        cache = re.findall(r"Cache: (\d+) hits, (\d+) misses", done.text)
        counts = {k: summary[k] for k in ("zapped", "timeout", "survived", "error", "pardoned")}
        return tally(self.name, done, counts, ("zapped", "timeout"), "survived",
                     f"cache {cache[-1][0]} hits, {cache[-1][1]} misses" if cache else "")


class CosmicRay(Tool):
    name, version = "cosmic-ray", "8.7.0"

    def invoke(self, py: str, root: Path, project: Project, extra: list[str], timeout: float,
               logfile: Path, what: str) -> Score:
        config, session = root / "cosmic-ray.toml", root / "cosmic-ray.sqlite"
        config.write_text(
            f'[cosmic-ray]\nmodule-path = "{project.package}"\ntimeout = 120.0\n'
            f'excluded-modules = []\ntest-command = "{py} -m pytest -x -q -p no:cacheprovider '
            f'{project.tests}"\n\n[cosmic-ray.distributor]\nname = "local"\n', encoding="utf-8")
        cosmic = [py, "-m", "cosmic_ray.cli"]
        init = run([*cosmic, "init", str(config), str(session)], root, timeout,
                   logfile=logfile.with_suffix(".init.log"))
        bad = finish(self.name, init, "cosmic-ray init")
        if bad:
            return bad
        done = run([*cosmic, "exec", str(config), str(session)], root,
                   max(60.0, timeout - init.wall), logfile=logfile)
        report = run([str(Path(py).parent / "cr-report"), str(session)], root, 600)
        total = re.findall(r"total jobs: (\d+)", report.out)
        complete = re.findall(r"complete: (\d+)", report.out)
        surviving = re.findall(r"surviving mutants: (\d+)", report.out)
        wall = round(init.wall + done.wall, 1)
        if not total:
            return Score(self.name, "error", wall, note=f"cr-report: {why(report)}")
        made, ran = int(total[-1]), int(complete[-1]) if complete else 0
        alive = int(surviving[-1]) if surviving else 0
        if done.code is None or ran < made:
            rest = f", about {wall * made / ran:.0f} s for all at this rate" if ran else ""
            return Score(self.name, "timeout", wall, made, ran - alive, alive,
                         note=f"{ran} of {made} mutants done at the time limit{rest}",
                         load=[init.load[0], done.load[1]])
        return Score(self.name, "ok", wall, made, ran - alive, alive,
                     note="one worker (local distributor), whole suite per mutant",
                     load=[init.load[0], done.load[1]])


TOOLS: dict[str, Tool] = {t.name: t for t in (Mutgate(), Mutmut(), Irradiate(), Moonbuggy(),
                                              Gremlins(), CosmicRay())}
