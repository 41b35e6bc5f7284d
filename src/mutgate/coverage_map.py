"""The coverage map: which test covers which line, and how long each test takes.

One run of the project's pytest under coverage.py, with one coverage context per test item
(`mutgate.plugins.coverage_plugin`). It doubles as the check that the unmutated suite passes.
The map is cached in `.mutgate/` keyed by a hash of the sources, tests and settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mutgate.config import Config, is_test_file
from mutgate.errors import ConfigError, SuiteError

IMPORT_TIME = ""  # coverage's default context: lines run outside any test (imports, collection)
COLLECT_CONTEXT = "mutgate-collect:"  # + a test module's node id: lines run while collecting it
IMPORTS_FILE = "imports.json"  # which module imports which (mutgate.plugins.import_graph)
MAP_VERSION = 5


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
            "lines": {f: {str(n): t for n, t in by.items()} for f, by in self.lines.items()},
            "import_lines": {f: sorted(s) for f, s in self.import_lines.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> CoverageMap:
        return cls(
            lines={f: {int(n): t for n, t in by.items()} for f, by in data["lines"].items()},
            import_lines={f: set(s) for f, s in data["import_lines"].items()},
            durations=data["durations"], startup_s=data["startup_s"], key=data["key"],
            test_files=data.get("test_files", {}), modules=data.get("modules", []),
            module_files=data.get("module_files", {}), params=data.get("params", {}),
        )


def pytest_base_args(config: Config) -> list[str]:
    """Arguments every pytest invocation of mutgate's gets, before the user's own."""
    args = ["-p", "no:cacheprovider", "-p", "no:randomly"]
    if _plugin_loads("pytest_cov", config):
        args.append("--no-cov")
    if _plugin_loads("xdist", config):
        args += ["-n", "0"]
    return args + list(config.pytest_args) + list(config.tests)


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


def project_hash(config: Config) -> str:
    """A hash of every Python file and config file of the project, and of mutgate's settings."""
    digest = hashlib.sha256()
    digest.update(json.dumps([MAP_VERSION, config.paths, config.tests, config.pytest_args,
                              sys.version, os.environ.get("PYTHONHASHSEED")]).encode())
    for path in sorted(project_files(config.root)):
        digest.update(path.relative_to(config.root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def project_files(root: Path):
    """The project's own Python and configuration files (no VCS, venv or build dirs)."""
    skip = {".git", ".mutgate", ".tox", ".nox", ".venv", "venv", "node_modules", "build",
            "dist", "__pycache__", ".pytest_cache", ".eggs"}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip and not d.endswith(".egg-info")]
        for name in filenames:
            if name.endswith((".py", ".toml", ".cfg", ".ini")):
                yield Path(dirpath) / name


def build(config: Config, *, reuse: bool = True, echo=None) -> CoverageMap:
    """Run the suite once under coverage and return the map (cached when nothing changed)."""
    key = project_hash(config)
    cache = config.state_dir / "coverage-map.json"
    if reuse and cache.exists():
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            if data.get("version") == MAP_VERSION and data.get("key") == key:
                return CoverageMap.from_json(data)
        except (OSError, ValueError, KeyError):
            pass
    config.state_dir.mkdir(exist_ok=True)
    if echo:
        echo("Running the test suite once under coverage to map tests to lines...")
    cov_map = _measure(config, key)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(cov_map.to_json()), encoding="utf-8")
    os.replace(tmp, cache)
    return cov_map


def _measure(config: Config, key: str) -> CoverageMap:
    root = config.root
    data_file = config.state_dir / "coverage.sqlite"
    tests_file = config.state_dir / "coverage-tests.json"
    for stale in (data_file, tests_file):
        stale.unlink(missing_ok=True)
    include = []
    for path in config.paths:
        absolute = (root / path).resolve()
        include.append(str(absolute / "*") if absolute.is_dir() else str(absolute))
    env = dict(os.environ)
    env.update({
        "MUTGATE_COV_DATA": str(data_file),
        "MUTGATE_COV_INCLUDE": json.dumps(include), "MUTGATE_COLLECT_CONTEXT": COLLECT_CONTEXT,
        "MUTGATE_COV_TESTS": str(tests_file),
        # sysmon (3.12+) records only the first context per line: force the C tracer.
        "COVERAGE_CORE": "ctrace",
    })
    env.pop("COVERAGE_PROCESS_START", None)
    env["MUTGATE_IMPORTS"] = str(config.state_dir / IMPORTS_FILE)
    cmd = [sys.executable, "-m", "pytest", "-p", "mutgate.plugins.coverage_plugin",
           "-p", "mutgate.plugins.import_graph",
           "-W", "ignore::coverage.exceptions.CoverageWarning", "-q", "--no-header",
           "-o", "console_output_style=classic", *pytest_base_args(config)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True,
                          errors="replace")
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
        raise SuiteError("the unmutated test suite fails: " + ", ".join(failed[:5]) + more)
    if report["exitstatus"] == 5 or not tests:
        raise ConfigError(f"{root}: no tests were collected (pytest found no tests to run)")
    if report["exitstatus"] not in (0, 5):
        raise SuiteError(f"pytest exited with code {report['exitstatus']}: "
                         f"{_last_lines(proc.stdout + proc.stderr)}")
    durations = {t: info["duration"] for t, info in tests.items()}
    startup = max(0.5, wall - sum(durations.values()))
    lines, import_lines = _read_contexts(data_file, root, list(tests))
    test_files = {}
    for nodeid in tests:
        test_file = nodeid.split("::", 1)[0]
        if test_file not in test_files and (root / test_file).is_file():
            test_files[test_file] = hashlib.sha256((root / test_file).read_bytes()).hexdigest()
    return CoverageMap(lines=lines, import_lines=import_lines, durations=durations,
                       startup_s=startup, key=key, test_files=test_files,
                       modules=[m for m in report.get("modules", []) if not m.startswith(
                           ("mutgate", "coverage"))],
                       module_files=report.get("module_files", {}),
                       params=report.get("params", {}))


def _read_contexts(data_file: Path, root: Path, tests: list[str]):
    from coverage import CoverageData

    data = CoverageData(basename=str(data_file))
    data.read()
    by_module: dict[str, list[str]] = {}
    for nodeid in tests:
        by_module.setdefault(nodeid.split("::", 1)[0], []).append(nodeid)
    lines: dict[str, dict[int, list[str]]] = {}
    import_lines: dict[str, set[int]] = {}
    for measured in data.measured_files():
        try:
            rel = Path(measured).resolve().relative_to(root).as_posix()
        except ValueError:
            continue
        if is_test_file(rel):
            continue
        by_line: dict[int, list[str]] = {}
        collected: dict[int, set[str]] = {}
        at_import: set[int] = set()
        for lineno, contexts in data.contexts_by_lineno(measured).items():
            ran = sorted(c for c in contexts
                         if c != IMPORT_TIME and not c.startswith(COLLECT_CONTEXT))
            modules = {c[len(COLLECT_CONTEXT):] for c in contexts
                       if c.startswith(COLLECT_CONTEXT)}
            if IMPORT_TIME in contexts or modules:
                at_import.add(lineno)
                collected[lineno] = {t for m in modules for t in by_module.get(m, ())}
            if ran:
                by_line[lineno] = ran
        # In a file some test exercises, a line that ran at import time is covered by every
        # test that exercises the file (a test that imported the module anew in its body does
        # not own it), and by the tests of a test module being collected when it ran.
        file_tests = {t for ts in by_line.values() for t in ts}
        for lineno in at_import if file_tests else ():
            covering = set(by_line.get(lineno, ())) | collected[lineno] | file_tests
            if covering:
                by_line[lineno] = sorted(covering)
        lines[rel] = by_line
        import_lines[rel] = at_import
    return lines, import_lines


def _last_lines(text: str, count: int = 3) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-count:]) or "no output"
