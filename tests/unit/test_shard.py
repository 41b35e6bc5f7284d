"""Sharding: every mutant in exactly one shard, shards balanced by cost, the same everywhere."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mutgate.errors import ConfigError
from mutgate.mutant import Mutant, mutant_id
from mutgate.shard import assign, covering_tests, parse_shard, shard


def make_mutant(file: str, index: int, tests: int) -> Mutant:
    return Mutant(
        id=mutant_id(file, "f", "boundary.relational", "<", "<=", index),
        file=file,
        line=index + 1,
        col=8,
        end_line=index + 1,
        end_col=9,
        start=0,
        end=1,
        operator="boundary.relational",
        original="<",
        replacement="<=",
        qualname="f",
        covered_by=tuple(f"tests/test_{file[:-3]}.py::test_{t}" for t in range(tests)),
    )


def population(seed: int = 0, size: int = 200) -> list[Mutant]:
    rng = random.Random(seed)
    return [make_mutant(f"m{i % 7}.py", i, rng.randint(0, 30)) for i in range(size)]


MUTANTS = population()


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 16, 250])
def test_shards_partition_the_mutants_exactly(n: int) -> None:
    seen = Counter(m.id for k in range(1, n + 1) for m in shard(MUTANTS, k, n))
    assert seen == Counter(m.id for m in MUTANTS)
    assert set(seen.values()) == {1}


@pytest.mark.parametrize("n", [2, 3, 5, 8])
def test_shards_are_balanced_by_cost(n: int) -> None:
    loads = [sum(covering_tests(m) for m in part) for part in assign(MUTANTS, n)]
    mean = sum(loads) / n
    biggest = max(covering_tests(m) for m in MUTANTS)
    # greedy longest-processing-time: no shard exceeds the mean by more than one mutant's cost
    assert max(loads) <= mean + biggest
    assert max(loads) <= 1.1 * min(loads)


def test_zero_cost_mutants_are_spread_by_count() -> None:
    mutants = [make_mutant("z.py", i, 0) for i in range(10)]
    assert [len(part) for part in assign(mutants, 3)] == [4, 3, 3]


def test_sharding_does_not_depend_on_input_order() -> None:
    shuffled = list(MUTANTS)
    random.Random(3).shuffle(shuffled)
    for k in range(1, 5):
        assert shard(shuffled, k, 4) == shard(MUTANTS, k, 4)


def test_sharding_is_deterministic_across_calls() -> None:
    assert assign(MUTANTS, 6) == assign(list(MUTANTS), 6)


def test_each_shard_is_in_file_then_line_order() -> None:
    for part in assign(MUTANTS, 3):
        assert part == sorted(part, key=lambda m: (m.file, m.line, m.col, m.id))


def test_custom_cost_from_test_durations() -> None:
    slow = {m.id for m in MUTANTS[:4]}

    def cost(mutant: Mutant) -> float:
        return 100.0 if mutant.id in slow else 0.01

    parts = assign(MUTANTS, 4, cost)
    # each of the four slow mutants lands on its own shard
    assert sorted(len(slow & {m.id for m in part}) for part in parts) == [1, 1, 1, 1]
    assert shard(MUTANTS, 2, 4, cost) == parts[1]


def test_more_shards_than_mutants_leaves_some_empty() -> None:
    parts = assign(MUTANTS[:3], 5)
    assert sorted(len(p) for p in parts) == [0, 0, 1, 1, 1]


def test_single_shard_is_everything() -> None:
    assert {m.id for m in shard(MUTANTS, 1, 1)} == {m.id for m in MUTANTS}


def test_bad_cost_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="cost"):
        assign(MUTANTS, 2, lambda m: -1.0)
    with pytest.raises(ValueError, match="cost"):
        assign(MUTANTS, 2, lambda m: float("nan"))


@pytest.mark.parametrize(
    ("text", "expected"), [("1/4", (1, 4)), (" 2 / 3 ", (2, 3)), ("1/1", (1, 1))]
)
def test_parse_shard(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "3", "", "1/2/3", "-1/2", "1.5/2"])
def test_parse_shard_rejects_bad_values(text: str) -> None:
    with pytest.raises(ConfigError, match="--shard"):
        parse_shard(text)


@pytest.mark.parametrize(("k", "n"), [(0, 2), (3, 2), (1, 0)])
def test_shard_rejects_bad_k_and_n(k: int, n: int) -> None:
    with pytest.raises(ConfigError, match="--shard"):
        shard(MUTANTS, k, n)


@given(seed=st.integers(0, 10_000), size=st.integers(0, 60), n=st.integers(1, 9))
def test_partition_and_balance_properties(seed: int, size: int, n: int) -> None:
    mutants = population(seed, size)
    parts = assign(mutants, n)
    assert sorted(m.id for part in parts for m in part) == sorted(m.id for m in mutants)
    if mutants:
        loads = [sum(covering_tests(m) for m in part) for part in parts]
        assert max(loads) <= sum(loads) / n + max(covering_tests(m) for m in mutants)
