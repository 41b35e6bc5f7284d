"""Benchmark mutgate against mutmut 3.x on the same machine, in one run.

    python bench/bench.py [--project NAME==VERSION] [--keep DIR] [--skip-mutmut] [--jobs N]
    python bench/bench.py --fixtures

Project mode downloads the project's sdist from PyPI, makes its tests runnable with pytest and
runs, one after the other, each on a fresh copy: mutmut, mutgate (warm fork workers), a
synthetic project whose tests are trivial (so a mutant's time is mutgate's own overhead), and
mutgate's fork and subprocess modes on the same deterministic sample (verdict agreement).
Fixtures mode runs the fork and subprocess modes on every fixture under fixtures/ whose tests
pass. Figures are printed as a table and written as JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
MUTMUT = "mutmut==3.8.1"
VERDICTS = ("killed", "survived", "timeout", "suspicious", "segfault")  # tests actually ran
MUTGATE_MARK = "to run with"  # mutgate's stderr line just before the mutation phase
MUTMUT_MARK = "Running mutation testing"
MUTGATE = [sys.executable, "-c", "from mutgate.cli import main; main()"]


@dataclass
class ToolRun:
    """One tool's run: how many mutants, and how long the whole command and its mutation phase
    took (the phase starts when the tool prints its marker line and ends when it exits)."""

    tool: str
    mutants: int
    executed: int
    total_s: float
    phase_s: float
    counts: dict[str, int] = field(default_factory=dict)
    self_reported_rate: float | None = None

    @property
    def phase_rate(self) -> float:
        return self.executed / self.phase_s if self.phase_s else 0.0

    @property
    def total_rate(self) -> float:
        return self.mutants / self.total_s if self.total_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_s": round(self.total_s, 2),
                "phase_s": round(self.phase_s, 2),
                "executed_per_phase_s": round(self.phase_rate, 2),
                "mutants_per_total_s": round(self.total_rate, 2)}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sh(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, errors="replace")
    if check and proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-2000:]}"
                         f"\n{proc.stderr[-2000:]}")
    return proc


def timed(cmd: list[str], cwd: Path, mark: str, logfile: Path) -> tuple[float, float, str]:
    """Run ``cmd``; return (total seconds, seconds after the line holding ``mark``, output)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    marked: float | None = None
    out: list[str] = []
    started = time.perf_counter()
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True,
                          stderr=subprocess.STDOUT, errors="replace") as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if marked is None and mark in line:
                marked = time.perf_counter()
            out.append(line)
        code = proc.wait()
    ended = time.perf_counter()
    text = "".join(out)
    logfile.write_text(text, encoding="utf-8")
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {code}; output in {logfile}\n{text[-1500:]}")
    return ended - started, ended - (marked or started), text


def fetch(spec: str, workdir: Path) -> Path:
    """Download and unpack the sdist of ``spec``; return the project's root directory."""
    download = workdir / "download"
    download.mkdir(parents=True, exist_ok=True)
    log(f"downloading the sdist of {spec}")
    sh([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
        "-d", str(download), spec], workdir)
    archive = next(p for p in sorted(download.iterdir()) if p.is_file())
    target = workdir / "pristine"
    shutil.rmtree(target, ignore_errors=True)
    shutil.unpack_archive(archive, target, filter="data")
    (root,) = [p for p in target.iterdir() if p.is_dir()]
    return root


def tests_dir(root: Path) -> str:
    for name in ("tests", "test", "testing"):
        if (root / name).is_dir():
            return name
    raise SystemExit(f"{root.name}: the sdist ships no tests/ directory (this bench needs one); "
                     "pick another project with --project NAME==VERSION")


def make_runnable(root: Path) -> None:
    """Put the code on pytest's path (`pythonpath`), install missing imports, check it passes."""
    path = "src" if (root / "src").is_dir() else "."
    toml = f'pythonpath = ["{path}"]'
    for name, header, entry in (("pytest.ini", "[pytest]", f"pythonpath = {path}"),
                                ("pyproject.toml", "[tool.pytest.ini_options]", toml),
                                ("tox.ini", "[pytest]", f"pythonpath = {path}"),
                                ("setup.cfg", "[tool:pytest]", f"pythonpath = {path}")):
        text = (root / name).read_text(encoding="utf-8") if (root / name).is_file() else ""
        if header in text:  # the file pytest reads its configuration from
            (root / name).write_text(text.replace(header, f"{header}\n{entry}", 1), "utf-8")
            break
    else:
        with open(root / "pyproject.toml", "a", encoding="utf-8") as handle:
            handle.write(f"\n[tool.pytest.ini_options]\n{toml}\n")
    tried: set[str] = set()
    while True:
        proc = sh([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"], root,
                  check=False)
        if proc.returncode == 0:
            log("the unmutated test suite passes: " + proc.stdout.strip().splitlines()[-1])
            return
        missing = re.findall(r"No module named '([\w.]+)'", proc.stdout + proc.stderr)
        names = [m.split(".")[0] for m in missing if m.split(".")[0] not in tried]
        if not names or len(tried) >= 6:
            raise SystemExit(f"the test suite of {root.name} does not pass:\n{proc.stdout[-2000:]}")
        log(f"installing the test dependency {names[0]}")
        tried.add(names[0])
        sh([sys.executable, "-m", "pip", "install", "-q", names[0]], root)


def copy(base: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(base, dest, ignore=shutil.ignore_patterns(".mutgate", "mutants", "__pycache__",
                                                              ".pytest_cache"))
    return dest


def run_mutmut(base: Path, workdir: Path, jobs: int) -> ToolRun:
    if sh([sys.executable, "-c", "import mutmut"], workdir, check=False).returncode != 0:
        log(f"installing {MUTMUT}")
        sh([sys.executable, "-m", "pip", "install", "-q", MUTMUT], workdir)
    from mutgate.config import infer_paths

    root = copy(base, workdir / "mutmut")
    paths = [p.rstrip("/") + ("/" if (root / p).is_dir() else "") for p in infer_paths(root)]
    settings = {"source_paths": paths, "pytest_add_cli_args_test_selection": [tests_dir(root)]}
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():  # mutmut reads [tool.mutmut] there, else [mutmut] in setup.cfg
        table = "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())
        pyproject.write_text(pyproject.read_text(encoding="utf-8") + "\n[tool.mutmut]\n" + table,
                             encoding="utf-8")
    else:
        with open(root / "setup.cfg", "a", encoding="utf-8") as cfg:
            cfg.write("\n[mutmut]\n" + "".join(f"{k} =\n" + "".join(f"    {v}\n" for v in vs)
                                                for k, vs in settings.items()))
    log(f"mutmut run --max-children {jobs} (mutating {', '.join(paths)})")
    total, phase, out = timed([sys.executable, "-m", "mutmut", "run", "--max-children",
                               str(jobs)], root, MUTMUT_MARK, workdir / "mutmut.log")
    sh([sys.executable, "-m", "mutmut", "export-cicd-stats"], root)
    stats = json.loads((root / "mutants" / "mutmut-cicd-stats.json").read_text())
    rate = re.findall(r"([0-9.]+) mutations/second", out)
    return ToolRun("mutmut", stats["total"], sum(stats.get(k, 0) for k in VERDICTS), total,
                   phase, {k: v for k, v in stats.items() if v and k != "total"},
                   float(rate[-1]) if rate else None)


def run_mutgate(base: Path, dest: Path, jobs: int, extra: list[str]
                ) -> tuple[ToolRun, dict[str, Any], dict[str, dict[str, Any]]]:
    """A mutgate run on a fresh copy; also returns its results JSON and the stored specs."""
    root = copy(base, dest)
    cmd = [*MUTGATE, "run", "-j", str(jobs), "--no-reuse", *extra]
    log(f"mutgate run -j {jobs} {' '.join(extra)} on {dest.name}")
    total, phase, _ = timed(cmd, root, MUTGATE_MARK, dest.with_suffix(".log"))
    results = json.loads(sh([*MUTGATE, "results", "--json"], root).stdout)
    counts = {k: v for k, v in results["counts"].items() if v}
    executed = sum(results["counts"].get(k, 0) for k in VERDICTS)
    return ToolRun("mutgate", results["total"], executed, total, phase, counts,
                   results["run"].get("mutants_per_s")), results, stored_specs(root)


def stored_specs(root: Path) -> dict[str, dict[str, Any]]:
    """Each mutant's full spec (with ``swap_target``) from the store; {} if the schema moved."""
    try:
        with sqlite3.connect(root / ".mutgate" / "results.sqlite") as db:
            rows = db.execute("SELECT spec FROM mutants WHERE run_id = (SELECT MAX(id) FROM runs)")
            return {s["id"]: s for s in (json.loads(row[0]) for row in rows)}
    except (sqlite3.Error, KeyError, ValueError):
        return {}


def pct(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else None


def breakdown(results: dict[str, Any], specs: dict[str, dict[str, Any]], root: Path
              ) -> dict[str, Any]:
    """Per-mutant duration_ms, split by path, and the time outside the tests (by subtraction):
    duration_ms minus the coverage-map durations of the tests the child ran (fastest first)."""
    cov = json.loads((root / ".mutgate" / "coverage-map.json").read_text(encoding="utf-8"))
    durations: dict[str, float] = cov["durations"]
    ran = [m for m in results["mutants"] if m["status"] in VERDICTS and m["duration_ms"]]
    fork = [m for m in ran if specs.get(m["id"], {}).get("swap_target")]
    isolated = [m for m in ran if specs and not specs.get(m["id"], {}).get("swap_target")]
    overhead = []
    for m in fork:
        tests = sorted(m["covered_by"], key=lambda t: (durations.get(t, 0.0), t))
        overhead.append(m["duration_ms"] - 1000 * sum(durations.get(t, 0.0)
                                                       for t in tests[: m["tests_run"]]))
    groups = {"all": ran, "fork": fork, "isolated": isolated}
    out: dict[str, Any] = {
        name: {"n": len(g), "median_ms": pct([m["duration_ms"] for m in g], 0.5),
               "p90_ms": pct([m["duration_ms"] for m in g], 0.9),
               "sum_s": round(sum(m["duration_ms"] for m in g) / 1000, 1)}
        for name, g in groups.items()}
    out["overhead_by_subtraction"] = {"n": len(overhead), "median_ms": pct(overhead, 0.5),
                                      "p90_ms": pct(overhead, 0.9)}
    out["isolated"].update(  # why mutants could not take the fork path
        module_level=sum(1 for m in isolated if m["qualname"] == "<module>"),
        in_functions=sum(1 for m in isolated if m["qualname"] != "<module>"),
        killed_by_collection_error=sum(1 for m in isolated
                                       if (m["killed_by"] or "").startswith("collection error")))
    return out


def synthetic(workdir: Path, jobs: int, functions: int = 40) -> dict[str, Any]:
    """mutgate on a generated project whose covering tests are trivial (a call and an assert):
    a mutant's duration_ms there is mutgate's per-mutant overhead around a ~µs test."""
    root = workdir / "synthetic"
    shutil.rmtree(root, ignore_errors=True)
    (root / "src" / "synth").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "src" / "synth" / "__init__.py").write_text("")
    body = "".join(f"def f{i}(a, b):\n    if a < b:\n        return a + b * {i}\n"
                   f"    return a - b\n\n\n" for i in range(functions))
    (root / "src" / "synth" / "funcs.py").write_text(body)
    tests = "from synth.funcs import *  # noqa\n\n\n" + "".join(
        f"def test_f{i}():\n    assert f{i}(1, 2) == {1 + 2 * i}\n    assert f{i}(2, 1) == 1\n\n\n"
        for i in range(functions))
    (root / "tests" / "test_funcs.py").write_text(tests)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["src"]\n')
    run, results, specs = run_mutgate(root, workdir / "synthetic-run", jobs, [])
    ran = [m["duration_ms"] for m in results["mutants"] if m["status"] in VERDICTS]
    return {"mutants": run.mutants, "executed": run.executed, "phase_s": round(run.phase_s, 2),
            "total_s": round(run.total_s, 2), "median_ms": pct(ran, 0.5), "p90_ms": pct(ran, 0.9),
            "wall_per_mutant_per_worker_ms": round(1000 * run.phase_s * jobs / run.executed, 2)
            if run.executed else None}


def agreement(base: Path, workdir: Path, jobs: int, sample: int, tag: str = "") -> dict[str, Any]:
    """Fork and subprocess modes on the same sample: identical status per mutant id?"""
    chosen = ["--sample", str(sample), "--seed", "bench"]
    sub, sub_res, _ = run_mutgate(base, workdir / f"agree-subprocess{tag}", jobs,
                                  [*chosen, "--isolation", "subprocess"])
    fork, fork_res, specs = run_mutgate(base, workdir / f"agree-fork{tag}", jobs,
                                        [*chosen, "--isolation", "fork"])
    by_id = {m["id"]: m for m in sub_res["mutants"]}
    same, differ = 0, []
    for m in fork_res["mutants"]:
        other = by_id.get(m["id"])
        if other and other["status"] == m["status"]:
            same += 1
        else:
            differ.append({"id": m["id"], "where": f"{m['file']}:{m['line']}",
                           "operator": m["operator"],
                           "change": f"{m['original']} -> {m['replacement']}"[:80],
                           "fork": m["status"], "subprocess": other and other["status"]})
    swappable = sum(1 for m in fork_res["mutants"] if specs.get(m["id"], {}).get("swap_target"))
    return {"agree": same, "of": len(fork_res["mutants"]), "fork_path_eligible": swappable,
            "disagreements": differ, "fork": fork.as_dict(), "subprocess": sub.as_dict()}


def row(run: ToolRun) -> str:
    return (f"  {run.tool:<16}{run.mutants:>8}{run.executed:>9}{run.phase_s:>9.1f}"
            f"{run.phase_rate:>9.2f}{run.total_s:>9.1f}{run.total_rate:>9.2f}")


HEADER = (f"  {'tool':<16}{'mutants':>8}{'executed':>9}{'phase s':>9}{'exec/s':>9}"
          f"{'total s':>9}{'all/s':>9}")


def print_agreement(a: dict[str, Any]) -> None:
    print(f"  verdict agreement fork vs subprocess: {a['agree']} of {a['of']} identical "
          f"({a['fork_path_eligible']} of them eligible for the fork path, the rest run "
          "isolated in both modes)")
    for d in a["disagreements"]:
        print(f"    {d['id']} {d['where']} {d['operator']} `{d['change']}`: fork={d['fork']} "
              f"subprocess={d['subprocess']}")


def project_mode(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    base = fetch(args.project, workdir)
    tests_dir(base)
    make_runnable(base)
    mutmut = None if args.skip_mutmut else run_mutmut(base, workdir, args.jobs)
    mutgate, results, specs = run_mutgate(base, workdir / "mutgate", args.jobs, [])
    parts = breakdown(results, specs, workdir / "mutgate")
    synth = synthetic(workdir, args.jobs)
    agree = agreement(base, workdir, args.jobs, args.sample)
    print(f"\n== {args.project}: mutgate vs mutmut, {args.jobs} job(s) ==")
    print(HEADER)
    for run in filter(None, (mutmut, mutgate)):
        print(row(run))
    print("  phase = mutation phase (from the tool's 'running mutants' line to its exit);"
          " total = whole command.\n  executed = mutants whose tests ran (killed, survived, "
          "timeout); all/s counts every mutant the tool made over the total time.")
    ratio = None
    if mutmut:
        ratio = {"executed_per_phase_s": round(mutgate.phase_rate / mutmut.phase_rate, 2),
                 "mutants_per_total_s": round(mutgate.total_rate / mutmut.total_rate, 2)}
        print(f"  mutmut reports {mutmut.self_reported_rate} mutations/second itself; counts "
              f"{mutmut.counts}")
        print(f"  ratio mutgate/mutmut: {ratio['executed_per_phase_s']}x executed mutants/s in"
              f" the mutation phase, {ratio['mutants_per_total_s']}x all mutants/s overall")
    print(f"  mutgate counts {mutgate.counts}")
    print("\n  mutgate per-mutant duration_ms (killed/survived/timeout):")
    for name in ("all", "fork", "isolated"):
        g = parts[name]
        print(f"    {name:<9} n={g['n']:<5} median {g['median_ms']} ms  p90 {g['p90_ms']} ms  "
              f"sum {g['sum_s']} s")
    i = parts["isolated"]
    print(f"  isolated = not swappable, run with a fresh import of the project (in a fork of "
          f"the worker, or a new pytest): {i['module_level']} module-level, "
          f"{i['in_functions']} in functions that also run at import/collection time; "
          f"{i['killed_by_collection_error']} killed by a collection (import) error")
    o = parts["overhead_by_subtraction"]
    print(f"  overhead outside tests, fork path, by subtraction (duration_ms minus the "
          f"coverage-map durations of the tests run): median {o['median_ms']} ms, "
          f"p90 {o['p90_ms']} ms")
    print(f"  overhead on a synthetic project with trivial tests ({synth['executed']} mutants):"
          f" duration_ms median {synth['median_ms']} ms, p90 {synth['p90_ms']} ms; "
          f"wall per mutant per worker {synth['wall_per_mutant_per_worker_ms']} ms")
    print_agreement(agree)
    return {"project": args.project, "mutmut": mutmut and mutmut.as_dict(),
            "mutgate": mutgate.as_dict(), "ratio": ratio, "mutgate_breakdown": parts,
            "synthetic_overhead": synth, "agreement": agree}


def fixtures_mode(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for fixture in sorted(p for p in FIXTURES.glob("*/") if p.is_dir()):
        base = copy(fixture, workdir / f"{fixture.name}-base")
        check = sh([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], base,
                   check=False)
        if check.returncode != 0:
            log(f"skipping fixture {fixture.name}: its tests do not pass")
            found[fixture.name] = {"skipped": "tests do not pass"}
            continue
        try:
            found[fixture.name] = agreement(base, workdir, args.jobs, args.sample,
                                            f"-{fixture.name}")
        except SystemExit as exc:  # e.g. the fixtures made to be refused (bad config)
            said = [line for line in str(exc).splitlines() if "error:" in line] or [str(exc)]
            log(f"fixture {fixture.name}: mutgate refused it: {said[-1][:300]}")
            found[fixture.name] = {"error": said[-1][:500]}
    print(f"\n== fixtures: fork vs subprocess, {args.jobs} job(s), sample {args.sample} ==")
    for name, a in found.items():
        print(f"\n{name}:")
        if "agree" not in a:
            print(f"  not run: {a.get('skipped') or a.get('error', '')[:200]}")
            continue
        print(HEADER)
        for mode in ("fork", "subprocess"):
            r = {k: a[mode][k] for k in ("mutants", "executed", "total_s", "phase_s")}
            print(row(ToolRun(f"mutgate {mode}", **r)))
        print_agreement(a)
    return {"fixtures": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", default="isodate==0.7.2", help="NAME==VERSION on PyPI")
    parser.add_argument("--keep", type=Path, help="work here and keep the copies and logs")
    parser.add_argument("--skip-mutmut", action="store_true")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample", type=int, default=150, help="mutants for the agreement")
    parser.add_argument("--fixtures", action="store_true", help="run on fixtures/*/ instead")
    parser.add_argument("--output", type=Path, help="JSON output (default bench/results/"
                        "latest.json, or fixtures.json with --fixtures)")
    args = parser.parse_args()
    workdir = (args.keep or Path(tempfile.mkdtemp(prefix="mutgate-bench-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    try:
        figures = (fixtures_mode if args.fixtures else project_mode)(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    figures["machine"] = {
        "cpus": os.cpu_count(), "python": sys.version.split()[0], "jobs": args.jobs,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "mutgate_commit": sh(["git", "describe", "--always", "--dirty"], HERE, check=False)
        .stdout.strip()}  # "-dirty": other engineers' uncommitted edits of src/ were measured
    output = args.output or HERE / "results" / ("fixtures.json" if args.fixtures
                                                else "latest.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"\nload average before/after: {figures['machine']['loadavg_before']} / "
          f"{figures['machine']['loadavg_after']} (2 cores: above ~2 the numbers are noisy)")
    print(f"figures written to {output}")


if __name__ == "__main__":
    main()
