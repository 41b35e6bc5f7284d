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
from collections.abc import Iterator

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


def pair_codes(old: types.CodeType, new: types.CodeType
               ) -> Iterator[tuple[types.CodeType, types.CodeType]]:
    """Match an original code tree with its mutated copy: same names in the same order."""
    yield old, new
    old_children = [c for c in old.co_consts if isinstance(c, types.CodeType)]
    new_children = [c for c in new.co_consts if isinstance(c, types.CodeType)]
    if [c.co_name for c in old_children] != [c.co_name for c in new_children]:
        return  # the mutant removed or added a nested function: only the outer one is swapped
    for old_child, new_child in zip(old_children, new_children, strict=True):
        yield from pair_codes(old_child, new_child)


class FunctionIndex:
    """Every live function object of the project's files, by the identity of its code.

    Nested functions and closures created before a mutant runs (decorator wrappers made at
    import time, say) hold the original nested code objects; swapping by identity reaches them.
    """

    def __init__(self, filenames: set[str], qualname_fallback: dict[str, dict]):
        self.by_code: dict[int, list[types.FunctionType]] = defaultdict(list)
        self.caches: dict[int, list[object]] = defaultdict(list)
        self.outer: dict[tuple[str, str], list[types.CodeType]] = defaultdict(list)
        real: dict[str, str | None] = {}

        def file_of(code: types.CodeType) -> str | None:
            if code.co_filename not in real:
                resolved = os.path.realpath(code.co_filename)
                real[code.co_filename] = resolved if resolved in filenames else None
            return real[code.co_filename]

        for obj in gc.get_objects():
            if isinstance(obj, types.FunctionType):
                code = obj.__code__
                name = file_of(code)
                if name:
                    self.by_code[id(code)].append(obj)
                    qualname = code_qualname(code, qualname_fallback.get(name, {}))
                    same_name = self.outer[(name, qualname)]
                    if not any(known is code for known in same_name):
                        same_name.append(code)
            elif hasattr(type(obj), "cache_clear"):
                wrapped = getattr(obj, "__wrapped__", None)
                if isinstance(wrapped, types.FunctionType) and file_of(wrapped.__code__):
                    self.caches[id(wrapped.__code__)].append(obj)


    def originals(self, filename: str, qualname: str, def_line: int) -> list[types.CodeType]:
        """The original code of the function defined at ``def_line``: usually one object, more
        when the module's source ran more than once (a package that loads its modules again
        under a second name, like toolz's ``tlz``).

        Several functions can share a qualified name (a property's getter and setter,
        ``@overload`` stubs); a decorated function's code starts at its first decorator, so the
        one defined last at or above ``def_line`` is the one.
        """
        candidates = [c for c in self.outer.get((filename, qualname), ())
                      if c.co_firstlineno <= def_line]
        last = max((c.co_firstlineno for c in candidates), default=None)
        return [c for c in candidates if c.co_firstlineno == last]

    def has(self, filename: str, qualname: str) -> bool:
        return bool(self.outer.get((filename, qualname)))

    def targets(self, filename: str, qualname: str, code: types.CodeType
                ) -> list[tuple[types.FunctionType, types.CodeType]]:
        """Each live function made from the original, with the code it is to get; raises
        SwapError when a mutant changed a closure's free variables (the function's cells
        could not hold it). Call it before forking: a child cannot fall back."""
        pairs = []
        for original in self.originals(filename, qualname, code.co_firstlineno):
            for old, new in pair_codes(original, code):
                for function in self.by_code.get(id(old), ()):
                    if len(function.__code__.co_freevars) != len(new.co_freevars):
                        raise SwapError(f"{qualname}: free variables differ")
                    pairs.append((function, new))
        return pairs

    def swap(self, filename: str, qualname: str, code: types.CodeType) -> int:
        """Put ``code`` (and its nested code) into every live function made from the original.

        Every cache of the project's functions is cleared too: a cache filled before the swap
        (by the warm-up) must not hide the mutant, in this function or in one it calls.
        """
        return self.apply(self.targets(filename, qualname, code))

    def apply(self, pairs: list[tuple[types.FunctionType, types.CodeType]]) -> int:
        """Give each function of ``targets()`` its new code; clear every cache first."""
        for caches in self.caches.values():
            for cached in caches:
                cached.cache_clear()  # type: ignore[attr-defined]
        for function, new in pairs:
            function.__code__ = new
        return len(pairs)
