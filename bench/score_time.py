"""Time to a complete mutation score (issue 14): mutgate and its peers on the same projects.

    python bench/score_time.py [--only isodate,marshmallow] [--tools mutgate,mutmut,...]
                               [--workdir DIR] [--timeout S] [--cosmic-on isodate]

For every pinned project of bench/peer_env.py (its sdist from PyPI, unpacked outside this repo,
`pythonpath` added to its pytest configuration), run one after the other, each tool on its own
fresh copy of the tree and in its own venv (bench/peers.py): mutgate (`mutgate run`, default
jobs), mutmut 3.8.1, irradiate, moonbuggy, pytest-gremlins, and cosmic-ray (only on the
projects of --cosmic-on: it runs the whole suite per mutant on one worker). Print per project
each tool's mutants, wall time to a complete score, mutants/s, score and its wall time as a
multiple of mutgate's; then mutgate's per-path breakdown from `mutgate results --json`
(fork / fresh / subprocess: count, median and p90 of duration_ms and of the overhead outside
the tests, duration_ms - tests_ms) and the fresh (static) median as a multiple of the fork
median. Results go to bench/results/score-time.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from peer_env import (
    HERE,
    Project,
    choose,
    copy_tree,
    fmt,
    load,
    log,
    options,
    pristine,
    save,
    table,
)
from peers import TOOLS, Mutgate, Score

EXECUTED = ("killed", "survived", "timeout")
OUTPUT = HERE / "results" / "score-time.json"


def pct(values: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0.5 = median)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))], 1)


def paths(results: dict[str, Any]) -> dict[str, Any]:
    """mutgate's executed mutants by the path that gave their verdict."""
    ran = [m for m in results["mutants"] if m["status"] in EXECUTED and not m.get("reused")
           and m.get("duration_ms") is not None]
    out: dict[str, Any] = {}
    for path in sorted({m.get("path") or "?" for m in ran}):
        group = [m for m in ran if (m.get("path") or "?") == path]
        took = [float(m["duration_ms"]) for m in group]
        over = [float(m["duration_ms"]) - float(m["tests_ms"]) for m in group
                if m.get("tests_ms") is not None]
        out[path] = {"n": len(group), "median_ms": pct(took, 0.5), "p90_ms": pct(took, 0.9),
                     "sum_s": round(sum(took) / 1000, 1),
                     "overhead_n": len(over), "overhead_median_ms": pct(over, 0.5),
                     "overhead_p90_ms": pct(over, 0.9),
                     "module_level": sum(1 for m in group if m.get("qualname") == "<module>")}
    fork, fresh = out.get("fork", {}).get("median_ms"), out.get("fresh", {}).get("median_ms")
    out["fresh_over_fork_median"] = round(fresh / fork, 1) if fork and fresh else None
    run = results.get("run", {})
    out["workers"] = {"busy_s": run.get("worker_busy_s"), "wall_s": run.get("mutants_wall_s"),
                      "idle": run.get("worker_idle"), "rss_mb": run.get("worker_rss_mb")}
    return out


def one_project(project: Project, tools: list[str], args: argparse.Namespace) -> dict[str, Any]:
    base = pristine(project, args.workdir)
    runs = args.workdir / "score-time" / project.spec.replace("==", "-")
    logs = runs / "logs"
    row: dict[str, Any] = {"project": project.spec, "shape": project.shape, "tools": []}
    for name in tools:
        tool = TOOLS[name]
        if name == "cosmic-ray" and project.name not in args.cosmic_on.split(","):
            row["tools"].append(Score(name, "none", note="not run here (--cosmic-on)").as_dict())
            continue
        timeout = args.cosmic_timeout if name == "cosmic-ray" else args.timeout
        try:
            py = tool.env(args.workdir, project)
            root = copy_tree(base, runs / name)
            log(f"{project.spec}: {name} (time limit {timeout:.0f} s)")
            score = tool.full(py, root, project, timeout, logs)
        except (RuntimeError, OSError, ValueError, KeyError) as exc:
            log(f"{project.spec}: {name}: {exc}")
            score = Score(name, "error", note=str(exc).splitlines()[0][:200])
        log(f"{project.spec}: {name}: {score.status}, {score.mutants} mutants, "
            f"{score.wall_s} s, score {score.score} {score.note}")
        row["tools"].append(score.as_dict())
        if name == "mutgate" and score.status == "ok":
            results = Mutgate().results(py, root)
            if results:
                row["mutgate_paths"] = paths(results)
                row["mutgate_tests"] = count_tests(root)
    return row


def count_tests(root: Path) -> int | None:
    try:
        cov = json.loads((root / ".mutgate" / "coverage-map.json").read_text(encoding="utf-8"))
        return len(cov["durations"])
    except (OSError, ValueError, KeyError):
        return None


def tools_table(rows: list[dict[str, Any]]) -> str:
    head = ("project", "tool", "status", "mutants", "wall s", "mutants/s", "score %",
            "wall / mutgate's", "load", "note")
    lines: list[tuple[str, ...]] = []
    for row in rows:
        ours = next((t for t in row["tools"] if t["tool"] == "mutgate"), None)
        base = ours["wall_s"] if ours and ours["status"] == "ok" else None
        tests = f" ({row['mutgate_tests']} tests)" if row.get("mutgate_tests") else ""
        for t in row["tools"]:
            ratio = (t["wall_s"] / base if base and t["wall_s"]
                     and t["status"] in ("ok", "timeout") else None)
            lines.append((row["project"] + tests, t["tool"], t["status"],
                          str(t["mutants"] if t["mutants"] is not None else "-"),
                          fmt(t["wall_s"]), fmt(t["mutants_per_s"], 2), fmt(t["score"]),
                          ("" if t["status"] == "ok" else "≥ ") + fmt(ratio, 2, "x")
                          if ratio else "-", load(t), t["note"][:90]))
    return table(head, lines)


def paths_table(rows: list[dict[str, Any]]) -> str:
    head = ("project", "path", "n", "median ms", "p90 ms", "sum s", "overhead median ms",
            "overhead p90 ms", "module-level")
    lines: list[tuple[str, ...]] = []
    for row in rows:
        found = row.get("mutgate_paths")
        if not found:
            continue
        for path, g in found.items():
            if isinstance(g, dict) and "n" in g:  # not "workers"
                lines.append((row["project"], path, str(g["n"]), fmt(g["median_ms"]),
                              fmt(g["p90_ms"]), fmt(g["sum_s"]), fmt(g["overhead_median_ms"]),
                              fmt(g["overhead_p90_ms"]), str(g["module_level"])))
        lines.append((f"  {row['project']}: fresh (static) median = "
                      f"{fmt(found['fresh_over_fork_median'], 1, 'x')} the fork median",))
        w = found.get("workers") or {}
        if w.get("wall_s"):
            lines.append((f"  {row['project']}: mutant phase {w['wall_s']:.1f} s, workers busy "
                          f"{w['busy_s']} s, idle {100 * (w['idle'] or 0):.1f}%; worker RSS "
                          f"first/last batch {w['rss_mb']} MiB",))
    return table(head, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cosmic-on", default="isodate", help="projects cosmic-ray runs on")
    parser.add_argument("--cosmic-timeout", type=float, default=1200, help="cosmic-ray's, s")
    args = options(parser, list(TOOLS), list(TOOLS))
    load_before, started = os.getloadavg(), time.perf_counter()
    rows = []
    for project in choose(args.only):
        rows.append(one_project(project, args.tools, args))
        print(tools_table(rows[-1:]), flush=True)
    report = save(args.output or OUTPUT, rows, load_before, started)
    print("\n== time to a complete score (each tool's own mutants and score; default workers)")
    print(tools_table(rows))
    print("\n== mutgate per path (executed mutants; overhead = duration_ms - tests_ms)")
    print(paths_table(rows))
    m = report["machine"]
    print(f"\nload average before/after {m['loadavg_before']} / {m['loadavg_after']} on "
          f"{m['cpus']} CPUs; mutgate {m['mutgate_commit']}; {report['wall_s']} s; "
          f"written to {args.output or OUTPUT}")


if __name__ == "__main__":
    main()
