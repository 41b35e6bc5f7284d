"""The project's coverage exclusions, read as coverage.py reads them."""

from __future__ import annotations

import textwrap

from mutgate.exclusions import excluded_lines, exclusion_regex

SOURCE = textwrap.dedent("""\
    def kept(x):
        return x + 1


    def dropped(x):  # pragma: no cover
        return x + 2


    def logged(x):
        log_it(x)
        return x
    """)


def test_the_default_pragma_excludes_a_whole_function(tmp_path):
    regex = exclusion_regex(tmp_path)
    assert excluded_lines(SOURCE, regex) == {5, 6}


def test_exclude_also_in_pyproject_adds_patterns(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.coverage.report]\nexclude_also = ["log_it\\\\("]\n', encoding="utf-8")
    assert excluded_lines(SOURCE, exclusion_regex(tmp_path)) == {5, 6, 10}


def test_a_coveragerc_comes_first(tmp_path):
    (tmp_path / ".coveragerc").write_text("[report]\nexclude_lines =\n    return x$\n",
                                          encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.coverage.report]\nexclude_also = ["log_it"]\n', encoding="utf-8")
    # exclude_lines replaces the defaults: the pragma no longer excludes.
    assert excluded_lines(SOURCE, exclusion_regex(tmp_path)) == {11}


def test_a_source_no_pattern_matches_gives_what_coverage_gives(tmp_path):
    from coverage.python import PythonParser

    (tmp_path / "pyproject.toml").write_text(
        '[tool.coverage.report]\nexclude_also = ["^\\\\s*raise NotImplementedError$"]\n',
        encoding="utf-8")
    regex = exclusion_regex(tmp_path)
    plain = SOURCE.replace("  # pragma: no cover", "")
    stub = plain + "\n\ndef later():\n    raise NotImplementedError\n"
    for source in (plain, stub, SOURCE):
        parser = PythonParser(text=source, exclude=regex)
        parser.parse_source()
        assert excluded_lines(source, regex) == set(parser.excluded), source
    assert excluded_lines(plain, regex) == set()
    assert excluded_lines(stub, regex) == {15}
