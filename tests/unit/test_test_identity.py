"""Test ids resolved across processes: a case with other parameters is not the same case."""

from __future__ import annotations

from dataclasses import dataclass, field

from mutgate.test_identity import (
    UNKNOWN,
    param_digest,
    resolve,
    same_cases,
    stable_ids,
    unstable_functions,
)


@dataclass
class CallSpec:
    params: dict = field(default_factory=dict)


@dataclass
class Item:
    nodeid: str
    callspec: CallSpec | None = None


def _items(*cases: tuple[str, dict | None]) -> dict[str, Item]:
    return {nodeid: Item(nodeid, None if params is None else CallSpec(params))
            for nodeid, params in cases}


def test_a_plain_test_has_no_digest_and_a_parametrized_one_has_a_stable_one():
    assert param_digest(Item("t.py::a")) is None
    first = param_digest(Item("t.py::b[x0]", CallSpec({"x": (1, None)})))
    assert first == param_digest(Item("other", CallSpec({"x": (1, None)})))
    assert first != param_digest(Item("t.py::b[x0]", CallSpec({"x": (2, None)})))


def test_a_parameter_whose_repr_fails_never_matches():
    class Broken:
        def __repr__(self):
            raise RuntimeError("no repr")

    assert param_digest(Item("t.py::b[x0]", CallSpec({"x": Broken()}))) == UNKNOWN


def test_an_id_with_the_recorded_parameters_is_that_case_alone():
    items = _items(("t.py::b[x0]", {"x": 1}), ("t.py::b[x1]", {"x": 2}))
    digests = {"t.py::b[x0]": param_digest(items["t.py::b[x0]"])}
    assert [i.nodeid for i in resolve(items, ["t.py::b[x0]"], digests)] == ["t.py::b[x0]"]


def test_an_id_naming_other_parameters_here_stands_for_every_case_of_its_function():
    coverage_run = _items(("t.py::b[x0]", {"x": 2}))  # case x=2 was x0 there
    here = _items(("t.py::b[x0]", {"x": 1}), ("t.py::b[x1]", {"x": 2}), ("t.py::c", None))
    digests = {"t.py::b[x0]": param_digest(coverage_run["t.py::b[x0]"])}
    found = resolve(here, ["t.py::b[x0]", "t.py::c"], digests)
    assert [i.nodeid for i in found] == ["t.py::b[x0]", "t.py::b[x1]", "t.py::c"]


def test_an_id_without_a_recorded_digest_is_trusted_and_unknown_plain_ids_vanish():
    here = _items(("t.py::b[x0]", {"x": 1}), ("t.py::b[x1]", {"x": 2}))
    assert [i.nodeid for i in resolve(here, ["t.py::b[x1]", "t.py::gone"], {})] == [
        "t.py::b[x1]"]


def test_a_test_whose_ids_change_with_its_file_unchanged_is_unstable():
    old = ["t/test_a.py::test_stamp[06:21:22]", "t/test_a.py::test_plain",
           "t/test_b.py::test_x[1]"]
    new = ["t/test_a.py::test_stamp[06:24:39]", "t/test_a.py::test_plain",
           "t/test_b.py::test_x[2]"]
    # test_b.py changed: its new case is a new case, not an unstable id.
    assert unstable_functions(old, new, {"t/test_a.py"}) == {"t/test_a.py::test_stamp["}
    # Once found, kept while the file is unchanged; dropped when it changes.
    assert unstable_functions(new, new, {"t/test_a.py"}, {"t/test_a.py::test_stamp["}) == {
        "t/test_a.py::test_stamp["}
    assert unstable_functions(new, new, set(), {"t/test_a.py::test_stamp["}) == set()


def test_fingerprint_ids_count_cases_and_same_cases_tells_them_apart():
    assert stable_ids(["t.py::f[b]", "t.py::g", "t.py::f[a]"]) == ["t.py::f[*]", "t.py::f[*]",
                                                                    "t.py::g"]
    unstable = {"t.py::stamp["}
    assert same_cases(["t.py::stamp[1]", "t.py::g"], ["t.py::stamp[2]", "t.py::g"], unstable)
    # Another case of a stable function covers the mutant now: not the same cases.
    assert not same_cases(["t.py::f[a]"], ["t.py::f[b]"], unstable)
    assert same_cases(["t.py::f[a]"], ["t.py::f[a]"], set())
