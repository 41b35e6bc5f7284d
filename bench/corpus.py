"""Corpus check (issue 12): mutgate on pinned real projects, each verdict checked two ways.

    python bench/corpus.py [--python PY] [--only NAME,...] [--sample 60] [--workdir DIR]

For every project of bench/corpus_projects.py: download its sdist from PyPI (cached in the
workdir, never in this repo), unpack it, make a venv beside it (system site packages, so the
interpreter's pytest, hypothesis and mutgate are seen), install the project (editable, or
not when the table says so) and its pinned test dependencies. Then run `mutgate run --sample N
--seed corpus` in the default mode and again with `--isolation subprocess --no-reuse`, and
compare the verdicts mutant by mutant as detected (killed or timeout) / survived / other (the
status itself: error, no-tests, skipped). Every survivor of either mode is checked against the
truth: the mutant written into a copy of the tree and the whole suite run with plain pytest,
the copy first on PYTHONPATH (checked by importing it and by a mutant mutgate killed); a
survivor that the plain suite detects is a false survivor. The project tree must be
byte-identical after both runs, and mutgate's output must hold no traceback. One table row per
project is printed and everything is written to bench/results/corpus-<python>.json.
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
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus_projects import PROJECTS, TOOLS, Project

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SKIP_DIRS = frozenset({".mutgate", "__pycache__", ".pytest_cache", ".hypothesis"})
DETECTED = frozenset({"killed", "timeout"})
LINE_BREAK = re.compile(r"\r\n|\r|\n")
MUTGATE = ["-c", "from mutgate.cli import main; main()"]
PLAIN_PYTEST = ["-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]


def log(message: str) -> None:
    print(f"[corpus {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Done:
    code: int | None  # None: killed at the time limit
    out: str
    err: str
    wall: float


def sh(cmd: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> Done:
    """Run ``cmd`` in its own process group; at ``timeout`` the whole group is killed."""
    started = time.perf_counter()
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True, errors="replace",
                          start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            code = None
    return Done(code, out, err, time.perf_counter() - started)


def must(done: Done, what: str) -> Done:
    if done.code != 0:
        raise RuntimeError(f"{what}: exit {done.code}\n{done.out[-1500:]}\n{done.err[-1500:]}")
    return done


def fetch(project: Project, cache: Path, python: str) -> Path:
    """The project's sdist, downloaded once into ``cache``."""
    folder = cache / "sdists" / project.spec.replace("==", "-")
    if not any(folder.glob("*.tar.gz")):
        folder.mkdir(parents=True, exist_ok=True)
        log(f"{project.spec}: downloading the sdist")
        must(sh([python, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
                 "-d", str(folder), project.spec], folder, 600), "pip download")
    return next(folder.glob("*.tar.gz"))


def prepare(project: Project, python: str, work: Path, cache: Path) -> tuple[Path, str]:
    """A fresh tree and venv for ``project``; returns (tree root, the venv's python)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.unpack_archive(fetch(project, cache, python), work / "tree", filter="data")
    (root,) = (work / "tree").iterdir()
    must(sh([python, "-m", "venv", "--system-site-packages", str(work / "venv")], work, 300),
         "venv")
    py = str(work / "venv" / "bin" / "python")
    pip = [py, "-m", "pip", "install", "-q"]
    if sh([py, "-c", "import mutgate, pytest, hypothesis"], work, 60).code != 0:
        # An interpreter without mutgate: its dependencies, and mutgate's source on sys.path
        # (installing it would write an egg-info under src/).
        must(sh([*pip, *TOOLS], work, 900), "installing mutgate's dependencies")
        site = sh([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                  work, 60).out.strip()
        Path(site, "mutgate_source.pth").write_text(f"{REPO / 'src'}\n", encoding="utf-8")
    if project.deps:
        must(sh([*pip, *project.deps], work, 900), "installing the test dependencies")
    must(sh([*pip, "--no-deps", *(["-e"] if project.editable else []), "."], root, 900),
         f"pip install {'-e ' if project.editable else ''}.")
    where = must(sh([py, "-c", "import mutgate; print(mutgate.__file__)"], root, 60), "mutgate")
    if not where.out.strip().startswith(str(REPO)):
        raise RuntimeError(f"the venv imports another mutgate: {where.out.strip()}")
    return root, py


def venv_env(py: str) -> dict[str, str]:
    """The environment of an activated venv, without mutgate's own variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUTGATE")}
    bin_dir = str(Path(py).parent)
    env["PATH"] = os.pathsep.join((bin_dir, env.get("PATH", "")))
    env["VIRTUAL_ENV"] = str(Path(bin_dir).parent)
    return env


def tree_hashes(root: Path) -> dict[str, str]:
    hashes = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            path = Path(folder, name)
            data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
            hashes[path.relative_to(root).as_posix()] = hashlib.sha256(data).hexdigest()
    return hashes


def tree_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted([f"changed {p}" for p in before if p in after and before[p] != after[p]]
                  + [f"removed {p}" for p in before if p not in after]
                  + [f"added {p}" for p in after if p not in before])


def mutgate_mode(py: str, root: Path, extra: list[str], args: argparse.Namespace,
                 logs: Path, label: str, env: dict[str, str]
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """One `mutgate run` and its `results --json` (the outputs are kept under ``logs``):
    what the run did, and its mutants by id."""
    jobs = ["-j", str(args.jobs)] if args.jobs else []
    cmd = [py, *MUTGATE, "run", "--sample", str(args.sample), "--seed", args.seed, *jobs, *extra]
    log(f"{root.name}: mutgate {' '.join(cmd[len(MUTGATE) + 1:])}")
    done = sh(cmd, root, args.timeout, env)
    shown = sh([py, *MUTGATE, "results", "--json"], root, 300, env)
    for name, text in (("run.out", done.out), ("run.err", done.err), ("results.json", shown.out),
                       ("results.err", shown.err)):
        (logs / f"{label}.{name}").write_text(text, encoding="utf-8")
    text = done.out + done.err + shown.err
    mode: dict[str, Any] = {
        "exit": done.code, "wall_s": round(done.wall, 1),
        "tracebacks": text.count("Traceback"),
        "traceback_lines": [line for line in text.splitlines() if "Traceback" in line][:5],
        "tail": next((line for line in reversed(done.err.splitlines()) if "error" in line),
                     "")[:300]}
    if done.code == 0 and shown.code != 0:
        mode["exit"] = f"results: {shown.code}"
        mode["tail"] = (shown.err.strip().splitlines() or [""])[-1][:300]
    results = json.loads(shown.out) if shown.code == 0 and done.code == 0 else None
    mode["counts"] = {k: v for k, v in (results or {}).get("counts", {}).items() if v}
    return mode, {m["id"]: m for m in (results or {}).get("mutants", [])}


def verdict_class(status: str) -> str:
    return "detected" if status in DETECTED else status


def compare(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    common = sorted(set(first) & set(second))
    differ = [i for i in common
              if verdict_class(first[i]["status"]) != verdict_class(second[i]["status"])]
    exact = sum(first[i]["status"] == second[i]["status"] for i in common)
    return {"common": len(common), "agree": len(common) - len(differ), "same_status": exact,
            "only_default": sorted(set(first) - set(second)),
            "only_subprocess": sorted(set(second) - set(first)),
            "disagreements": [describe(first[i], default=first[i]["status"],
                                       subprocess=second[i]["status"],
                                       killed_by_default=first[i].get("killed_by"),
                                       killed_by_subprocess=second[i].get("killed_by"))
                              for i in differ]}


def describe(mutant: dict[str, Any], **more: Any) -> dict[str, Any]:
    keys = ("id", "file", "line", "operator", "qualname", "original", "replacement")
    return {**{k: mutant[k] for k in keys}, **more}


def apply_mutant(tree: Path, mutant: dict[str, Any]) -> None:
    path = tree / mutant["file"]
    with open(path, encoding="utf-8", newline="") as handle:
        source = handle.read()
    starts = [0, *(m.end() for m in LINE_BREAK.finditer(source))]
    start = starts[mutant["line"] - 1] + mutant["col"] - 1
    end = starts[mutant["end_line"] - 1] + mutant["end_col"] - 1
    if source[start:end] != mutant["original"]:
        raise RuntimeError(f"{mutant['id']}: {mutant['file']}:{mutant['line']} does not hold "
                           f"{mutant['original']!r}")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(source[:start] + mutant["replacement"] + source[end:])


def import_root(tree: Path, rel: str) -> Path:
    """The folder to put on sys.path for ``rel``: the parent of its top-level package."""
    folder = (tree / rel).parent
    while (folder / "__init__.py").is_file() and folder != tree:
        folder = folder.parent
    return folder


def plain_env(path: Path, py: str) -> dict[str, str]:
    env = venv_env(py)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(path), env.get("PYTHONPATH")) if p)
    return env


def plain_suite(py: str, tree: Path, rel: str, timeout: float) -> dict[str, Any]:
    """The whole suite with plain pytest in ``tree``, that tree first on sys.path."""
    done = sh([py, *PLAIN_PYTEST], tree, timeout, plain_env(import_root(tree, rel), py))
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.out, re.M)
    verdict = ("timeout" if done.code is None else "passed" if done.code == 0
               else "detected" if done.code == 1 or failed else f"exit {done.code}")
    last = (done.out.strip().splitlines() or [""])[-1]
    return {"verdict": verdict, "failed": failed[:3], "summary": last[:200],
            "wall_s": round(done.wall, 1)}


def copy_tree(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(*SKIP_DIRS))
    return dest


def truth_check(py: str, root: Path, suspects: list[dict[str, Any]],
                killed: list[dict[str, Any]], jobs: int,
                static_kills: list[dict[str, Any]] = ()) -> dict[str, Any]:
    """Plain pytest on a mutated copy for every suspect (survivors and disagreements) and
    every one of ``static_kills``. First the copy's sanity: it is what Python imports, it
    passes unmutated, a known kill fails."""
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="corpus-truth-"))
    try:
        base = copy_tree(root, scratch / "base" / root.name)
        probe = (suspects or killed)[0]["file"]
        mod = ".".join(Path(probe).with_suffix("").relative_to(
            import_root(base, probe).relative_to(base)).parts).removesuffix(".__init__")
        seen = sh([py, "-c", f"import {mod}; print({mod}.__file__)"], base, 120,
                  plain_env(import_root(base, probe), py))
        check: dict[str, Any] = {"module": mod, "imported_from": seen.out.strip()[-300:],
                                 "imports_copy": seen.out.strip().startswith(str(base))}
        unmutated = plain_suite(py, base, probe, 1800)
        check["unmutated"] = unmutated
        limit = max(120.0, 5 * unmutated["wall_s"] + 60)

        def one(mutant: dict[str, Any], index: int) -> dict[str, Any]:
            tree = copy_tree(base, scratch / str(index) / root.name)
            apply_mutant(tree, mutant)
            result = plain_suite(py, tree, mutant["file"], limit)
            shutil.rmtree(tree.parent, ignore_errors=True)
            return result

        if unmutated["verdict"] == "passed":
            if killed:
                check["known_kill"] = {"id": killed[0]["id"], **one(killed[0], -1)}
            with ThreadPoolExecutor(max(1, jobs)) as pool:
                check["suspects"] = dict(zip([m["id"] for m in suspects],
                                             pool.map(one, suspects, range(len(suspects))),
                                             strict=True))
                offset = len(suspects)
                check["static_kills"] = dict(zip(
                    [m["id"] for m in static_kills],
                    pool.map(one, static_kills, range(offset, offset + len(static_kills))),
                    strict=True))
        check["valid"] = (check["imports_copy"] and unmutated["verdict"] == "passed"
                          and check.get("known_kill", {}).get("verdict", "detected") != "passed")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    check["wall_s"] = round(time.perf_counter() - started, 1)
    return check


def check_project(project: Project, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"project": project.spec, "layout": project.layout,
                           "editable": project.editable, "shape": project.shape}
    root, py = prepare(project, args.python, work, args.workdir)
    before = tree_hashes(root)
    env = venv_env(py)
    fork, fork_mutants = mutgate_mode(py, root, [], args, work, "default", env)
    sub, sub_mutants = mutgate_mode(py, root, ["--isolation", "subprocess", "--no-reuse"], args,
                                    work, "subprocess", env)
    row["tree_changes"] = tree_changes(before, tree_hashes(root))
    row["modes"] = {"default": fork, "subprocess": sub}
    row["mutants"] = len(fork_mutants)
    if fork["exit"] != 0 or sub["exit"] != 0:
        row["error"] = (f"mutgate run exit {fork['exit']}/{sub['exit']}: "
                        f"{fork['tail'] if fork['exit'] else sub['tail']}")
        return row
    comparison = row["comparison"] = compare(fork_mutants, sub_mutants)
    either = {**sub_mutants, **fork_mutants}
    status = {i: (fork_mutants.get(i, {}).get("status"), sub_mutants.get(i, {}).get("status"))
              for i in either}
    suspects = sorted(i for i in either if "survived" in status[i]
                      or i in {d["id"] for d in comparison["disagreements"]})
    killed = [m for i, m in sorted(fork_mutants.items()) if status[i] == ("killed", "killed")]
    killed.sort(key=lambda m: m["qualname"] == "<module>")  # a function's mutant first
    # Fresh-path kills come from a child that collected only some test files: each is
    # checked against the whole suite too.
    static = [m for m in killed if m.get("path") == "fresh"]
    static = static[::max(1, len(static) // max(1, args.static_kills))][:args.static_kills]
    truth = row["truth"] = truth_check(py, root, [either[i] for i in suspects], killed,
                                       args.truth_jobs, static)
    plain = truth.get("suspects", {})
    for item in comparison["disagreements"]:
        item["plain"] = plain.get(item["id"])
        if item["plain"]:
            truth_class = "survived" if item["plain"]["verdict"] == "passed" else "detected"
            item["truth_agrees_with"] = [mode for mode in ("default", "subprocess")
                                         if verdict_class(item[mode]) == truth_class]
    row["false_survivors"] = [
        describe(either[i], default=status[i][0], subprocess=status[i][1],
                 killed_by=either[i].get("killed_by"), plain=plain[i])
        for i in suspects if "survived" in status[i] and i in plain
        and plain[i]["verdict"] != "passed"]
    row["survivors"] = sum("survived" in status[i] for i in suspects)
    checked = truth.get("static_kills", {})
    row["static_kills_checked"] = len(checked)
    row["false_kills"] = [describe(fork_mutants[i], killed_by=fork_mutants[i].get("killed_by"),
                                   plain=plain_kill)
                          for i, plain_kill in checked.items() if plain_kill["verdict"] == "passed"]
    return row


def table(rows: list[dict[str, Any]]) -> str:
    head = ("project", "layout", "mutants", "agree", "false surv", "false static kills",
            "tree same", "tracebacks", "default s", "subproc s", "truth s")
    lines = [head]
    for r in rows:
        modes = r.get("modes", {})
        comp, truth = r.get("comparison"), r.get("truth", {})
        surv = (f"{len(r['false_survivors'])}/{r['survivors']}"
                + ("" if truth.get("valid") else " (invalid)")) if "truth" in r else "-"
        lines.append((
            r["project"], r["layout"] + ("" if r["editable"] else " (non-ed.)"),
            str(r.get("mutants", "-")),
            f"{comp['agree']}/{comp['common']}" if comp else "-", surv,
            (f"{len(r['false_kills'])}/{r['static_kills_checked']}"
             if "false_kills" in r else "-"),
            ("yes" if not r["tree_changes"] else "NO") if "tree_changes" in r else "-",
            str(sum(m["tracebacks"] for m in modes.values())) if modes else "-",
            *(str(modes[k]["wall_s"]) if k in modes else "-" for k in ("default", "subprocess")),
            str(truth.get("wall_s", "-"))))
        if "error" in r:
            lines.append((f"  error: {r['error'][:150]}",))
    widths = [max(len(line[i]) for line in lines if len(line) > 1) for i in range(len(head))]
    return "\n".join(line[0] if len(line) == 1 else
                     "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--python", default=sys.executable, help="the interpreter to test on")
    parser.add_argument("--only", help="comma-separated project names")
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--seed", default="corpus")
    parser.add_argument("--jobs", type=int, default=0, help="mutgate -j (0: its default)")
    parser.add_argument("--truth-jobs", type=int, default=2, help="plain suites at once")
    parser.add_argument("--static-kills", type=int, default=6,
                        help="fresh-path kills per project checked with plain pytest too")
    parser.add_argument("--timeout", type=float, default=1800, help="per mutgate run, s")
    parser.add_argument("--workdir", type=Path, default=Path.home() / ".cache" / "mutgate-corpus")
    parser.add_argument("--output", type=Path, help="default: bench/results/corpus-<py>.json")
    args = parser.parse_args()
    args.workdir = args.workdir.resolve()
    version = must(sh([args.python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                      HERE, 60), "python").out.strip()
    chosen = [p for p in PROJECTS if not args.only or p.name in args.only.split(",")]
    unknown = set(args.only.split(",")) - {p.name for p in PROJECTS} if args.only else set()
    if unknown or not chosen:
        parser.error(f"unknown project(s): {', '.join(sorted(unknown))}")
    output = args.output or HERE / "results" / f"corpus-{version.rsplit('.', 1)[0]}.json"
    dirty = sh(["git", "status", "--porcelain", "src"], REPO, 60).out.strip()
    commit = sh(["git", "rev-parse", "--short", "HEAD"], REPO, 60).out.strip()
    old = json.loads(output.read_text(encoding="utf-8")) if output.is_file() else {}
    rows = {r["project"]: r for r in old.get("projects", [])} if args.only else {}
    order = {p.spec: n for n, p in enumerate(PROJECTS)}
    started = time.perf_counter()
    report: dict[str, Any] = {}
    for project in chosen:
        work = args.workdir / f"py{version}" / project.spec.replace("==", "-")
        try:
            row = check_project(project, args, work)
        except (RuntimeError, OSError, ValueError) as exc:
            log(f"{project.spec}: {exc}")
            row = {"project": project.spec, "layout": project.layout,
                   "editable": project.editable, "error": str(exc)[:2000]}
        row["checked_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
        rows[project.spec] = row
        log(f"{project.spec} done\n{table([row])}")
        report = {"python": version, "mutgate_commit": commit + ("-dirty" if dirty else ""),
                  "sample": args.sample, "seed": args.seed,
                  "wall_s": round(time.perf_counter() - started, 1),
                  "projects": sorted(rows.values(), key=lambda r: order.get(r["project"], 99))}
        output.parent.mkdir(parents=True, exist_ok=True)  # after each project: partial results
        output.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(table(report["projects"]))
    print(f"\n{len(chosen)} project(s) in {report['wall_s']:.0f} s; Python {version}, mutgate "
          f"{report['mutgate_commit']}; details in {output}")

if __name__ == "__main__":
    main()
