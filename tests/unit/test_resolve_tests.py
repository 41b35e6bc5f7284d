"""Covering-test ids are resolved against the worker's own collection."""

from __future__ import annotations

from dataclasses import dataclass

from mutgate.execution.warm import resolve_tests


@dataclass(frozen=True)
class Item:
    nodeid: str


def collection(*ids: str) -> dict[str, Item]:
    return {nodeid: Item(nodeid) for nodeid in ids}


def test_known_ids_keep_their_order_and_are_not_repeated():
    items = collection("t.py::a", "t.py::b", "t.py::c")
    found = resolve_tests(items, ["t.py::c", "t.py::a", "t.py::c"])
    assert [i.nodeid for i in found] == ["t.py::c", "t.py::a"]


def test_a_parametrized_id_this_process_numbered_differently_stands_for_its_function():
    # The coverage run called it case[x-None1]; this worker's collection numbered it None0.
    items = collection("t.py::case[x-None0]", "t.py::case[y-None1]", "t.py::other")
    found = resolve_tests(items, ["t.py::case[x-None1]", "t.py::other"])
    assert [i.nodeid for i in found] == ["t.py::case[x-None0]", "t.py::case[y-None1]",
                                         "t.py::other"]


def test_an_unknown_plain_id_resolves_to_nothing():
    assert resolve_tests(collection("t.py::a"), ["t.py::gone"]) == []
