"""Unknown and closed days in scoring and in the models: a gap is not a run of zeros,
and a closed day is zero demand by design, not a stock-out."""

from dataclasses import replace

import numpy as np

from storenet.evaluation import gaps, metrics, models
from tests.unit.evaluation.conftest import synthetic_panel


def test_scores_over_a_horizon_with_unknown_days_equal_scores_over_the_known_days_only():
    rng = np.random.default_rng(1)
    train = rng.poisson(2.0, (5, 60)).astype(float)
    actual = rng.poisson(2.0, (5, 14)).astype(float)
    forecast = np.full((5, 14), 2.0)
    quantiles = np.stack([np.full((5, 14), q) for q in (0, 0, 1, 1, 2, 3, 3, 4, 5)]).astype(float)
    gappy = actual.copy()
    gappy[:, [3, 9]] = np.nan
    keep = [j for j in range(14) if j not in (3, 9)]
    np.testing.assert_allclose(
        metrics.rmsse(gappy, forecast, train),
        metrics.rmsse(actual[:, keep], forecast[:, keep], train),
    )
    np.testing.assert_allclose(
        metrics.spl(gappy, quantiles, train),
        metrics.spl(actual[:, keep], quantiles[:, :, keep], train),
    )


def test_the_naive_scale_counts_only_steps_between_two_known_days():
    train = np.array([[1.0, 3.0, np.nan, 10.0, 11.0]])
    # steps counted: 1->3 (2) and 10->11 (1); nothing across the gap
    assert metrics.naive_scale(train, 1)[0] == 1.5


def test_an_aggregate_sums_the_members_known_that_day_and_is_unknown_when_none_is():
    matrix = np.array([[1.0, np.nan, np.nan], [2.0, 5.0, np.nan]])
    out = metrics.group_sum(matrix, np.array([0, 0]), 1)
    assert out[0, 0] == 3.0 and out[0, 1] == 5.0 and np.isnan(out[0, 2])


def test_a_week_with_an_unknown_day_is_not_counted_in_coverage():
    actual = np.array([[3.0, np.nan]])
    assert metrics.coverage(actual, np.array([[2.0, 100.0]])) == 0.0


def test_imputed_days_are_the_same_weekdays_mean_and_known_days_are_untouched():
    panel = synthetic_panel(n_days=70)
    gappy = panel.units.copy()
    gappy[0, 50] = np.nan
    filled = gaps.fill_unknown(replace(panel, units=gappy)).units
    expected = np.mean(panel.units[0, [43, 36, 29, 22]])
    assert filled[0, 50] == expected
    known = ~np.isnan(gappy)
    np.testing.assert_array_equal(filled[known], panel.units[known])


def _store_gap(panel, start, stop):
    """The panel with store B_1 missing from day `start` to `stop` (NaN), and the same
    days read as zeros instead."""
    rows = (panel.series["store"] == "B_1").to_numpy()
    unknown, zeros = panel.units.copy(), panel.units.copy()
    unknown[rows, start:stop] = np.nan
    zeros[rows, start:stop] = 0.0
    return replace(panel, units=unknown), replace(panel, units=zeros), rows


def test_a_store_missing_for_months_is_forecast_from_what_it_sold_not_from_zeros():
    panel = synthetic_panel(n_days=400)
    unknown, zeros, rows = _store_gap(panel, 250, 390)  # back for the last 10 days
    model = models.storenet_model(warmup_days=None)
    level = panel.units[rows, :250].mean(axis=1).sum()
    with_gap = model(unknown, None, 28).mean[rows].mean(axis=1).sum()
    as_zeros = model(zeros, None, 28).mean[rows].mean(axis=1).sum()
    # The gap read as months of zeros drags the store down; read as unknown it keeps
    # the store near what it sold before and after.
    assert abs(with_gap - level) < 0.25 * level
    assert as_zeros < 0.6 * with_gap
    for peer in (models.seasonal_naive, gaps.on_filled(models.seasonal_naive)):
        assert np.isfinite(peer(unknown, None, 28).mean).all()


def test_closed_days_are_forecast_as_zero_and_do_not_pull_the_open_days_down():
    panel = synthetic_panel(n_days=300)
    sundays = (panel.days.astype(np.int64) + 4) % 7 == 0  # 1970-01-04 was a Sunday
    closed = np.broadcast_to(sundays, panel.units.shape).copy()
    units = np.where(closed, 0.0, panel.units)
    shut = replace(panel, units=units, closed=closed)
    as_quiet = replace(panel, units=units)  # the same zeros, not known as closures
    model = models.storenet_model(warmup_days=None)
    horizon_closed = closed[:, :28]  # the horizon's closures: same weekday pattern
    f = gaps.with_closures(model(shut, None, 28), horizon_closed)
    assert (f.mean[horizon_closed] == 0).all() and (f.quantiles[:, horizon_closed] == 0).all()
    open_days = ~horizon_closed
    quiet = model(as_quiet, None, 28).mean
    # Known as closures, the open days keep their level; read as quiet Sundays the
    # store's level is learned a seventh lower (less a weekday shape's correction).
    assert f.mean[open_days].sum() > quiet[open_days].sum()
    assert f.week_q95.shape == (panel.n_series, 4) and (f.week_q95 >= 0).all()
