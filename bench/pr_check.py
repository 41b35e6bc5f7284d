"""The PR check (issue 13): a one-line change checked by mutgate and by its peers' PR modes.

    python bench/pr_check.py [--only python-dateutil] [--tools mutgate,moonbuggy,...]
                             [--workdir DIR] [--timeout S] [--repeat 3]

For every pinned project of bench/peer_env.py, in a git repository made from its unpacked sdist
(outside this repo): a full `mutgate run` (timed; the coverage step is the time from the start
to the line that says how many mutants are to run), `mutgate baseline`, then the project's
one-line change in one function committed, the plain `pytest` time of the tests that cover the
changed file (from mutgate's coverage map), `mutgate run --diff HEAD~1` and
`mutgate gate --diff HEAD~1`. Then the change reverted, a comment-only change made in another
file and committed, and `mutgate run` again: the share of results reused. Each peer then does
the same on its own copy of the repository: a full run (so its cache holds what mutgate's
store does) and its PR mode on the same commit (bench/peers.py). Every PR check runs
``--repeat`` times from the same state (the tool's caches restored); the median counts.
Targets: diff run ≤ 10% of the full run and ≤ 3x the plain pytest time of the covering tests;
the fastest PR check of the tools; ≥ 95% reused after the comment-only change. Results go
to bench/results/pr-check.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peer_env import (
    HERE,
    Project,
    choose,
    copy_tree,
    fmt,
    git,
    load,
    log,
    options,
    pristine,
    run,
    save,
    table,
)
from peers import MUTGATE, TOOLS, Mutgate, Score, why

OUTPUT = HERE / "results" / "pr-check.json"
SCORE_TIME = HERE / "results" / "score-time.json"
PEERS = ("moonbuggy", "irradiate", "mutmut", "pytest-gremlins")


def repository(project: Project, workdir: Path) -> Path:
    """The unpacked sdist as a git repository with one commit (made once)."""
    repo = workdir / "pr-check" / project.spec.replace("==", "-") / "repo"
    if not (repo / ".git").is_dir():
        copy_tree(pristine(project, workdir), repo)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"{project.spec} as released")
    return repo


def commit(root: Path, message: str, file: str) -> None:
    """Commit ``file`` only (a tool may have written its configuration into the tree)."""
    git(root, "commit", "-q", "-m", message, "--", file)


def covering_tests(root: Path, file: str) -> list[str]:
    """The tests that ran any line of ``file``, from mutgate's coverage map (the map keeps
    what coverage recorded; its lines are derived when it is read)."""
    from mutgate.coverage_map import CoverageMap

    cov = CoverageMap.from_json(json.loads(
        (root / ".mutgate" / "coverage-map.json").read_text(encoding="utf-8")))
    return sorted({t for tests in cov.lines.get(file, {}).values() for t in tests})


def plain_pytest(py: str, root: Path, tests: list[str], workdir: Path, timeout: float
                 ) -> dict[str, Any]:
    """Plain pytest on ``tests`` (their files collected, the rest deselected by a small
    plugin). An id collected under another parametrization index here (parameters from a set
    hashed by address) stands for every case of its function, as in mutgate's runs."""
    plugins = workdir / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "bench_select.py").write_text(SELECT_PLUGIN, encoding="utf-8")
    wanted = workdir / "plugins" / "selected.txt"
    wanted.write_text("\n".join(tests), encoding="utf-8")
    env = dict(os.environ, PYTHONHASHSEED="0", BENCH_SELECT=str(wanted),
               PYTHONPATH=os.pathsep.join(filter(None, (str(plugins),
                                                        os.environ.get("PYTHONPATH")))))
    files = sorted({t.split("::")[0] for t in tests})
    done = run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "bench_select",
                *files], root, timeout, env)
    said = re.search(r"bench_select: (\d+) of (\d+) ids collected as they are", done.out)
    last = (done.out.strip().splitlines() or [""])[-1]
    return {"tests": len(tests), "files": len(files), "wall_s": round(done.wall, 1),
            "exit": done.code, "summary": last[:120],
            "ids_as_they_are": int(said[1]) if said else None}


SELECT_PLUGIN = '''"""Keep only the tests named in $BENCH_SELECT (bench/pr_check.py)."""
import os

WANTED = set(open(os.environ["BENCH_SELECT"], encoding="utf-8").read().split("\\n")) - {""}


def pytest_collection_modifyitems(config, items):
    ids = {item.nodeid for item in items}
    missing = {w.split("[")[0] for w in WANTED if w not in ids}
    keep = [i for i in items if i.nodeid in WANTED or i.nodeid.split("[")[0] in missing]
    kept = {id(i) for i in keep}
    config.hook.pytest_deselected(items=[i for i in items if id(i) not in kept])
    items[:] = keep
    print(f"\\nbench_select: {len(WANTED & ids)} of {len(WANTED)} ids collected as they are")
'''


def mutgate_flow(project: Project, repo: Path, args: argparse.Namespace) -> dict[str, Any]:
    tool = Mutgate()
    py = tool.env(args.workdir, project)
    root = copy_tree(repo, repo.parent / "mutgate")
    logs = repo.parent / "logs"
    log(f"{project.spec}: mutgate full run")
    out: dict[str, Any] = {"full": tool.full(py, root, project, args.timeout, logs).as_dict()}
    run([py, *MUTGATE, "baseline"], root, 600, logfile=logs / "mutgate-baseline.log")
    project.change.apply(root)
    commit(root, f"one-line change in {project.change.where}", project.change.file)
    tests = covering_tests(root, project.change.file)
    log(f"{project.spec}: plain pytest of the {len(tests)} tests covering {project.change.file}")
    out["plain_pytest"] = plain_pytest(py, root, tests, args.workdir, args.timeout)
    log(f"{project.spec}: mutgate run --diff HEAD~1 ({args.repeat}x)")
    out["diff"] = diff = repeated(args.repeat, root, lambda: tool.pr(
        py, root, project, "HEAD~1", args.timeout, logs))
    remeasured = re.search(r"re-measured (\d+) of (\d+) tests", diff["said"].get("coverage", ""))
    out["remeasured"] = [int(remeasured[1]), int(remeasured[2])] if remeasured else None
    gate = run([py, *MUTGATE, "gate", "--diff", "HEAD~1"], root, args.timeout,
               logfile=logs / "mutgate-gate.log")
    out["gate"] = {"exit": gate.code, "wall_s": round(gate.wall, 1),
                   "said": next((line for line in gate.text.splitlines()
                                 if line.startswith("gate:")), why(gate))[:240]}
    git(root, "revert", "--no-edit", "HEAD")
    project.comment.apply(root)
    commit(root, f"comment-only change in {project.comment.where}", project.comment.file)
    log(f"{project.spec}: mutgate run after a comment-only change")
    done, score = tool.command(py, root, ["run"], args.timeout, logs / "mutgate-again.log",
                               "mutgate run (again)")
    again = score.as_dict()
    reused = re.search(r"(\d+) results reused", done.said.get("planned", ""))
    again["reused"] = int(reused[1]) if reused else 0
    again["reused_pct"] = (round(100 * again["reused"] / again["mutants"], 1)
                           if again["mutants"] else None)
    out["again"] = again
    return out


def peer_flow(name: str, project: Project, repo: Path, args: argparse.Namespace
              ) -> dict[str, Any]:
    """The peer's PR mode on the change; first a full run when its PR mode needs one (a
    re-run with a cache), else its full-run wall from bench/score_time.py's results."""
    tool = TOOLS[name]
    logs = repo.parent / "logs"
    full = Score(name, "none", note="not run here")
    try:
        py = tool.env(args.workdir, project)
        root = copy_tree(repo, repo.parent / name)
        if tool.pr_needs_full:
            log(f"{project.spec}: {name} full run")
            full = tool.full(py, root, project, args.timeout, logs)
        else:
            full = earlier_full(project, name) or full
        project.change.apply(root)
        commit(root, f"one-line change in {project.change.where}", project.change.file)
        log(f"{project.spec}: {name} PR check ({tool.pr_mode}, {args.repeat}x)")
        pr = repeated(args.repeat, root, lambda: tool.pr(py, root, project, "HEAD~1",
                                                         args.timeout, logs))
    except (RuntimeError, OSError, ValueError, KeyError) as exc:
        log(f"{project.spec}: {name}: {exc}")
        pr = Score(name, "error", note=str(exc).splitlines()[0][:200]).as_dict()
    return {"mode": tool.pr_mode, "full": full.as_dict(), "pr": pr}


def repeated(times: int, root: Path, once: Callable[[], Score]) -> dict[str, Any]:
    """``once()`` ``times`` times, each from the tree as it was before the first (caches and
    state directories included): the run of median wall time, with every wall in ``walls``.
    This VM's speed drifts by a third between minutes; one run decides nothing."""
    before = root.with_name(root.name + "-before-pr")
    shutil.rmtree(before, ignore_errors=True)
    shutil.copytree(root, before, symlinks=True)
    runs = []
    for attempt in range(times):
        if attempt:
            shutil.rmtree(root)
            shutil.copytree(before, root, symlinks=True)
        runs.append(once())
    shutil.rmtree(before, ignore_errors=True)
    finished = sorted((r for r in runs if r.status == "ok"), key=lambda r: r.wall_s or 0.0)
    chosen = finished[(len(finished) - 1) // 2] if finished else runs[-1]
    return {**chosen.as_dict(), "walls": [r.wall_s for r in runs]}


def earlier_full(project: Project, name: str) -> Score | None:
    """The tool's full run on ``project`` in bench/results/score-time.json, if any."""
    try:
        found = json.loads(SCORE_TIME.read_text(encoding="utf-8"))["projects"]
    except (OSError, ValueError, KeyError):
        return None
    for row in found:
        for t in row["tools"] if row["project"] == project.spec else ():
            if t["tool"] == name:
                return Score(name, t["status"], t["wall_s"], t["mutants"], t["detected"],
                             t["survived"], note="full run: bench/score_time.py's")
    return None


def one_project(project: Project, tools: list[str], args: argparse.Namespace) -> dict[str, Any]:
    repo = repository(project, args.workdir)
    row: dict[str, Any] = {"project": project.spec, "shape": project.shape,
                           "change": f"{project.change.file} ({project.change.where}): "
                                     f"`{project.change.old}` -> `{project.change.new}`",
                           "comment": f"{project.comment.file} ({project.comment.where})"}
    if "mutgate" in tools:
        try:
            row["mutgate"] = mutgate_flow(project, repo, args)
        except (RuntimeError, OSError, ValueError, KeyError) as exc:
            log(f"{project.spec}: mutgate: {exc}")
            row["mutgate_error"] = str(exc)[:500]
    row["peers"] = {name: peer_flow(name, project, repo, args) for name in tools
                    if name != "mutgate" and TOOLS[name].pr_mode}
    return row


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "MET" if ok else "NOT MET"


def report(row: dict[str, Any]) -> str:
    lines = [f"\n== {row['project']} ({row['shape']})", f"change:  {row['change']}",
             f"comment: {row['comment']}"]
    m = row.get("mutgate")
    head = ("tool", "PR mode", "full wall s", "PR wall s", "PR / full", "PR mutants",
            "PR score %", "PR load", "note")
    cells: list[tuple[str, ...]] = []
    if m:
        full, diff = m["full"], m["diff"]
        cells.append(("mutgate", "run --diff HEAD~1", fmt(full["wall_s"]), fmt(diff["wall_s"]),
                      fmt(ratio(diff, full), 1, "%"), str(diff["mutants"]), fmt(diff["score"]),
                      load(diff), diff["note"][:70]))
    for name, p in row["peers"].items():
        cells.append((name, p["mode"], fmt(p["full"]["wall_s"]) + marker(p["full"]),
                      fmt(p["pr"]["wall_s"]) + marker(p["pr"]), fmt(ratio(p["pr"], p["full"]),
                                                                    1, "%"),
                      str(p["pr"]["mutants"] if p["pr"]["mutants"] is not None else "-"),
                      fmt(p["pr"]["score"]), load(p["pr"]),
                      (p["pr"]["note"] or p["full"]["note"])[:70]))
    lines.append(table(head, cells))
    walls = [("mutgate", m["diff"].get("walls")) if m else ("mutgate", None),
             *((name, p["pr"].get("walls")) for name, p in row["peers"].items())]
    lines.append("PR check walls, s (the median is the table's): " + "; ".join(
        f"{name} {' '.join(fmt(w) for w in found)}" for name, found in walls if found))
    if not m:
        lines.append(f"mutgate: {row.get('mutgate_error', 'not run')}")
        return "\n".join(lines)
    full, diff, plain, again = m["full"], m["diff"], m["plain_pytest"], m["again"]
    lines += [
        f"mutgate full run: {fmt(full['wall_s'])} s, {full['mutants']} mutants, coverage line "
        f"at {fmt(full['marks'].get('coverage'))} s ('{full['said'].get('coverage', '')}'), "
        f"mutants planned at {fmt(full['marks'].get('planned'))} s",
        f"mutgate diff run: {fmt(diff['wall_s'])} s, coverage line at "
        f"{fmt(diff['marks'].get('coverage'))} s ('{diff['said'].get('coverage', '')}'), "
        f"planned at {fmt(diff['marks'].get('planned'))} s ('{diff['said'].get('planned', '')}')",
        "tests re-measured: " + (f"{m['remeasured'][0]} of {m['remeasured'][1]}"
                                 if m["remeasured"] else "(no 're-measured' line)"),
        f"plain pytest of the {plain['tests']} tests covering {row['change'].split()[0]} "
        f"({plain['files']} files collected, {plain['ids_as_they_are']} ids found as they are, "
        f"the others by function): {plain['wall_s']} s, exit {plain['exit']} "
        f"({plain['summary']})",
        f"mutgate gate --diff HEAD~1: exit {m['gate']['exit']} in {m['gate']['wall_s']} s "
        f"('{m['gate']['said']}')",
        f"after revert + comment-only change: mutgate run {fmt(again['wall_s'])} s, "
        f"{again['reused']} of {again['mutants']} results reused ({fmt(again['reused_pct'])}%)"]
    fastest = min((c for c in cells if c[3] != "-" and not c[3].endswith(("*", "!"))),
                  key=lambda c: float(c[3]), default=None)
    share = ratio(diff, full)
    times = diff["wall_s"] / plain["wall_s"] if diff["wall_s"] and plain["wall_s"] else None
    lines += [
        "targets:",
        f"  diff run <= 10% of the full run: {fmt(share, 1, '%')} -> "
        f"{verdict(None if share is None else share <= 10)}",
        f"  diff run <= 3x plain pytest of the covering tests: {fmt(times, 2, 'x')} -> "
        f"{verdict(None if times is None else times <= 3)}",
        f"  fastest PR check: {fastest[0] if fastest else '-'} -> "
        f"{verdict(None if fastest is None else fastest[0] == 'mutgate')}",
        f"  >= 95% reused after a comment-only change: {fmt(again['reused_pct'])}% -> "
        f"{verdict(None if again['reused_pct'] is None else again['reused_pct'] >= 95)}"]
    return "\n".join(lines)


def ratio(part: dict[str, Any], whole: dict[str, Any]) -> float | None:
    """``part``'s wall as a percentage of ``whole``'s, when both finished."""
    if part["status"] != "ok" or whole["status"] != "ok" or not whole["wall_s"]:
        return None
    return 100.0 * float(part["wall_s"] or 0) / float(whole["wall_s"])


def marker(score: dict[str, Any]) -> str:
    """`*` after a time cut by the time limit, `!` after a failed run."""
    return {"ok": "", "timeout": "*", "none": ""}.get(score["status"], "!")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=3,
                        help="PR checks per tool, each from the same state (the median counts)")
    args = options(parser, list(TOOLS), ["mutgate", *PEERS])
    load_before, started = os.getloadavg(), time.perf_counter()
    rows = []
    for project in choose(args.only):
        rows.append(one_project(project, args.tools, args))
        print(report(rows[-1]), flush=True)
    out = save(args.output or OUTPUT, rows, load_before, started)
    print("\n\n######## PR check: all projects ########")
    for row in rows:
        print(report(row))
    mach = out["machine"]
    print(f"\n* = cut at the time limit, ! = failed (see the logs in the workdir). Load average "
          f"before/after {mach['loadavg_before']} / {mach['loadavg_after']} on {mach['cpus']} "
          f"CPUs; mutgate {mach['mutgate_commit']}; {out['wall_s']} s; written to "
          f"{args.output or OUTPUT}")


if __name__ == "__main__":
    main()
