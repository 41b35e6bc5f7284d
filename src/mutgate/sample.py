"""A reproducible random sample of mutants, stratified by file.

A nightly run mutates a sample rather than everything (``--sample 2000 --seed 2026-11-21``).
The sample must be the same on every machine and every Python process for the same seed and
the same mutants, whatever order they come in, so no random generator is used: each mutant
gets the key ``sha256(seed, id)`` and the smallest keys of each file win. Within a file, a
larger share with the same seed therefore extends a smaller one.

The sample is stratified: it is shared across files in proportion to how many mutants each
file has (largest-remainder rounding), and every file gets at least one mutant while the size
allows, so a small file is never left out of the score by chance.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from fractions import Fraction

from mutgate.errors import ConfigError
from mutgate.mutant import Mutant

_COUNT = re.compile(r"[0-9]{1,18}")
_PERCENT = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")
_HELP = "a positive count (2000) or a percentage in (0, 100] (10%)"


def parse_sample(text: str) -> int | str:
    """Parse a ``--sample`` value: ``"2000"`` → ``2000``; ``"10%"``, ``"2.5%"`` stay strings."""
    value = text.strip()
    if value.endswith("%"):
        _percent(value)
        return value
    if not _COUNT.fullmatch(value) or int(value) < 1:
        raise ConfigError(f"--sample must be {_HELP}, got {text!r}")
    return int(value)


def sample_count(size: int | str, total: int) -> int:
    """How many of ``total`` mutants ``size`` asks for (a percentage is rounded up)."""
    if isinstance(size, str):
        size = parse_sample(size)
        if isinstance(size, str):
            return math.ceil(_percent(size) * total / 100)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(f"--sample must be {_HELP}, got {size!r}")
    return min(size, total)


def sample(mutants: Sequence[Mutant], size: int | str, seed: str | int) -> list[Mutant]:
    """A reproducible sample of ``size`` mutants (a count or ``"P%"``), stratified by file.

    The same seed and the same mutant ids give the same selection regardless of input order;
    the result is ordered by (file, line, col, id). A size at least the number of mutants
    returns them all.
    """
    count = sample_count(size, len(mutants))
    by_file: dict[str, list[Mutant]] = defaultdict(list)
    for mutant in mutants:
        by_file[mutant.file].append(mutant)
    seed_text = str(seed)
    chosen: list[Mutant] = []
    for file, quota in allocate({f: len(ms) for f, ms in by_file.items()}, count, seed).items():
        ranked = sorted(by_file[file], key=lambda m: (_key(seed_text, m.id), _position(m)))
        chosen.extend(ranked[:quota])
    return sorted(chosen, key=_position)


def allocate(sizes: Mapping[str, int], count: int, seed: str | int = "") -> dict[str, int]:
    """Share ``count`` draws across strata of the given ``sizes``.

    Proportional to size with largest-remainder rounding; then, while ``count`` is at least the
    number of non-empty strata, each stratum left with none takes one from the stratum that got
    the most beyond its exact share. Ties are broken by ``sha256(seed, name)``, so no stratum
    is favoured for its name. Never gives a stratum more than its size.
    """
    strata = {name: n for name, n in sizes.items() if n > 0}
    total = sum(strata.values())
    count = max(0, min(count, total))
    if not strata:
        return {}
    seed_text = str(seed)
    tiebreak = {name: _key(seed_text, name) for name in strata}
    share = {name: Fraction(count * n, total) for name, n in strata.items()}
    alloc = {name: math.floor(q) for name, q in share.items()}
    leftover = count - sum(alloc.values())
    by_remainder = sorted(strata, key=lambda name: (alloc[name] - share[name], tiebreak[name]))
    for name in by_remainder[:leftover]:
        alloc[name] += 1
    if count >= len(strata):
        starved = sorted(
            (name for name in strata if alloc[name] == 0),
            key=lambda name: (-share[name], tiebreak[name]),
        )
        for name in starved:
            donor = max(
                (d for d in strata if alloc[d] > 1),
                key=lambda d: (alloc[d] - share[d], tiebreak[d]),
            )
            alloc[donor] -= 1
            alloc[name] = 1
    return {name: alloc[name] for name in sorted(strata) if alloc[name]}


def _percent(text: str) -> Fraction:
    number = text.strip()[:-1].strip()
    if not _PERCENT.fullmatch(number) or not 0 < Fraction(number) <= 100:
        raise ConfigError(f"--sample must be {_HELP}, got {text!r}")
    return Fraction(number)


def _key(seed: str, name: str) -> str:
    return hashlib.sha256(f"{seed}\x1f{name}".encode()).hexdigest()


def _position(mutant: Mutant) -> tuple[str, int, int, str]:
    return (mutant.file, mutant.line, mutant.col, mutant.id)
