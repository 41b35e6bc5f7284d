"""Sampling: reproducible from the seed, stratified by file, strict about its input."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mutgate.errors import ConfigError
from mutgate.mutant import Mutant, mutant_id
from mutgate.sample import allocate, parse_sample, sample, sample_count


def make_mutant(file: str, index: int) -> Mutant:
    return Mutant(
        id=mutant_id(file, "f", "operator.arith", "+", "-", index),
        file=file,
        line=index + 1,
        col=4,
        end_line=index + 1,
        end_col=5,
        start=0,
        end=1,
        operator="operator.arith",
        original="+",
        replacement="-",
        qualname="f",
        covered_by=("tests/test_m.py::test_f",),
    )


def population(sizes: dict[str, int]) -> list[Mutant]:
    return [make_mutant(file, i) for file, n in sizes.items() for i in range(n)]


def ids(mutants: list[Mutant]) -> list[str]:
    return [m.id for m in mutants]


MUTANTS = population({"src/a.py": 50, "src/b.py": 30, "src/c.py": 20})


def test_same_seed_gives_the_same_sample() -> None:
    assert ids(sample(MUTANTS, 10, "2026-11-21")) == ids(sample(MUTANTS, 10, "2026-11-21"))


def test_sample_does_not_depend_on_input_order() -> None:
    shuffled = list(MUTANTS)
    random.Random(7).shuffle(shuffled)
    assert ids(sample(shuffled, 17, 42)) == ids(sample(MUTANTS, 17, 42))


def test_different_seeds_give_different_samples() -> None:
    picks = {tuple(ids(sample(MUTANTS, 10, seed))) for seed in ("a", "b", "c", "d")}
    assert len(picks) == 4


def test_int_and_str_seed_are_the_same_seed() -> None:
    assert ids(sample(MUTANTS, 10, 5)) == ids(sample(MUTANTS, 10, "5"))


def test_sample_is_independent_of_the_python_hash_seed() -> None:
    script = (
        "from mutgate.mutant import Mutant, mutant_id\n"
        "from mutgate.sample import sample\n"
        "ms = [Mutant(id=mutant_id(f, 'f', 'o', '+', '-', i), file=f, line=i + 1, col=0,"
        " end_line=i + 1, end_col=1, start=0, end=1, operator='operator.arith',"
        " original='+', replacement='-', qualname='f')"
        " for f in ('x.py', 'y.py', 'z.py') for i in range(20)]\n"
        "print(','.join(m.id for m in sample(ms, 9, 'nightly')))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1


def test_sample_is_pinned() -> None:
    # sha256 of seed and id decides, so this holds on every platform and Python version;
    # if it changes, every stored nightly sample changes meaning.
    mutants = population({"m.py": 6, "n.py": 3})
    assert ids(sample(mutants, 3, "pinned")) == ["b5a5eb3b77ff", "984e3f99721b", "1375548e46c8"]


def test_each_file_keeps_its_smallest_sha256_keys() -> None:
    mutants = population({"m.py": 6, "n.py": 3})
    chosen = sample(mutants, 3, "pinned")

    def key(mutant: Mutant) -> str:
        return hashlib.sha256(f"pinned\x1f{mutant.id}".encode()).hexdigest()

    for file, quota in (("m.py", 2), ("n.py", 1)):
        expected = sorted((m for m in mutants if m.file == file), key=key)[:quota]
        assert {m.id for m in chosen if m.file == file} == set(ids(expected))


def test_result_is_in_file_then_line_order() -> None:
    chosen = sample(MUTANTS, 12, "order")
    assert chosen == sorted(chosen, key=lambda m: (m.file, m.line, m.col, m.id))


def test_allocation_is_proportional_to_file_size() -> None:
    counts = Counter(m.file for m in sample(MUTANTS, 10, "p"))
    assert counts == {"src/a.py": 5, "src/b.py": 3, "src/c.py": 2}


def test_small_files_are_not_starved() -> None:
    mutants = population({"big.py": 1000, "tiny.py": 1, "small.py": 3})
    for seed in range(20):
        counts = Counter(m.file for m in sample(mutants, 5, seed))
        assert set(counts) == {"big.py", "tiny.py", "small.py"}
        assert sum(counts.values()) == 5


def test_every_file_represented_when_size_allows() -> None:
    mutants = population({f"f{i}.py": i + 1 for i in range(12)})
    assert {m.file for m in sample(mutants, 12, "s")} == {m.file for m in mutants}


def test_fewer_draws_than_files_prefers_larger_files() -> None:
    mutants = population({"a.py": 100, "b.py": 2, "c.py": 1})
    assert {m.file for m in sample(mutants, 1, "x")} == {"a.py"}


def test_percentage_rounds_up() -> None:
    mutants = population({"a.py": 60, "b.py": 35})
    assert len(sample(mutants, "10%", 1)) == 10  # 9.5 -> 10
    assert len(sample(mutants, "2.5%", 1)) == 3  # 2.375 -> 3
    assert len(sample(mutants, "100%", 1)) == 95


def test_size_beyond_population_returns_everything() -> None:
    assert sorted(ids(sample(MUTANTS, 5000, 1))) == sorted(ids(MUTANTS))


def test_empty_population() -> None:
    assert sample([], 10, 1) == []
    assert sample([], "50%", 1) == []


def test_larger_share_of_a_file_extends_the_smaller_one() -> None:
    mutants = population({"only.py": 40})
    assert set(ids(sample(mutants, 5, "n"))) <= set(ids(sample(mutants, 15, "n")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2000", 2000), (" 7 ", 7), ("10%", "10%"), ("2.5%", "2.5%"), ("100%", "100%")],
)
def test_parse_sample(text: str, expected: int | str) -> None:
    assert parse_sample(text) == expected


@pytest.mark.parametrize(
    "text", ["0", "-3", "abc", "", "%", "0%", "101%", "-5%", "1/2%", "1e3", "12.5", "nan%"]
)
def test_parse_sample_rejects_bad_values(text: str) -> None:
    with pytest.raises(ConfigError, match="--sample"):
        parse_sample(text)


@pytest.mark.parametrize("size", [0, -1, "abc", ">100%", "150%", True, 2.5])
def test_sample_rejects_bad_sizes(size: object) -> None:
    with pytest.raises(ConfigError, match="--sample"):
        sample(MUTANTS, size, 1)  # type: ignore[arg-type]


def test_sample_count() -> None:
    assert sample_count("20", 100) == 20
    assert sample_count("0.5%", 100) == 1
    assert sample_count(500, 100) == 100


def test_allocate_uses_largest_remainder() -> None:
    # exact shares 2.57, 1.71, 1.71: floors 2, 1, 1; the two left go to the largest remainders
    assert allocate({"a": 3, "b": 2, "c": 2}, 6) == {"a": 2, "b": 2, "c": 2}
    # exact shares 2.4, 1.2, 0.4: the one left goes to c, not to the biggest file
    assert allocate({"a": 6, "b": 3, "c": 1}, 4) == {"a": 2, "b": 1, "c": 1}


def test_allocate_gives_starved_strata_one_each() -> None:
    # exact shares 3.88, 0.04, 0.04, 0.04 would give everything to a
    assert allocate({"a": 97, "b": 1, "c": 1, "d": 1}, 4) == {"a": 1, "b": 1, "c": 1, "d": 1}
    assert allocate({"a": 97, "b": 1, "c": 1, "d": 1}, 10) == {"a": 7, "b": 1, "c": 1, "d": 1}


@given(
    sizes=st.dictionaries(st.sampled_from("abcdefghij"), st.integers(0, 50), max_size=10),
    count=st.integers(0, 300),
    seed=st.text(max_size=5),
)
def test_allocate_properties(sizes: dict[str, int], count: int, seed: str) -> None:
    alloc = allocate(sizes, count, seed)
    nonempty = {name for name, n in sizes.items() if n}
    total = sum(sizes.values())
    assert sum(alloc.values()) == min(count, total)
    assert all(1 <= alloc[name] <= sizes[name] for name in alloc)
    if count >= len(nonempty):
        assert set(alloc) == nonempty
    if count >= total:
        assert alloc == {name: sizes[name] for name in nonempty}
