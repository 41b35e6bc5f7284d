"""The gate's report for the terminal: new survivors, assertion-free tests, notes and reasons,
then the verdict's summary line (``gate.summary_line``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mutgate.gate import GateVerdict, summary_line
from mutgate.run_results import run_info
from mutgate.text import one_line_change

_CHANGE_WIDTH = 60
_TESTS_SHOWN = 3
ASSERTION_FREE_SHOWN = 20


def render_verdict(verdict: GateVerdict, results: Mapping[str, Any]) -> str:
    """The plain-text report the terminal shows; the last line is the summary."""
    lines: list[str] = []
    run = run_info(results)
    if run.get("diff_ref"):
        lines.extend([f"mutants on lines changed since {run['diff_ref']}", ""])
    if verdict.new_survivors:
        info = (f", information only: {verdict.survivors_info}" if verdict.survivors_info
                else "")
        lines.append(f"new surviving mutants ({len(verdict.new_survivors)}{info}):")
        lines.extend(_survivor_table(verdict.new_survivors))
        lines.append("")
    if verdict.assertion_free_tests:
        tests = verdict.assertion_free_tests
        exact = any("lines" in t for t in tests)
        header = ("tests that cover changed lines and kill none of their mutants" if exact
                  else "tests that passed with every surviving mutant they cover in place and "
                       "killed no mutant of this run")
        lines.append(f"{header} ({len(tests)}"
                     + (f", the {ASSERTION_FREE_SHOWN} with most survivors" if
                        len(tests) > ASSERTION_FREE_SHOWN else "") + "):")
        worst = sorted(tests, key=lambda t: -t.get("survived", 0))[:ASSERTION_FREE_SHOWN]
        lines.extend(_tests_table(sorted(worst, key=lambda t: t["test"])))
        lines.append("")
    lines.extend(f"note: {note}" for note in verdict.notes)
    lines.extend(f"- {reason}" for reason in verdict.reasons)
    lines.append(summary_line(verdict))
    return "\n".join(lines) + "\n"


def _survivor_table(survivors: list[dict[str, Any]]) -> list[str]:
    rows = [(f"{s['file']}:{s['line']}", str(s["operator"]), _change(s)) for s in survivors]
    width0 = max(len(r[0]) for r in rows)
    width1 = max(len(r[1]) for r in rows)
    lines = []
    for row, survivor in zip(rows, survivors, strict=True):
        lines.append(f"  {row[0]:<{width0}}  {row[1]:<{width1}}  {row[2]}")
        lines.append(f"  {'':<{width0}}  covered by: {_tests(survivor['covered_by'])}")
    return lines


def _tests_table(tests: list[dict[str, Any]]) -> list[str]:
    width = max(len(t["test"]) for t in tests)
    return [
        f"  {t['test']:<{width}}  covers {t['covered']} mutant(s), {t['survived']} survived, "
        + (f"at {_places(t['lines'])}" if "lines" in t else f"in {', '.join(t['files'])}")
        for t in tests
    ]


def _places(lines: list[str], shown: int = 6) -> str:
    more = f" and {len(lines) - shown} more" if len(lines) > shown else ""
    return ", ".join(lines[:shown]) + more


def _change(survivor: Mapping[str, Any]) -> str:
    return one_line_change(survivor["original"], survivor["replacement"], _CHANGE_WIDTH // 2,
                           "...")


def _tests(tests: list[str]) -> str:
    if not tests:
        return "(no test recorded)"
    shown = ", ".join(tests[:_TESTS_SHOWN])
    extra = len(tests) - _TESTS_SHOWN
    return shown if extra <= 0 else f"{shown} and {extra} more"
