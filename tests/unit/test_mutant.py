"""The Mutant type: applying an edit, serialising it, and its stable id."""

from __future__ import annotations

import json

import pytest

from mutgate.generate import mutants_of_source
from mutgate.mutant import FAMILIES, Mutant, mutant_id, splice

SOURCE = "class Calc:\n    def add(self, a, b):\n        return a + b\n"


def arith() -> Mutant:
    (m,) = [m for m in mutants_of_source("pkg/mod.py", SOURCE) if m.operator == "operator.arith"]
    return m


def test_a_generated_mutant_has_every_field_exactly() -> None:
    assert arith() == Mutant(
        id="ec4e5ffa46f5", file="pkg/mod.py", line=3, col=18, end_line=3, end_col=19,
        start=54, end=55, operator="operator.arith", original="+", replacement="-",
        qualname="Calc.add", swap_target="Calc.add", target_span=(12, 57),
        target_header="class Calc:", scope_lines=(2, 3), covered_by=())


def test_apply_to_replaces_exactly_the_original_text() -> None:
    expected = "class Calc:\n    def add(self, a, b):\n        return a - b\n"
    assert arith().apply_to(SOURCE) == expected


def test_apply_to_refuses_a_source_that_changed() -> None:
    changed = SOURCE.replace("a + b", "a * b")
    with pytest.raises(ValueError, match=r"^pkg/mod\.py:3: source changed since the mutant"):
        arith().apply_to(changed)


def test_apply_to_leaves_the_rest_of_the_text_byte_identical() -> None:
    source = "x = 1  \t# tabs\r\ny = x + 2\r\n\r\n"
    (m,) = [m for m in mutants_of_source("m.py", source)]
    assert m.apply_to(source) == "x = 1  \t# tabs\r\ny = x - 2\r\n\r\n"


def test_splice_replaces_the_slice_only_when_it_holds_the_original() -> None:
    assert splice("x = a + b\n", 4, 9, "a + b", "a - b") == "x = a - b\n"
    assert splice("x = a + b\n", 4, 9, "a * b", "a - b") is None
    assert splice("x = a + b\n", 5, 10, "a + b", "a - b") is None


def test_family_is_the_part_before_the_dot() -> None:
    assert arith().family == "operator"
    assert FAMILIES == ("operator", "boundary", "return")


def test_to_dict_is_json_ready_and_round_trips() -> None:
    m = Mutant.from_dict({**arith().to_dict(), "covered_by": ["t::b", "t::a"]})
    data = m.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["target_span"] == [12, 57]
    assert data["scope_lines"] == [2, 3]
    assert data["covered_by"] == ["t::b", "t::a"]
    assert Mutant.from_dict(json.loads(json.dumps(data))) == m
    assert Mutant.from_dict(data).covered_by == ("t::b", "t::a")


def test_from_dict_ignores_extra_keys_and_defaults_missing_optional_ones() -> None:
    data = arith().to_dict()
    for key in ("swap_target", "target_span", "target_header", "covered_by"):
        del data[key]
    data.update(status="killed", killed_by="t::a")
    m = Mutant.from_dict(data)
    assert (m.swap_target, m.target_span, m.target_header, m.covered_by) == (None, None, "", ())
    assert m.id == "ec4e5ffa46f5"


def test_mutant_id_is_a_fixed_function_of_what_the_mutant_is() -> None:
    # Pinned values: a change here would orphan every committed baseline's survivor ids.
    assert mutant_id("pkg/mod.py", "Calc.add", "operator.arith", "+", "-", 0) == "ec4e5ffa46f5"
    assert mutant_id("pkg/mod.py", "Calc.add", "operator.arith", "+", "-", 1) == "efbe4b00483f"


@pytest.mark.parametrize("change", [
    {"file": "pkg/other.py"}, {"qualname": "Calc.sub"}, {"operator": "boundary.relational"},
    {"original": "-"}, {"replacement": "*"}, {"occurrence": 2},
])
def test_mutant_id_changes_with_each_of_its_parts(change: dict) -> None:
    parts = {"file": "pkg/mod.py", "qualname": "Calc.add", "operator": "operator.arith",
             "original": "+", "replacement": "-", "occurrence": 0}
    assert mutant_id(**{**parts, **change}) != mutant_id(**parts)


def test_mutant_id_parts_cannot_run_into_each_other() -> None:
    assert mutant_id("a", "bc", "op", "+", "-", 0) != mutant_id("ab", "c", "op", "+", "-", 0)
