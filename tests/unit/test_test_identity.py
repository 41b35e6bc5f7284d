"""Test ids resolved across processes: a case with other parameters is not the same case."""

from __future__ import annotations

from dataclasses import dataclass, field

from mutgate.test_identity import UNKNOWN, param_digest, resolve


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
