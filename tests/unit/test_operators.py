"""Every operator row of docs/CONTRACT.md: the exact operator name, original and replacement."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from mutgate.generate import mutants_of_source
from mutgate.operators import annotation_kind


def edits(source: str) -> list[tuple[str, str, str]]:
    """(operator, original, replacement) of every mutant of ``source``, sorted."""
    mutants = mutants_of_source("pkg/mod.py", textwrap.dedent(source).lstrip("\n"))
    return sorted((m.operator, m.original, m.replacement) for m in mutants)


def assert_applies(source: str) -> None:
    """Every mutant's edit is exactly its ``original`` text, and the result still parses."""
    source = textwrap.dedent(source).lstrip("\n")
    for m in mutants_of_source("pkg/mod.py", source):
        assert source[m.start:m.end] == m.original
        cst.parse_module(m.apply_to(source))


# -- operator.arith ---------------------------------------------------------------------------
@pytest.mark.parametrize(("op", "replacement"), [
    ("+", "-"), ("-", "+"), ("*", "/"), ("/", "*"), ("//", "/"), ("%", "*"), ("**", "*"),
])
def test_arith_binary_operator_is_replaced(op: str, replacement: str) -> None:
    assert edits(f"x = a {op} b\n") == [("operator.arith", op, replacement)]


@pytest.mark.parametrize(("op", "replacement"), [
    ("+=", "-="), ("-=", "+="), ("*=", "/="), ("/=", "*="), ("//=", "/="), ("%=", "*="),
    ("**=", "*="),
])
def test_arith_augmented_assignment_is_replaced(op: str, replacement: str) -> None:
    assert edits(f"x {op} 2\n") == [("operator.arith", op, replacement)]


@pytest.mark.parametrize("op", ["@", "<<", ">>", "|", "&", "^"])
def test_bitwise_and_matmul_operators_are_not_mutated(op: str) -> None:
    assert edits(f"x = a {op} b\ny = a\ny {op}= b\n") == []


def test_arith_edit_spans_only_the_operator_token() -> None:
    source = "total = price  *  count\n"
    (mutant,) = mutants_of_source("pkg/mod.py", source)
    assert (mutant.line, mutant.col, mutant.end_line, mutant.end_col) == (1, 16, 1, 17)
    assert mutant.apply_to(source) == "total = price  /  count\n"


# -- operator.compare and boundary.relational -------------------------------------------------
@pytest.mark.parametrize(("op", "expected"), [
    ("==", [("operator.compare", "==", "!=")]),
    ("!=", [("operator.compare", "!=", "==")]),
    ("is", [("operator.compare", "is", "is not")]),
    ("is not", [("operator.compare", "is not", "is")]),
    ("in", [("operator.compare", "in", "not in")]),
    ("not in", [("operator.compare", "not in", "in")]),
    ("<", [("boundary.relational", "<", "<="), ("operator.compare", "<", "!=")]),
    (">", [("boundary.relational", ">", ">="), ("operator.compare", ">", "!=")]),
    ("<=", [("boundary.relational", "<=", "<"), ("operator.compare", "<=", "==")]),
    (">=", [("boundary.relational", ">=", ">"), ("operator.compare", ">=", "==")]),
])
def test_comparison_operator_replacements(op: str, expected: list) -> None:
    assert edits(f"ok = a {op} b\n") == expected


def test_chained_comparison_mutates_each_operator() -> None:
    assert edits("ok = a < b <= c\n") == [
        ("boundary.relational", "<", "<="), ("boundary.relational", "<=", "<"),
        ("operator.compare", "<", "!="), ("operator.compare", "<=", "=="),
    ]


def test_relational_operators_get_two_replacements_each_and_apply_cleanly() -> None:
    source = "def f(a, b):\n    if a < b or a > b:\n        pass\n"
    assert len(edits(source)) == 5  # 2 per relational operator + and/or
    assert_applies(source)


# -- operator.bool and operator.not -----------------------------------------------------------
def test_and_becomes_or() -> None:
    assert edits("x = a and b\n") == [("operator.bool", "and", "or")]


def test_or_becomes_and() -> None:
    assert edits("x = a or b\n") == [("operator.bool", "or", "and")]


def test_not_is_removed() -> None:
    assert edits("x = not ready\n") == [("operator.not", "not ready", "ready")]


def test_not_of_a_parenthesised_expression_keeps_the_parentheses() -> None:
    source = "x = not (a and b)\n"
    assert ("operator.not", "not (a and b)", "(a and b)") in edits(source)
    (negation,) = [m for m in mutants_of_source("m.py", source) if m.operator == "operator.not"]
    assert negation.apply_to(source) == "x = (a and b)\n"


@pytest.mark.parametrize("expr", ["-a", "+a", "~a"])
def test_other_unary_operators_are_not_mutated(expr: str) -> None:
    assert edits(f"x = {expr}\n") == []


# -- boundary.constant ------------------------------------------------------------------------
def test_integer_operand_of_a_comparison_gets_plus_and_minus_one() -> None:
    assert edits("ok = n == 5\n") == [
        ("boundary.constant", "5", "4"), ("boundary.constant", "5", "6"),
        ("operator.compare", "==", "!="),
    ]


def test_integer_on_the_left_of_a_comparison_is_mutated_too() -> None:
    assert [e for e in edits("ok = 10 <= n\n") if e[0] == "boundary.constant"] == [
        ("boundary.constant", "10", "11"), ("boundary.constant", "10", "9")]


def test_zero_becomes_one_and_minus_one() -> None:
    source = "ok = n != 0\n"
    assert [e for e in edits(source) if e[0] == "boundary.constant"] == [
        ("boundary.constant", "0", "-1"), ("boundary.constant", "0", "1")]
    texts = sorted(m.apply_to(source) for m in mutants_of_source("m.py", source)
                   if m.operator == "boundary.constant")
    assert texts == ["ok = n != -1\n", "ok = n != 1\n"]


def test_hex_literal_is_replaced_by_its_decimal_neighbours() -> None:
    assert [e for e in edits("ok = n < 0x10\n") if e[0] == "boundary.constant"] == [
        ("boundary.constant", "0x10", "15"), ("boundary.constant", "0x10", "17")]


def test_negative_literal_edits_the_digits_after_the_minus() -> None:
    source = "ok = n > -3\n"
    texts = sorted(m.apply_to(source) for m in mutants_of_source("m.py", source)
                   if m.operator == "boundary.constant")
    assert texts == ["ok = n > -2\n", "ok = n > -4\n"]


@pytest.mark.parametrize("operand", ["1.5", "True", "'a'", "size", "len(x)"])
def test_non_integer_operands_get_no_constant_mutants(operand: str) -> None:
    assert [e for e in edits(f"ok = n == {operand}\n") if e[0] == "boundary.constant"] == []


def test_integers_outside_comparisons_are_not_mutated() -> None:
    assert edits("x = 5\ncall(3, key=4)\n") == []


# -- return.none ------------------------------------------------------------------------------
@pytest.mark.parametrize("annotation", ["", " -> Optional[int]", " -> Union[int, str]",
                                        " -> int | None", " -> Widget", ' -> "Widget"',
                                        " -> None"])
def test_return_value_becomes_none_without_a_known_type(annotation: str) -> None:
    assert edits(f"def f(x){annotation}:\n    return x\n") == [("return.none", "x", "None")]


# -- return.empty -----------------------------------------------------------------------------
@pytest.mark.parametrize(("annotation", "empty"), [
    ("int", "0"), ("float", "0.0"), ("str", '""'), ("bytes", 'b""'),
    ("list", "[]"), ("list[int]", "[]"), ("List[int]", "[]"), ("typing.List[int]", "[]"),
    ("Sequence[str]", "[]"), ("Iterable[int]", "[]"),
    ("dict", "{}"), ("dict[str, int]", "{}"), ("Mapping[str, int]", "{}"),
    ("set", "set()"), ("set[int]", "set()"), ("frozenset[int]", "set()"),
    ("tuple", "()"), ("tuple[int, ...]", "()"),
    ('"int"', "0"), ("'list[int]'", "[]"),
])
def test_return_value_becomes_the_empty_value_of_the_annotation(annotation: str,
                                                                 empty: str) -> None:
    assert edits(f"def f(x) -> {annotation}:\n    return x\n") == [("return.empty", "x", empty)]


@pytest.mark.parametrize(("annotation", "value"), [
    ("int", "0"), ("list[int]", "[]"), ("dict", "{}"), ("str", '""'), ("set", "set()"),
])
def test_returning_the_empty_value_already_gives_no_return_mutant(annotation: str,
                                                                  value: str) -> None:
    assert edits(f"def f() -> {annotation}:\n    return {value}\n") == []


def test_single_quoted_empty_string_is_already_empty() -> None:
    assert edits("def f() -> str:\n    return ''\n") == []


# -- return.bool ------------------------------------------------------------------------------
@pytest.mark.parametrize(("literal", "flipped"), [("True", "False"), ("False", "True")])
@pytest.mark.parametrize("annotation", ["", " -> bool", " -> int"])
def test_bool_literal_return_is_flipped(annotation: str, literal: str, flipped: str) -> None:
    assert edits(f"def f(){annotation}:\n    return {literal}\n") == [
        ("return.bool", literal, flipped)]


def test_non_literal_return_of_a_bool_function_is_negated() -> None:
    assert edits("def f(flag) -> bool:\n    return flag\n") == [
        ("return.bool", "flag", "not (flag)")]


def test_negated_bool_return_keeps_the_whole_expression() -> None:
    source = "def f(a, b) -> bool:\n    return a.ready() or b\n"
    assert ("return.bool", "a.ready() or b", "not (a.ready() or b)") in edits(source)
    assert_applies(source)


def test_quoted_bool_annotation_negates_too() -> None:
    assert edits('def f(flag) -> "bool":\n    return flag\n') == [
        ("return.bool", "flag", "not (flag)")]


# -- returns that are never mutated -----------------------------------------------------------
@pytest.mark.parametrize("body", ["return", "return None", "return  None"])
def test_bare_return_and_return_none_are_not_mutated(body: str) -> None:
    assert edits(f"def f(x) -> int:\n    {body}\n") == []


def test_return_inside_a_generator_is_not_mutated() -> None:
    assert edits("def f(x):\n    yield x\n    return x\n") == []


def test_return_of_a_function_nested_in_a_generator_is_mutated() -> None:
    source = "def gen():\n    def helper(v):\n        return v\n    yield helper\n"
    assert edits(source) == [("return.none", "v", "None")]


def test_return_of_a_generator_whose_yield_is_in_a_lambda_is_mutated() -> None:
    assert edits("def f(x):\n    g = lambda: (yield)\n    return x\n") == [
        ("return.none", "x", "None")]


# -- annotation_kind --------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "kind"), [
    ("int", "int"), ("list[int]", "list"), ("typing.Dict[str, int]", "Dict"),
    ("Optional[int]", None), ("Union[int, None]", None), ("int | None", None),
    ('"tuple[int]"', "tuple"), ('"not valid ]"', None), ("b'int'", None),
])
def test_annotation_kind(text: str, kind: str | None) -> None:
    assert annotation_kind(cst.parse_expression(text)) == kind
