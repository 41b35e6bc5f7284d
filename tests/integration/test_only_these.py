"""A static mutant's child collects only the test functions it runs (`reimport._OnlyThese`),
checked with a real pytest session in a pytester directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from mutgate.execution.reimport import _OnlyThese

pytest_plugins = ["pytester"]

MODULE = """\
import pytest

COLLECTED = []


@pytest.fixture
def shared():
    return 3


def test_wanted(shared):
    assert shared == 3


@pytest.mark.parametrize("value", [1, 2, 3])
def test_cases(value):
    assert value


def test_other():
    assert True


class TestGroup:
    def test_in_group(self):
        assert True

    def test_not_in_group(self):
        assert True

    class TestInner:
        def test_deep(self):
            assert True


class TestUnwanted:
    def test_never(self):
        assert True
"""


def collected(pytester: pytest.Pytester, tests: list[str]) -> list[str]:
    pytester.makepyfile(test_mod=MODULE)
    result = pytester.inline_run("--collect-only", plugins=[_OnlyThese(tests, pytester.path)])
    return [item.nodeid for item in result.getcalls("pytest_collection_finish")[0]
            .session.items]


def test_only_the_named_functions_are_collected(pytester: pytest.Pytester) -> None:
    assert collected(pytester, ["test_mod.py::test_wanted", "test_mod.py::TestGroup::test_in_group"]
                     ) == ["test_mod.py::test_wanted", "test_mod.py::TestGroup::test_in_group"]


def test_other_files_and_directories_are_not_collected(pytester: pytest.Pytester) -> None:
    # Collecting the whole directory: a file that cannot even be imported is never looked at.
    pytester.makepyfile(test_broken="raise RuntimeError('imported')\n")
    pytester.mkpydir("sub").joinpath("test_deeper.py").write_text("def test_x():\n    pass\n")
    assert collected(pytester, ["test_mod.py::test_other"]) == ["test_mod.py::test_other"]
    reached = collected(pytester, ["sub/test_deeper.py::test_x"])
    assert reached == ["sub/test_deeper.py::test_x"]


def test_a_named_case_brings_every_case_of_its_function(pytester: pytest.Pytester) -> None:
    # `resolve` finds a case whose parameters changed through its function's other cases.
    assert collected(pytester, ["test_mod.py::test_cases[2]"]) == [
        "test_mod.py::test_cases[1]", "test_mod.py::test_cases[2]", "test_mod.py::test_cases[3]"]


def test_nested_classes_are_reached(pytester: pytest.Pytester) -> None:
    assert collected(pytester, ["test_mod.py::TestGroup::TestInner::test_deep"]) == [
        "test_mod.py::TestGroup::TestInner::test_deep"]


def test_the_wanted_tests_still_pass_with_their_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mod=MODULE)
    result = pytester.inline_run(
        plugins=[_OnlyThese(["test_mod.py::test_wanted"], pytester.path)])
    result.assertoutcome(passed=1)


def test_a_bracket_in_a_directory_name_is_not_a_parameter(pytester: pytest.Pytester) -> None:
    pytester.mkdir("data[v1]").joinpath("test_a.py").write_text(
        "import pytest\n\n\n@pytest.mark.parametrize('n', [1, 2])\ndef test_x(n):\n    pass\n")
    assert collected(pytester, ["data[v1]/test_a.py::test_x[1]"]) == [
        "data[v1]/test_a.py::test_x[1]", "data[v1]/test_a.py::test_x[2]"]


def test_without_items_every_function_of_the_files_is_collected(pytester: pytest.Pytester
                                                                 ) -> None:
    # The judgement with every file collected generates every item, as pytest does: a
    # parametrization the mutant breaks is a collection error there.
    pytester.makepyfile(test_mod=MODULE, test_broken="raise RuntimeError('imported')\n")
    result = pytester.inline_run("--collect-only", plugins=[
        _OnlyThese(["test_mod.py::test_other"], pytester.path, items=False)])
    ids = [item.nodeid for item in result.getcalls("pytest_collection_finish")[0].session.items]
    assert len(ids) == 9 and "test_mod.py::TestUnwanted::test_never" in ids


def test_retargeting_takes_other_functions_of_the_same_files_until_items_are_made() -> None:
    only = _OnlyThese(["tests/test_a.py::test_one"], Path("/r"))
    assert only.retarget(["tests/test_a.py::test_two"])
    assert only.wanted == {"tests/test_a.py::test_two"}
    assert not only.retarget(["tests/test_b.py::test_two"])  # another file
    only.asked = 1  # a function was already kept or left out
    assert not only.retarget(["tests/test_a.py::test_three"])
    assert only.retarget(["tests/test_a.py::test_two"])  # what it chose by


def test_without_items_retargeting_after_items_were_made_is_harmless() -> None:
    only = _OnlyThese(["tests/test_a.py::test_one"], Path("/r"), items=False)
    only.asked = 3
    assert only.retarget(["tests/test_a.py::test_two"])
