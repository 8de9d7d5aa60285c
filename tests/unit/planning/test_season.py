from dataclasses import replace

import numpy as np

from storenet.planning import season
from storenet.planning.demand.exposure import pair_exposure
from storenet.planning.demand.horizon import horizon_exposure
from storenet.planning.demand.memory import DemandSettings, DemandState
from storenet.planning.demand.posterior import posterior
from storenet.planning.demand.update import DaySales, fit, update_day

FIRST = np.datetime64("2025-01-06")  # a Monday, after the test network opens


def _fit_slowly(window, through, order, ridge, min_days):
    """The obvious version of `season.fit`: one masked least-squares problem per
    category, the ridge as extra rows of pseudo-data."""
    days = season.window_days(through)
    t = (days - np.datetime64(through, "D")).astype(np.int64) / season.YEAR
    coef = np.zeros((window.shape[0], 2 * order))
    growth = np.zeros(window.shape[0])
    for c in range(window.shape[0]):
        rows = [i for i in range(season.WINDOW) if np.isfinite(window[c, i]) and window[c, i] > 0]
        if len(rows) < min_days:
            continue
        x, z = [], []
        for i in rows:
            dow = (int(days[i].astype(np.int64)) + 3) % 7
            dummies = [1.0 if dow == w else 0.0 for w in range(1, 7)]
            k = np.arange(1, order + 1)
            angle = 2 * np.pi * k * days[i].astype(np.int64) / season.YEAR
            x.append([1.0, t[i], *dummies, *np.cos(angle), *np.sin(angle)])
            z.append(np.log(window[c, i]))
        for j in range(2 * order):  # ridge rows: sqrt(ridge) x coefficient = 0
            row = np.zeros(8 + 2 * order)
            row[8 + j] = np.sqrt(ridge)
            x.append(row)
            z.append(0.0)
        beta = np.linalg.lstsq(np.array(x), np.array(z), rcond=None)[0]
        coef[c], growth[c] = beta[8:], beta[1] / season.YEAR
    return coef, growth


def _seasonal_window(through, amplitude, growth_per_year, known_days, seed=0):
    rng = np.random.default_rng(seed)
    days = season.window_days(through)
    t = days.astype(np.int64)
    shape = amplitude * np.sin(2 * np.pi * t / season.YEAR) + 0.1 * np.cos(4 * np.pi * t / 365.25)
    trend = growth_per_year * (days - through).astype(np.int64) / 365.0
    y = 5.0 * np.exp(shape + trend) * rng.lognormal(0, 0.05, t.size)
    window = season.empty_window(2)
    known = (days > through - known_days) & (days <= through)
    window[0, known] = y[known]
    window[1, known] = y[known] * 2.0
    return window


def test_vectorised_fit_matches_one_least_squares_per_category():
    through = np.datetime64("2025-06-30")
    window = _seasonal_window(through, 0.3, 0.1, 900)
    window[1, ::5] = np.nan  # another category with unknown days
    fast = season.fit(window, through, order=3, ridge=30.0, min_days=365)
    slow = _fit_slowly(window, through, 3, 30.0, 365)
    np.testing.assert_allclose(fast[0], slow[0], atol=1e-6)
    np.testing.assert_allclose(fast[1], slow[1], atol=1e-9)


def test_fit_recovers_the_season_and_growth_of_a_clean_aggregate():
    through = np.datetime64("2025-06-30")
    window = _seasonal_window(through, 0.3, 0.1, season.WINDOW)
    coef, growth = season.fit(window, through, order=2, ridge=0.0)
    np.testing.assert_allclose(growth * 365, 0.1, atol=0.01)
    days = np.arange(np.datetime64("2025-01-01"), np.datetime64("2026-01-01"))
    t = days.astype(np.int64)
    truth = np.exp(0.3 * np.sin(2 * np.pi * t / season.YEAR) + 0.1 * np.cos(4 * np.pi * t / 365.25))
    truth /= truth.mean()
    np.testing.assert_allclose(season.factor(coef, days)[:, 0], truth, rtol=0.02)


def test_a_category_with_under_min_days_gets_no_season():
    through = np.datetime64("2025-06-30")
    window = _seasonal_window(through, 0.3, 0.1, 300)
    coef, growth = season.fit(window, through, order=3, min_days=365)
    assert not coef.any() and not growth.any()
    days = through + np.arange(60)
    np.testing.assert_array_equal(season.factor(coef, days), 1.0)


def test_season_factor_has_mean_one_over_a_year():
    coef = np.array([[0.4, -0.2, 0.1, 0.3], [0.0, 0.0, 0.0, 0.0]])
    days = np.arange(np.datetime64("2030-01-01"), np.datetime64("2031-01-01"))
    np.testing.assert_allclose(season.factor(coef, days).mean(axis=0), 1.0, atol=2e-3)


def test_record_writes_the_slot_that_window_days_reads():
    window = season.empty_window(1)
    for i in range(season.WINDOW + 10):  # wraps around
        day = FIRST + np.timedelta64(i, "D")
        season.record(window, day, np.array([float(i)]))
    days = season.window_days(day)
    np.testing.assert_array_equal(window[0], (days - FIRST).astype(np.int64).astype(np.float32))


def test_drift_is_none_undamped_or_saturating():
    g = np.array([0.001, -0.002])
    ahead = np.array([1, 28])
    np.testing.assert_array_equal(season.drift(g, ahead, 49.0, 0.0), 1.0)
    np.testing.assert_allclose(season.drift(g, ahead, 49.0, 1.0), np.exp(np.outer([50, 77], g)))
    far = season.drift(g, np.array([10_000]), 49.0, 0.9)
    np.testing.assert_allclose(far, np.exp(g * 9.0)[None, :])


def _seasonal_days(network, first, n_days, amplitude, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_days):
        day = first + np.timedelta64(i, "D")
        factor = np.exp(amplitude * np.sin(2 * np.pi * day.astype(np.int64) / season.YEAR))
        units = rng.poisson(3.0 * factor * network.active(day))
        pair = np.flatnonzero(units > 0)
        out.append(DaySales(day, pair, units[pair], np.zeros(pair.size, bool)))
    return out


def _settings(order):
    return DemandSettings(events=lambda d: np.ones(np.shape(d)), season_order=order)


def test_the_model_follows_a_yearly_season_once_it_has_a_year(network):
    days = _seasonal_days(network, FIRST, 800, 0.5)
    flat = fit(network, days, FIRST - 1, _settings(0))
    seasonal = fit(network, days, FIRST - 1, _settings(3))
    assert seasonal.season_coef is not None and seasonal.season_coef.any()
    # Over the next 60 days the truth moves along the sine; the model with a season
    # should track it far closer than the one without.
    start = seasonal.through + np.timedelta64(1, "D")
    pairs = np.flatnonzero(network.pair_sku == 0)
    grid = start + np.arange(60)
    truth = 3.0 * np.exp(0.5 * np.sin(2 * np.pi * grid.astype(np.int64) / season.YEAR))

    def error(state):
        mean = posterior(state, network).mean[pairs]
        forecast = pair_exposure(state, network, grid, pairs) * mean[None, :]
        return np.abs(forecast.mean(axis=1) / truth - 1).mean()

    assert error(seasonal) < 0.5 * error(flat)


def test_under_a_year_of_history_the_forecast_is_the_flat_one(network):
    days = _seasonal_days(network, FIRST, 200, 0.5)
    flat = fit(network, days, FIRST - 1, _settings(0))
    seasonal = fit(network, days, FIRST - 1, _settings(3))
    assert not seasonal.season_coef.any()
    start = flat.through + np.timedelta64(1, "D")
    horizon = np.full(network.n_pairs, 28)
    np.testing.assert_allclose(
        horizon_exposure(seasonal, network, start, horizon),
        horizon_exposure(flat, network, start, horizon),
    )


def test_a_state_saved_before_the_season_learns_one_after_loading(network, tmp_path):
    days = _seasonal_days(network, FIRST, 30, 0.5)
    old = fit(network, days[:20], FIRST - 1, _settings(0))
    old.save(tmp_path / "state.npz")
    state = DemandState.load(tmp_path / "state.npz", _settings(3))
    assert state.season_window is None
    for sales in days[20:]:
        state = update_day(state, network, sales)
    assert state.season_window.shape == (len(network.categories), season.WINDOW)
    assert np.isfinite(state.season_window).sum() == 10 * len(network.categories)
    state.save(tmp_path / "state.npz")
    again = DemandState.load(tmp_path / "state.npz", _settings(3))
    np.testing.assert_array_equal(again.season_window, state.season_window)
    np.testing.assert_array_equal(again.season_coef, state.season_coef)


def test_the_horizon_sum_with_a_season_equals_the_day_by_day_exposure(network):
    days = _seasonal_days(network, FIRST, 420, 0.5)
    state = fit(network, days, FIRST - 1, replace(_settings(3), trend_damping=0.98))
    start = state.through + np.timedelta64(1, "D")
    horizon = np.array([7, 28, 14, 1] * (network.n_pairs // 4) + [5] * (network.n_pairs % 4))
    summed = horizon_exposure(state, network, start, horizon)
    pairs = np.arange(network.n_pairs)
    daily = pair_exposure(state, network, start + np.arange(28), pairs)
    active = np.stack([network.active(start + np.timedelta64(i, "D")) for i in range(28)])
    daily = np.where(active, daily, 0.0)
    expected = np.array([daily[: horizon[p], p].sum() for p in pairs])
    np.testing.assert_allclose(summed, expected, rtol=1e-9)


def test_shrinkage_drops_a_season_read_into_level_shifts_and_keeps_a_clear_one():
    through = np.datetime64("2025-06-30")
    clear = _seasonal_window(through, 0.3, 0.0, season.WINDOW)
    # No season at all: the level wanders in long runs (a random walk of weekly
    # steps), which a least-squares Fourier fit reads as a season.
    rng = np.random.default_rng(5)
    steps = np.repeat(rng.normal(0, 0.08, season.WINDOW // 7 + 1), 7)[: season.WINDOW]
    days = season.window_days(through)
    walk = np.exp(np.cumsum(steps))[np.argsort(np.argsort(days))]  # time order -> slots
    window = np.stack([clear[0], (5.0 * walk).astype(np.float32)])
    raw, _ = season.fit(window, through, order=3)
    shrunk, _ = season.fit(window, through, order=3, shrink=10.0)
    assert np.abs(raw[1]).max() > 0.05  # the unshrunk fit reads a season into the walk
    np.testing.assert_array_equal(shrunk[1], 0.0)
    np.testing.assert_allclose(shrunk[0], raw[0], rtol=0.05, atol=1e-3)
