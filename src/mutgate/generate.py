"""Mutant generation: walk each source file with libcst and make mutants on covered lines.

The walk tracks the enclosing scopes, so every mutant knows its qualified name (for the
stable id) and whether its code can be swapped into a live process: a mutant inside the body
of a function defined at module or class level can be; one in module code, a class body, a
default value or a decorator needs a fresh import.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from threading import Event

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from mutgate import operators
from mutgate.config import Config
from mutgate.coverage_map import CoverageMap
from mutgate.errors import ConfigError
from mutgate.mutant import LINE_BREAK, Mutant, mutant_id
from mutgate.sources import check_syntax, read_source, source_files

PRAGMA = "pragma: no mutate"
_LOGGER_NAME = re.compile(r"(^|_)(log|logger|logging)$", re.IGNORECASE)
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical",
                         "log", "fatal"})


def premake(root: Path, files: Iterable[str], stop: Event | None = None
            ) -> dict[str, list[Mutant]]:
    """Every mutant of ``files``, covered or not, as if no line ran at import time: the
    parse that `generate` finishes once the coverage map is known (run in a thread while
    the coverage run's subprocess works). Stops early, between files, once ``stop`` is set."""
    made: dict[str, list[Mutant]] = {}
    for rel in files:
        if stop is not None and stop.is_set():
            break
        made[rel] = mutants_of_source(rel, read_source(root, rel))
    return made


def _at_import(mutant: Mutant, import_lines: set[int]) -> Mutant:
    """``mutant`` as `mutants_of_source` makes it when its line ran at import time."""
    if mutant.line not in import_lines or mutant.swap_target is None:
        return mutant
    return replace(mutant, swap_target=None, target_span=None, target_header="")


def generate(config: Config, cov: CoverageMap, files: Iterable[str] | None = None,
             premade: dict[str, list[Mutant]] | None = None) -> list[Mutant]:
    """All mutants of the selected operators on covered lines of the project's source files
    (those of ``premade`` files from `premake`'s parse)."""
    families = set(config.operators)
    mutants: list[Mutant] = []
    for rel in (files if files is not None else source_files(config)):
        if not cov.lines.get(rel):
            check_syntax(rel, read_source(config.root, rel))  # no mutants, but no silence
            continue
        source = read_source(config.root, rel)
        spans = statement_spans(source)
        import_lines = cov.import_lines.get(rel, set())
        made = ([_at_import(m, import_lines) for m in premade[rel]]
                if premade is not None and rel in premade
                else mutants_of_source(rel, source, import_lines))
        for mutant in made:
            if mutant.family not in families and mutant.operator not in families:
                continue
            first, last = spans.get(mutant.line, (mutant.line, mutant.line))
            tests = cov.tests_for(rel, min(first, mutant.line), max(last, mutant.end_line))
            if tests:
                mutants.append(_with_tests(mutant, tests))
    return mutants


_COMPOUND = (ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Try,
             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
             *((ast.Match,) if hasattr(ast, "Match") else ()),
             *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


def statement_spans(source: str) -> dict[int, tuple[int, int]]:
    """For each line, the first and last line of the innermost statement holding it (for a
    compound statement, its header: ``if a or\\n b:`` spans both lines, not the body).

    A test that ran any line of a statement may be the one a mutant on another of its lines
    needs: ``a or b`` on the first line can short-circuit past a third line it then never
    runs, while the mutant there (``or`` → ``and``) changes what the whole expression gives.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    spans: dict[int, tuple[int, int]] = {}
    for node in ast.walk(tree):  # outer statements first, so inner ones overwrite them
        if not isinstance(node, ast.stmt):
            continue
        first, last = node.lineno, node.end_lineno or node.lineno
        if isinstance(node, _COMPOUND):
            body = getattr(node, "body", None) or getattr(node, "cases", None)
            if body:
                # A match statement's cases have no position of their own: their patterns do.
                head = body[0] if hasattr(body[0], "lineno") else getattr(body[0], "pattern",
                                                                          None)
                starts = [getattr(head, "lineno", first + 1), *(
                    d.lineno for d in getattr(body[0], "decorator_list", ()))]
                last = max(first, min(starts) - 1)
        for line in range(first, last + 1):
            previous = spans.get(line)
            if previous is None or previous[1] - previous[0] >= last - first:
                spans[line] = (first, last)
    return spans


def _with_tests(mutant: Mutant, tests: list[str]) -> Mutant:
    data = mutant.to_dict()
    data["covered_by"] = tests
    return Mutant.from_dict(data)


def mutants_of_source(rel: str, source: str, import_lines: set[int] = frozenset()
                      ) -> list[Mutant]:
    """Every mutant of one file, covered or not, in source order."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise ConfigError(f"{rel}:{exc.raw_line}: syntax error: {exc.message}") from None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    collector = _Collector(rel, source, wrapper, import_lines)
    wrapper.visit(collector)
    return collector.mutants


@dataclass
class _Scope:
    kind: str  # "class", "function" or "block"
    name: str
    header: str  # the header line used to recompile a function at its original nesting
    body_span: tuple[int, int] | None = None
    def_offset: int = 0
    lines: tuple[int, int] | None = None  # first (decorators included) and last line
    returns: cst.Annotation | None = None
    is_generator: bool = False


class _Collector(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, rel: str, source: str, wrapper: MetadataWrapper, import_lines: set[int]):
        super().__init__()
        self.rel = rel
        self.source = source
        self.module = wrapper.module
        self.import_lines = import_lines
        self.line_starts = [0] + [m.end() for m in LINE_BREAK.finditer(source)]
        self.line_starts.append(len(source))
        lines = LINE_BREAK.split(source)
        self.pragma_lines = {n for n, line in enumerate(lines, start=1) if PRAGMA in line}
        self.scopes: list[_Scope] = []
        self.mutants: list[Mutant] = []
        self.occurrences: Counter[tuple[str, ...]] = Counter()

    # -- scopes -------------------------------------------------------------------------
    def _offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def _indent_of(self, node: cst.CSTNode) -> str:
        line = self.get_metadata(PositionProvider, node).start.line
        text = self.source[self.line_starts[line - 1]:self.line_starts[line]]
        return text[: len(text) - len(text.lstrip(" \t"))]

    def _lines_of(self, node: cst.ClassDef | cst.FunctionDef) -> tuple[int, int]:
        span = self.get_metadata(PositionProvider, node)
        first = min([span.start.line, *(self.get_metadata(PositionProvider, d).start.line
                                        for d in node.decorators)])
        return first, span.end.line

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append(_Scope("class", node.name.value,
                                  f"{self._indent_of(node.name)}class {node.name.value}:",
                                  lines=self._lines_of(node)))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        body = self.get_metadata(PositionProvider, node.body)
        name_pos = self.get_metadata(PositionProvider, node.name)
        self.scopes.append(_Scope(
            "function", node.name.value, "",
            body_span=(self._offset(body.start.line, body.start.column),
                       self._offset(body.end.line, body.end.column)),
            def_offset=self.line_starts[name_pos.start.line - 1], lines=self._lines_of(node),
            returns=node.returns, is_generator=_is_generator(node)))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def _enter_block(self, node: cst.CSTNode) -> None:
        if not any(s.kind == "function" for s in self.scopes):
            self.scopes.append(_Scope("block", "", f"{self._indent_of(node)}if 1:"))

    def _leave_block(self, node: cst.CSTNode) -> None:
        if self.scopes and self.scopes[-1].kind == "block":
            self.scopes.pop()

    visit_For = visit_While = visit_Try = visit_TryStar = _enter_block  # noqa: N815
    visit_With = visit_Match = _enter_block  # noqa: N815
    leave_For = leave_While = leave_Try = leave_TryStar = _leave_block  # noqa: N815
    leave_With = leave_Match = _leave_block  # noqa: N815

    def visit_If(self, node: cst.If) -> bool:
        if _is_type_checking(node.test):
            if node.orelse is not None:
                self._enter_block(node)
                node.orelse.visit(self)
                self._leave_block(node)
            return False
        self._enter_block(node)
        return True

    def leave_If(self, node: cst.If) -> None:
        if not _is_type_checking(node.test):
            self._leave_block(node)

    # -- what is never mutated ------------------------------------------------------------
    def visit_Annotation(self, node: cst.Annotation) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        return not _is_logging_call(node.func)

    # -- operators ----------------------------------------------------------------------
    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._add(operators.binary(node))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._add(operators.augmented(node))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self._add(operators.comparison(node))

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self._add(operators.boolean(node))

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        self._add(operators.negation(node, self.module))

    def visit_Return(self, node: cst.Return) -> None:
        function = next((s for s in reversed(self.scopes) if s.kind == "function"), None)
        if function is None or function.is_generator:
            return
        self._add(operators.return_value(node, function.returns, self.module))

    # -- making mutants ---------------------------------------------------------------------
    def _add(self, edits: Iterator[operators.Edit]) -> None:
        for operator, node, replacement in edits:
            pos = self.get_metadata(PositionProvider, node)
            if pos.start.line in self.pragma_lines:
                continue
            start = self._offset(pos.start.line, pos.start.column)
            end = self._offset(pos.end.line, pos.end.column)
            original = self.source[start:end]
            if original == replacement:
                continue
            qualname = self._qualname()
            key = (qualname, operator, original, replacement)
            occurrence = self.occurrences[key]
            self.occurrences[key] += 1
            target, span, header = self._swap_target(start, pos.start.line)
            self.mutants.append(Mutant(
                id=mutant_id(self.rel, qualname, operator, original, replacement, occurrence),
                file=self.rel, line=pos.start.line, col=pos.start.column + 1,
                end_line=pos.end.line, end_col=pos.end.column + 1, start=start, end=end,
                operator=operator, original=original, replacement=replacement,
                qualname=qualname, swap_target=target, target_span=span,
                target_header=header,
                scope_lines=next((s.lines for s in reversed(self.scopes) if s.lines), None),
            ))

    def _qualname(self) -> str:
        parts: list[str] = []
        previous = None
        for scope in self.scopes:
            if scope.kind == "block":
                continue
            if previous == "function":
                parts.append("<locals>")
            parts.append(scope.name)
            previous = scope.kind
        return ".".join(parts) or "<module>"

    def _swap_target(self, offset: int, line: int):
        """The outermost function whose body holds the edit, if its code can be swapped."""
        outer_index = next((i for i, s in enumerate(self.scopes) if s.kind == "function"), None)
        if outer_index is None or line in self.import_lines:
            return None, None, ""
        outer = self.scopes[outer_index]
        assert outer.body_span is not None
        if not outer.body_span[0] <= offset < outer.body_span[1]:
            return None, None, ""
        enclosing = self.scopes[:outer_index]
        names = [s.name for s in enclosing if s.kind == "class"] + [outer.name]
        header = "\n".join(s.header for s in enclosing)
        return ".".join(names), (outer.def_offset, outer.body_span[1]), header


def _is_type_checking(test: cst.BaseExpression) -> bool:
    return (isinstance(test, cst.Name) and test.value == "TYPE_CHECKING") or (
        isinstance(test, cst.Attribute) and test.attr.value == "TYPE_CHECKING")


def _is_logging_call(func: cst.BaseExpression) -> bool:
    """`log.info(...)`, `self._logger.debug(...)`, `logging.getLogger(x).warning(...)`."""
    if not isinstance(func, cst.Attribute) or func.attr.value not in LOG_METHODS:
        return False
    base = func.value
    if isinstance(base, cst.Call):
        getter = base.func
        name = getter.attr.value if isinstance(getter, cst.Attribute) else (
            getter.value if isinstance(getter, cst.Name) else "")
        return name in ("getLogger", "get_logger")
    if isinstance(base, cst.Attribute):
        return bool(_LOGGER_NAME.search(base.attr.value))
    return isinstance(base, cst.Name) and bool(_LOGGER_NAME.search(base.value))


class _YieldFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.found = True
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _is_generator(node: cst.FunctionDef) -> bool:
    finder = _YieldFinder()
    node.body.visit(finder)
    return finder.found
