"""What bench/score_time.py and bench/pr_check.py share: commands with a time limit and
timestamped output, the pinned projects (each with the one-line change the PR check commits),
their unpacked sdists, one venv per tool and project, and the table printer.

Nothing here writes into this repository except the JSON results: sdists, trees and venvs live
in the work directory (default ``~/.cache/mutgate-peers``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKDIR = Path.home() / ".cache" / "mutgate-peers"
SKIP = (".mutgate", "mutants", "__pycache__", ".pytest_cache", ".hypothesis", ".moonbuggy",
        ".irradiate", "coverage", ".gremlins_cache", "*.egg-info")
#: What every tool's tree ignores, so `git diff` sees only the committed change.
GITIGNORE = "\n".join(SKIP + ("cosmic-ray.*", "irradiate-report.json", ".coverage*")) + "\n"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Done:
    """A finished command: exit code (None when killed at its time limit), its output, its
    wall time, and when (seconds after the start) the first line matching each mark came."""

    code: int | None
    out: str
    err: str
    wall: float
    marks: dict[str, float] = field(default_factory=dict)
    said: dict[str, str] = field(default_factory=dict)  # the line each mark matched
    load: list[float] = field(default_factory=list)  # 1-minute load average before, after

    @property
    def text(self) -> str:
        return self.out + self.err

    def tail(self, n: int = 1200) -> str:
        return self.text.strip()[-n:]


def run(cmd: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None,
        marks: dict[str, str] | None = None, logfile: Path | None = None) -> Done:
    """Run ``cmd`` in its own process group, reading stdout and stderr as they come (to time
    the ``marks`` regexes); at ``timeout`` seconds the whole group is killed."""
    patterns = {k: re.compile(v) for k, v in (marks or {}).items()}
    found: dict[str, float] = {}
    said: dict[str, str] = {}
    chunks: dict[int, list[str]] = {1: [], 2: []}
    lock = threading.Lock()
    load = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    full_env = dict(os.environ if env is None else env, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            errors="replace", start_new_session=True)

    def read(stream: object, fd: int) -> None:
        for line in stream:  # type: ignore[attr-defined]
            now = time.perf_counter() - started
            with lock:
                chunks[fd].append(line)
                for name, pattern in patterns.items():
                    if name not in found and pattern.search(line):
                        found[name], said[name] = now, line.strip()

    readers = [threading.Thread(target=read, args=(s, fd), daemon=True)
               for s, fd in ((proc.stdout, 1), (proc.stderr, 2))]
    for reader in readers:
        reader.start()
    code: int | None
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        code = None
    wall = time.perf_counter() - started
    for reader in readers:
        reader.join(timeout=10)
    done = Done(code, "".join(chunks[1]), "".join(chunks[2]), wall, found, said,
                [load, round(os.getloadavg()[0], 2)])
    if logfile:
        logfile.parent.mkdir(parents=True, exist_ok=True)
        logfile.write_text(f"$ {' '.join(cmd)}\n# exit {code}, {wall:.1f} s, marks {found}\n"
                           f"{done.out}\n--- stderr ---\n{done.err}", encoding="utf-8")
    return done


def must(done: Done, what: str) -> Done:
    if done.code != 0:
        raise RuntimeError(f"{what}: exit {done.code}\n{done.tail()}")
    return done


@dataclass(frozen=True)
class Edit:
    """Replace the one line ``old`` (a unique whole line, without its indentation) of ``file``
    by ``new`` (lines, indented like ``old``)."""

    file: str
    old: str
    new: str
    where: str  # the function, for the reader

    def apply(self, root: Path) -> None:
        path = root / self.file
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        hits = [i for i, line in enumerate(lines) if line.strip() == self.old]
        if len(hits) != 1:
            raise RuntimeError(f"{self.file}: {len(hits)} lines are `{self.old}`")
        line = lines[hits[0]]
        indent = line[: len(line) - len(line.lstrip())]
        lines[hits[0]] = "".join(f"{indent}{new}\n" for new in self.new.split("\n"))
        path.write_text("".join(lines), encoding="utf-8")


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    package: str  # what every tool mutates, relative to the root
    shape: str
    change: Edit  # the PR check's one-line change (behaviour kept, so the suite still passes)
    comment: Edit  # a comment-only change in another file
    deps: tuple[str, ...] = ()
    tests: str = "tests"

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}"


PROJECTS = (
    Project("isodate", "0.7.2", "src/isodate", "280 tests, filterwarnings=error",
            Edit("src/isodate/isotzinfo.py",
                 "seconds = tdelta.days * 24 * 60 * 60 + tdelta.seconds",
                 "seconds = tdelta.days * 86400 + tdelta.seconds", "tz_isoformat"),
            Edit("src/isodate/duration.py", "def __str__(self):",
                 "def __str__(self):\n    # bench: a comment-only change", "Duration.__str__")),
    Project("marshmallow", "4.4.0", "src/marshmallow",
            "1192 tests, fields built in class bodies (static mutants)",
            Edit("src/marshmallow/utils.py",
                 "return (value.days * (24 * 3600) + value.seconds) * 1000000 + value.microseconds",
                 "return (value.days * 86400 + value.seconds) * 1000000 + value.microseconds",
                 "timedelta_to_microseconds"),
            Edit("src/marshmallow/orderedset.py", "def discard(self, key):",
                 "def discard(self, key):\n    # bench: a comment-only change",
                 "OrderedSet.discard"),
            deps=("simplejson==4.3.0",)),
    # python-dateutil 4.0.0 (5344 tests) was here: its tests/test_imports.py imports dateutil
    # in subprocesses, which see neither the pytest pythonpath of these uninstalled trees nor
    # a mutated copy, so its unmutated suite fails for every tool (mutgate, mutmut, irradiate
    # all stopped on it, 2026-12-02). marshmallow is the project with over 1,000 tests.
)


def choose(only: str | None) -> list[Project]:
    names = only.split(",") if only else [p.name for p in PROJECTS]
    unknown = set(names) - {p.name for p in PROJECTS}
    if unknown:
        raise SystemExit(f"unknown project(s): {', '.join(sorted(unknown))}; known: "
                         + ", ".join(p.name for p in PROJECTS))
    return [p for p in PROJECTS if p.name in names]


def pristine(project: Project, workdir: Path) -> Path:
    """The project's sdist, downloaded once, unpacked once, with ``pythonpath`` added to its
    pytest configuration so that every tool imports the tree it runs in (nothing installed)."""
    root = workdir / "trees" / project.spec.replace("==", "-")
    if (root / ".ready").is_file():
        return root
    sdists = workdir / "sdists" / project.spec.replace("==", "-")
    if not any(sdists.glob("*.tar.gz")):
        sdists.mkdir(parents=True, exist_ok=True)
        log(f"{project.spec}: pip download --no-binary :all: --no-deps")
        must(run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:",
                  "--no-deps", "-d", str(sdists), project.spec], sdists, 600), "pip download")
    shutil.rmtree(root, ignore_errors=True)
    unpacked = workdir / "trees" / "unpack"
    shutil.rmtree(unpacked, ignore_errors=True)
    shutil.unpack_archive(next(sdists.glob("*.tar.gz")), unpacked, filter="data")
    (top,) = unpacked.iterdir()
    top.rename(root)
    shutil.rmtree(unpacked)
    add_pythonpath(root, "src" if project.package.startswith("src/") else ".")
    (root / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    (root / ".ready").write_text("", encoding="utf-8")
    return root


#: Where pytest may read its configuration from, and how `pythonpath` is spelled there.
PYTEST_CONFIGS = (("pytest.ini", "[pytest]", "pythonpath = {}"),
                  ("pyproject.toml", "[tool.pytest.ini_options]", 'pythonpath = ["{}"]'),
                  ("tox.ini", "[pytest]", "pythonpath = {}"),
                  ("setup.cfg", "[tool:pytest]", "pythonpath = {}"))


def add_pythonpath(root: Path, path: str) -> None:
    def text(name: str) -> str:
        return (root / name).read_text(encoding="utf-8") if (root / name).is_file() else ""

    found = next((c for c in PYTEST_CONFIGS if c[1] in text(c[0])), None)
    if found is None:
        name, header, entry = PYTEST_CONFIGS[1]
        (root / name).write_text(f"{text(name)}\n{header}\n{entry.format(path)}\n", "utf-8")
    else:  # the file pytest reads its configuration from
        name, header, entry = found
        (root / name).write_text(text(name).replace(header, f"{header}\n{entry.format(path)}",
                                                    1), "utf-8")


def copy_tree(source: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(*SKIP, ".ready"))
    return dest


def venv(workdir: Path, project: Project, tool: str, python: str, packages: list[str]) -> str:
    """A venv for one tool on one project, apart from this interpreter's packages: the tool
    and the project's test dependencies."""
    wanted = [*packages, *project.deps]
    key = hashlib.sha256(repr((python, wanted)).encode()).hexdigest()[:16]
    where = workdir / "venvs" / project.spec.replace("==", "-") / tool
    py = str(where / "bin" / "python")
    if (where / ".ready").is_file() and (where / ".ready").read_text() == key:
        return py
    shutil.rmtree(where, ignore_errors=True)
    log(f"{project.spec}: venv for {tool} ({', '.join(wanted) or 'nothing to install'})")
    must(run([python, "-m", "venv", str(where)], workdir, 300), f"venv for {tool}")
    if wanted:
        must(run([py, "-m", "pip", "install", "-q", *wanted], workdir, 1800),
             f"pip install {' '.join(wanted)}")
    (where / ".ready").write_text(key, encoding="utf-8")
    return py


def git(root: Path, *args: str) -> Done:
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@localhost",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@localhost")
    return must(run(["git", *args], root, 120, env), f"git {' '.join(args)}")


def options(parser: argparse.ArgumentParser, tools: list[str], default_tools: list[str]
            ) -> argparse.Namespace:
    """The options both scripts take, parsed; ``args.tools`` becomes a checked list."""
    parser.add_argument("--only", help="comma-separated project names (default: all)")
    parser.add_argument("--tools", default=",".join(default_tools),
                        help=f"comma-separated, of: {', '.join(tools)}")
    parser.add_argument("--workdir", type=Path, default=WORKDIR,
                        help="sdists, trees, venvs and logs (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=1800, help="per tool command, s")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    args.workdir = args.workdir.resolve()
    args.tools = args.tools.split(",")
    unknown = set(args.tools) - set(tools)
    if unknown:
        parser.error(f"unknown tool(s) {', '.join(sorted(unknown))}; known: {', '.join(tools)}")
    return args


def save(output: Path, rows: list[dict[str, Any]], load: tuple[float, float, float],
         started: float) -> dict[str, Any]:
    """Write ``rows`` to ``output``, keeping the projects of an earlier file not run now."""
    old = json.loads(output.read_text(encoding="utf-8")) if output.is_file() else {}
    earlier = {r["project"]: r for r in old.get("projects", [])}
    ran = {row["project"] for row in rows}
    kept = [r for r in old.get("projects", []) if r["project"] not in ran]
    merged = [merge(earlier[row["project"]], row) if row["project"] in earlier else row
              for row in rows]
    report = {"machine": machine(load), "wall_s": round(time.perf_counter() - started),
              "projects": [*kept, *merged]}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return report


def merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` with what ``old`` measured of the tools not run now (`--tools`)."""
    merged = {**old, **new}
    if "tools" in new:  # score_time.py: a list of tool runs
        mine = {t["tool"] for t in new["tools"]}
        merged["tools"] = [t if t["tool"] not in mine else next(n for n in new["tools"]
                                                                 if n["tool"] == t["tool"])
                           for t in old.get("tools", [])]
        merged["tools"] += [t for t in new["tools"]
                            if t["tool"] not in {o["tool"] for o in old.get("tools", [])}]
    if "peers" in new:  # pr_check.py: mutgate's flow and each peer's
        merged["peers"] = {**old.get("peers", {}), **new["peers"]}
    return merged


def machine(load_before: tuple[float, float, float]) -> dict[str, object]:
    dirty = run(["git", "status", "--porcelain", "src"], REPO, 60).out.strip()
    commit = run(["git", "rev-parse", "--short", "HEAD"], REPO, 60).out.strip()
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0],
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "mutgate_commit": commit + ("-dirty" if dirty else "")}


def table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell; a one-cell row is a note printed as it is."""
    widths = [max([len(head[i])] + [len(r[i]) for r in rows if len(r) == len(head)])
              for i in range(len(head))]
    return "\n".join(r[0] if len(r) == 1 else
                     "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in [head, *rows])


def load(score: dict[str, Any]) -> str:
    """The 1-minute load average before and after a tool's run, as `a→b`."""
    return "→".join(f"{x:.1f}" for x in score.get("load") or ()) or "-"


def fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"
