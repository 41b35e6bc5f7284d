"""The assertion-free tests: tests that cover code and check none of it.

The gate names them alongside its verdict. A PR check knows them exactly: every covering test
ran against each mutant on a changed line (its kill matrix, ``killers``), and a test that kills
none of them is named, with the lines it covers (``matrix_blame``). A full or sampled run stops
each mutant at its first kill, so it can only name the tests that passed against survivors and
killed nothing in the run (``witness_blame``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mutgate.outcome import DETECTED, SURVIVED
from mutgate.run_results import VERDICTS, result_mutants


def assertion_free_tests(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tests that cover code and check none of it.

    With a kill matrix (a PR check runs every covering test against each mutant on a changed
    line), exact: the tests covering those mutants that kill none of them (`matrix_blame`).
    Otherwise the tests that ran with mutants in place, noticed none, and killed no mutant they
    cover (`witness_blame`).
    """
    mutants = [m for m in result_mutants(results) if m["status"] in VERDICTS]
    matrix = [m for m in mutants if isinstance(m.get("killers"), list)]
    return matrix_blame(matrix) if matrix else witness_blame(results)


def matrix_blame(mutants: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The tests that cover at least one of ``mutants`` (each with its full kill list) and
    kill none of them; each with the lines of those mutants it covers.

    Each entry: ``{"test", "covered", "survived", "files", "lines"}``, sorted by test id;
    ``lines`` are ``file:line`` strings.
    """
    killers = {t for m in mutants for t in m["killers"]}
    covered: dict[str, int] = {}
    survived: dict[str, int] = {}
    lines: dict[str, set[tuple[str, int]]] = {}
    for mutant in mutants:
        for test in mutant.get("covered_by") or ():
            if test in killers:
                continue
            covered[test] = covered.get(test, 0) + 1
            survived[test] = survived.get(test, 0) + (mutant["status"] == SURVIVED)
            lines.setdefault(test, set()).add((mutant["file"], int(mutant["line"])))
    return [
        {"test": test, "covered": covered[test], "survived": survived[test],
         "files": sorted({file for file, _ in lines[test]}),
         "lines": [f"{file}:{line}" for file, line in sorted(lines[test])]}
        for test in sorted(covered)
    ]


def witness_blame(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Tests that ran with mutants in place, noticed none, and killed no mutant they cover.

    A test counts as having run against a mutant when the mutant survived (every covering test
    ran and passed), or when another test killed it after all covering tests had run
    (``tests_run`` equals the number of covering tests; the runner stops at the first failure,
    so every test before the killer passed). A test that only covers mutants another test
    killed first may never have run against them, so it is not blamed.

    Each entry: ``{"test", "covered", "survived", "files"}``; ``covered`` counts the mutants
    with a verdict that the test covers. Sorted by test id.
    """
    covered: dict[str, int] = {}
    survived: dict[str, int] = {}
    files: dict[str, set[str]] = {}
    killers: set[str] = set()
    witnessed: set[str] = set()
    for mutant in result_mutants(results):
        status = mutant["status"]
        if status not in VERDICTS:
            continue
        tests = [t for t in mutant.get("covered_by") or () if isinstance(t, str)]
        killer = mutant.get("killed_by") if status in DETECTED else None
        if isinstance(killer, str):
            killers.add(killer)
        all_ran = status == SURVIVED or (
            killer is not None and mutant.get("tests_run") == len(tests) and killer in tests
        )
        for test in tests:
            covered[test] = covered.get(test, 0) + 1
            files.setdefault(test, set()).add(mutant["file"])
            if status == SURVIVED:
                survived[test] = survived.get(test, 0) + 1
            if all_ran and test != killer:
                witnessed.add(test)
    return [
        {"test": test, "covered": covered[test], "survived": survived.get(test, 0),
         "files": sorted(files[test])}
        for test in sorted(witnessed - killers)
    ]
