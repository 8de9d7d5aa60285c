"""The month's cycle (`storenet.evaluation.month_days`) is recovered from sales."""

import numpy as np

from storenet.evaluation.month_days import (
    BUCKETS,
    bucket_of,
    learn_month_day_multipliers,
    month_day_function,
)

DAYS = np.datetime64("2013-01-01") + np.arange(730)


def _sales(cycle: np.ndarray, seed: int) -> np.ndarray:
    # Two departments of one category in one state, weekday-shaped, with a trend.
    weekday = np.array([0.8, 0.9, 0.9, 1.0, 1.1, 1.3, 1.0])[(DAYS.astype(np.int64) + 3) % 7]
    trend = np.linspace(1.0, 1.4, len(DAYS))
    mean = 200.0 * weekday * trend * cycle[bucket_of(DAYS)]
    return np.random.default_rng(seed).poisson(np.stack([mean, 0.5 * mean]))


def _learn(units: np.ndarray) -> dict:
    state, dept, category = np.array(["S", "S"]), np.array(["D1", "D2"]), np.array(["C", "C"])
    return learn_month_day_multipliers(units, DAYS, None, state, dept, category, {})


def test_a_month_cycle_is_recovered_through_weekdays_and_trend():
    # given: demand 8% above the month's mean in its first days, 10% below at its end
    cycle = np.array([1.08, 1.04, 1.0, 0.98, 0.96, 0.90])
    # when
    learned = _learn(_sales(cycle, seed=1))
    # then: both departments get the category's cycle, relative to its mean day
    sizes = np.array([b - a + 1 for a, b in BUCKETS], float)
    expected = cycle / (cycle * sizes).sum() * sizes.sum()
    np.testing.assert_allclose(learned[("S", "D1")], expected, atol=0.015)
    np.testing.assert_array_equal(learned[("S", "D1")], learned[("S", "D2")])


def test_no_cycle_learns_about_one_and_the_function_maps_days_to_buckets():
    learned = _learn(_sales(np.ones(len(BUCKETS)), seed=2))
    np.testing.assert_allclose(learned[("S", "D1")], 1.0, atol=0.015)
    local = month_day_function({("S", "D1"): np.arange(1.0, 7.0)}, ["S"], ["D1", "D2"])
    out = local(np.array(["2014-03-01", "2014-03-31"], "datetime64[D]"))
    assert out.shape == (2, 1, 2)
    assert out[0, 0, 0] == 1.0 and out[1, 0, 0] == 6.0  # first and last bucket
    assert (out[:, 0, 1] == 1.0).all()  # a department not learned: no cycle
