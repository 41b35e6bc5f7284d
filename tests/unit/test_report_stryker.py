"""The mutation-testing-report-schema JSON, validated against the official schema.

The schema comes from the npm package ``mutation-testing-report-schema``, which
``scripts/install-test-deps`` installs under ``.ci/node_modules``; ``MUTGATE_SCHEMA_DIR`` points
elsewhere. Without it the validation is skipped, except under CI, where it must be there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers.results import T_ADD, make_mutant

from mutgate import __version__
from mutgate.report.stryker import STATUS_NAMES, to_stryker, write_stryker

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SCHEMA_DIR = REPO / ".ci" / "node_modules" / "mutation-testing-report-schema"
SCHEMA_NAME = "mutation-testing-report-schema.json"
EVIL = "</script><script>alert(1)</script>"


def find_schema() -> Path | None:
    root = Path(os.environ.get("MUTGATE_SCHEMA_DIR") or DEFAULT_SCHEMA_DIR)
    if root.is_file():
        return root
    return next(iter(sorted(root.rglob(SCHEMA_NAME))), None) if root.is_dir() else None


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    path = find_schema()
    if path is None:
        where = os.environ.get("MUTGATE_SCHEMA_DIR") or DEFAULT_SCHEMA_DIR
        message = (
            f"{SCHEMA_NAME} not found under {where}: run scripts/install-test-deps "
            "(or set MUTGATE_SCHEMA_DIR to the npm package mutation-testing-report-schema)"
        )
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(message)
        pytest.skip(message)
    return json.loads(path.read_text(encoding="utf-8"))


def mutant(n: int, status: str, **fields: Any) -> dict[str, Any]:
    defaults = {"line": 2, "end_line": 2, "col": 12, "end_col": 17, "duration_ms": 3.5,
                "killed_by": T_ADD if status == "killed" else None,
                "covered_by": [T_ADD, "tests/test_mod.py::TestX::test_y[1-2]"]}
    return make_mutant(f"m{n:03d}", status, **{**defaults, **fields})


STATUSES = ["killed", "survived", "timeout", "error", "skipped", "no-tests"]
MUTANTS = [mutant(i, status) for i, status in enumerate(STATUSES)] + [
    mutant(
        10,
        "survived",
        file="src/pkg/other.py",
        line=1,
        col=5,
        end_line=2,
        end_col=8,
        original=f"'{EVIL}' +\n    x",
        replacement="None",
        covered_by=[f"tests/test_other.py::test_evil[{EVIL}]"],
    ),
    mutant(11, "killed", file="src/pkg/other.py", line=3, col=1, end_line=None, end_col=None,
           original="ab\ncde", replacement="x", killed_by="test_plain_id", covered_by=[]),
]
RESULTS = {
    "score": 60.0,
    "counts": {},
    "total": len(MUTANTS),
    "run": {"id": 4, "wall_s": 2.5, "operators": ["operator"], "settings": {"timeout_factor": 2}},
    "mutants": MUTANTS,
}
SOURCES = {
    "src/pkg/mod.py": "def add(a, b):\n    return a + b\n",
    "src/pkg/other.py": f"X = ('{EVIL}' +\n    x)\nab\ncde\n",
}


def report() -> dict[str, Any]:
    return to_stryker(RESULTS, SOURCES, "myproject")


def test_the_report_validates_against_the_official_schema(schema: dict[str, Any]) -> None:
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(report(), schema, cls=jsonschema.Draft7Validator)


def test_an_empty_run_validates_too(schema: dict[str, Any]) -> None:
    jsonschema.validate(to_stryker({"mutants": []}, {}, "p"), schema)


def test_a_broken_report_is_rejected_by_the_schema(schema: dict[str, Any]) -> None:
    broken = report()
    broken["files"]["src/pkg/mod.py"]["mutants"][0]["status"] = "killed"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_top_level_fields() -> None:
    data = report()
    assert data["schemaVersion"] == "2"
    assert data["thresholds"] == {"high": 80, "low": 60}
    assert data["projectRoot"] == "myproject"
    assert data["framework"] == {"name": "mutgate", "version": __version__}
    assert data["performance"] == {"setup": 0.0, "initialRun": 0.0, "mutation": 2500.0}
    assert data["config"] == {"operators": ["operator"], "settings": {"timeout_factor": 2}}


def test_files_carry_language_source_and_mutants() -> None:
    files = report()["files"]
    assert sorted(files) == ["src/pkg/mod.py", "src/pkg/other.py"]
    assert files["src/pkg/mod.py"]["language"] == "python"
    assert files["src/pkg/other.py"]["source"] == SOURCES["src/pkg/other.py"]
    assert len(files["src/pkg/mod.py"]["mutants"]) == len(STATUSES)


def test_statuses_are_mapped_to_the_schema_names() -> None:
    mutants = report()["files"]["src/pkg/mod.py"]["mutants"]
    assert {m["id"]: m["status"] for m in mutants} == {
        f"m{i:03d}": STATUS_NAMES[s] for i, s in enumerate(STATUSES)
    }
    assert [STATUS_NAMES[s] for s in STATUSES] == [
        "Killed", "Survived", "Timeout", "CompileError", "Ignored", "NoCoverage",
    ]


def test_a_mutant_s_fields() -> None:
    first = report()["files"]["src/pkg/mod.py"]["mutants"][0]
    assert first == {
        "id": "m000",
        "mutatorName": "operator.arith",
        "replacement": "a - b",
        "location": {"start": {"line": 2, "column": 12}, "end": {"line": 2, "column": 17}},
        "status": "Killed",
        "coveredBy": ["tests/test_mod.py::test_add", "tests/test_mod.py::TestX::test_y[1-2]"],
        "killedBy": ["tests/test_mod.py::test_add"],
        "duration": 3.5,
        "testsCompleted": 1,
    }


def test_a_missing_end_is_computed_from_the_original_text() -> None:
    other = report()["files"]["src/pkg/other.py"]["mutants"]
    by_id = {m["id"]: m for m in other}
    assert by_id["m010"]["location"]["end"] == {"line": 2, "column": 8}
    assert by_id["m011"]["location"] == {
        "start": {"line": 3, "column": 1},
        "end": {"line": 4, "column": 4},
    }


def test_tests_are_grouped_by_file() -> None:
    test_files = report()["testFiles"]
    assert sorted(test_files) == [
        "test_plain_id",
        "tests/test_mod.py",
        "tests/test_other.py",
    ]
    assert test_files["tests/test_mod.py"]["tests"] == [
        {"id": "tests/test_mod.py::TestX::test_y[1-2]", "name": "TestX::test_y[1-2]"},
        {"id": "tests/test_mod.py::test_add", "name": "test_add"},
    ]
    plain = test_files["test_plain_id"]["tests"]
    assert plain == [{"id": "test_plain_id", "name": "test_plain_id"}]


def test_write_stryker_writes_the_same_report_as_json(tmp_path: Path) -> None:
    path = write_stryker(RESULTS, SOURCES, "myproject", tmp_path / "reports" / "mutation.json")
    assert json.loads(path.read_text(encoding="utf-8")) == report()
    assert [p.name for p in path.parent.iterdir()] == ["mutation.json"]
