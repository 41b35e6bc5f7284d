"""The fast Python lexer and the per-line highlighting of the HTML report."""

from __future__ import annotations

import inspect
import json
import textwrap

from hypothesis import given
from hypothesis import strategies as st
from pygments.token import Comment, Keyword, Name, Number, Operator, String, Text

from mutgate.report.diff import split_lines
from mutgate.report.highlight import highlight_lines
from mutgate.report.lexer import FastPythonLexer

LEXER = FastPythonLexer()

SAMPLE = textwrap.dedent(
    '''\
    @app.route("/x")
    class Shape(Base):
        """A shape."""

        def area(self, scale: int = 0x1F) -> float:
            if scale is not None and scale < 3.5e3:  # a comment
                return rb"raw" + f'{scale}'
            return True
    '''
)


def tokens(text: str) -> list[tuple[object, str]]:
    return [(token, value) for token, value in LEXER.tokens(text) if value.strip()]


def test_tokens_have_the_usual_pygments_types() -> None:
    found = tokens(SAMPLE)
    assert (Name.Decorator, "@app.route") in found
    assert (Keyword, "class") in found
    assert (Name.Class, "Shape") in found
    assert (String.Doc, '"""A shape."""') in found
    assert (Name.Function, "area") in found
    assert (Name.Builtin.Pseudo, "self") in found
    assert (Number.Hex, "0x1F") in found
    assert (Number.Float, "3.5e3") in found
    assert (Operator.Word, "is") in found
    assert (Keyword.Constant, "None") in found
    assert (Comment.Single, "# a comment") in found
    assert (String.Double, 'rb"raw"') in found
    assert (String.Single, "f'{scale}'") in found
    assert (Keyword, "return") in found


def test_plain_text_between_tokens_is_merged() -> None:
    assert list(LEXER.tokens("total = first + second\n")) == [
        (Text, "total = first + second\n")
    ]


def test_names_that_merely_contain_keywords_are_not_keywords() -> None:
    found = tokens("definition = classy or iffy\n")
    assert found == [(Text, "definition = classy "), (Operator.Word, "or"), (Text, " iffy\n")]


def test_a_decorator_is_only_recognised_at_the_start_of_a_line() -> None:
    assert (Name.Decorator, "@staticmethod") in tokens("    @staticmethod\n")
    assert all(t is not Name.Decorator for t, _ in tokens("x = a @b\n"))


def test_unterminated_strings_end_at_the_line_or_the_file() -> None:
    found = tokens("x = 'open\ny = 1\nz = '''never closed\nmore\n")
    assert (String.Single, "'open") in found
    assert found[-1] == (String.Single, "'''never closed\nmore\n")


def test_pygments_api_positions_add_up() -> None:
    index = 0
    for start, _token, value in LEXER.get_tokens_unprocessed(SAMPLE):
        assert start == index
        index += len(value)
    assert index == len(SAMPLE)


@given(st.text(alphabet=st.sampled_from(list("ab_1 .'\"\\#@\n\r\t(){}=<>fr")), max_size=80))
def test_the_lexer_is_lossless_on_any_text(text: str) -> None:
    assert "".join(value for _, value in LEXER.tokens(text)) == text


@given(st.text(max_size=60))
def test_the_lexer_is_lossless_on_any_unicode(text: str) -> None:
    assert "".join(value for _, value in LEXER.tokens(text)) == text


def test_the_lexer_is_lossless_on_real_modules() -> None:
    for module in (json, textwrap, inspect):
        source = inspect.getsource(module)
        assert "".join(value for _, value in LEXER.tokens(source)) == source


def test_highlighting_gives_one_escaped_fragment_per_line() -> None:
    source = 'x = "</script><script>alert(1)</script>"\r\ns = """a\n<b>\n"""\n\n# & done'
    lines = highlight_lines(source)
    assert len(lines) == len(split_lines(source)) == 6
    assert "<script>" not in "".join(lines)
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in lines[0]
    assert "&lt;b&gt;" in lines[2]
    assert lines[4] == ""
    assert "&amp; done" in lines[5]
    for line in lines:
        assert line.count("<span") == line.count("</span>")


def test_a_multi_line_string_is_highlighted_on_every_line() -> None:
    lines = highlight_lines('s = """first\nsecond\n"""\n')
    assert all('class="s2"' in line for line in lines)
