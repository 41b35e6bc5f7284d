"""The results in the mutation-testing-report-schema, the JSON format of Stryker.

That format is read by Stryker's dashboard and by the ``mutation-testing-elements`` web
component, so a mutgate run can be browsed, compared and badged with the same tools as a
Stryker run. The schema ships in the npm package ``mutation-testing-report-schema``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mutgate import __version__
from mutgate.report.output import write_report_file
from mutgate.report.summary import split_node_id, summarize_files

SCHEMA_VERSION = "2"
_CONFIG_KEYS = ("operators", "settings", "sampled", "seed", "diff_ref", "shard")
THRESHOLDS = {"high": 80, "low": 60}

#: mutgate's statuses as the schema's ``MutantStatus`` values.
STATUS_NAMES = {
    "killed": "Killed",
    "survived": "Survived",
    "timeout": "Timeout",
    "error": "CompileError",
    "skipped": "Ignored",
    "no-tests": "NoCoverage",
    "pending": "Pending",
}


def to_stryker(
    results: Mapping[str, Any], sources: Mapping[str, str], project_root_name: str
) -> dict[str, Any]:
    """The report as a dict that validates against the schema.

    ``sources`` maps each mutated file's relative path to its text (a missing one is given as
    empty source); ``project_root_name`` becomes ``projectRoot``.
    """
    files: dict[str, Any] = {}
    test_ids: set[str] = set()
    for summary in summarize_files(results):
        mutants = []
        for mutant in summary.mutants:
            mutants.append(_mutant(mutant))
            test_ids.update(str(t) for t in mutant.get("covered_by") or ())
            if mutant.get("killed_by"):
                test_ids.add(str(mutant["killed_by"]))
        files[summary.path] = {
            "language": "python",
            "source": sources.get(summary.path, ""),
            "mutants": mutants,
        }
    run = results.get("run") or {}
    report: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "thresholds": dict(THRESHOLDS),
        "projectRoot": project_root_name,
        "files": files,
        "testFiles": _test_files(test_ids),
        "performance": {
            "setup": float(run.get("setup_s") or 0.0) * 1000.0,
            "initialRun": float(run.get("initial_run_s") or 0.0) * 1000.0,
            "mutation": float(run.get("wall_s") or 0.0) * 1000.0,
        },
        "framework": {"name": "mutgate", "version": __version__},
    }
    config = {k: run[k] for k in _CONFIG_KEYS if k in run}
    if config:
        report["config"] = config
    return report


def write_stryker(
    results: Mapping[str, Any],
    sources: Mapping[str, str],
    project_root_name: str,
    out_file: Path,
) -> Path:
    """Write ``to_stryker(...)`` as JSON to ``out_file`` atomically; return its path."""
    report = to_stryker(results, sources, project_root_name)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    write_report_file(out_file, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return out_file


def _mutant(mutant: Mapping[str, Any]) -> dict[str, Any]:
    line = int(mutant.get("line") or 1)
    col = int(mutant.get("col") or 1)
    end_line, end_col = mutant.get("end_line"), mutant.get("end_col")
    if end_line is None or end_col is None:
        end_line, end_col = _end_of(line, col, str(mutant.get("original", "")))
    status = str(mutant.get("status", ""))
    entry: dict[str, Any] = {
        "id": str(mutant.get("id", "")),
        "mutatorName": str(mutant.get("operator", "")),
        "replacement": str(mutant.get("replacement", "")),
        "location": {
            "start": {"line": max(1, line), "column": max(1, col)},
            "end": {"line": max(1, int(end_line)), "column": max(1, int(end_col))},
        },
        "status": STATUS_NAMES.get(status, "RuntimeError"),
        "coveredBy": [str(t) for t in mutant.get("covered_by") or ()],
    }
    if mutant.get("killed_by"):
        entry["killedBy"] = [str(mutant["killed_by"])]
    if mutant.get("duration_ms") is not None:
        entry["duration"] = float(mutant["duration_ms"])
    if mutant.get("tests_run") is not None:
        entry["testsCompleted"] = int(mutant["tests_run"])
    reason = mutant.get("detail") or mutant.get("error")
    if reason:
        entry["statusReason"] = str(reason)
    return entry


def _end_of(line: int, col: int, original: str) -> tuple[int, int]:
    """The exclusive 1-based end position of ``original`` placed at ``line``/``col``."""
    rows = original.split("\n")
    if len(rows) == 1:
        return line, col + len(original)
    return line + len(rows) - 1, len(rows[-1]) + 1


def _test_files(test_ids: set[str]) -> dict[str, Any]:
    """Tests grouped by the file of their node id, each with its id and name."""
    files: dict[str, Any] = {}
    for node_id in sorted(test_ids):
        path, name = split_node_id(node_id)
        files.setdefault(path, {"tests": []})["tests"].append({"id": node_id, "name": name})
    return files
