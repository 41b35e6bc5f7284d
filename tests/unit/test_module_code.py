"""Compiling a mutated module in part (`execution/module_code.py`) gives exactly its code.

Every mutant mutgate makes of each source here, and of a few of mutgate's own modules, must
compile in part to the code that compiling the mutated source whole gives: bytecode,
constants, names, line and column tables and qualified names, throughout.
"""

from __future__ import annotations

import textwrap
import types
from pathlib import Path

import pytest

from mutgate.execution.module_code import ModuleCode, _same
from mutgate.generate import mutants_of_source

TRICKY = {
    "methods_and_super": """
        class Base:
            LIMIT = 3 + 1

            def size(self, extra=2 * 3):
                return len(self.items) + extra

        class Child(Base):
            def size(self, extra=4 - 1):
                total = super().size(extra)
                return total * 2

            @property
            def half(self):
                return self.size() // 2

            @half.setter
            def half(self, value):
                self.items = [0] * (value * 2)
        """,
    "nested_and_conditional": """
        import sys

        if sys.version_info >= (3, 11):
            def pick(a, b):
                return a if a > b else b
        else:
            def pick(a, b):
                return b if a > b else a

        class Outer:
            class Inner:
                FACTOR = 2 + 2

                def scaled(self, x):
                    def helper(y):
                        return y * Outer.Inner.FACTOR
                    return helper(x) - 1

            VALUE = Inner.FACTOR * 3

        async def fetch(n, delay=1 + 1):
            for i in range(n):
                yield i * delay

        def counter(start=0):
            count = start
            def step():
                nonlocal count
                count += 1
                return count > 3
            return step

        TABLE = {k: v * 2 for k, v in [(1, 2), (3, 4)] if v > 2}
        pick(1, 2); SQUARE = lambda x: x * x  # noqa: E702, E731
        """,
    "odd_layout": """
        def one_line(x): return x + 1

        def docstring_only():
            \"\"\"Nothing but a docstring, ending here.\"\"\"

        def with_trailing_comment(a, b):
            return a < b  # the body ends before this comment

        def multi_line_signature(
            a,
            b=3 - 1,
        ):
            return (a
                    + b)

        class Semicolons:
            def f(self): x = 1; return x  # noqa: E702

            def g(self):
                x = 1; return x + 2  # noqa: E702

        def unicode_body():
            return "é" + "ü"
        """,
}


def _check_every_mutant(path: str, source: str) -> int:
    module = ModuleCode.of(path, source)
    assert module is not None, f"{path}: compiling in part was not proven exact"
    mutants = mutants_of_source(path, source)
    for mutant in mutants:
        mutated = mutant.apply_to(source)
        whole = compile(mutated, path, "exec", dont_inherit=True)
        part = module.compile(mutated, mutant.line, mutant.end_line)
        assert _same(part, whole), f"{path}:{mutant.line}: {mutant.original} -> " \
                                   f"{mutant.replacement}"
    return len(mutants)


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_every_mutant_compiles_in_part_as_it_does_whole(name: str) -> None:
    assert _check_every_mutant(f"/src/{name}.py", textwrap.dedent(TRICKY[name])) > 3


@pytest.mark.parametrize("module", ["gate.py", "sample.py", "execution/child_wait.py"])
def test_mutgate_s_own_modules_compile_in_part_as_they_do_whole(module: str) -> None:
    import mutgate

    path = Path(mutgate.__file__).parent / module
    assert _check_every_mutant(str(path), path.read_text()) > 10


def test_a_body_the_mutant_is_in_is_compiled_from_the_mutant() -> None:
    source = "def f():\n    return 1 + 1\n\n\ndef g():\n    return 2\n"
    module = ModuleCode.of("/m.py", source)
    assert module is not None
    code = module.compile(source.replace("1 + 1", "1 - 1"), 2, 2)
    f = next(c for c in code.co_consts if isinstance(c, types.CodeType) and c.co_name == "f")
    g = next(c for c in code.co_consts if isinstance(c, types.CodeType) and c.co_name == "g")
    assert types.FunctionType(f, {})() == 0
    assert g is next(c for c in module.original.co_consts
                     if isinstance(c, types.CodeType) and c.co_name == "g")


def test_an_edit_that_changes_the_number_of_lines_is_compiled_whole() -> None:
    source = "X = (1 +\n     2)\n\n\ndef f():\n    return X\n"
    module = ModuleCode.of("/m.py", source)
    assert module is not None
    mutated = "X = None\n\n\ndef f():\n    return X\n"
    assert _same(module.compile(mutated, 1, 2), compile(mutated, "/m.py", "exec",
                                                         dont_inherit=True))


def test_a_module_without_functions_is_never_compiled_in_part() -> None:
    assert ModuleCode.of("/m.py", "X = 1 + 1\nY = [X]\n") is None
    assert ModuleCode.of("/m.py", "def broken(:\n") is None
