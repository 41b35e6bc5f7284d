"""Swapping a mutated function into a live process by replacing code objects.

Only the mutated function is recompiled, at its original line numbers and nesting (enclosing
classes and blocks are rebuilt as header lines), so its code object has the same qualified
name, free variables and future flags as the original. That code object is then assigned to
the ``__code__`` of every function object compiled from the original, found once per worker
through an index keyed by ``(co_filename, co_qualname)``. Module namespaces are never touched.
"""

from __future__ import annotations
import __future__

import gc
import os
import types
from collections import defaultdict

from mutgate.mutant import Mutant

_FUTURE_MASK = 0
for _name in __future__.all_feature_names:
    _FUTURE_MASK |= getattr(__future__, _name).compiler_flag


class SwapError(Exception):
    """The mutant cannot be swapped in; it must run in a fresh process."""


def future_flags(module_code: types.CodeType) -> int:
    return module_code.co_flags & _FUTURE_MASK


def compile_mutated_function(mutant: Mutant, source: str, filename: str, flags: int
                             ) -> types.CodeType:
    """Compile the mutated text of ``mutant.swap_target`` and return its code object."""
    assert mutant.target_span is not None and mutant.swap_target is not None
    span_start, span_end = mutant.target_span
    text = source[span_start:span_end]
    relative = mutant.start - span_start
    if text[relative: relative + len(mutant.original)] != mutant.original:
        raise SwapError("source changed since the mutant was made")
    text = text[:relative] + mutant.replacement + text[relative + len(mutant.original):]
    first_line = source.count("\n", 0, span_start) + 1
    headers = mutant.target_header.split("\n") if mutant.target_header else []
    padding = first_line - 1 - len(headers)
    if padding < 0:
        raise SwapError("cannot rebuild the function's nesting")
    wrapped = "\n" * padding + "".join(h + "\n" for h in headers) + text
    try:
        code = compile(wrapped, filename, "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        raise SwapError(f"mutated function does not compile: {exc}") from None
    found = find_code(code, mutant.swap_target.split("."))
    if found is None:
        raise SwapError(f"no code object for {mutant.swap_target}")
    return found


def find_code(code: types.CodeType, path: list[str]) -> types.CodeType | None:
    """Follow class and function names down the constants of a compiled module."""
    for const in code.co_consts:
        if isinstance(const, types.CodeType) and const.co_name == path[0]:
            if len(path) == 1:
                return const
            return find_code(const, path[1:])
    return None


def code_qualname(code: types.CodeType, fallback: dict[tuple[int, str], str]) -> str:
    qualname = getattr(code, "co_qualname", None)
    if qualname is not None:
        return qualname
    return fallback.get((code.co_firstlineno, code.co_name), code.co_name)


def qualnames_by_line(module_code: types.CodeType) -> dict[tuple[int, str], str]:
    """For Python 3.10, which has no ``co_qualname``: qualified names from nesting."""
    names: dict[tuple[int, str], str] = {}

    def walk(code: types.CodeType, prefix: str, in_function: bool) -> None:
        for const in code.co_consts:
            if not isinstance(const, types.CodeType) or const.co_name.startswith("<"):
                continue
            joiner = ".<locals>." if in_function else "."
            qual = f"{prefix}{joiner}{const.co_name}" if prefix else const.co_name
            names[(const.co_firstlineno, const.co_name)] = qual
            is_function = bool(const.co_flags & 0x2)  # CO_NEWLOCALS: a function, not a class
            walk(const, qual, is_function)

    walk(module_code, "", False)
    return names


class FunctionIndex:
    """Every live function object of the project's files, by (filename, qualified name)."""

    def __init__(self, filenames: set[str], qualname_fallback: dict[str, dict]):
        self.functions: dict[tuple[str, str], list[types.FunctionType]] = defaultdict(list)
        self.caches: dict[tuple[str, str], list[object]] = defaultdict(list)
        real: dict[str, str | None] = {}

        def key_of(function: types.FunctionType) -> tuple[str, str] | None:
            code = function.__code__
            name = real.get(code.co_filename, "")
            if name == "":
                resolved = os.path.realpath(code.co_filename)
                name = real[code.co_filename] = resolved if resolved in filenames else None
            if name is None:
                return None
            return name, code_qualname(code, qualname_fallback.get(name, {}))

        for obj in gc.get_objects():
            if isinstance(obj, types.FunctionType):
                key = key_of(obj)
                if key:
                    self.functions[key].append(obj)
            elif hasattr(type(obj), "cache_clear"):
                wrapped = getattr(obj, "__wrapped__", None)
                key = key_of(wrapped) if isinstance(wrapped, types.FunctionType) else None
                if key:
                    self.caches[key].append(obj)

    def swap(self, filename: str, qualname: str, code: types.CodeType) -> int:
        """Put ``code`` into every function compiled from the original; returns how many."""
        targets = self.functions.get((filename, qualname), [])
        for function in targets:
            if len(function.__code__.co_freevars) != len(code.co_freevars):
                raise SwapError(f"{qualname}: free variables differ")
            function.__code__ = code
        for cached in self.caches.get((filename, qualname), []):
            cached.cache_clear()  # type: ignore[attr-defined]
        return len(targets)
