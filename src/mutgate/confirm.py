"""Survivor confirmation: a survivor is only a survivor once the wider tests also pass.

Coverage credits a line to the tests that ran it. State filled once per process (a cache, a
registry, a lazily built table) lets a line run only in the first test that needed it; later
tests read what it left and would notice a change to that code, but never show up as covering
it. So every mutant whose covering tests all passed is run again against every other test that
ran a line of its module (``confirm = "module"``) or every test of the suite (``"suite"``).
Code that runs at import time is seen by every test module that imports it, directly or
through other modules (`importers.py`): their tests confirm such survivors too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from mutgate.config import Config
from mutgate.coverage_map import CoverageMap
from mutgate.mutant import Mutant
from mutgate.outcome import DETECTED, SURVIVED
from mutgate.store import Result


def confirmation_tests(config: Config, cov: CoverageMap, mutant: Mutant,
                       importers: Mapping[str, frozenset[str]] | None = None) -> list[str]:
    """The tests that can observe ``mutant`` beyond those that ran its lines: every test that
    ran any line of its file (``confirm = "module"``), or every test (``"suite"``). A mutant
    that needs a fresh import (code run at import time) is also seen by every test of the
    test files that import its module (``importers``: file → their tests)."""
    if config.confirm == "suite":
        wider = set(cov.durations)
    else:
        wider = set(cov.tests_of_file(mutant.file))
        if mutant.swap_target is None and importers:
            wider |= importers.get(mutant.file, frozenset())
    return sorted(wider - set(mutant.covered_by), key=lambda t: (cov.durations.get(t, 0.0), t))


def survivors_to_confirm(config: Config, cov: CoverageMap, survivors: list[Mutant],
                         flaky: set[str], importers: Mapping[str, frozenset[str]] | None = None
                         ) -> tuple[list[str], list[Mutant]]:
    """(ids of the survivors no other test can observe, so confirmed as they are; the others,
    each with its confirmation tests as ``covered_by``)."""
    nothing_more, wider = [], []
    for mutant in survivors:
        tests = [t for t in confirmation_tests(config, cov, mutant, importers)
                 if t not in flaky]
        if tests:
            wider.append(replace(mutant, covered_by=tuple(tests)))
        else:
            nothing_more.append(mutant.id)
    return nothing_more, wider


def as_confirmation(result: Result) -> Result | None:
    """A confirmation's result, as the verdict on the survivor it re-ran; None when the wider
    run went wrong (the survivor stays, unconfirmed)."""
    if result.status == SURVIVED:
        return replace(result, confirmed=True, detail=None)
    if result.status in DETECTED:
        how = f"killed by {result.killed_by}, " if result.killed_by else "detected by "
        return replace(result, detail=how + "a test that never ran its lines (found when "
                       "confirming the survivor against the wider tests)")
    return None
