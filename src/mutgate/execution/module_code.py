"""A mutated module's code, compiled without the function bodies the mutant leaves alone.

A static mutant's child compiles the whole mutated module (marshmallow's fields.py: 9 ms, a
third of a cheap child). Most of that is function bodies, and a mutant outside a function's
body cannot change that function's code object: its default values, decorators and
annotations are code of the enclosing module or class body. So the mutated source is compiled
with each such body (of a function defined in a module or class body, never inside another
function, where closures tie it to its surroundings) left as a one-line placeholder, and the
original function's code object, compiled once from the unmutated source, is put back in the
placeholder's place.

That is only done for a module where it is proven to give exactly what compiling it whole
gives: the unmutated source, reduced and restored the same way, must come out equal to the
unmutated module's code, constants, names, line tables and qualified names included, or the
module is always compiled whole. Any mutant whose edit changes the number of lines, or whose
reduced code does not name every left-out function exactly once, is compiled whole too.
"""

from __future__ import annotations

import ast
import sys
import types
from dataclasses import dataclass

from mutgate.mutant import LINE_BREAK


@dataclass(frozen=True)
class _Body:
    first: int  # lines of the body, 1-based, inclusive
    last: int
    #: The line that stands for the body on ``last``: it ends where the body ends, as the
    #: positions of the ``def`` statement's own instructions do.
    placeholder: str
    key: tuple[str, int]  # (co_qualname, co_firstlineno) of its code object


class ModuleCode:
    """The unmutated module at ``path``, and how to compile a mutant of it in part."""

    def __init__(self, path: str, source: str, original: types.CodeType,
                 bodies: list[_Body], codes: dict[tuple[str, int], types.CodeType]) -> None:
        self.path, self.source, self.original = path, source, original
        self.lines = _lines(source)
        self.starts = [0]  # where each line starts in ``source``, and its end
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.bodies, self.codes = bodies, codes

    @classmethod
    def of(cls, path: str, source: str) -> ModuleCode | None:
        """The module, or None where compiling it in part is not proven exact (or this Python
        has no qualified names on code objects)."""
        if sys.version_info < (3, 11):
            return None
        try:
            tree = ast.parse(source)
            original = compile(source, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return None
        codes: dict[tuple[str, int], types.CodeType] = {}
        repeated = set()
        for code in _codes(original):
            key = (code.co_qualname, code.co_firstlineno)
            if key in codes:
                repeated.add(key)
            codes[key] = code
        lines = _lines(source)
        bodies = [body for body in _bodies(tree, lines, codes) if body.key not in repeated]
        module = cls(path, source, original, bodies, codes)
        if not bodies or not _same(module._compiled(lines, bodies), original):
            return None
        return module

    def compile(self, mutated: str, first_line: int, last_line: int) -> types.CodeType:
        """The code of ``mutated``, this module with one edit on lines ``first_line`` to
        ``last_line`` of the original: in part where that is exact, else whole."""
        lines = self._mutated_lines(mutated, first_line, last_line)
        if lines is not None:
            left_out = [body for body in self.bodies
                        if body.last < first_line or body.first > last_line]
            code = self._compiled(lines, left_out)
            if code is not None:
                return code
        return compile(mutated, self.path, "exec", dont_inherit=True)

    def _mutated_lines(self, mutated: str, first: int, last: int) -> list[str] | None:
        """The lines of ``mutated``, split anew only from ``first`` to ``last``: None unless
        the text around them is the original's and they are as many as before."""
        if not 1 <= first <= last <= len(self.lines):
            return None
        start, end = self.starts[first - 1], self.starts[last]
        tail = len(self.source) - end
        changed_end = len(mutated) - tail
        if (changed_end < start or mutated[:start] != self.source[:start]
                or mutated[changed_end:] != self.source[end:]):
            return None
        middle = _lines(mutated[start:changed_end])
        if len(middle) != last - first + 1:
            return None
        return self.lines[:first - 1] + middle + self.lines[last:]

    def _compiled(self, lines: list[str], left_out: list[_Body]) -> types.CodeType | None:
        reduced = list(lines)
        for body in left_out:
            for number in range(body.first - 1, body.last - 1):
                reduced[number] = "\n"
            reduced[body.last - 1] = body.placeholder
        try:
            code = compile("".join(reduced), self.path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return None
        wanted = {body.key for body in left_out}
        restored: set[tuple[str, int]] = set()
        code = _restore(code, wanted, self.codes, restored)
        return code if restored == wanted else None


def _restore(code: types.CodeType, wanted: set[tuple[str, int]],
             originals: dict[tuple[str, int], types.CodeType],
             restored: set[tuple[str, int]]) -> types.CodeType:
    consts = []
    changed = False
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            key = (const.co_qualname, const.co_firstlineno)
            if key in wanted and key not in restored:
                restored.add(key)
                const = originals[key]
            else:
                const = _restore(const, wanted, originals, restored)
            changed = True
        consts.append(const)
    return code.replace(co_consts=tuple(consts)) if changed else code


def _codes(code: types.CodeType):
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield const
            yield from _codes(const)


def _lines(source: str) -> list[str]:
    """The lines of ``source`` as Python numbers them, each with its line break."""
    lines, start = [], 0
    for match in LINE_BREAK.finditer(source):
        lines.append(source[start:match.end()])
        start = match.end()
    if start < len(source):
        lines.append(source[start:])
    return lines


def _bodies(tree: ast.Module, lines: list[str],
            codes: dict[tuple[str, int], types.CodeType]) -> list[_Body]:
    """The bodies that can be left out: of functions defined in the module's or a class's
    body, each on lines of its own."""
    found: list[_Body] = []

    def visit(node: ast.AST, qualname: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = _body(child, f"{qualname}{child.name}", lines, codes)
                if body is not None:
                    found.append(body)
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{qualname}{child.name}.")
            elif isinstance(child, ast.stmt):  # if, try, with, for ... at the same level
                visit(child, qualname)

    visit(tree, "")
    return found


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, lines: list[str],
          codes: dict[tuple[str, int], types.CodeType]) -> _Body | None:
    first, last = node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno
    indent, end = node.body[0].col_offset, node.body[-1].end_col_offset or 0
    # Whole lines are left out: the body must start on a line of its own.
    if first <= node.lineno or lines[first - 1].encode()[:indent].strip():
        return None
    starts = {node.lineno, *(d.lineno for d in node.decorator_list)}
    matches = [key for key in codes if key[0] == qualname and key[1] in starts]
    if len(matches) != 1:
        return None
    # An expression as wide as the body's last line: an empty tuple, or a reference to the
    # class cell where the method has one (it uses super()), which its class body creates.
    inner = "__class__" if "__class__" in codes[matches[0]].co_freevars else ""
    width = end - indent - 2 - len(inner)
    tail = lines[last - 1].encode()[end:]
    if width < 0:
        return None
    placeholder = " " * indent + "(" + inner + " " * width + ")" + tail.decode()
    return _Body(first, last, placeholder, matches[0])


def _same(a: types.CodeType | None, b: types.CodeType) -> bool:
    """Equal as the interpreter compares code, and in qualified and file names throughout."""
    if a is None or a != b or a.co_qualname != b.co_qualname or a.co_filename != b.co_filename:
        return False
    pairs = [(x, y) for x, y in zip(a.co_consts, b.co_consts, strict=True)
             if isinstance(x, types.CodeType) or isinstance(y, types.CodeType)]
    return all(isinstance(x, types.CodeType) and isinstance(y, types.CodeType) and _same(x, y)
               for x, y in pairs)
