"""Which functions a change to a source file is confined to (issue 13).

An `Outline` of a file is what the incremental coverage map keeps of it: a digest of every
line and the body of every outermost function (a module-level function or a method, nested
functions included in it). Comparing the outline a map was measured against with the file's
outline now says whether every changed line lies inside the bodies of some functions, and
which; if so, only the tests that ran those bodies can run differently, and the other tests'
lines of the file are carried over through `line_map`.

A body here starts at its first statement after the docstring and ends with its last
statement, so a change to a signature, a decorator, a default, a docstring, a class body or
module-level code is confined to no function. So is a change that makes a function a
generator or stops it being one: calling a generator function runs none of its body. A change
that touches only lines holding no code (comments, blank lines) is confined to no function
and needs none: it changes what no test runs.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import re
from dataclasses import dataclass, field

from mutgate.mutant import LINE_BREAK


@dataclass(frozen=True)
class Scope:
    """The body of one outermost function: lines ``first``..``last`` (1-based, inclusive)."""

    key: str  # qualified name and, after ``#``, its index among functions of that name
    first: int
    last: int
    generator: bool


@dataclass
class Outline:
    """A file's line digests, the lines that hold code (as ``[first, last]`` runs) and the
    bodies of its outermost functions."""

    lines: list[str]
    scopes: dict[str, Scope] = field(default_factory=dict)
    code: list[list[int]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"lines": self.lines, "code": self.code,
                "scopes": [[s.key, s.first, s.last, s.generator] for s in self.scopes.values()]}

    @classmethod
    def from_json(cls, data: dict) -> Outline:
        scopes = (Scope(key, first, last, generator)
                  for key, first, last, generator in data["scopes"])
        return cls(lines=list(data["lines"]), scopes={s.key: s for s in scopes},
                   code=[list(run) for run in data["code"]])

    def holds_code(self, first: int, last: int) -> bool:
        """Whether any of lines ``first``..``last`` holds code."""
        return first <= last and any(start <= last and first <= end
                                     for start, end in self.code)


def outline(source: str) -> Outline | None:
    """The outline of ``source``, or None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    text_lines = LINE_BREAK.split(source)
    lines = [hashlib.blake2b(line.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
             for line in text_lines]
    found: dict[str, Scope] = {}
    counts: dict[str, int] = {}
    for qualname, node in _outermost_functions(tree.body, ""):
        index = counts.get(qualname, 0)
        counts[qualname] = index + 1
        body = node.body
        if body and _is_docstring(body[0]):
            body = body[1:]
        if not body:
            continue  # nothing of it runs when it is called: no test can be said to run it
        first = min([body[0].lineno, *(d.lineno for d in getattr(body[0], "decorator_list", ()))])
        key = f"{qualname}#{index}"
        found[key] = Scope(key, first, body[-1].end_lineno or body[-1].lineno,
                           _is_generator(node))
    return Outline(lines, found, _code_lines(tree, text_lines[:2]))


#: PEP 263: a comment on line 1 or 2 that declares the file's encoding.
ENCODING = re.compile(r"^[ \t\f]*#.*?coding[:=]")


def _code_lines(tree: ast.Module, head: list[str]) -> list[list[int]]:
    """The lines any statement, expression or name of ``tree`` spans (of a compound
    statement, its first line), as sorted ``[first, last]`` runs; an encoding declaration on
    line 1 or 2 (``head``) counts as code."""
    marked = {n for n, line in enumerate(head, 1) if ENCODING.match(line)}
    for node in ast.walk(tree):
        first = getattr(node, "lineno", None)
        if first is None:
            continue
        body = getattr(node, "body", None)
        last = first if isinstance(body, list) else (getattr(node, "end_lineno", None) or first)
        marked.update(range(first, last + 1))
    runs: list[list[int]] = []
    for line in sorted(marked):
        if runs and runs[-1][1] == line - 1:
            runs[-1][1] = line
        else:
            runs.append([line, line])
    return runs


def _outermost_functions(body: list[ast.stmt], prefix: str):
    """(qualified name, node) of every function not inside another function, classes walked
    into, compound statements (``if``, ``try``...) at module or class level too."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
        elif isinstance(node, ast.ClassDef):
            yield from _outermost_functions(node.body, f"{prefix}{node.name}.")
        else:
            for child in ("body", "orelse", "finalbody"):
                yield from _outermost_functions(getattr(node, child, []) or [], prefix)
            for handler in getattr(node, "handlers", []) or []:
                yield from _outermost_functions(handler.body, prefix)
            for case in getattr(node, "cases", []) or []:
                yield from _outermost_functions(case.body, prefix)


def _is_docstring(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _is_generator(function: ast.AST) -> bool:
    """Whether ``function`` itself yields (not a function or class nested in it)."""
    todo = list(ast.iter_child_nodes(function))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                 ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
    return False


def changed_functions(old: Outline, new: Outline) -> list[Scope] | None:
    """The old scopes of the functions every change from ``old`` to ``new`` lies in (none
    when only lines without code changed), or None when some change lies outside every
    function body (or the functions are not the same)."""
    if old.scopes.keys() != new.scopes.keys():
        return None
    touched: dict[str, Scope] = {}
    for tag, i1, i2, j1, j2 in _opcodes(old, new):
        if tag == "equal" or not (old.holds_code(i1 + 1, i2) or new.holds_code(j1 + 1, j2)):
            continue
        keys = set()
        if i2 > i1:
            keys.add(_enclosing(old, i1 + 1, i2))
        if j2 > j1:
            keys.add(_enclosing(new, j1 + 1, j2))
        if len(keys) != 1 or None in keys:
            return None
        key = keys.pop()
        if old.scopes[key].generator != new.scopes[key].generator:
            return None
        touched[key] = old.scopes[key]
    return sorted(touched.values(), key=lambda s: s.first)


def line_map(old: Outline, new: Outline) -> dict[int, int]:
    """Old line → new line, for every line outside the changes."""
    mapping = {}
    for tag, i1, i2, j1, _ in _opcodes(old, new):
        if tag == "equal":
            mapping.update((i1 + k + 1, j1 + k + 1) for k in range(i2 - i1))
    return mapping


def _opcodes(old: Outline, new: Outline):
    return difflib.SequenceMatcher(None, old.lines, new.lines, autojunk=False).get_opcodes()


def _enclosing(outline_: Outline, first: int, last: int) -> str | None:
    for scope in outline_.scopes.values():
        if scope.first <= first and last <= scope.last:
            return scope.key
    return None
