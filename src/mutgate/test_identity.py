"""What a test id names, checked across processes.

A parametrized test's id is only an identity inside one process when its parameters come in
an order that depends on hashing by address (a set of tuples holding ``None`` on Python 3.11
and older): ``test_x[expected0]`` can be one case in the coverage run and another in a worker.
The coverage run records a digest of each parametrized item's parameter values; a process
that resolves ids to its own collected items runs a test case only where its digest matches,
and otherwise runs every case of that test function, so the case that covered the line is
always among those that run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

#: The digest of parameters whose repr cannot be taken: it never matches anything.
UNKNOWN = "?"


def param_digest(item: Any) -> str | None:
    """A digest of a parametrized item's parameter values; None for a plain test."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    try:
        text = repr(sorted(callspec.params.items()))
    except Exception:  # a parameter whose repr raises
        return UNKNOWN
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:16]


def function_prefix(nodeid: str) -> str | None:
    """The id prefix shared by every parametrization of ``nodeid``'s test function."""
    return nodeid.split("[", 1)[0] + "[" if "[" in nodeid else None


def resolve(items: Mapping[str, Any], nodeids: Iterable[str], digests: Mapping[str, str],
            digest_of=param_digest) -> list[Any]:
    """The collected ``items`` that ``nodeids`` (ids of another process) stand for, in order.

    An id whose item is here with the recorded parameters is that item. An id not collected
    here, or collected with other parameters, stands for every parametrization of its test
    function.
    """
    found: dict[str, Any] = {}
    for nodeid in nodeids:
        item = items.get(nodeid)
        expected = digests.get(nodeid)
        if item is not None and (expected is None or digest_of(item) == expected):
            found.setdefault(nodeid, item)
            continue
        prefix = function_prefix(nodeid)
        if prefix is None:
            continue
        for other, candidate in items.items():
            if other.startswith(prefix):
                found.setdefault(other, candidate)
    return list(found.values())


def unstable_functions(old_ids: Iterable[str], new_ids: Iterable[str],
                       unchanged_files: set[str], known: Iterable[str] = ()) -> set[str]:
    """The test functions (`function_prefix`) whose parametrized ids change from one
    collection to the next with their file unchanged: ids built from the time, a random
    value or an address (``test_parse[06:21:22 2026-12-02]``). ``known``: such functions found
    before, kept while their file is unchanged."""
    old, new = set(old_ids), set(new_ids)
    gone = {function_prefix(t) for t in old - new} - {None}
    found = {function_prefix(t) for t in new - old} & gone
    found |= set(known)
    return {prefix for prefix in found
            if prefix is not None and prefix.split("::", 1)[0] in unchanged_files}


def stable_ids(nodeids: Iterable[str]) -> list[str]:
    """``nodeids`` as a reuse fingerprint holds them: each case of a parametrized test as its
    function (as often as it occurs), a plain test as itself; sorted. Which cases they are is
    checked apart (`same_cases`), where ids that change between collections can be told."""
    out = []
    for nodeid in nodeids:
        prefix = function_prefix(nodeid)
        out.append(nodeid if prefix is None else prefix + "*]")
    return sorted(out)


def same_cases(before: Iterable[str], now: Iterable[str], unstable: set[str]) -> bool:
    """Whether two runs' covering tests are the same test cases: the same ids, but for cases
    of ``unstable`` functions, whose ids name the same cases anew (their number is in the
    fingerprint)."""
    return all(function_prefix(t) in unstable for t in set(before) ^ set(now))
