"""A mutation run from start to end: map, generate, select, plan, execute, store.

This is the one place that strings the stages together; each stage lives in its own module.
The CLI calls `run` and prints what it returns.
"""

from __future__ import annotations

import os
import shlex
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mutgate import coverage_map, coverage_progress, exclusions, importers
from mutgate.child_env import for_children
from mutgate.config import Config
from mutgate.coverage_map import CoverageMap
from mutgate.dispatch import execute_mutants, run_jobs, start_workers, stop_unused_workers
from mutgate.errors import ConfigError
from mutgate.execution.batch import WorkerLog
from mutgate.in_diff import file_changes, files_in_diff, on_changed_lines, select_in_diff
from mutgate.lock import run_lock
from mutgate.module_names import foreign_copies, module_name
from mutgate.mutant import Mutant
from mutgate.outcome import DETECTED, SKIPPED, SURVIVED
from mutgate.pytest_collection import config_words, names_a_path, pytest_config
from mutgate.reuse import fingerprint, suite_hash
from mutgate.rewrite_cache import ENV as REWRITE_CACHE
from mutgate.sources import check_syntax, collected_test_files, read_source, source_files
from mutgate.stats import wilson_interval
from mutgate.store import Result, Store
from mutgate.test_identity import same_cases
from mutgate.verify import confirm, recheck_tree_writers


@dataclass
class Selection:
    """Which mutants of the project a run covers."""

    paths: list[str] = field(default_factory=list)
    diff_ref: str | None = None
    sample: int | str | None = None
    seed: str = "0"
    shard: tuple[int, int] | None = None
    reuse: bool = True


@dataclass
class RunOutcome:
    run_id: int
    total: int
    executed: int
    reused: int
    wall_s: float
    changed_lines: dict[str, set[int]] | None = None


def run(config: Config, selection: Selection, echo: Callable[[str], None] = print,
        progress: Callable[..., None] | None = None) -> RunOutcome:
    """One run under the project's lock; results are committed as they arrive.
    ``progress(phase, done, total, counts)`` is called as work advances."""
    started = time.perf_counter()
    with run_lock(config.state_dir), for_children(config.state_dir):
        store = Store.open(config.state_dir)
        try:
            if store.mark_interrupted():
                echo("resuming: results of the interrupted run are reused where still valid")
            return _run_locked(config, selection, store, started, echo, progress)
        except BaseException:
            coverage_progress.wait_background(kill=True)
            raise
        finally:
            coverage_progress.wait_background()  # the coverage run's pytest, still ending
            store.close()


@dataclass
class _Prepared:
    """What a run knows before its coverage run starts."""

    files: list[str]
    changes: dict[str, set[int]] | None
    early: list[str]  # the files parsed while coverage is measured
    saved: tuple[CoverageMap | None, str]  # the earlier map (`coverage_map.saved_map`)
    jobs: int
    worker_key: str


def _run_locked(config: Config, selection: Selection, store: Store, started: float,
                echo: Callable[[str], None], progress) -> RunOutcome:
    files = _files(config, selection.paths)
    for file in files:  # before the coverage run, whose errors would name only the tests
        check_syntax(file, read_source(config.root, file))
    echo(_what_it_mutates(config, selection.paths, files))
    echo(_how_it_tests(config))
    changes = _changes(config, selection)
    saved = coverage_map.saved_map(config, selection.reuse)
    jobs = run_jobs(config, changes, saved[0])
    prepared = _Prepared(files, changes, [f for f in files if changes is None or changes.get(f)],
                         saved, jobs, f"{config.root}:{os.getpid()}:{time.time_ns()}")
    meanwhile = _Meanwhile(config, prepared)
    try:
        return _run_started(config, selection, store, started, echo, progress, meanwhile)
    finally:
        meanwhile.close()


class _Meanwhile:
    """The work of a run that overlaps its coverage run's subprocess: the workers start their
    test sessions (when mutants are likely to run) and a thread parses the files to mutate (a
    PR check only its changed files; test files are left out later, once they are known).
    It starts once the subprocess runs, so that importing loky and libcst (~0.7 s) does not
    delay it, or after the map when no coverage run was needed. On a first run with bytecode
    writing off, the workers wait until the coverage run has collected its tests: by then it
    has rewritten them and the plugins into the state directory (`rewrite_cache.py`) once,
    for all three processes, instead of all three doing it at once on two cores."""

    def __init__(self, config: Config, prepared: _Prepared) -> None:
        self.config, self.prepared = config, prepared
        self.stop = threading.Event()
        self.mapped = threading.Event()
        self.parsing: ThreadPoolExecutor | None = None
        self.waiting: threading.Thread | None = None
        self.failed: BaseException | None = None
        self.workers = False

    def start(self) -> None:
        if self.parsing is not None:
            return
        self.parsing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mutgate-parse")
        self.premade = self.parsing.submit(_premake, self.config.root, self.prepared.early,
                                           self.stop)
        if not self.prepared.early:
            return
        cache = os.environ.get(REWRITE_CACHE)
        if cache and not Path(cache).exists():
            self.waiting = threading.Thread(target=self._after_collection, daemon=True,
                                            name="mutgate-workers")
            self.waiting.start()
        else:
            self._start_workers()

    def _start_workers(self) -> None:
        self.workers = start_workers(self.config, self.prepared.worker_key, self.prepared.jobs)

    def _after_collection(self) -> None:
        collected = self.config.state_dir / coverage_map.COLLECTED_FILE
        while not (self.stop.is_set() or self.mapped.is_set() or collected.exists()):
            self.stop.wait(0.02)
        if not self.stop.is_set():
            try:
                self._start_workers()
            except BaseException as exc:  # raised in the run's own thread by `parsed`
                self.failed = exc

    def parsed(self) -> dict[str, list[Mutant]]:
        self.start()
        self.mapped.set()
        if self.waiting is not None:
            self.waiting.join()
            if self.failed is not None:
                raise self.failed
        return self.premade.result()

    def close(self) -> None:
        self.stop.set()
        if self.waiting is not None:
            self.waiting.join()
        if self.parsing is not None:
            self.parsing.shutdown(wait=False, cancel_futures=True)
        if self.workers:
            stop_unused_workers(self.prepared.worker_key)


def _premake(root: Path, files: list[str], stop: threading.Event) -> dict[str, list[Mutant]]:
    from mutgate.generate import premake  # libcst: imported while the coverage run works

    return premake(root, files, stop)


def _run_started(config: Config, selection: Selection, store: Store, started: float,
                 echo: Callable[[str], None], progress, meanwhile: _Meanwhile) -> RunOutcome:
    prepared = meanwhile.prepared
    files, changes, worker_key = prepared.files, prepared.changes, prepared.worker_key
    cov = coverage_map.build(config, reuse=selection.reuse, echo=echo, progress=progress,
                             saved=prepared.saved, on_start=meanwhile.start)
    made = meanwhile.parsed()
    from mutgate.generate import generate  # imported by the parse thread meanwhile

    tests = collected_test_files(cov)
    files = [file for file in files if file not in tests]
    foreign = foreign_copies(str(config.root), files, cov.module_files)
    if foreign:
        raise ConfigError(foreign[0].message())
    if changes is not None:  # a PR check parses only the files its mutants can come from
        files = files_in_diff(files, changes, cov.tests_of_file)
    mutants = generate(config, cov, files, made)
    generated = len(mutants)
    mutants, changed = _select(mutants, selection, changes)
    mutants, excluded = _without_excluded(config, mutants)
    suite = suite_hash(config)
    sources = {file: read_source(config.root, file) for file in {m.file for m in mutants}}
    seen_by = _importers(config, cov, mutants)
    fingerprints = {m.id: fingerprint(config, cov, m, suite, sources[m.file], seen_by)
                    for m in mutants}
    jobs_count = prepared.jobs
    # A PR check runs every covering test against each mutant on a changed line (the kill
    # matrix), so the tests that kill none of them are known, not guessed.
    full = {m.id for m in mutants if changed is not None and on_changed_lines(m, changed)}
    options = {
        "operators": sorted(config.operators), "settings": config.settings(),
        "sampled": selection.sample is not None,
        "seed": selection.seed if selection.sample is not None else None,
        "diff_ref": selection.diff_ref,
        "shard": list(selection.shard) if selection.shard else None,
        "paths": selection.paths, "backend": config.backend,
        "on_changed_lines": sorted(full) if changed is not None else None,
        "worker_key": worker_key,
    }
    run_id = store.begin_run(options, jobs_count)
    store.add_mutants(run_id, [(m, fingerprints[m.id]) for m in mutants])
    if excluded:
        store.add_mutants(run_id, [(m, "") for m in excluded])
        store.record(run_id, [Result(m.id, SKIPPED, detail=exclusions.REASON) for m in excluded])
    reused = store.reusable(fingerprints) if selection.reuse else {}
    if reused:  # the fingerprint counts parametrized cases; these are the same cases
        before = store.reusable_tests(fingerprints)
        by_id = {m.id: m for m in mutants}
        reused = {k: r for k, r in reused.items()
                  if same_cases(before.get(k, ()), by_id[k].covered_by, cov.unstable)}
    reused = {k: r for k, r in reused.items() if k not in full or r.killers is not None}
    if reused:
        store.record(run_id, reused.values(), reused=True)
    todo = [m for m in mutants if m.id not in reused]
    scope = " of the files in the diff" if changes is not None else ""
    why = _selected_by(selection, len(mutants), len(full))
    if excluded:
        why = "; ".join(filter(None, [why, f"{len(excluded)} skipped on lines the coverage "
                                           "configuration excludes"]))
    chosen = (f", {len(mutants)} selected ({why})"
              if len(mutants) != generated or changed is not None else "")
    echo(f"{generated} mutants on covered lines{scope}{chosen}"
         + (f", {len(reused)} results reused" if reused else "")
         + f", {len(todo)} to run with {jobs_count} job(s)")
    flaky: set[str] = set()
    workers = WorkerLog()
    try:
        executed = execute_mutants(config, cov, todo, store, run_id, jobs_count, progress,
                                   flaky, full, workers)
        recheck_tree_writers(config, cov, todo, store, run_id, jobs_count, flaky, full, echo)
        if config.confirm != "off":
            confirm(config, cov, mutants, store, run_id, jobs_count, flaky, echo, progress,
                     seen_by)
    except BaseException:
        store.finish_run(run_id, time.perf_counter() - started, state="interrupted")
        raise
    wall = time.perf_counter() - started
    _finish(store, run_id, selection, wall, executed, len(reused), sorted(flaky), workers,
            jobs_count)
    return RunOutcome(run_id, len(mutants), executed, len(reused), wall, changed)


def _what_it_mutates(config: Config, paths: list[str], files: list[str]) -> str:
    """``mutating src/pkg (12 files) in /path/to/project``."""
    chosen = [_project_path(config, path) for path in paths]
    where = ", ".join([p.relative_to(config.root).as_posix() or "." for p in chosen]
                      or config.paths)
    return (f"mutating {where} ({len(files)} file{'' if len(files) == 1 else 's'}) "
            f"in {config.root}")


def _how_it_tests(config: Config) -> str:
    """``tests: python -m pytest -p no:cacheprovider ... tests``, and where pytest looks when
    mutgate names no test path."""
    line = "tests: " + shlex.join(["python", "-m", "pytest",
                                   *coverage_map.pytest_base_args(config)])
    if config.tests or names_a_path(config.root, config.pytest_args):
        return line
    found = pytest_config(config.root)
    paths = config_words(found[1].get("testpaths")) if found else []
    if found and paths:
        where = found[0].relative_to(config.root) if config.root in found[0].parents else found[0]
        return f"{line}  (testpaths from {where}: {' '.join(paths)})"
    return f"{line}  (no test paths: pytest collects from the project's root)"


def _files(config: Config, paths: list[str]) -> list[str]:
    """The files to mutate: all of the project's, or those under ``paths`` (relative to the
    working directory when it is inside the project, else to the project's root)."""
    files = source_files(config)
    if not paths:
        return files
    chosen = []
    for path in paths:
        rel = _project_path(config, path)
        try:
            rel_text = rel.relative_to(config.root).as_posix()
        except ValueError:
            raise ConfigError(f"{path}: not inside the project {config.root}") from None
        if not rel.exists():
            raise ConfigError(f"{path}: no such file or directory")
        chosen += [f for f in files if f == rel_text or f.startswith(rel_text.rstrip("/") + "/")]
    return sorted(set(chosen))


def _project_path(config: Config, path: str) -> Path:
    here = Path.cwd()
    if here == config.root or config.root in here.parents:
        candidate = (here / path).resolve()
        if candidate.exists():
            return candidate
    return (config.root / path).resolve()


def _changes(config: Config, selection: Selection) -> dict[str, set[int]] | None:
    """The changed lines of every file changed since ``--diff``'s ref (None: no diff)."""
    return file_changes(config.root, selection.diff_ref) if selection.diff_ref else None


def _select(mutants: list[Mutant], selection: Selection,
            changes: dict[str, set[int]] | None):
    changed = None
    if changes is not None:
        changed = {f: lines for f, lines in changes.items() if lines}
        mutants = select_in_diff(mutants, changed, changes.keys())
    if selection.sample is not None:
        from mutgate.sample import sample

        mutants = sample(mutants, selection.sample, selection.seed)
    if selection.shard:
        from mutgate.shard import shard

        mutants = shard(mutants, *selection.shard)
    return mutants, changed


def _importers(config: Config, cov: CoverageMap, mutants: list[Mutant]
               ) -> dict[str, frozenset[str]]:
    """For each file with mutants that need a fresh import: the tests of every test file
    that imports its module, directly or through other modules."""
    files = {m.file for m in mutants if m.swap_target is None}
    if not files:
        return {}
    graph = importers.load_graph(config.state_dir / coverage_map.IMPORTS_FILE)
    modules = importers.modules_of_test_files(config.root, cov.module_files, cov.test_files)
    by_test_file: dict[str, list[str]] = {}
    for test in cov.durations:
        by_test_file.setdefault(test.split("::", 1)[0], []).append(test)
    found = {}
    for file in files:
        name = module_name(str(config.root), file)
        test_files = importers.importing_test_files(graph, name, modules)
        found[file] = frozenset(t for f in test_files for t in by_test_file.get(f, ()))
    return found


def _without_excluded(config: Config, mutants: list[Mutant]
                      ) -> tuple[list[Mutant], list[Mutant]]:
    """(mutants to run, mutants on lines the project's coverage configuration excludes)."""
    if config.mutate_excluded or not mutants:
        return mutants, []
    regex = exclusions.exclusion_regex(config.root)
    lines = {file: exclusions.excluded_lines(read_source(config.root, file), regex)
             for file in {m.file for m in mutants}}
    kept = [m for m in mutants if m.line not in lines[m.file]]
    return kept, [m for m in mutants if m.line in lines[m.file]]


def _selected_by(selection: Selection, selected: int, on_changed: int) -> str:
    reasons = []
    if selection.diff_ref:
        others = selected - on_changed
        reasons.append(f"{on_changed} on lines changed since {selection.diff_ref}"
                       + (f", {others} covered by a changed test file" if others else ""))
    if selection.sample is not None:
        reasons.append(f"sample {selection.sample}, seed {selection.seed}")
    if selection.shard:
        reasons.append("shard {}/{}".format(*selection.shard))
    return "; ".join(reasons)


def _finish(store: Store, run_id: int, selection: Selection, wall: float, executed: int,
            reused: int, flaky: list[str], workers: WorkerLog, jobs: int) -> None:
    counts = store.counts(run_id)
    info = store.run_info(run_id)
    options = {k: v for k, v in info.items()
               if k not in ("id", "started_at", "finished_at", "state", "jobs", "wall_s")}
    idle = workers.idle_share(jobs)
    options.update(executed=executed, reused=reused, flaky_tests=flaky,
                   worker_rss_mb=[[round(first, 1), round(last, 1)]
                                  for first, last in workers.rss_mb.values()],
                   worker_busy_s=[round(busy, 2) for busy in workers.busy_s.values()],
                   mutants_wall_s=round(workers.wall_s, 2),
                   worker_idle=None if idle is None else round(idle, 3))
    if selection.sample is not None:
        detected = sum(counts.get(s, 0) for s in DETECTED)
        scored = detected + counts.get(SURVIVED, 0)
        low, high = wilson_interval(detected, scored)
        options["ci95"] = [round(low, 2), round(high, 2)]
    store.finish_run(run_id, wall, options=options)
