"""When an earlier result still holds: the fingerprint a mutant's verdict depends on.

A result is reused while its mutant's fingerprint is unchanged. The fingerprint covers what
the verdict can depend on and nothing measured: the mutated scope's text (the enclosing
function, or the whole module for import-time code), which tests cover the mutant and which
could confirm a survivor (by id, with the contents of their files), conftest files and
pytest's configuration, mutgate's settings and version. Test durations and the order they
were measured in change on every coverage run and are never part of it. A parametrized test
counts by its function and its number of cases there: an id built from the time or a random
value names its case anew in every collection. Which cases cover the mutant is checked when the
result is looked up (`test_identity.same_cases`): the same ids, but for the cases of functions
whose ids were seen to change with their file unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from mutgate import __version__, coverage_map
from mutgate.config import Config
from mutgate.confirm import confirmation_tests
from mutgate.coverage_map import CoverageMap
from mutgate.mutant import Mutant
from mutgate.test_identity import stable_ids

SUITE_FILES = ("conftest.py", "pyproject.toml", "setup.cfg", "pytest.ini", "tox.ini")


def suite_hash(config: Config) -> str:
    """What every test depends on: conftest files and pytest's configuration."""
    digest = hashlib.sha256()
    for path in sorted(coverage_map.project_files(config.root)):
        if path.name in SUITE_FILES:
            digest.update(path.relative_to(config.root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(config: Config, cov: CoverageMap, mutant: Mutant, suite: str, source: str,
                importers: Mapping[str, frozenset[str]] | None = None) -> str:
    """A short hash of everything ``mutant``'s verdict depends on (see the module's doc)."""
    scope = source[slice(*mutant.target_span)] if mutant.target_span else source
    covering = sorted(set(mutant.covered_by))
    wider = (confirmation_tests(config, cov, mutant, importers) if config.confirm != "off"
             else [])
    tests = sorted(set(covering) | set(wider))
    digest = hashlib.sha256()
    digest.update(json.dumps([__version__, mutant.id, config.settings(),
                              sorted(config.operators), config.pytest_args, suite,
                              config.confirm, stable_ids(covering),
                              stable_ids(wider)]).encode())
    digest.update(scope.encode())
    for test_file in sorted({t.split("::", 1)[0] for t in tests}):
        digest.update(test_file.encode() + b"\0")
        digest.update(cov.test_files.get(test_file, "?").encode())
    return digest.hexdigest()[:20]
