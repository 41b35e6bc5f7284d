"""The results store: SQLite in `.mutgate/results.sqlite`, written as results arrive.

A run's mutants are inserted as ``pending`` before any of them runs, and each result is
committed as soon as it comes back, so an interrupted run loses nothing and can resume.
The store serves resume, reuse of unchanged results, history, and every report.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mutgate.errors import ConfigError
from mutgate.mutant import Mutant
from mutgate.outcome import PENDING, count_statuses, score

SCHEMA_VERSION = 2
DB_NAME = "results.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    state TEXT NOT NULL,             -- running, complete, interrupted
    jobs INTEGER NOT NULL,
    wall_s REAL,
    options TEXT NOT NULL            -- JSON: operators, settings, sampled, seed, diff_ref...
);
CREATE TABLE IF NOT EXISTS mutants (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    id TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    operator TEXT NOT NULL,
    spec TEXT NOT NULL,              -- JSON of the Mutant
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    killed_by TEXT,
    tests_run INTEGER NOT NULL DEFAULT 0,
    duration_ms REAL,
    reused INTEGER NOT NULL DEFAULT 0,
    detail TEXT,                     -- why a mutant ended no-tests or error; how a kill came
    confirmed INTEGER,               -- survivors: 1 when a wider set of tests also missed it
    path TEXT,                       -- fork, fresh or subprocess: how the verdict was reached
    killers TEXT,                    -- JSON list of every covering test that kills it, when
                                     -- all of them ran (a PR check's changed lines)
    tests_ms REAL,                   -- of duration_ms, the time inside the tests themselves
    PRIMARY KEY (run_id, id)
);
CREATE INDEX IF NOT EXISTS mutants_fingerprint ON mutants (id, fingerprint);
"""


@dataclass
class Result:
    """What running one mutant gave."""

    mutant_id: str
    status: str
    killed_by: str | None = None
    tests_run: int = 0
    duration_ms: float = 0.0
    detail: str | None = None
    confirmed: bool | None = None
    path: str | None = None
    killers: list[str] | None = None
    tests_ms: float | None = None


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class Store:
    """One SQLite database; every write is its own short transaction."""

    def __init__(self, path: Path, create: bool = False):
        """Open the database at ``path``; with ``create``, make it (or its tables) if need be.

        Without ``create`` (a shard given to `mutgate merge`) nothing is ever written to the
        file. A database that is not mutgate's (other tables, no schema marker) is refused
        without a write either way.
        """
        self.path = path
        self.db = None
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
            tables = {name for (name,) in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            if "meta" not in tables and (tables or not create):
                raise ConfigError(f"{path}: not a mutgate database (no mutgate schema in it)")
            if create:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(_SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None and create:
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif row is None or not str(row[0]).isdigit():
                raise ConfigError(f"{path}: not a mutgate database (no schema version)")
            elif int(row[0]) > SCHEMA_VERSION:
                raise ConfigError(f"{path}: written by a newer mutgate (schema {row[0]})")
            elif int(row[0]) < SCHEMA_VERSION and create:
                self._migrate()
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise ConfigError(f"{path}: not a mutgate database ({exc})") from None
        except OSError as exc:  # .mutgate is a file, or not writable
            self._close_quietly()
            raise ConfigError(f"{path}: cannot open ({exc.strerror or exc})") from None
        except BaseException:
            self._close_quietly()
            raise

    def _migrate(self) -> None:
        """Schema 1 had no detail, confirmed, path, killers and tests_ms columns: add them,
        keep every row."""
        have = {row[1] for row in self.db.execute("PRAGMA table_info(mutants)")}
        for column, kind in (("detail", "TEXT"), ("confirmed", "INTEGER"), ("path", "TEXT"),
                             ("killers", "TEXT"), ("tests_ms", "REAL")):
            if column not in have:
                self.db.execute(f"ALTER TABLE mutants ADD COLUMN {column} {kind}")
        self.db.execute("UPDATE meta SET value=? WHERE key='schema'", (str(SCHEMA_VERSION),))

    def _close_quietly(self) -> None:
        if self.db is not None:
            self.db.close()

    @classmethod
    def open(cls, state_dir: Path, must_exist: bool = False) -> Store:
        path = state_dir / DB_NAME
        if must_exist and not path.exists():
            raise ConfigError(f"{path}: no results yet; run `mutgate run` first")
        return cls(path, create=True)

    def close(self) -> None:
        self.db.close()

    # -- writing ----------------------------------------------------------------------------
    def begin_run(self, options: dict[str, Any], jobs: int) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (started_at, state, jobs, options) VALUES (?, 'running', ?, ?)",
            (_now(), jobs, json.dumps(options, sort_keys=True)))
        return int(cur.lastrowid)

    def mark_interrupted(self) -> int:
        """Runs still marked running belong to a process that died: mark them interrupted."""
        cur = self.db.execute("UPDATE runs SET state='interrupted' WHERE state='running'")
        return cur.rowcount

    def add_mutants(self, run_id: int, mutants: Iterable[tuple[Mutant, str]]) -> None:
        rows = [(run_id, m.id, m.file, m.line, m.operator, json.dumps(m.to_dict()), fp, PENDING)
                for m, fp in mutants]
        with self._transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO mutants (run_id, id, file, line, operator, spec,"
                " fingerprint, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def record(self, run_id: int, results: Iterable[Result], reused: bool = False) -> None:
        rows = [(r.status, r.killed_by, r.tests_run, r.duration_ms, int(reused), r.detail,
                 None if r.confirmed is None else int(r.confirmed), r.path,
                 None if r.killers is None else json.dumps(r.killers), r.tests_ms, run_id,
                 r.mutant_id) for r in results]
        with self._transaction():
            # A result without a kill list (a survivor's confirmation) keeps the one recorded.
            self.db.executemany(
                "UPDATE mutants SET status=?, killed_by=?, tests_run=?, duration_ms=?, reused=?,"
                " detail=?, confirmed=?, path=?, killers=coalesce(?, killers), tests_ms=?"
                " WHERE run_id=? AND id=?", rows)

    def confirm(self, run_id: int, mutant_ids: Iterable[str]) -> None:
        """Mark these survivors confirmed: no wider test was left to run against them."""
        with self._transaction():
            self.db.executemany("UPDATE mutants SET confirmed=1 WHERE run_id=? AND id=?",
                                [(run_id, mid) for mid in mutant_ids])

    def finish_run(self, run_id: int, wall_s: float, state: str = "complete",
                   options: dict[str, Any] | None = None) -> None:
        self.db.execute("UPDATE runs SET finished_at=?, wall_s=?, state=? WHERE id=?",
                        (_now(), wall_s, state, run_id))
        if options is not None:
            self.db.execute("UPDATE runs SET options=? WHERE id=?",
                            (json.dumps(options, sort_keys=True), run_id))

    def _transaction(self):
        db = self.db

        class _Tx:
            def __enter__(self):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind, value, tb):
                db.execute("COMMIT" if kind is None else "ROLLBACK")
                return False

        return _Tx()

    # -- reading ----------------------------------------------------------------------------
    def latest_run(self, state: str | None = None) -> int | None:
        query = "SELECT max(id) FROM runs" + (" WHERE state=?" if state else "")
        row = self.db.execute(query, (state,) if state else ()).fetchone()
        return row[0] if row and row[0] is not None else None

    def require_run(self, run_id: int | None = None) -> int:
        found = run_id if run_id is not None else self.latest_run()
        if found is None or not self.db.execute(
                "SELECT 1 FROM runs WHERE id=?", (found,)).fetchone():
            raise ConfigError(f"{self.path}: no run {'recorded' if run_id is None else run_id}")
        return found

    def run_info(self, run_id: int) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT id, started_at, finished_at, state, jobs, wall_s, options FROM runs"
            " WHERE id=?", (run_id,)).fetchone()
        options = json.loads(row[6])
        return {"id": row[0], "started_at": row[1], "finished_at": row[2], "state": row[3],
                "jobs": row[4], "wall_s": row[5], **options}

    def mutants(self, run_id: int, status: str | None = None) -> Iterator[dict[str, Any]]:
        query = ("SELECT spec, status, killed_by, tests_run, duration_ms, reused, fingerprint,"
                 " detail, confirmed, path, killers, tests_ms FROM mutants WHERE run_id=?")
        params: tuple = (run_id,)
        if status:
            query += " AND status=?"
            params += (status,)
        for (spec, st, killed_by, tests_run, duration_ms, reused, fp, detail, confirmed,
             path, killers, tests_ms) in self.db.execute(query + " ORDER BY file, line, id",
                                                         params):
            data = json.loads(spec)
            data.update(status=st, killed_by=killed_by, tests_run=tests_run,
                        duration_ms=duration_ms, reused=bool(reused), fingerprint=fp,
                        detail=detail, path=path,
                        killers=None if killers is None else json.loads(killers),
                        tests_ms=tests_ms,
                        confirmed=None if confirmed is None else bool(confirmed))
            yield data

    def reusable(self, fingerprints: dict[str, str]) -> dict[str, Result]:
        """Finished results from earlier runs whose mutant id and fingerprint match."""
        found: dict[str, Result] = {}
        for (mid, status, killed_by, tests_run, duration_ms, detail, confirmed,
             path, killers) in self._matching(fingerprints, "m.status, m.killed_by, m.tests_run,"
                                              " m.duration_ms, m.detail, m.confirmed, m.path,"
                                              " m.killers"):
            found[mid] = Result(mid, status, killed_by, tests_run, duration_ms or 0.0, detail,
                                None if confirmed is None else bool(confirmed), path,
                                None if killers is None else json.loads(killers))
        return found

    def reusable_tests(self, fingerprints: dict[str, str]) -> dict[str, list[str]]:
        """The covering tests each mutant had in the result `reusable` finds for it."""
        return {mid: json.loads(spec).get("covered_by", [])
                for mid, spec in self._matching(fingerprints, "m.spec")}

    def _matching(self, fingerprints: dict[str, str], columns: str):
        """``(id, *columns)`` of the finished earlier results matching ``fingerprints``, oldest
        run first (a later one overrides an earlier)."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id TEXT, fingerprint TEXT)")
        self.db.execute("DELETE FROM wanted")
        self.db.executemany("INSERT INTO wanted VALUES (?, ?)", fingerprints.items())
        return self.db.execute(
            f"SELECT m.id, {columns} FROM wanted w"  # noqa: S608  (columns are ours)
            " JOIN mutants m ON m.id = w.id AND m.fingerprint = w.fingerprint"
            " WHERE m.status NOT IN ('pending', 'error') ORDER BY m.run_id").fetchall()

    def history(self) -> list[dict[str, Any]]:
        """Every complete run, oldest first, with its score (one query for all of them), and
        whether it was sampled with its 95% interval (``sampled``, ``ci95``)."""
        counts: dict[int, dict[str, int]] = {}
        started: dict[int, str] = {}
        for run_id, started_at, status, n in self.db.execute(
                "SELECT r.id, r.started_at, m.status, count(m.id) FROM runs r"
                " LEFT JOIN mutants m ON m.run_id = r.id WHERE r.state='complete'"
                " GROUP BY r.id, m.status ORDER BY r.id"):
            started[run_id] = started_at
            run_counts = counts.setdefault(run_id, count_statuses(()))
            if status is not None:  # a run without mutants: one row, no status
                run_counts[status] = n
        sampling = {run_id: json.loads(options) for run_id, options in self.db.execute(
            "SELECT id, options FROM runs WHERE state='complete'")}
        return [{"run_id": run_id, "started_at": started[run_id], "score": score(run_counts),
                 "sampled": bool(sampling[run_id].get("sampled")),
                 "ci95": sampling[run_id].get("ci95")}
                for run_id, run_counts in counts.items()]

    def counts(self, run_id: int) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT status, count(*) FROM mutants WHERE run_id=? GROUP BY status", (run_id,))
        counts = count_statuses(())
        counts.update(dict(rows.fetchall()))
        return counts

    def results_dict(self, run_id: int, status: str | None = None) -> dict[str, Any]:
        """The run as the results dict every reporter and the gate read (docs/CONTRACT.md)."""
        info = self.run_info(run_id)
        counts = self.counts(run_id)
        counts.pop(PENDING, None)
        total = sum(counts.values())
        wall = info.get("wall_s") or 0.0
        ran = info.get("executed", total)
        keys = ("id", "file", "line", "col", "end_line", "end_col", "operator", "original",
                "replacement", "qualname", "status", "killed_by", "covered_by", "tests_run",
                "duration_ms", "reused", "detail", "confirmed", "path", "killers", "tests_ms")
        mutants = [{k: m.get(k) for k in keys} for m in self.mutants(run_id, status)]
        run = {
            "id": info["id"], "started_at": info["started_at"], "state": info["state"],
            "wall_s": round(wall, 3), "jobs": info["jobs"],
            "mutants_per_s": round(ran / wall, 2) if wall else 0.0,
            "sampled": info.get("sampled", False), "seed": info.get("seed"),
            "ci95": info.get("ci95"), "diff_ref": info.get("diff_ref"),
            "shard": info.get("shard"), "reused": info.get("reused", 0),
            "operators": info.get("operators", []), "settings": info.get("settings", {}),
            "flaky_tests": info.get("flaky_tests", []),
            "on_changed_lines": info.get("on_changed_lines"),
            "worker_rss_mb": info.get("worker_rss_mb", []),
            "worker_busy_s": info.get("worker_busy_s", []),
            "mutants_wall_s": info.get("mutants_wall_s"),
            "worker_idle": info.get("worker_idle"),
        }
        value = score(counts)
        return {"score": None if value is None else round(value, 2), "counts": counts,
                "total": total, "run": run, "mutants": mutants}

