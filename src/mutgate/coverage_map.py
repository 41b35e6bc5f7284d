"""The coverage map: which test covers which line, and how long each test takes.

One run of the project's pytest under coverage.py, with one coverage context per test item
(`mutgate.plugins.coverage_plugin`). It doubles as the check that the unmutated suite passes.
The map is saved in `.mutgate/` with what it was measured against; the next run measures
again only the tests whose coverage can have changed (`mutgate.coverage_delta`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from mutgate import __version__, coverage_delta, coverage_progress, importers
from mutgate.atomic import write_text_atomic
from mutgate.config import Config, is_test_file
from mutgate.coverage_delta import ALL, MOVE, REUSE, Contexts, Plan
from mutgate.errors import ConfigError, SuiteError
from mutgate.test_identity import unstable_functions

IMPORT_TIME = ""  # coverage's default context: lines run outside any test (imports, collection)
COLLECT_CONTEXT = "mutgate-collect:"  # + a test module's node id: lines run while collecting it
IMPORTS_FILE = "imports.json"  # which module imports which (mutgate.plugins.import_graph)
MAP_FILE = "coverage-map.json"
COLLECTED_FILE = "coverage-collected"  # the coverage run creates it once its tests are collected
MAP_VERSION = 8


@dataclass
class CoverageMap:
    """``lines[file][line]`` lists the node ids of the tests that ran that line.

    ``import_lines[file]`` holds the lines that also ran at import or collection time.
    Files are relative to the project root, with ``/`` separators.
    """

    lines: dict[str, dict[int, list[str]]]
    import_lines: dict[str, set[int]]
    durations: dict[str, float]
    startup_s: float = 1.0
    key: str = ""
    test_files: dict[str, str] = field(default_factory=dict)
    modules: list[str] = field(default_factory=list)
    module_files: dict[str, str] = field(default_factory=dict)
    #: A digest of each parametrized test's parameters (`mutgate.test_identity`).
    params: dict[str, str] = field(default_factory=dict)
    #: What coverage recorded, before the import-time rule, and what the map was measured
    #: against: an incremental run starts from them (`mutgate.coverage_delta`).
    contexts: Contexts = field(default_factory=Contexts)
    snapshot: coverage_delta.Snapshot | None = None
    #: Test functions whose parametrized ids change between collections (`test_identity`).
    unstable: set[str] = field(default_factory=set)
    #: Tests that created or deleted files in the project's tree, with where (`tree_writes`).
    tree_writers: dict[str, list[str]] = field(default_factory=dict)
    _file_tests: dict[str, frozenset[str]] = field(default_factory=dict, repr=False,
                                                   compare=False)

    def tests_for(self, file: str, line: int, end_line: int | None = None) -> list[str]:
        by_line = self.lines.get(file, {})
        found: set[str] = set()
        for lineno in range(line, (end_line or line) + 1):
            found.update(by_line.get(lineno, ()))
        return sorted(found, key=lambda t: (self.durations.get(t, 0.0), t))

    def tests_of_file(self, file: str) -> frozenset[str]:
        """Every test that ran any line of ``file``."""
        if file not in self._file_tests:
            self._file_tests[file] = frozenset(
                t for tests in self.lines.get(file, {}).values() for t in tests)
        return self._file_tests[file]

    def is_covered(self, file: str, line: int) -> bool:
        return bool(self.lines.get(file, {}).get(line))

    def to_json(self) -> dict:
        return {
            "version": MAP_VERSION, "key": self.key, "startup_s": self.startup_s,
            "durations": self.durations, "test_files": self.test_files,
            "modules": self.modules, "module_files": self.module_files,
            "params": self.params,
            # Not ``lines`` and ``import_lines``: derived again from the contexts when read,
            # they would be most of the file (90 MB of 91 on a 1,192-test project).
            "contexts": self.contexts.to_json(),
            "snapshot": self.snapshot.to_json() if self.snapshot else None,
            "unstable": sorted(self.unstable), "tree_writers": self.tree_writers,
        }

    @classmethod
    def from_json(cls, data: dict) -> CoverageMap:
        contexts = Contexts.from_json(data["contexts"])
        lines, import_lines = derive(contexts, data["durations"])
        return cls(
            lines=lines, import_lines=import_lines, durations=data["durations"],
            startup_s=data["startup_s"], key=data["key"],
            test_files=data.get("test_files", {}), modules=data.get("modules", []),
            module_files=data.get("module_files", {}), params=data.get("params", {}),
            contexts=contexts,
            snapshot=(coverage_delta.Snapshot.from_json(data["snapshot"])
                      if data.get("snapshot") else None),
            unstable=set(data.get("unstable", [])), tree_writers=data.get("tree_writers", {}),
        )


def pytest_base_args(config: Config, tests: Iterable[str] | None = None) -> list[str]:
    """Arguments every pytest invocation of mutgate's gets, before the user's own; then
    ``tests`` (the configured test paths by default)."""
    args = ["-p", "no:cacheprovider", "-p", "no:randomly"]
    if _plugin_loads("pytest_cov", config):
        args.append("--no-cov")
    if _plugin_loads("xdist", config):
        args += ["-n", "0"]
    return args + list(config.pytest_args) + list(config.tests if tests is None else tests)


def _plugin_loads(module: str, config: Config) -> bool:
    """Whether pytest will load this installed plugin (and so know its options): through its
    entry point, unless PYTEST_DISABLE_PLUGIN_AUTOLOAD is set and nothing names it."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        return False
    if not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return True
    named = [*config.pytest_args, os.environ.get("PYTEST_ADDOPTS", ""),
             os.environ.get("PYTEST_PLUGINS", "")]
    return any(module in text for text in named)


def project_files(root: Path):
    """The project's own Python and configuration files (no VCS, venv or build dirs)."""
    skip = {".git", ".mutgate", ".tox", ".nox", ".venv", "venv", "node_modules", "build",
            "dist", "__pycache__", ".pytest_cache", ".eggs"}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip and not d.endswith(".egg-info")]
        for name in filenames:
            if name.endswith((".py", ".toml", ".cfg", ".ini")):
                yield Path(dirpath) / name


def build(config: Config, *, reuse: bool = True, echo=None,
          progress: Callable[..., None] | None = None,
          saved: tuple[CoverageMap | None, str] | None = None,
          on_start: Callable[[], None] | None = None) -> CoverageMap:
    """The map of the project as it is now: the saved one when nothing it depends on changed,
    else the saved one with the tests whose coverage can have changed measured again
    (`mutgate.coverage_delta`), else the whole suite measured under coverage. Prints one line
    saying which (``coverage: ...``); ``progress(phase, done, total)`` follows the tests the
    coverage run finishes (`mutgate.coverage_progress`). ``saved``: `saved_map`'s answer,
    when the caller read it already; ``on_start`` is called once the coverage run started
    (never when the map is reused)."""
    say = echo or (lambda _line: None)
    cache = config.state_dir / MAP_FILE
    old, why = saved if saved is not None else saved_map(config, reuse)
    now = snapshot(config, old)
    decision = coverage_delta.plan(old, now, config.root) if old else Plan(ALL, why)
    if decision.action == REUSE:
        assert old is not None
        if old.key != now.key:  # only files no test imports changed: remember them
            old = replace(old, key=now.key, snapshot=now)
            _save(cache, old)
        say(f"coverage: reused the map ({decision.why})")
        return old
    if decision.action == MOVE:
        assert old is not None
        contexts = coverage_delta.moved_lines(old.contexts, decision.remap)
        lines, import_lines = derive(contexts, old.durations)
        cov = replace(old, lines=lines, import_lines=import_lines, contexts=contexts,
                      key=now.key, snapshot=now, _file_tests={})
        _save(cache, cov)
        say(f"coverage: reused the map, lines moved ({decision.why})")
        return cov
    config.state_dir.mkdir(exist_ok=True)
    if decision.action == ALL:
        say("Running the test suite once under coverage to map tests to lines...")
        cov = _measure_all(config, now, progress, on_start)
        say(f"coverage: measured all {len(cov.durations)} tests ({decision.why})")
    else:
        assert old is not None
        cov, count = _measure_some(config, now, old, decision, progress, on_start)
        say(f"coverage: re-measured {count} of {len(cov.durations)} tests ({decision.why})")
    if old is not None:
        unchanged = {f for f, digest in cov.test_files.items() if old.test_files.get(f) == digest}
        cov.unstable = unstable_functions(old.durations, cov.durations, unchanged, old.unstable)
    _save(cache, cov)
    return cov


def saved_map(config: Config, reuse: bool = True) -> tuple[CoverageMap | None, str]:
    """The map an earlier run saved, or None and why there is none to start from."""
    if not reuse:
        return None, "--no-reuse"
    cache, root = config.state_dir / MAP_FILE, config.root
    if not cache.exists():
        return None, "no map from an earlier run"
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("version") != MAP_VERSION:
            return None, "the saved map is of another format"
        cov = CoverageMap.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, "the saved map is unreadable"
    if cov.snapshot is None:
        return None, "the saved map is unreadable"
    here = os.path.realpath(root)
    if cov.snapshot.root != here:  # the project moved (a CI cache restored elsewhere)
        cov = replace(cov, module_files=coverage_delta.moved(cov.module_files,
                                                             cov.snapshot.root, here))
    return cov, ""


def _save(cache: Path, cov: CoverageMap) -> None:
    write_text_atomic(cache, json.dumps(cov.to_json()))


def snapshot(config: Config, old: CoverageMap | None = None) -> coverage_delta.Snapshot:
    """The project's files and environment now. Test files that are no Python file (doctest
    text files) are known from ``old``'s tests."""
    files = set(project_files(config.root))
    for test_file in (old.test_files if old else ()):
        path = config.root / test_file
        if path.is_file():
            files.add(path)
    settings = [config.paths, config.tests, config.pytest_args, pytest_base_args(config),
                {name: os.environ.get(name) for name in PYTEST_VARIABLES}]
    measured = [(config.root / path).resolve() for path in config.paths]
    outlined = [path for path in files if path.suffix == ".py"
                and any(path.resolve().is_relative_to(top) for top in measured)]
    return coverage_delta.take_snapshot(config.root, sorted(files), settings,
                                        f"{__version__} map {MAP_VERSION}", outlined,
                                        old.snapshot if old else None)


#: Environment variables that change what pytest runs.
PYTEST_VARIABLES = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")


def _measure_all(config: Config, now: coverage_delta.Snapshot, progress,
                 on_start: Callable[[], None] | None) -> CoverageMap:
    """Every test under coverage."""
    report, contexts, startup = _run_suite(config, None, progress, on_start=on_start)
    durations = {t: info["duration"] for t, info in report["tests"].items()}
    cov = _assemble(config, now, contexts, durations, report["params"], startup,
                    _modules(report), report.get("module_files", {}))
    cov.tree_writers = report.get("tree_writes", {})
    return cov


def _measure_some(config: Config, now: coverage_delta.Snapshot, old: CoverageMap,
                  decision: Plan, progress, on_start: Callable[[], None] | None
                  ) -> tuple[CoverageMap, int]:
    """``decision.tests`` (and tests ``old`` does not know) under coverage, merged into
    ``old``; with how many tests ran."""
    chosen = {"run": sorted(decision.tests), "known": sorted(old.durations),
              "params": old.params}
    graph = config.state_dir / IMPORTS_FILE
    edges = importers.load_graph(graph) if decision.collect else {}
    try:
        report, contexts, startup = _run_suite(config, chosen, progress, decision.collect,
                                               on_start)
    finally:  # (also when the suite failed: the next run starts from the same old map)
        if decision.collect:  # the test modules not collected import what they did before
            for module, targets in importers.load_graph(graph).items():
                edges[module] = sorted(set(edges.get(module, ())) | set(targets))
            write_text_atomic(graph, json.dumps(edges))
    measured = report["tests"]
    collected = set(report["collected"])
    if decision.collect:  # only these files were collected: the others' tests stay
        startup = old.startup_s
        files = set(decision.collect)
        missing = {t for t in old.durations if t.split("::", 1)[0] in files} - collected
    else:
        missing = set(old.durations) - collected
    gone = set(decision.tests) | set(measured) | missing
    durations = {t: d for t, d in old.durations.items() if t not in gone}
    durations.update((t, info["duration"]) for t, info in measured.items())
    params = {t: p for t, p in old.params.items() if t not in gone}
    params.update(report["params"])
    merged = coverage_delta.merge(old.contexts, contexts, gone, set(decision.changed),
                                  decision.remap, partial=bool(decision.collect))
    module_files = {name: path for name, path in old.module_files.items()
                    if os.path.exists(path)}
    module_files.update(report.get("module_files", {}))
    modules = sorted(set(old.modules) | set(_modules(report)))
    cov = _assemble(config, now, merged, durations, params, startup, modules, module_files)
    cov.tree_writers = {t: d for t, d in old.tree_writers.items() if t not in gone}
    cov.tree_writers.update(report.get("tree_writes", {}))
    return cov, len(measured)


def _assemble(config: Config, now: coverage_delta.Snapshot, contexts: Contexts,
              durations: dict[str, float], params: dict[str, str], startup: float,
              modules: list[str], module_files: dict[str, str]) -> CoverageMap:
    lines, import_lines = derive(contexts, durations)
    test_files = {}
    for nodeid in durations:
        test_file = nodeid.split("::", 1)[0]
        if test_file in test_files:
            continue
        if test_file not in now.files and (config.root / test_file).is_file():
            # A test file that is no Python file (a doctest text file): watched from now on.
            now.files[test_file] = hashlib.sha256(
                (config.root / test_file).read_bytes()).hexdigest()
        if test_file in now.files:
            test_files[test_file] = now.files[test_file]
    return CoverageMap(lines=lines, import_lines=import_lines, durations=durations,
                       startup_s=startup, key=now.key, test_files=test_files,
                       modules=modules, module_files=module_files, params=params,
                       contexts=contexts, snapshot=now)


def _modules(report: dict) -> list[str]:
    return [m for m in report.get("modules", []) if not m.startswith(("mutgate", "coverage"))]


def _run_suite(config: Config, chosen: dict | None, progress: Callable[..., None] | None,
               files: tuple[str, ...] = (), on_start: Callable[[], None] | None = None
               ) -> tuple[dict, Contexts, float]:
    """One pytest session under coverage (all tests, or only ``chosen``: see the coverage
    plugin; only the test ``files`` collected when given), checked: its report, the raw
    contexts and the session's start-up time."""
    root = config.root
    data_file = config.state_dir / "coverage.sqlite"
    tests_file = config.state_dir / "coverage-tests.json"
    select_file = config.state_dir / "coverage-select.json"
    counts_file = config.state_dir / "coverage-progress"
    collected_file = config.state_dir / COLLECTED_FILE
    for stale in (data_file, tests_file, select_file, counts_file, collected_file):
        stale.unlink(missing_ok=True)
    include = []
    for path in config.paths:
        absolute = (root / path).resolve()
        include.append(str(absolute / "*") if absolute.is_dir() else str(absolute))
    env = dict(os.environ)
    env.update({
        "MUTGATE_COV_DATA": str(data_file),
        "MUTGATE_COV_INCLUDE": json.dumps(include), "MUTGATE_COLLECT_CONTEXT": COLLECT_CONTEXT,
        "MUTGATE_COV_TESTS": str(tests_file), "MUTGATE_COV_COLLECTED": str(collected_file),
        # sysmon (3.12+) records only the first context per line: force the C tracer.
        "COVERAGE_CORE": "ctrace",
    })
    env.pop("COVERAGE_PROCESS_START", None)
    env.pop("MUTGATE_COV_SELECT", None)
    if chosen is not None:
        # Through a file: thousands of test ids do not fit on a command line.
        write_text_atomic(select_file, json.dumps(chosen))
        env["MUTGATE_COV_SELECT"] = str(select_file)
    env["MUTGATE_IMPORTS"] = str(config.state_dir / IMPORTS_FILE)
    cmd = [sys.executable, "-m", "pytest", "-p", "mutgate.plugins.coverage_plugin",
           "-p", "mutgate.plugins.import_graph",
           "-W", "ignore::coverage.exceptions.CoverageWarning", "-q", "--no-header",
           "-o", "console_output_style=classic", *pytest_base_args(config, files or None)]
    started, started_at = time.perf_counter(), time.time()
    proc = coverage_progress.run_watched(cmd, cwd=root, env=env, counts_file=counts_file,
                                         progress=progress, on_start=on_start,
                                         result_file=tests_file)
    wall = time.perf_counter() - started
    if not tests_file.exists():
        tail = _last_lines(proc.stdout + proc.stderr)
        raise SuiteError(f"the test suite could not be started (pytest exit {proc.returncode}): "
                         f"{tail}")
    report = json.loads(tests_file.read_text(encoding="utf-8"))
    tests: dict[str, dict] = report["tests"]
    if report["collect_errors"]:
        raise SuiteError("the unmutated test suite cannot be collected: errors in "
                         + ", ".join(report["collect_errors"][:5]))
    failed = sorted(t for t, info in tests.items() if info["outcome"] == "failed")
    if failed:
        more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
        first = tests[failed[0]].get("failure")
        again = shlex.join(["python", "-m", "pytest", *pytest_base_args(config), failed[0]])
        raise SuiteError("the unmutated test suite fails: " + ", ".join(failed[:5]) + more
                         + (f"; {failed[0]}: {first}" if first else "")
                         + f"; reproduce with: {again}")
    if not report["collected"]:
        raise ConfigError(f"{root}: no tests were collected (pytest found no tests to run)")
    # 5: no tests ran, as when every test is deselected because none needs measuring again.
    if report["exitstatus"] not in (0, 5):
        coverage_progress.wait_background()  # for its output
        raise SuiteError(f"pytest exited with code {report['exitstatus']}: "
                         f"{_last_lines(proc.stdout + proc.stderr)}")
    startup = max(0.5, _startup(report, started_at, wall))
    contexts = _read_contexts(data_file, root)
    contexts.defined_in = report["defined_in"]
    return report, contexts, startup


def _startup(report: dict, started_at: float, wall: float) -> float:
    """Seconds from starting pytest to its first test: what a fresh child pays before its tests.

    ``wall`` less the tests' durations would also count what coverage adds between tests.
    """
    first = report.get("first_test_at")
    if first is not None and first >= started_at:
        return first - started_at
    return wall - sum(info["duration"] for info in report["tests"].values())


def _read_contexts(data_file: Path, root: Path) -> Contexts:
    """The raw contexts of every measured file under ``root``."""
    from coverage import CoverageData

    data = CoverageData(basename=str(data_file))
    data.read()
    found = Contexts()
    for measured in data.measured_files():
        try:
            rel = Path(measured).resolve().relative_to(root).as_posix()
        except ValueError:
            continue
        ran: dict[int, list[str]] = {}
        collected: dict[int, list[str]] = {}
        at_import: set[int] = set()
        for lineno, contexts in data.contexts_by_lineno(measured).items():
            tests = sorted(c for c in contexts
                           if c != IMPORT_TIME and not c.startswith(COLLECT_CONTEXT))
            modules = sorted(c[len(COLLECT_CONTEXT):] for c in contexts
                             if c.startswith(COLLECT_CONTEXT))
            if IMPORT_TIME in contexts or modules:
                at_import.add(lineno)
            if modules:
                collected[lineno] = modules
            if tests:
                ran[lineno] = tests
        if ran:
            found.ran[rel] = ran
        if at_import:
            found.at_import[rel] = at_import
        if collected:
            found.collected[rel] = collected
    return found


def derive(contexts: Contexts, tests: Iterable[str]
           ) -> tuple[dict[str, dict[int, list[str]]], dict[str, set[int]]]:
    """``(lines, import_lines)`` of the map, from the raw contexts and every test's id."""
    by_module: dict[str, set[str]] = {}
    everyone: set[str] = set()
    for nodeid in tests:
        by_module.setdefault(nodeid.split("::", 1)[0], set()).add(nodeid)
        everyone.add(nodeid)
    lines: dict[str, dict[int, list[str]]] = {}
    import_lines: dict[str, set[int]] = {}
    for rel in contexts.files():
        if is_test_file(rel):
            continue
        by_line = {lineno: list(ran) for lineno, ran in contexts.ran.get(rel, {}).items()}
        at_import = contexts.at_import.get(rel, set())
        collected = contexts.collected.get(rel, {})
        # A line that ran at import time is covered by the tests of a test module being
        # collected when it ran (a module of constants no test calls into included), and in a
        # file some test exercises by every such test (a test that imported the module anew
        # in its body does not own it). One that ran before any of that (a conftest or a
        # plugin imported it) came before every test: each may notice a mutant there.
        file_tests = {t for ts in by_line.values() for t in ts}
        in_order = sorted(file_tests or everyone)  # most import lines get just these: sort once
        for lineno in at_import:
            more = set(by_line.get(lineno, ()))
            for module in collected.get(lineno, ()):
                more |= by_module.get(module, set())
            more -= file_tests
            by_line[lineno] = sorted(file_tests | more) if more else list(in_order)
        lines[rel] = by_line
        import_lines[rel] = set(at_import)
    return lines, import_lines


def _last_lines(text: str, count: int = 3) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-count:]) or "no output"
