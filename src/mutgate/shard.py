"""Splitting the mutants of one run across N machines (``--shard K/N``).

Every shard computes the whole split on its own and keeps its part, so the split must be a
pure function of the mutants and their costs: no randomness, no dependence on input order.
Mutants are placed greedily, most expensive first (longest-processing-time scheduling), each
on the shard with the least expected cost so far; the shards are then within one mutant's cost
of each other. The union of shards 1..N is every mutant exactly once.

The default cost of a mutant is the number of tests covering it. A caller that knows test
durations can pass a cost based on them; it must give the same numbers on every machine.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable, Sequence

from mutgate.errors import ConfigError
from mutgate.mutant import Mutant

_SHARD = re.compile(r"\s*([0-9]{1,9})\s*/\s*([0-9]{1,9})\s*")


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``--shard K/N`` (K is 1-based, 1 <= K <= N) into ``(K, N)``."""
    match = _SHARD.fullmatch(text)
    if not match:
        raise ConfigError(f"--shard must look like K/N (for example 2/4), got {text!r}")
    k, n = int(match.group(1)), int(match.group(2))
    _check(k, n)
    return k, n


def covering_tests(mutant: Mutant) -> float:
    """The default cost of a mutant: how many tests cover it."""
    return float(len(mutant.covered_by))


def shard(
    mutants: Sequence[Mutant],
    k: int,
    n: int,
    cost: Callable[[Mutant], float] = covering_tests,
) -> list[Mutant]:
    """The mutants of shard ``k`` of ``n`` (1-based), ordered by (file, line, col, id)."""
    _check(k, n)
    return assign(mutants, n, cost)[k - 1]


def assign(
    mutants: Sequence[Mutant],
    n: int,
    cost: Callable[[Mutant], float] = covering_tests,
) -> list[list[Mutant]]:
    """All ``n`` shards at once, balanced by ``cost``; each ordered by (file, line, col, id).

    Equal loads are broken by the number of mutants already placed (so zero-cost mutants are
    spread too) and then by the shard number.
    """
    _check(1, n)
    costed = []
    for mutant in mutants:
        value = float(cost(mutant))
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"mutant {mutant.id}: cost must be finite and >= 0, got {value!r}")
        costed.append((value, mutant))
    costed.sort(key=lambda item: (-item[0], item[1].id, *_position(item[1])))
    shards: list[list[Mutant]] = [[] for _ in range(n)]
    heap = [(0.0, 0, index) for index in range(n)]
    for value, mutant in costed:
        load, placed, index = heapq.heappop(heap)
        shards[index].append(mutant)
        heapq.heappush(heap, (load + value, placed + 1, index))
    return [sorted(part, key=_position) for part in shards]


def _check(k: int, n: int) -> None:
    if n < 1:
        raise ConfigError(f"--shard K/N needs N >= 1, got N={n}")
    if not 1 <= k <= n:
        raise ConfigError(f"--shard K/N needs 1 <= K <= N, got {k}/{n}")


def _position(mutant: Mutant) -> tuple[str, int, int, str]:
    return (mutant.file, mutant.line, mutant.col, mutant.id)
