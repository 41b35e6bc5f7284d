"""Wilson score intervals, checked against published values and basic properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mutgate.stats import score_interval, wilson_interval

# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in
# Medicine 17:857-872, table I, method 3 (Wilson score interval without continuity correction).
NEWCOMBE = [
    (81, 263, 25.53, 36.62),
    (15, 148, 6.24, 16.05),
    (0, 20, 0.0, 16.11),
    (1, 29, 0.61, 17.18),
]


@pytest.mark.parametrize(("successes", "n", "low", "high"), NEWCOMBE)
def test_published_values(successes: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(successes, n)
    assert lo == pytest.approx(low, abs=0.01)
    assert hi == pytest.approx(high, abs=0.01)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (5, 10, 23.66, 76.34),
        (0, 10, 0.0, 27.75),
        (10, 10, 72.25, 100.0),
        (1, 10, 1.79, 40.42),
        (199, 200, 97.22, 99.91),
    ],
)
def test_more_known_values(successes: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(successes, n)
    assert (round(lo, 2), round(hi, 2)) == (low, high)


def test_no_observations_means_anything_is_possible() -> None:
    assert wilson_interval(0, 0) == (0.0, 100.0)


def test_all_and_none_hit_the_bounds_exactly() -> None:
    assert wilson_interval(0, 7)[0] == 0.0
    assert wilson_interval(7, 7)[1] == 100.0


def test_z_zero_collapses_to_the_point_estimate() -> None:
    lo, hi = wilson_interval(3, 4, z=0.0)
    assert lo == pytest.approx(75.0)
    assert hi == pytest.approx(75.0)


def test_wider_z_gives_a_wider_interval() -> None:
    lo95, hi95 = wilson_interval(40, 50)
    lo99, hi99 = wilson_interval(40, 50, z=2.576)
    assert lo99 < lo95 and hi99 > hi95


def test_symmetry() -> None:
    lo, hi = wilson_interval(3, 20)
    lo2, hi2 = wilson_interval(17, 20)
    assert lo == pytest.approx(100 - hi2)
    assert hi == pytest.approx(100 - lo2)


def test_more_data_narrows_the_interval() -> None:
    widths = [hi - lo for lo, hi in (wilson_interval(8 * k, 10 * k) for k in (1, 10, 100))]
    assert widths[0] > widths[1] > widths[2]


@pytest.mark.parametrize(
    ("successes", "n", "z"),
    [(-1, 5, 1.96), (6, 5, 1.96), (0, -1, 1.96), (1, 2, -1.0), (1, 2, math.nan),
     (1, 2, math.inf), (True, 2, 1.96)],
)
def test_bad_arguments(successes: int, n: int, z: float) -> None:
    with pytest.raises(ValueError):
        wilson_interval(successes, n, z)


def test_score_interval_uses_detected_over_scored() -> None:
    counts = {"killed": 70, "timeout": 10, "survived": 20, "error": 5, "skipped": 3,
              "no-tests": 9}
    assert score_interval(counts) == wilson_interval(80, 100)


def test_score_interval_of_nothing() -> None:
    assert score_interval({"error": 3}) == (0.0, 100.0)


@given(n=st.integers(min_value=1, max_value=100_000), data=st.data())
def test_interval_contains_the_estimate_and_stays_in_range(n: int, data: st.DataObject) -> None:
    successes = data.draw(st.integers(min_value=0, max_value=n))
    lo, hi = wilson_interval(successes, n)
    estimate = 100.0 * successes / n
    assert 0.0 <= lo <= estimate + 1e-9
    assert estimate - 1e-9 <= hi <= 100.0
