"""Mutation operators: for one libcst node, the small edits that make a mutant of it.

Each rule returns ``(operator name, node whose text is replaced, replacement text)``. The
families are ``operator``, ``boundary`` and ``return``; names are ``family.kind``. Relational
operators get three replacements in all (e.g. ``<`` → ``<=``, ``!=``), the set research shows
to be sufficient, which keeps counts low.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import libcst as cst

Edit = tuple[str, cst.CSTNode, str]

ARITH = {
    cst.Add: "-", cst.Subtract: "+", cst.Multiply: "/", cst.Divide: "*",
    cst.FloorDivide: "/", cst.Modulo: "*", cst.Power: "*",
}
AUG_ARITH = {
    cst.AddAssign: "-=", cst.SubtractAssign: "+=", cst.MultiplyAssign: "/=",
    cst.DivideAssign: "*=", cst.FloorDivideAssign: "/=", cst.ModuloAssign: "*=",
    cst.PowerAssign: "*=",
}
COMPARE = {
    cst.Equal: "!=", cst.NotEqual: "==", cst.Is: "is not", cst.IsNot: "is",
    cst.In: "not in", cst.NotIn: "in",
    cst.LessThan: "!=", cst.GreaterThan: "!=", cst.LessThanEqual: "==",
    cst.GreaterThanEqual: "==",
}
BOUNDARY = {
    cst.LessThan: "<=", cst.LessThanEqual: "<", cst.GreaterThan: ">=",
    cst.GreaterThanEqual: ">",
}
BOOL = {cst.And: "or", cst.Or: "and"}

_EMPTY_BY_TYPE = {
    "int": "0", "float": "0.0", "str": '""', "bytes": 'b""',
    **dict.fromkeys(("list", "List", "Sequence", "MutableSequence", "Iterable", "Collection"),
                    "[]"),
    **dict.fromkeys(("dict", "Dict", "Mapping", "MutableMapping", "OrderedDict",
                     "defaultdict"), "{}"),
    **dict.fromkeys(("set", "Set", "frozenset", "FrozenSet", "AbstractSet", "MutableSet"),
                    "set()"),
    **dict.fromkeys(("tuple", "Tuple"), "()"),
}


_STRING_LITERALS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)


def binary(node: cst.BinaryOperation) -> Iterator[Edit]:
    replacement = ARITH.get(type(node.operator))
    # `"a" + x` → `"a" - x` can only raise TypeError: a stillborn mutant, not a test of the tests.
    stillborn = isinstance(node.left, _STRING_LITERALS) or isinstance(node.right,
                                                                       _STRING_LITERALS)
    if replacement and not stillborn:
        yield "operator.arith", node.operator, replacement


def augmented(node: cst.AugAssign) -> Iterator[Edit]:
    replacement = AUG_ARITH.get(type(node.operator))
    if replacement:
        yield "operator.arith", node.operator, replacement


def comparison(node: cst.Comparison) -> Iterator[Edit]:
    for target in node.comparisons:
        kind = type(target.operator)
        if kind in BOUNDARY:
            yield "boundary.relational", target.operator, BOUNDARY[kind]
        if kind in COMPARE:
            yield "operator.compare", target.operator, COMPARE[kind]
    for operand in (node.left, *(t.comparator for t in node.comparisons)):
        literal = operand.expression if (
            isinstance(operand, cst.UnaryOperation) and isinstance(operand.operator, cst.Minus)
        ) else operand
        if isinstance(literal, cst.Integer):
            value = int(literal.value, 0)
            yield "boundary.constant", literal, str(value + 1)
            yield "boundary.constant", literal, str(value - 1)


def boolean(node: cst.BooleanOperation) -> Iterator[Edit]:
    yield "operator.bool", node.operator, BOOL[type(node.operator)]


def negation(node: cst.UnaryOperation, module: cst.Module) -> Iterator[Edit]:
    if isinstance(node.operator, cst.Not):
        yield "operator.not", node, module.code_for_node(node.expression)


def return_value(node: cst.Return, returns: cst.Annotation | None,
                 module: cst.Module) -> Iterator[Edit]:
    value = node.value
    if value is None or (isinstance(value, cst.Name) and value.value == "None"):
        return
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        yield "return.bool", value, "False" if value.value == "True" else "True"
        return
    kind = annotation_kind(returns.annotation) if returns else None
    text = module.code_for_node(value)
    if kind == "bool":
        yield "return.bool", value, f"not ({text})"
    elif kind in _EMPTY_BY_TYPE:
        empty = _EMPTY_BY_TYPE[kind]
        if not _same_literal(text, empty):
            yield "return.empty", value, empty
    else:
        yield "return.none", value, "None"


def _same_literal(text: str, empty: str) -> bool:
    """`''` is `""`, and `0x0` is `0`: replacing a value by itself makes no mutant."""
    try:
        return ast.literal_eval(text.strip()) == ast.literal_eval(empty)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text.strip() == empty


def annotation_kind(expr: cst.BaseExpression) -> str | None:
    """The bare type name an annotation names (``list[int]`` → ``list``), or None."""
    if isinstance(expr, cst.SimpleString):
        try:
            inner = ast.literal_eval(expr.value)
            return annotation_kind(cst.parse_expression(inner)) if isinstance(inner, str) else None
        except (ValueError, SyntaxError, cst.ParserSyntaxError):
            return None
    if isinstance(expr, cst.Subscript):
        name = annotation_kind(expr.value)
        return None if name in ("Optional", "Union") else name
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None
