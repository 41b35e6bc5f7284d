"""Mutant generation: what is never mutated, qualified names, swap targets, ids and offsets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers.projects import write_project

from mutgate.config import load_config
from mutgate.coverage_map import CoverageMap
from mutgate.errors import ConfigError
from mutgate.generate import _at_import, generate, mutants_of_source, premake, source_files
from mutgate.mutant import Mutant


def mutants(source: str, import_lines: set[int] = frozenset(), rel: str = "pkg/mod.py"
            ) -> list[Mutant]:
    return mutants_of_source(rel, textwrap.dedent(source).lstrip("\n"), set(import_lines))


def lines_of(source: str) -> list[int]:
    return sorted({m.line for m in mutants(source)})


def by_line(source: str, line: int) -> list[Mutant]:
    return [m for m in mutants(source) if m.line == line]


# -- never mutated ----------------------------------------------------------------------------
def test_docstrings_are_not_mutated() -> None:
    source = '''
        """Module doc: a + b < 3."""
        def f(a):
            """Returns a + 1 if a > 0."""
            return a
        class C:
            """Class doc, not a or b."""
        '''
    assert [(m.line, m.operator) for m in mutants(source)] == [(4, "return.none")]


def test_annotated_assignment_mutates_only_the_value() -> None:
    source = "x: int = 1 + 2\ny: Annotated[int, 3 + 4] = 5\n"
    assert [(m.line, m.original, m.replacement) for m in mutants(source)] == [(1, "+", "-")]


def test_parameter_and_return_annotations_are_not_mutated() -> None:
    source = "def f(a: Annotated[int, 1 + 1]) -> Annotated[int, 2 - 1]:\n    pass\n"
    assert mutants(source) == []


def test_type_checking_body_is_skipped_but_its_else_is_mutated() -> None:
    source = """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            A = 1 + 2
        else:
            A = 3 - 4
        import typing
        if typing.TYPE_CHECKING:
            B = 5 * 6
        elif A:
            B = 7 // 8
        """
    assert [(m.line, m.original) for m in mutants(source)] == [(5, "-"), (10, "//")]


@pytest.mark.parametrize("call", [
    "log.info('%s', a + 1)", "logger.debug(a + 1)", "self.log.warning(a + 1)",
    "logging.error('x', a + 1)", "LOGGER.exception(a + 1)", "self._logger.critical(a + 1)",
    "log.log(10, a + 1)", "app.logger.warn(a + 1)",
])
def test_arguments_of_logging_calls_are_not_mutated(call: str) -> None:
    assert mutants(f"def f(self, a):\n    {call}\n") == []


@pytest.mark.parametrize("call", ["print(a + 1)", "math.log(a + 1)", "self.error(a + 1)",
                                  "results.info(a + 1)"])
def test_arguments_of_other_calls_are_mutated(call: str) -> None:
    assert [m.original for m in mutants(f"def f(self, a):\n    {call}\n")] == ["+"]


def test_a_receiver_merely_containing_log_is_not_a_logger() -> None:
    assert [m.original for m in mutants("def f(catalog, a):\n    catalog.error(a + 1)\n")] == [
        "+"]


def test_get_logger_chain_is_a_logging_call() -> None:
    assert mutants("def f(a):\n    logging.getLogger(__name__).info(a + 1)\n") == []


def test_pragma_no_mutate_skips_only_its_line() -> None:
    source = """
        def f(a):
            b = a + 1  # pragma: no mutate
            return b - 1
        """
    assert [(m.line, m.original) for m in mutants(source)] == [(3, "b - 1"), (3, "-")]


# -- qualified names --------------------------------------------------------------------------
NESTED = """
    X = 1 + 1
    def top(a):
        return a + 1
    class C:
        def m(self, a):
            return a + 2
        class Inner:
            def deep(self, a):
                return a + 3
    def outer(a):
        def inner(b):
            return b + 4
        class Local:
            def meth(self):
                return a + 5
        return inner
    class D:
        k = 6 + 6
        def m(self):
            return [x + 7 for x in self]
    """


def test_qualnames_follow_python() -> None:
    by = {m.line: m.qualname for m in mutants(NESTED) if m.original == "+"}
    assert by == {1: "<module>", 3: "top", 6: "C.m", 9: "C.Inner.deep",
                  12: "outer.<locals>.inner", 15: "outer.<locals>.Local.meth", 18: "D",
                  20: "D.m"}


def test_swap_target_is_the_outermost_function() -> None:
    targets = {m.line: m.swap_target for m in mutants(NESTED) if m.original == "+"}
    assert targets == {1: None, 3: "top", 6: "C.m", 9: "C.Inner.deep", 12: "outer",
                       15: "outer", 18: None, 20: "D.m"}


def test_target_span_starts_at_the_def_line_and_ends_with_the_body() -> None:
    source = textwrap.dedent(NESTED).lstrip("\n")
    (m,) = [m for m in mutants(NESTED) if m.line == 12 and m.original == "+"]
    assert m.target_span is not None
    text = source[m.target_span[0]:m.target_span[1]]
    assert text.startswith("def outer(a):\n")
    assert text.endswith("\n    return inner")


def test_default_values_decorators_and_class_bodies_have_no_swap_target() -> None:
    source = """
        @register(1 + 1)
        def f(a, b=2 + 2, *, c=3 - 3):
            return a * b
        class K:
            size = 4 + 4
        """
    assert {(m.line, m.original): m.swap_target for m in mutants(source)} == {
        (1, "+"): None, (2, "+"): None, (2, "-"): None, (3, "a * b"): "f", (3, "*"): "f",
        (5, "+"): None}


def test_scope_lines_are_the_innermost_class_or_function_with_its_decorators() -> None:
    source = """
        LIMIT = 1 + 1
        @register(1 + 1)
        def f(a, b=2 + 2):
            return a * b
        class K:
            size = 4 + 4
            def grow(self, by=5 - 5):
                return self.size + by
        """
    assert {(m.line, m.original): m.scope_lines for m in mutants(source)
            if m.operator == "operator.arith"} == {
        (1, "+"): None, (2, "+"): (2, 4), (3, "+"): (2, 4), (4, "*"): (2, 4),
        (6, "+"): (5, 8), (7, "-"): (7, 8), (8, "+"): (7, 8)}


def test_lines_run_at_import_time_have_no_swap_target() -> None:
    source = "def f(a):\n    return a + 1\nVALUE = f(1) * 2\n"
    assert {m.line: m.swap_target for m in mutants(source, import_lines={2, 3})} == {
        2: None, 3: None}
    assert {m.line: m.swap_target for m in mutants(source)} == {2: "f", 3: None}


def test_target_header_of_a_method_rebuilds_its_classes() -> None:
    (m,) = [m for m in mutants(NESTED) if m.line == 9 and m.original == "+"]
    assert m.target_header == "class C:\n    class Inner:"


def test_target_header_of_a_function_in_try_and_if_blocks() -> None:
    source = """
        try:
            import fast
        except ImportError:
            if True:
                class C:
                    def m(self, a):
                        return a + 1
        for _ in range(1):
            def g(a):
                return a - 1
        """
    headers = {m.swap_target: m.target_header for m in mutants(source)}
    assert headers == {"C.m": "if 1:\n    if 1:\n        class C:", "g": "if 1:"}


def test_a_plain_function_has_an_empty_header() -> None:
    assert {m.target_header for m in mutants("def f(a):\n    return a + 1\n")} == {""}


# -- ids --------------------------------------------------------------------------------------
SIMPLE = """
    def f(a, b):
        return a + b
    """


def test_ids_are_twelve_hex_digits_and_stable() -> None:
    first = [m.id for m in mutants(SIMPLE)]
    assert first == [m.id for m in mutants(SIMPLE)]
    assert all(len(i) == 12 and int(i, 16) >= 0 for i in first)
    assert len(set(first)) == len(first)


def test_ids_do_not_change_when_unrelated_lines_are_inserted_above() -> None:
    moved = "import os\n\n\ndef other(x):\n    return x * 2\n\n" + textwrap.dedent(SIMPLE)
    before = {(m.operator, m.original): m.id for m in mutants(SIMPLE)}
    after = {(m.operator, m.original): (m.id, m.line) for m in mutants(moved)
             if m.qualname == "f"}
    assert {k: v[0] for k, v in after.items()} == before
    assert {v[1] for v in after.values()} == {9}


def test_ids_depend_on_the_file() -> None:
    ids_a = {m.id for m in mutants(SIMPLE, rel="pkg/a.py")}
    ids_b = {m.id for m in mutants(SIMPLE, rel="pkg/b.py")}
    assert ids_a.isdisjoint(ids_b)


def test_identical_edits_in_one_function_get_different_ids() -> None:
    source = "def f(a, b):\n    x = a + b\n    y = a + b\n    return x\n"
    plus = [m for m in mutants(source) if m.original == "+"]
    assert [m.line for m in plus] == [2, 3]
    assert plus[0].id != plus[1].id


def test_the_same_edit_in_two_functions_gets_different_ids() -> None:
    source = "def f(a):\n    return a + 1\ndef g(a):\n    return a + 1\n"
    plus = [m for m in mutants(source) if m.original == "+"]
    assert [m.qualname for m in plus] == ["f", "g"]
    assert plus[0].id != plus[1].id


# -- positions --------------------------------------------------------------------------------
def test_offsets_are_character_offsets_after_non_ascii_text() -> None:
    source = '# café — naïve ☃ 日本語\nname = "Ünïcödé 🎉"\ndef f(a):\n    return a + len("é")\n'
    found = mutants_of_source("m.py", source)
    assert [(m.original, m.line, m.col) for m in found] == [
        ('a + len("é")', 4, 12), ("+", 4, 14)]


def test_arithmetic_with_a_string_literal_is_not_mutated() -> None:
    source = 'def f(a):\n    x = "<" + a\n    return "%s" % x\n'
    found = mutants_of_source("m.py", source)
    assert [(m.operator, m.original) for m in found] == [("return.none", '"%s" % x')]
    for m in found:
        assert source[m.start:m.end] == m.original


def test_multi_line_original_keeps_its_exact_text() -> None:
    source = "def f(a, b):\n    return (a +\n            b)\n"
    (ret,) = [m for m in mutants_of_source("m.py", source) if m.operator == "return.none"]
    assert (ret.original, ret.line, ret.end_line) == ("a +\n            b", 2, 3)
    assert ret.apply_to(source) == "def f(a, b):\n    return (None)\n"


def test_crlf_sources_keep_exact_offsets() -> None:
    source = "x = 1\r\ndef f(a):\r\n    return a - 1\r\n"
    for m in mutants_of_source("m.py", source):
        assert source[m.start:m.end] == m.original
    assert [m.original for m in mutants_of_source("m.py", source)] == ["a - 1", "-"]


@pytest.mark.parametrize("separator", ["\x0c", "\u2028"])
def test_offsets_survive_characters_splitlines_treats_as_line_breaks(separator: str) -> None:
    source = f"x = 1\n# page{separator}break\ndef f(a):\n    return a + 1\n"
    assert [m.original for m in mutants_of_source("m.py", source)] == ["a + 1", "+"]


def test_syntax_error_names_the_file_and_line() -> None:
    with pytest.raises(ConfigError, match=r"^pkg/broken\.py:3: syntax error"):
        mutants_of_source("pkg/broken.py", "x = 1\ny = 2\ndef f(:\n")


# -- generate(): covered lines, operator selection, test files --------------------------------
PROJECT = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "def f(a):\n    return a + 1\n\ndef g(a):\n    return a - 1\n",
    "pkg/tests/__init__.py": "",
    "pkg/tests/test_inner.py": "def test_x():\n    assert 1 + 1 == 2\n",
    "pkg/conftest.py": "X = 1 + 1\n",
    "pkg/vendored/lib.py": "def h(a):\n    return a * 2\n",
}


def test_source_files_leave_out_tests_and_excluded_paths(tmp_path: Path) -> None:
    write_project(tmp_path, PROJECT)
    config = load_config(tmp_path, {"exclude": ["pkg/vendored/*"]})
    assert source_files(config) == ["pkg/__init__.py", "pkg/mod.py"]
    assert source_files(load_config(tmp_path)) == [
        "pkg/__init__.py", "pkg/mod.py", "pkg/vendored/lib.py"]


def test_generate_keeps_covered_lines_with_their_tests(tmp_path: Path) -> None:
    write_project(tmp_path, PROJECT)
    cov = CoverageMap(lines={"pkg/mod.py": {2: ["t::slow", "t::fast"]}},
                      import_lines={"pkg/mod.py": {1, 4}},
                      durations={"t::slow": 2.0, "t::fast": 0.1})
    found = generate(load_config(tmp_path), cov)
    assert [(m.line, m.original, m.covered_by) for m in found] == [
        (2, "a + 1", ("t::fast", "t::slow")), (2, "+", ("t::fast", "t::slow"))]


def test_generate_selects_families_and_single_operators(tmp_path: Path) -> None:
    write_project(tmp_path, PROJECT)
    cov = CoverageMap(lines={"pkg/mod.py": {2: ["t::a"], 5: ["t::a"]}},
                      import_lines={}, durations={})
    only_return = generate(load_config(tmp_path, {"operators": ["return"]}), cov)
    assert [(m.operator, m.line) for m in only_return] == [("return.none", 2),
                                                           ("return.none", 5)]
    only_arith = generate(load_config(tmp_path, {"operators": ["operator.arith"]}), cov)
    assert [(m.operator, m.original) for m in only_arith] == [("operator.arith", "+"),
                                                              ("operator.arith", "-")]


def test_statement_spans_cover_a_whole_simple_statement_and_only_a_compound_header():
    from mutgate.generate import statement_spans

    source = textwrap.dedent("""\
        def f(a, b):
            if (a
                    or b):
                x = [
                    1]
                return x
            return None
        """)
    spans = statement_spans(source)
    assert spans[2] == spans[3] == (2, 3)  # the if's condition, not its body
    assert spans[4] == spans[5] == (4, 5)
    assert spans[6] == (6, 6)
    assert spans[1] == (1, 1)


def test_statement_spans_of_a_match_statement_end_before_its_first_case():
    from mutgate.generate import statement_spans

    source = textwrap.dedent("""\
        def f(x):
            match (x,
                   1):
                case (0, 1):
                    return 1
                case _:
                    return 2
        """)
    spans = statement_spans(source)
    assert spans[2] == spans[3] == (2, 3)
    assert spans[5] == (5, 5) and spans[7] == (7, 7)


def test_a_parse_made_before_the_map_gives_the_mutants_a_parse_after_it_gives(tmp_path):
    # premake parses while the coverage run goes, without knowing which lines ran at import;
    # generate then marks those mutants as needing a fresh import.
    source = ("RATE = 2 + 3\n\n\ndef scale(x):\n    return x * RATE\n\n\n"
              "def table():\n    return {1: 2 - 1}\n")
    (tmp_path / "mod.py").write_text(source, encoding="utf-8")
    early = premake(tmp_path, ["mod.py"])["mod.py"]
    for ran_at_import in (set(), {1}, {1, 9}):
        assert [_at_import(m, ran_at_import) for m in early] == mutants_of_source(
            "mod.py", source, ran_at_import)
    assert any(m.swap_target == "table" for m in early)
    assert all(m.swap_target is None for m in (_at_import(m, {9}) for m in early)
               if m.line == 9)
