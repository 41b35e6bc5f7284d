"""Swapping a mutated function into live, really imported modules (a fresh module per test)."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import sys
import traceback
import types

import pytest

from mutgate.execution.swap import (
    FunctionIndex,
    SwapError,
    compile_mutated_function,
    future_flags,
    qualnames_by_line,
)
from mutgate.generate import mutants_of_source
from mutgate.mutant import Mutant


def find(source: str, line: int, operator: str) -> Mutant:
    found = [m for m in mutants_of_source("m.py", source)
             if m.line == line and m.operator == operator]
    assert len(found) == 1, found
    return found[0]


def compiled(mutant: Mutant, source: str, path: str) -> types.CodeType:
    flags = future_flags(compile(source, path, "exec", dont_inherit=True))
    return compile_mutated_function(mutant, source, path, flags)


def index_of(*paths: str) -> FunctionIndex:
    """The index of ``paths``' live functions, built as the warm session builds it: with the
    qualified names from nesting that Python 3.10 (no ``co_qualname``) needs."""
    fallback = {}
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            fallback[path] = qualnames_by_line(compile(handle.read(), path, "exec"))
    return FunctionIndex(set(paths), fallback)


def swap_in(load_module, text: str, line: int, operator: str):
    """Import ``text`` as a fresh module, swap the mutant in; return (module, functions swapped)."""
    module, source, path = load_module(text)
    mutant = find(source, line, operator)
    code = compiled(mutant, source, path)
    index = index_of(path)
    return module, index.swap(path, mutant.swap_target, code)


def test_plain_function(load_module) -> None:
    mod, count = swap_in(load_module, "def add(a, b):\n    return a + b\n", 2, "operator.arith")
    assert (mod.add(5, 3), count) == (2, 1)


def test_the_module_namespace_is_left_alone(load_module) -> None:
    mod, source, path = load_module("def add(a, b):\n    return a + b\n")
    before, function = dict(vars(mod)), mod.add
    code = compiled(find(source, 2, "operator.arith"), source, path)
    index_of(path).swap(path, "add", code)
    assert vars(mod) == before and mod.add is function and mod.add(1, 1) == 0


def test_mutated_code_keeps_the_original_line_numbers(load_module) -> None:
    text = "import os\n\n\ndef f(a):\n    b = a + 1\n    return 10 // b\n"
    mod, _ = swap_in(load_module, text, 5, "operator.arith")
    with pytest.raises(ZeroDivisionError) as info:
        mod.f(1)
    assert traceback.extract_tb(info.tb)[-1].lineno == 6
    assert mod.f.__code__.co_firstlineno == 4


def test_method(load_module) -> None:
    text = "class C:\n    def m(self, a):\n        return a * 2\n"
    mod, count = swap_in(load_module, text, 3, "operator.arith")
    assert (mod.C().m(3), count) == (1.5, 1)


def test_method_of_a_nested_class(load_module) -> None:
    text = "class A:\n    class B:\n        def m(self, a):\n            return a - 1\n"
    mod, _ = swap_in(load_module, text, 4, "operator.arith")
    assert mod.A.B().m(5) == 6


def test_property_getter(load_module) -> None:
    text = ("class C:\n    def __init__(self):\n        self._v = 4\n    @property\n"
            "    def v(self):\n        return self._v + 1\n")
    mod, _ = swap_in(load_module, text, 6, "operator.arith")
    assert mod.C().v == 3


PROPERTY_WITH_SETTER = """\
class C:
    def __init__(self):
        self._v = 0

    @property
    def v(self):
        return self._v * 1

    @v.setter
    def v(self, value):
        self._v = value + 1
"""


def test_property_getter_with_a_setter(load_module) -> None:
    mod, count = swap_in(load_module, PROPERTY_WITH_SETTER, 7, "operator.arith")
    obj = mod.C()
    obj.v = 10
    assert (obj._v, obj.v, count) == (11, 11.0, 1)


def test_property_setter(load_module) -> None:
    mod, _ = swap_in(load_module, PROPERTY_WITH_SETTER, 11, "operator.arith")
    obj = mod.C()
    obj.v = 10
    assert (obj._v, obj.v) == (9, 9)


def test_overloaded_function(load_module) -> None:
    text = ("from typing import overload\n\n@overload\ndef scale(x: int) -> int: ...\n"
            "@overload\ndef scale(x: float) -> float: ...\ndef scale(x):\n    return x * 2\n")
    mod, _ = swap_in(load_module, text, 8, "operator.arith")
    assert mod.scale(3) == 1.5


def test_classmethod_and_staticmethod(load_module) -> None:
    text = ("class C:\n    @classmethod\n    def make(cls, a):\n        return a + 1\n"
            "    @staticmethod\n    def half(a):\n        return a // 2\n")
    mod, _ = swap_in(load_module, text, 4, "operator.arith")
    assert (mod.C.make(1), mod.C().make(1), mod.C.half(7)) == (0, 0, 3)
    mod, _ = swap_in(load_module, text, 7, "operator.arith")
    assert (mod.C.make(1), mod.C.half(7)) == (2, 3.5)


def test_function_decorated_with_functools_wraps(load_module) -> None:
    text = ("import functools\n\ndef deco(fn):\n    @functools.wraps(fn)\n"
            "    def wrapper(*args):\n        return fn(*args)\n    return wrapper\n\n"
            "@deco\ndef area(w, h):\n    return w * h\n")
    mod, count = swap_in(load_module, text, 11, "operator.arith")
    assert (mod.area(6, 3), mod.area.__wrapped__(6, 3), count) == (2, 2, 1)


def test_mutant_inside_a_closure_is_swapped_through_the_outer_function(load_module) -> None:
    text = "def make_adder(k):\n    def add(a):\n        return a + k\n    return add\n"
    mod, count = swap_in(load_module, text, 3, "operator.arith")
    assert (mod.make_adder(2)(5), count) == (3, 1)


def test_closures_made_before_the_swap_see_the_mutant(load_module) -> None:
    text = ("def make_adder(k):\n    def add(a):\n        return a + k\n    return add\n\n"
            "ADD_TWO = make_adder(2)\n")
    mod, count = swap_in(load_module, text, 3, "operator.arith")
    assert (mod.ADD_TWO(5), mod.make_adder(1)(5), count) == (3, 4, 2)


def test_mutant_inside_a_decorator_wrapper_reaches_decorated_functions(load_module) -> None:
    text = ("def twice(fn):\n    def wrapper(a):\n        return fn(a) * 2\n    return wrapper\n\n"
            "@twice\ndef ident(a):\n    return a\n")
    mod, _ = swap_in(load_module, text, 3, "operator.arith")
    assert mod.ident(8) == 4.0


def test_mutant_that_removes_a_nested_function_still_swaps_the_outer_one(load_module) -> None:
    text = "def outer(a):\n    return lambda: a + 1\n\nLATER = outer(1)\n"
    mod, count = swap_in(load_module, text, 2, "return.none")
    assert (mod.outer(1), mod.LATER(), count) == (None, 2, 1)


def test_super_call(load_module) -> None:
    text = ("class Base:\n    def val(self):\n        return 10\n\nclass Child(Base):\n"
            "    def val(self):\n        return super().val() + 1\n")
    mod, _ = swap_in(load_module, text, 7, "operator.arith")
    assert (mod.Child().val(), mod.Base().val()) == (9, 10)


def test_name_mangled_method(load_module) -> None:
    text = ("class C:\n    def __secret(self):\n        return 2 + 3\n\n"
            "    def reveal(self):\n        return self.__secret()\n")
    mod, count = swap_in(load_module, text, 3, "operator.arith")
    assert (mod.C().reveal(), count) == (-1, 1)


def test_function_inside_a_try_block(load_module) -> None:
    text = ("try:\n    import json\nexcept ImportError:\n    json = None\nelse:\n"
            "    def dump(a):\n        return a + 1\n")
    mod, _ = swap_in(load_module, text, 7, "operator.arith")
    assert mod.dump(1) == 0


def test_method_of_a_class_inside_an_if_block(load_module) -> None:
    text = ("import sys\nif sys.version_info >= (3,):\n    class C:\n"
            "        def m(self, a):\n            return a * 3\n")
    mod, _ = swap_in(load_module, text, 5, "operator.arith")
    assert mod.C().m(3) == 1.0


@pytest.mark.parametrize("text", [
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\nelse:\n",
    "import sys\nmatch sys.platform:\n    case _:\n",
    pytest.param("try:\n    pass\nexcept* ValueError:\n    pass\nelse:\n",
                 marks=pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is 3.11+")),
], ids=["type-checking-else", "match", "except-star"])
def test_function_defined_in_other_blocks(load_module, text: str) -> None:
    indent = "        " if "match" in text else "    "
    text += f"{indent}def f(a):\n{indent}    return a - 1\n"
    mod, _ = swap_in(load_module, text, text.count("\n"), "operator.arith")
    assert mod.f(1) == 2


def test_async_function(load_module) -> None:
    text = "async def fetch(a):\n    return a + 1\n"
    mod, _ = swap_in(load_module, text, 2, "operator.arith")
    assert asyncio.run(mod.fetch(1)) == 0


def test_generator(load_module) -> None:
    text = "def evens(n):\n    for i in range(n):\n        yield i * 2\n"
    mod, _ = swap_in(load_module, text, 3, "operator.arith")
    assert list(mod.evens(3)) == [0.0, 0.5, 1.0]


def test_future_annotations_flag_is_kept(load_module) -> None:
    text = ("from __future__ import annotations\n\ndef outer(a):\n"
            "    def inner(x: NotDefinedAnywhere) -> AlsoUndefined:\n        return x\n"
            "    return inner(a) + 1\n")
    mod, source, path = load_module(text)
    mutant = find(source, 6, "operator.arith")
    code = compiled(mutant, source, path)
    assert code.co_flags & 0x1000000  # CO_FUTURE_ANNOTATIONS
    index_of(path).swap(path, "outer", code)
    assert mod.outer(5) == 4  # without the flag, defining inner raises NameError


def test_lru_cache_is_cleared_on_swap(load_module) -> None:
    text = ("import functools\n\n@functools.lru_cache(maxsize=None)\ndef cached(a):\n"
            "    return a + 100\n")
    mod, source, path = load_module(text)
    assert mod.cached(1) == 101
    index = index_of(path)
    index.swap(path, "cached", compiled(find(source, 5, "operator.arith"), source, path))
    assert mod.cached(1) == -99


def test_index_holds_only_the_given_files(load_module) -> None:
    _, _, path = load_module("class C:\n    def m(self):\n        pass\n\ndef f():\n    pass\n")
    _, _, other = load_module("def g():\n    pass\n")
    index = index_of(path)
    assert (index.has(path, "C.m"), index.has(path, "f"), index.has(path, "C")) == (
        True, True, False)
    assert (index.has(other, "g"), index.has(path, "g")) == (False, False)


def test_swap_of_a_function_that_is_not_loaded_swaps_nothing(load_module) -> None:
    _, source, path = load_module("def add(a, b):\n    return a + b\n")
    code = compiled(find(source, 2, "operator.arith"), source, path)
    assert index_of(path).swap(path, "other", code) == 0


def test_changed_source_is_refused(load_module) -> None:
    _, source, path = load_module("def add(a, b):\n    return a + b\n")
    mutant = find(source, 2, "operator.arith")
    with pytest.raises(SwapError, match="^source changed since the mutant was made$"):
        compile_mutated_function(mutant, source.replace("+", "*"), path, 0)


def test_mutated_text_that_does_not_compile_is_refused(load_module) -> None:
    _, source, path = load_module("def add(a, b):\n    return a + b\n")
    broken = dataclasses.replace(find(source, 2, "operator.arith"), replacement="+)")
    with pytest.raises(SwapError, match="^mutated function does not compile: "):
        compile_mutated_function(broken, source, path, 0)


def test_unknown_swap_target_is_refused(load_module) -> None:
    _, source, path = load_module("def add(a, b):\n    return a + b\n")
    lost = dataclasses.replace(find(source, 2, "operator.arith"), swap_target="sub")
    with pytest.raises(SwapError, match="^no code object for sub$"):
        compile_mutated_function(lost, source, path, 0)


def test_header_that_does_not_fit_above_the_function_is_refused(load_module) -> None:
    _, source, path = load_module("def add(a, b):\n    return a + b\n")
    deep = dataclasses.replace(find(source, 2, "operator.arith"), target_header="class X:")
    with pytest.raises(SwapError, match="^cannot rebuild the function's nesting$"):
        compile_mutated_function(deep, source, path, 0)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="needs co_qualname to compare with")
def test_qualified_names_from_nesting_match_co_qualname() -> None:
    """Python 3.10's fallback gives the names later versions put in ``co_qualname``."""
    text = ("class A:\n    class B:\n        def m(self):\n            def inner():\n"
            "                return [x for x in ()]\n            return inner\n"
            "    @property\n    def p(self):\n        return lambda: 1\n\n"
            "def f():\n    class Local:\n        def n(self):\n            pass\n"
            "    return Local\n")
    module = compile(text, "m.py", "exec")
    expected, todo = {}, [module]
    while todo:
        for const in todo.pop().co_consts:
            if isinstance(const, types.CodeType):
                if not const.co_name.startswith("<"):
                    expected[(const.co_firstlineno, const.co_name)] = const.co_qualname
                todo.append(const)
    assert qualnames_by_line(module) == expected
    assert expected[(3, "m")] == "A.B.m" and expected[(13, "n")] == "f.<locals>.Local.n"


def test_a_module_run_twice_under_two_names_gets_the_mutant_in_both(load_module) -> None:
    # toolz's tlz package executes toolz's modules a second time under its own names: two
    # function objects with equal but distinct code, both reachable by the tests.
    first, source, path = load_module("class K:\n    def __eq__(self, other):\n"
                                      "        return True\n\ndef f(a):\n    return a + 1\n")
    spec = importlib.util.spec_from_file_location("mutgate_second_copy", path)
    second = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(second)
    index = index_of(path)
    assert index.swap(path, "f", compiled(find(source, 6, "operator.arith"), source, path)) == 2
    assert (first.f(1), second.f(1)) == (0, 0)


def test_a_mutant_that_drops_a_closures_free_variable_is_refused_before_any_swap(
        load_module) -> None:
    mod, source, path = load_module("def deco(f):\n    def wrapper(*args):\n"
                                    "        return f(*args)\n    return wrapper\n\n\n"
                                    "@deco\ndef one():\n    return 1\n")
    mutant = find(source, 3, "return.none")
    index = index_of(path)
    with pytest.raises(SwapError, match="free variables differ"):
        index.targets(path, mutant.swap_target, compiled(mutant, source, path))
    assert mod.one() == 1
