"""Merging shards: the latest runs of several shard databases become one run.

CI matrices run `mutgate run --shard K/N` on N machines; `mutgate merge` combines their
`.mutgate/results.sqlite` files into one run that reports and the gate read like any other.
"""

from __future__ import annotations

from pathlib import Path

from mutgate.errors import ConfigError
from mutgate.outcome import count_statuses
from mutgate.stats import score_interval
from mutgate.store import Result, Store

_RUN_FIELDS = ("id", "started_at", "finished_at", "state", "jobs", "wall_s")


def merge_shards(state_dir: Path, databases: list[Path]) -> tuple[int, int]:
    """Write one merged run into ``state_dir``'s store; returns (run id, mutant count)."""
    shards = []
    for path in databases:
        if not path.is_file():
            raise ConfigError(f"{path}: no such shard database")
        store = Store(path)
        try:
            run_id = store.require_run()
            info = store.run_info(run_id)
            if info["state"] != "complete":
                raise ConfigError(f"{path}: run {run_id} did not finish; resume it first")
            shards.append((path, info, list(store.mutants(run_id))))
        finally:
            store.close()
    _check_complete([(path, info) for path, info, _ in shards])
    first = shards[0][1]
    seen: dict[str, Path] = {}
    for path, info, mutants in shards:
        for key in ("operators", "settings", "sampled", "seed", "diff_ref", "paths"):
            if info.get(key) != first.get(key):
                raise ConfigError(f"{path}: {key} differs from {shards[0][0]}; "
                                  "shards must come from one configuration")
        for mutant in mutants:
            if mutant["id"] in seen:
                raise ConfigError(f"{path}: mutant {mutant['id']} is also in {seen[mutant['id']]}"
                                  "; the same shard was given twice?")
            seen[mutant["id"]] = path
    options = {k: v for k, v in first.items() if k not in _RUN_FIELDS}
    options.update(shard=None, merged_from=len(shards),
                   executed=sum(i.get("executed", 0) for _, i, _ in shards),
                   reused=sum(i.get("reused", 0) for _, i, _ in shards))
    everything = [m for _, _, mutants in shards for m in mutants]
    if first.get("sampled"):
        # Each shard's interval is of its part of the sample; the merged run's is of the whole.
        low, high = score_interval(count_statuses(m["status"] for m in everything))
        options["ci95"] = [round(low, 2), round(high, 2)]
    target = Store.open(state_dir)
    try:
        run_id = target.begin_run(options, max(i["jobs"] for _, i, _ in shards))
        from mutgate.mutant import Mutant

        target.add_mutants(run_id, [(Mutant.from_dict(m), m["fingerprint"]) for m in everything])
        target.record(run_id, [Result(m["id"], m["status"], m["killed_by"], m["tests_run"],
                                      m["duration_ms"] or 0.0) for m in everything])
        target.finish_run(run_id, max(i["wall_s"] or 0.0 for _, i, _ in shards))
    finally:
        target.close()
    return run_id, len(everything)


def _check_complete(shards: list[tuple[Path, dict]]) -> None:
    """The runs must be the shards 1..N of one split, each once: a merged run is a whole run.

    Without this, merging 2 of 3 shards gives a partial run that ``mutgate baseline`` would
    take for the whole project.
    """
    parts: dict[int, Path] = {}
    first_path, total = None, None
    for path, info in shards:
        shard = info.get("shard")
        if not (isinstance(shard, list) and len(shard) == 2
                and all(isinstance(v, int) for v in shard)):
            raise ConfigError(f"{path}: run {info['id']} is not a shard "
                              "(run `mutgate run --shard K/N` on each part)")
        k, n = shard
        if total is None:
            first_path, total = path, n
        elif n != total:
            raise ConfigError(f"{path}: shard {k}/{n} does not belong with {first_path} "
                              f"(shard of {total}); shards must split the same way")
        if k in parts:
            raise ConfigError(f"{path}: shard {k}/{n} is also {parts[k]}; the same shard was "
                              "given twice?")
        parts[k] = path
    missing = [f"{k}/{total}" for k in range(1, (total or 0) + 1) if k not in parts]
    if missing:
        raise ConfigError(f"shard {', '.join(missing)} missing: merge all {total} shards "
                          "into one run")
