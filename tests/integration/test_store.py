"""The results store, on real SQLite files in temp dirs."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from mutgate.errors import ConfigError
from mutgate.generate import mutants_of_source
from mutgate.mutant import Mutant
from mutgate.store import DB_NAME, Result, Store

SOURCE = "class Calc:\n    def add(self, a, b):\n        return a + b\n"
T_ADD = "tests/test_calc.py::test_add"
OPTIONS = {"operators": ["boundary", "operator", "return"],
           "settings": {"timeout_factor": 2.0, "timeout_constant": 1.0},
           "sampled": False, "seed": None, "diff_ref": None, "shard": None}


def calc_mutants() -> list[Mutant]:
    found = mutants_of_source("src/calc/mod.py", SOURCE)
    return [Mutant.from_dict({**m.to_dict(), "covered_by": [T_ADD]}) for m in found]


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / ".mutgate")
    yield opened
    opened.close()


def new_run(store: Store, statuses: dict[str, str] | None = None, fingerprint: str = "fp",
            finish: bool = True) -> tuple[int, list[Mutant]]:
    mutants = calc_mutants()
    run_id = store.begin_run(OPTIONS, jobs=2)
    store.add_mutants(run_id, [(m, fingerprint) for m in mutants])
    if statuses is not None:
        store.record(run_id, [
            Result(m.id, statuses[m.operator], T_ADD if statuses[m.operator] == "killed"
                   else None, 1, 3.5) for m in mutants])
    if finish:
        store.finish_run(run_id, 2.0, options={**OPTIONS, "executed": len(mutants),
                                               "reused": 0})
    return run_id, mutants


def test_the_database_file_lives_in_the_state_dir(tmp_path: Path, store: Store) -> None:
    assert store.path == tmp_path / ".mutgate" / DB_NAME
    assert (tmp_path / ".mutgate" / DB_NAME).is_file()


def test_mutants_are_pending_until_their_result_arrives(store: Store) -> None:
    run_id, mutants = new_run(store, finish=False)
    assert [m["status"] for m in store.mutants(run_id)] == ["pending", "pending"]
    store.record(run_id, [Result(mutants[1].id, "survived", None, 1, 2.0)])
    assert {m["operator"]: m["status"] for m in store.mutants(run_id)} == {
        "return.none": "pending", "operator.arith": "survived"}
    assert store.counts(run_id) == {"killed": 0, "survived": 1, "timeout": 0, "error": 0,
                                    "skipped": 0, "no-tests": 0, "pending": 1}


def test_mutants_round_trip_with_their_results(store: Store) -> None:
    run_id, mutants = new_run(store, {"return.none": "killed", "operator.arith": "survived"})
    rows = {row["id"]: row for row in store.mutants(run_id)}
    for mutant in mutants:
        row = rows[mutant.id]
        assert Mutant.from_dict(row) == mutant
    arith = rows[mutants[1].id]
    assert (arith["status"], arith["killed_by"], arith["tests_run"], arith["duration_ms"],
            arith["reused"], arith["fingerprint"]) == ("survived", None, 1, 3.5, False, "fp")
    assert [row["id"] for row in store.mutants(run_id, "killed")] == [mutants[0].id]


def test_results_survive_closing_and_reopening(tmp_path: Path) -> None:
    first = Store.open(tmp_path / ".mutgate")
    run_id, _ = new_run(first, {"return.none": "killed", "operator.arith": "timeout"})
    first.close()
    again = Store.open(tmp_path / ".mutgate", must_exist=True)
    try:
        assert again.counts(run_id)["timeout"] == 1
        assert again.latest_run() == run_id
    finally:
        again.close()


def test_results_dict_has_the_contract_shape(store: Store) -> None:
    run_id, mutants = new_run(store, {"return.none": "killed", "operator.arith": "survived"})
    data = store.results_dict(run_id)
    assert {"score", "counts", "total", "run", "mutants"} == set(data)
    assert data["score"] == 50.0
    assert data["counts"] == {"killed": 1, "survived": 1, "timeout": 0, "error": 0,
                              "skipped": 0, "no-tests": 0}
    assert data["total"] == 2
    run = data["run"]
    contract_run_keys = {"id", "started_at", "wall_s", "mutants_per_s", "jobs", "sampled",
                         "seed", "ci95", "diff_ref", "shard", "operators", "settings"}
    assert contract_run_keys <= set(run)
    assert {k: run[k] for k in contract_run_keys - {"started_at"}} == {
        "id": run_id, "wall_s": 2.0, "mutants_per_s": 1.0, "jobs": 2, "sampled": False,
        "seed": None, "ci95": None, "diff_ref": None, "shard": None,
        "operators": ["boundary", "operator", "return"],
        "settings": {"timeout_factor": 2.0, "timeout_constant": 1.0}}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", run["started_at"])
    arith = next(m for m in data["mutants"] if m["operator"] == "operator.arith")
    contract_mutant = {
        "id": mutants[1].id, "file": "src/calc/mod.py", "line": 3, "col": 18, "end_line": 3,
        "end_col": 19, "operator": "operator.arith", "original": "+", "replacement": "-",
        "qualname": "Calc.add", "status": "survived", "killed_by": None,
        "covered_by": [T_ADD], "tests_run": 1, "duration_ms": 3.5}
    assert {k: arith[k] for k in contract_mutant} == contract_mutant


def test_results_dict_orders_mutants_by_file_and_line_and_filters(store: Store) -> None:
    run_id, mutants = new_run(store, {"return.none": "killed", "operator.arith": "killed"})
    data = store.results_dict(run_id)
    assert [m["id"] for m in data["mutants"]] == sorted(m.id for m in mutants)
    assert store.results_dict(run_id, "survived")["mutants"] == []
    assert data["score"] == 100.0


def test_score_is_none_when_nothing_was_scored(store: Store) -> None:
    run_id, _ = new_run(store, {"return.none": "error", "operator.arith": "no-tests"})
    data = store.results_dict(run_id)
    assert (data["score"], data["total"]) == (None, 2)
    assert (data["counts"]["error"], data["counts"]["no-tests"]) == (1, 1)


def test_results_are_reused_by_id_and_fingerprint(store: Store) -> None:
    _, mutants = new_run(store, {"return.none": "killed", "operator.arith": "survived"},
                         fingerprint="v1")
    ret, arith = mutants
    found = store.reusable({ret.id: "v1", arith.id: "v2", "unknown": "v1"})
    assert found == {ret.id: Result(ret.id, "killed", T_ADD, 1, 3.5)}


def test_pending_and_error_results_are_never_reused(store: Store) -> None:
    _, mutants = new_run(store, {"return.none": "error", "operator.arith": "killed"},
                         fingerprint="v1")
    new_run(store, None, fingerprint="v1")
    ret, arith = mutants
    assert set(store.reusable({ret.id: "v1", arith.id: "v1"})) == {arith.id}


def test_the_latest_matching_result_is_reused(store: Store) -> None:
    new_run(store, {"return.none": "killed", "operator.arith": "killed"})
    _, mutants = new_run(store, {"return.none": "survived", "operator.arith": "timeout"})
    found = store.reusable({m.id: "fp" for m in mutants})
    assert {r.status for r in found.values()} == {"survived", "timeout"}


def test_reused_results_are_marked(store: Store) -> None:
    run_id, mutants = new_run(store, finish=False)
    store.record(run_id, [Result(m.id, "killed", T_ADD, 1, 1.0) for m in mutants], reused=True)
    assert [m["reused"] for m in store.results_dict(run_id)["mutants"]] == [True, True]


def test_history_lists_complete_runs_with_their_scores(store: Store) -> None:
    first, _ = new_run(store, {"return.none": "killed", "operator.arith": "survived"})
    second, _ = new_run(store, {"return.none": "killed", "operator.arith": "killed"},
                        finish=False)
    third, _ = new_run(store, {"return.none": "killed", "operator.arith": "timeout"})
    history = store.history()
    assert [(h["run_id"], h["score"]) for h in history] == [(first, 50.0), (third, 100.0)]
    assert (store.latest_run(), store.latest_run("running")) == (third, second)


def test_history_scores_each_run_by_its_own_mutants(store: Store) -> None:
    empty = store.begin_run(OPTIONS, jobs=1)
    store.finish_run(empty, 0.5)
    lost, _ = new_run(store, {"return.none": "survived", "operator.arith": "survived"})
    unscored, _ = new_run(store, {"return.none": "no-tests", "operator.arith": "error"})
    half, _ = new_run(store, {"return.none": "timeout", "operator.arith": "survived"})
    history = store.history()
    assert [(h["run_id"], h["score"]) for h in history] == [
        (empty, None), (lost, 0.0), (unscored, None), (half, 50.0)]
    assert [h["started_at"] for h in history] == [
        store.run_info(run_id)["started_at"] for run_id in (empty, lost, unscored, half)]


def test_history_says_which_runs_were_sampled_and_their_interval(store: Store) -> None:
    full, _ = new_run(store, {"return.none": "killed", "operator.arith": "survived"})
    sampled, mutants = new_run(store, finish=False)
    store.record(sampled, [Result(m.id, "killed", T_ADD, 1, 1.0) for m in mutants])
    store.finish_run(sampled, 1.0, options={**OPTIONS, "sampled": True, "seed": "2026-11-21",
                                            "ci95": [34.24, 100.0]})
    assert [(h["run_id"], h["sampled"], h["ci95"]) for h in store.history()] == [
        (full, False, None), (sampled, True, [34.24, 100.0])]


def test_finish_run_records_state_wall_time_and_options(store: Store) -> None:
    run_id, _ = new_run(store, finish=False)
    assert store.run_info(run_id)["state"] == "running"
    store.finish_run(run_id, 4.25, state="interrupted", options={"seed": "s", "executed": 1})
    info = store.run_info(run_id)
    assert (info["state"], info["wall_s"], info["seed"], info["executed"]) == (
        "interrupted", 4.25, "s", 1)
    assert "operators" not in info


def test_runs_left_running_are_marked_interrupted_and_their_results_stay_reusable(
        store: Store) -> None:
    first, mutants = new_run(store, finish=False)
    store.record(first, [Result(mutants[0].id, "killed", T_ADD, 1, 1.0)])
    assert store.mark_interrupted() == 1
    assert store.mark_interrupted() == 0
    assert store.run_info(first)["state"] == "interrupted"
    assert set(store.reusable({m.id: "fp" for m in mutants})) == {mutants[0].id}
    assert store.history() == []


def test_require_run(store: Store) -> None:
    with pytest.raises(ConfigError, match=r"results\.sqlite: no run recorded$"):
        store.require_run()
    run_id, _ = new_run(store)
    assert store.require_run() == run_id
    with pytest.raises(ConfigError, match=r"results\.sqlite: no run 99$"):
        store.require_run(99)


def test_opening_a_missing_store_when_it_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"results\.sqlite: no results yet; run `mutgate run`"):
        Store.open(tmp_path / ".mutgate", must_exist=True)


def test_a_file_that_is_not_sqlite_is_a_config_error(tmp_path: Path) -> None:
    state = tmp_path / ".mutgate"
    state.mkdir()
    (state / DB_NAME).write_text("this is not a database, just text\n" * 100)
    with pytest.raises(ConfigError, match=r"results\.sqlite: not a mutgate database \(file is "
                                          r"not a database\)"):
        Store.open(state)


def test_a_store_from_a_newer_mutgate_is_refused(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE meta SET value='99' WHERE key='schema'")
    with pytest.raises(ConfigError, match=r"written by a newer mutgate \(schema 99\)"):
        Store.open(tmp_path)


def test_a_state_dir_that_is_a_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / ".mutgate").write_text("not a directory", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\.mutgate/results\.sqlite: cannot open"):
        Store.open(tmp_path / ".mutgate")
    assert (tmp_path / ".mutgate").read_text(encoding="utf-8") == "not a directory"


def test_detail_confirmation_and_path_round_trip_and_are_reused(store: Store) -> None:
    run_id, mutants = new_run(store)
    store.record(run_id, [
        Result(mutants[0].id, "no-tests", None, 0, 1.0, detail="every test failed unmutated",
               path="fork"),
        Result(mutants[1].id, "survived", None, 1, 2.0, path="fresh")])
    store.confirm(run_id, [mutants[1].id])
    found = {m["id"]: m for m in store.results_dict(run_id)["mutants"]}
    assert (found[mutants[0].id]["detail"], found[mutants[0].id]["path"],
            found[mutants[0].id]["confirmed"]) == ("every test failed unmutated", "fork", None)
    assert (found[mutants[1].id]["confirmed"], found[mutants[1].id]["path"]) == (True, "fresh")
    reused = store.reusable({mutants[1].id: "fp"})[mutants[1].id]
    assert (reused.confirmed, reused.path) == (True, "fresh")


def test_a_schema_1_database_gains_the_new_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    state = tmp_path / ".mutgate"
    state.mkdir()
    db = sqlite3.connect(str(state / DB_NAME))
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema', '1');
        CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL,
            finished_at TEXT, state TEXT NOT NULL, jobs INTEGER NOT NULL, wall_s REAL,
            options TEXT NOT NULL);
        CREATE TABLE mutants (run_id INTEGER NOT NULL, id TEXT NOT NULL, file TEXT NOT NULL,
            line INTEGER NOT NULL, operator TEXT NOT NULL, spec TEXT NOT NULL,
            fingerprint TEXT NOT NULL, status TEXT NOT NULL, killed_by TEXT,
            tests_run INTEGER NOT NULL DEFAULT 0, duration_ms REAL,
            reused INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, id));
        INSERT INTO runs VALUES (1, '2026-01-01T00:00:00+00:00', NULL, 'complete', 1, 1.0,
            '{}');
    """)
    mutant = calc_mutants()[0]
    db.execute("INSERT INTO mutants (run_id, id, file, line, operator, spec, fingerprint,"
               " status) VALUES (1, ?, 'src/calc/mod.py', 3, ?, ?, 'fp', 'killed')",
               (mutant.id, mutant.operator, json.dumps(mutant.to_dict())))
    db.commit()
    db.close()
    opened = Store.open(state)
    try:
        (row,) = opened.mutants(1)
        assert (row["status"], row["detail"], row["confirmed"], row["path"]) == (
            "killed", None, None, None)
    finally:
        opened.close()


def test_contract_md_shows_every_key_the_results_dict_has(store: Store) -> None:
    contract = (Path(__file__).resolve().parents[2] / "docs" / "CONTRACT.md").read_text(
        encoding="utf-8")
    block = contract.split("```json", 1)[1].split("```", 1)[0]
    example = json.loads(re.sub(r"//[^\n]*", "", block))
    run_id, _ = new_run(store, {"return.none": "killed", "operator.arith": "survived"})
    data = store.results_dict(run_id)
    assert set(example) == set(data)
    assert set(example["run"]) == set(data["run"])
    assert set(example["mutants"][0]) == set(data["mutants"][0])
    assert set(example["counts"]) == set(data["counts"])
