"""JUnit XML: one test case per mutant, survivors as failures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from mutgate.report.junit import case_name, write_junit, xml_text

EVIL = "</script><script>alert(1)</script>"
SOURCES = {
    "src/pkg/mod.py": "def add(a, b):\n    return a + b\n\n\ndef lt(a):\n    return a < 3\n",
    "src/pkg/other.py": f"X = '{EVIL}'\n",
}


def mutant(file: str, line: int, col: int, original: str, replacement: str, status: str,
           **fields: Any) -> dict[str, Any]:
    base = {
        "id": f"{file}:{line}:{status}",
        "file": file,
        "line": line,
        "col": col,
        "operator": "operator.arith",
        "original": original,
        "replacement": replacement,
        "status": status,
        "killed_by": "tests/test_mod.py::test_add" if status in ("killed", "timeout") else None,
        "covered_by": ["tests/test_mod.py::test_add", f"tests/test_mod.py::test_b[{EVIL}]"],
        "tests_run": 2,
        "duration_ms": 250.0,
    }
    base.update(fields)
    return base


MUTANTS = [
    mutant("src/pkg/mod.py", 2, 12, "a + b", "a - b", "survived"),
    mutant("src/pkg/mod.py", 6, 12, "a < 3", "a <= 3", "killed", operator="boundary.relational"),
    mutant("src/pkg/mod.py", 6, 16, "3", "4", "timeout", operator="boundary.constant"),
    mutant("src/pkg/mod.py", 6, 16, "3", "2", "error", operator="boundary.constant"),
    mutant("src/pkg/other.py", 1, 5, f"'{EVIL}'", "''", "survived", operator="return.empty"),
    mutant("src/pkg/other.py", 1, 5, "x", "y", "no-tests", covered_by=[]),
]
RESULTS = {"score": 50.0, "counts": {}, "total": len(MUTANTS), "run": {}, "mutants": MUTANTS}


def written(tmp_path: Path) -> ET.Element:
    path = write_junit(RESULTS, SOURCES, tmp_path / "out" / "mutgate.xml")
    assert path == tmp_path / "out" / "mutgate.xml"
    return ET.parse(path).getroot()


def test_one_testcase_per_mutant_and_survivors_fail(tmp_path: Path) -> None:
    root = written(tmp_path)
    assert root.tag == "testsuites"
    assert root.get("tests") == "6"
    assert root.get("failures") == "2"
    assert root.get("skipped") == "2"
    assert root.get("errors") == "0"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 6
    assert len(root.findall(".//failure")) == 2
    assert len(root.findall(".//skipped")) == 2


def test_suites_are_files_and_names_say_line_operator_and_change(tmp_path: Path) -> None:
    root = written(tmp_path)
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"src/pkg/mod.py", "src/pkg/other.py"}
    assert suites["src/pkg/mod.py"].get("failures") == "1"
    assert suites["src/pkg/mod.py"].get("tests") == "4"
    first = suites["src/pkg/mod.py"].find("testcase")
    assert first is not None
    assert first.get("classname") == "src/pkg/mod.py"
    assert first.get("name") == "line 2: operator.arith a + b -> a - b"
    assert first.get("time") == "0.250"


def test_a_failure_carries_the_diff_and_the_covering_tests(tmp_path: Path) -> None:
    root = written(tmp_path)
    failure = root.find(".//testcase[@classname='src/pkg/mod.py']/failure")
    assert failure is not None
    assert failure.get("type") == "survived"
    text = failure.text or ""
    assert "-    return a + b\n+    return a - b" in text
    assert "tests/test_mod.py::test_add" in text
    assert f"tests/test_mod.py::test_b[{EVIL}]" in text


def test_killed_mutants_pass_and_name_their_killer(tmp_path: Path) -> None:
    root = written(tmp_path)
    killed = next(c for c in root.iter("testcase") if "a < 3" in (c.get("name") or ""))
    assert list(killed) and killed[0].tag == "system-out"
    assert killed[0].text == "killed by tests/test_mod.py::test_add"


def test_html_in_the_data_is_escaped_xml_text(tmp_path: Path) -> None:
    path = tmp_path / "out" / "mutgate.xml"
    written(tmp_path)
    raw = path.read_text(encoding="utf-8")
    assert "<script>" not in raw
    assert "&lt;script&gt;" in raw
    names = [c.get("name") for c in ET.parse(path).getroot().iter("testcase")]
    assert f"line 1: return.empty '{EVIL}' -> ''" in names


def test_characters_xml_cannot_hold_are_spelled_out(tmp_path: Path) -> None:
    odd = mutant("src/pkg/mod.py", 2, 12, "a + b", "a\x01- b", "survived",
                 covered_by=["tests/t.py::test[\x00\x1b]"])
    path = write_junit({"mutants": [odd]}, SOURCES, tmp_path / "j.xml")
    root = ET.parse(path).getroot()
    case = root.find(".//testcase")
    assert case is not None and case.get("name") == "line 2: operator.arith a + b -> a\\x01- b"
    assert "tests/t.py::test[\\x00\\x1b]" in (root.findtext(".//failure") or "")
    assert xml_text("ok\tline\n") == "ok\tline\n"


def test_long_changes_are_shortened_and_kept_on_one_line() -> None:
    name = case_name({"line": 1, "operator": "return.none", "original": "f(\n" + "x" * 300,
                          "replacement": "None"})
    assert "\n" not in name
    assert len(name) == 120 and name.endswith("…")


def test_rewriting_replaces_the_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "j.xml"
    target.write_text("old", encoding="utf-8")
    write_junit(RESULTS, SOURCES, target)
    assert target.read_text(encoding="utf-8").startswith('<?xml version="1.0"')
    assert [p.name for p in tmp_path.iterdir()] == ["j.xml"]


def test_a_missing_source_still_reports_the_survivor(tmp_path: Path) -> None:
    path = write_junit(RESULTS, {}, tmp_path / "j.xml")
    failures = ET.parse(path).getroot().findall(".//failure")
    assert len(failures) == 2
    assert "tests/test_mod.py::test_add" in (failures[0].text or "")
