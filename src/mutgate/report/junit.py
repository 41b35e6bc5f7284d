"""JUnit XML: one test case per mutant, so any CI that shows test results shows survivors.

A surviving mutant is a failure whose message carries the diff and the tests that covered it
without noticing; killed and timed-out mutants pass (they were detected); mutants that were not
scored (error, skipped, no tests) are skipped. One ``<testsuite>`` per source file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mutgate.outcome import DETECTED, SURVIVED, TIMEOUT
from mutgate.report.diff import mutant_diff
from mutgate.report.output import write_report_file
from mutgate.report.summary import summarize_files
from mutgate.text import one_line_change, shorten

# XML 1.0 cannot hold these characters at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAX_NAME = 120


def xml_text(text: object) -> str:
    """``text`` with the characters XML 1.0 forbids written as ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def case_name(mutant: Mapping[str, Any]) -> str:
    """``line 12: operator.arith a + b -> a - b``, on one line and shortened when long."""
    change = one_line_change(mutant.get("original", ""), mutant.get("replacement", ""))
    operator = mutant.get("operator", "?")
    return xml_text(shorten(f"line {mutant.get('line', '?')}: {operator} {change}", _MAX_NAME))


def to_junit(results: Mapping[str, Any], sources: Mapping[str, str]) -> ET.Element:
    """The ``<testsuites>`` element for ``results``; ``sources`` gives the diffs their context."""
    root = ET.Element("testsuites", name="mutgate")
    totals = {"tests": 0, "failures": 0, "skipped": 0, "time": 0.0}
    for summary in summarize_files(results):
        suite = ET.SubElement(root, "testsuite", name=xml_text(summary.path))
        time_s = 0.0
        for mutant in summary.mutants:
            time_s += _add_case(suite, mutant, sources.get(summary.path))
        stats = {
            "tests": summary.total,
            "failures": summary.survived,
            "skipped": summary.unscored,
            "time": time_s,
        }
        for key, value in stats.items():
            totals[key] += value
        _set_stats(suite, stats)
    _set_stats(root, totals)
    return root


def write_junit(
    results: Mapping[str, Any], sources: Mapping[str, str], out_file: Path
) -> Path:
    """Write the JUnit XML of ``results`` to ``out_file`` atomically; return its path."""
    root = to_junit(results, sources)
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=False)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    write_report_file(out_file, '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n")
    return out_file


def _add_case(suite: ET.Element, mutant: Mapping[str, Any], source: str | None) -> float:
    """Append the mutant's ``<testcase>``; return its duration in seconds."""
    seconds = float(mutant.get("duration_ms") or 0.0) / 1000.0
    case = ET.SubElement(
        suite,
        "testcase",
        classname=xml_text(mutant.get("file", "")),
        name=case_name(mutant),
        time=f"{seconds:.3f}",
    )
    status = str(mutant.get("status", ""))
    tests = [str(t) for t in mutant.get("covered_by") or ()]
    if status == SURVIVED:
        failure = ET.SubElement(
            case,
            "failure",
            type="survived",
            message=xml_text(
                f"mutant {mutant.get('id', '')} survived: {len(tests)} covering test(s) passed"
            ),
        )
        diff = mutant_diff(source, mutant, context=1) if source is not None else ""
        covering = "\n".join(f"  {t}" for t in tests) or "  (none recorded)"
        failure.text = xml_text(f"{diff}\nCovered by (all passed):\n{covering}\n")
    elif status in DETECTED:
        killer = mutant.get("killed_by")
        verb = "timed out" if status == TIMEOUT else "killed"
        out = ET.SubElement(case, "system-out")
        out.text = xml_text(verb + (f" by {killer}" if killer else ""))
    else:
        ET.SubElement(case, "skipped", message=xml_text(f"mutant not scored: {status}"))
    return seconds


def _set_stats(element: ET.Element, stats: Mapping[str, float]) -> None:
    element.set("tests", str(int(stats["tests"])))
    element.set("failures", str(int(stats["failures"])))
    element.set("errors", "0")
    element.set("skipped", str(int(stats["skipped"])))
    element.set("time", f"{stats['time']:.3f}")
