"""The metrics against hand-computed cases and a slow, obvious loop version."""

import math

import numpy as np
import polars as pl
import pytest

from storenet.evaluation import metrics


def slow_rmsse(train, actual, forecast):
    """Straight from the M5 guide, one series at a time."""
    out = []
    for y, a, f in zip(train, actual, forecast):
        nz = [i for i, v in enumerate(y) if v > 0]
        if not nz or nz[0] == len(y) - 1:
            out.append(float("nan"))
            continue
        start = nz[0]
        steps = [(y[i] - y[i - 1]) ** 2 for i in range(start + 1, len(y))]
        scale = sum(steps) / len(steps)
        mse = sum((ai - fi) ** 2 for ai, fi in zip(a, f)) / len(a)
        out.append(math.sqrt(mse / scale) if scale > 0 else float("nan"))
    return np.array(out)


def slow_spl(train, actual, quantiles, levels):
    out = []
    for i, y in enumerate(train):
        nz = [j for j, v in enumerate(y) if v > 0]
        if not nz or nz[0] == len(y) - 1:
            out.append(float("nan"))
            continue
        steps = [abs(y[j] - y[j - 1]) for j in range(nz[0] + 1, len(y))]
        scale = sum(steps) / len(steps)
        total = 0.0
        for k, u in enumerate(levels):
            for t, a in enumerate(actual[i]):
                q = quantiles[k, i, t]
                total += u * (a - q) if a >= q else (1 - u) * (q - a)
        out.append(total / (len(levels) * len(actual[i])) / scale)
    return np.array(out)


def test_rmsse_of_a_hand_computed_series_skips_the_zeros_before_the_first_sale():
    # given: first sale on day 2; naive steps 2->0, 0->4: squares 4, 16, mean 10
    train = np.array([[0.0, 0.0, 2.0, 0.0, 4.0]])
    actual = np.array([[1.0, 3.0]])
    forecast = np.array([[2.0, 2.0]])
    # when / then: mse 1, scale 10
    assert metrics.rmsse(actual, forecast, train)[0] == pytest.approx(math.sqrt(0.1))


def test_a_series_that_never_sold_has_no_scale_and_drops_out_of_the_weights():
    train = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 1.0]])
    actual = np.array([[5.0], [1.0]])
    forecast = np.array([[0.0], [2.0]])
    # series 1: scale (1 + 1) / 2 = 1, mse 1 -> rmsse 1; series 0 is ignored
    assert metrics.wrmsse(actual, forecast, train, np.array([0.9, 0.1])) == pytest.approx(1.0)


def test_rmsse_and_spl_match_the_slow_version_on_random_intermittent_series():
    rng = np.random.default_rng(3)
    train = rng.poisson(0.6, (40, 60)) * (rng.random((40, 60)) < 0.7)
    train[:, :10] = 0
    train[0] = 0
    train[1, :-1] = 0
    train[1, -1] = 3
    actual = rng.poisson(0.6, (40, 14)).astype(float)
    forecast = rng.gamma(1.0, 0.6, (40, 14))
    q = np.sort(rng.poisson(0.8, (9, 40, 14)).astype(float), axis=0)
    np.testing.assert_allclose(
        metrics.rmsse(actual, forecast, train), slow_rmsse(train, actual, forecast), equal_nan=True
    )
    np.testing.assert_allclose(
        metrics.spl(actual, q, train),
        slow_spl(train, actual, q, metrics.M5_QUANTILES),
        equal_nan=True,
    )


def test_pinball_of_a_hand_computed_case():
    # actual 3, quantile 1 at level 0.9: under-forecast by 2 costs 0.9 * 2
    # quantile 5 at level 0.9: over-forecast by 2 costs 0.1 * 2
    loss = metrics.pinball(np.array([[3.0]]), np.array([[[1.0]], [[5.0]]]), np.array([0.9, 0.9]))
    assert loss.ravel() == pytest.approx([1.8, 0.2])


def test_weights_are_units_or_dollars_of_the_last_28_days():
    train = np.zeros((2, 40))
    train[0, -28:] = 1.0  # 28 units
    train[1, -29] = 100.0  # outside the window
    train[1, -1] = 28.0
    price = np.ones((2, 40))
    price[1] = 3.0
    assert metrics.sales_weights(train) == pytest.approx([0.5, 0.5])
    assert metrics.sales_weights(train, price) == pytest.approx([0.25, 0.75])


def test_aggregate_levels_sum_series_and_weights_within_groups():
    series = pl.DataFrame(
        {
            "store": ["A", "A", "B"],
            "dept": ["d1", "d2", "d1"],
            "category": ["c", "c", "c"],
            "state": ["s", "s", "s"],
        }
    )
    rng = np.random.default_rng(0)
    train = rng.poisson(2.0, (3, 30)).astype(float)
    actual = rng.poisson(2.0, (3, 7)).astype(float)
    forecast = np.full((3, 7), 2.0)
    w = np.array([0.2, 0.3, 0.5])
    scores = metrics.wrmsse_by_level(actual, forecast, train, w, series)
    # total: one series, the sum of all three
    total = slow_rmsse(
        train.sum(0, keepdims=True), actual.sum(0, keepdims=True), forecast.sum(0, keepdims=True)
    )
    assert scores["total"] == pytest.approx(total[0])
    # store: A = rows 0+1 (weight 0.5), B = row 2 (weight 0.5)
    a = slow_rmsse(
        train[:2].sum(0, keepdims=True),
        actual[:2].sum(0, keepdims=True),
        forecast[:2].sum(0, keepdims=True),
    )
    b = slow_rmsse(train[2:], actual[2:], forecast[2:])
    assert scores["store"] == pytest.approx(0.5 * a[0] + 0.5 * b[0])
    # level 12 is the plain weighted sum
    per = slow_rmsse(train, actual, forecast)
    assert scores["store_x_item"] == pytest.approx(float(np.dot(w, per)))
    assert scores["store_x_dept"] == pytest.approx(scores["store_x_item"])  # all groups single


def test_coverage_counts_weeks_at_or_below_the_quantile():
    actual = np.array([[1.0] * 14, [0.0] * 7 + [3.0] * 7])
    weeks = metrics.block_sums(actual)  # [[7, 7], [0, 21]]
    upper = np.array([[7.0, 6.0], [0.0, 30.0]])
    assert metrics.coverage(weeks, upper) == pytest.approx(0.75)
    assert metrics.coverage(weeks, upper, mask=np.array([False, True])) == pytest.approx(1.0)
