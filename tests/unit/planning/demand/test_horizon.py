"""The exposure summed over each pair's window (`storenet.planning.demand.horizon`) is the
slow day-by-day sum."""

from dataclasses import replace

import numpy as np

from storenet.planning.demand.exposure import pair_exposure, pair_weekday_factor, sku_exposure
from storenet.planning.demand.horizon import horizon_exposure
from storenet.planning.demand.memory import DemandSettings, empty_state
from storenet.planning.demand.update import fit

from ..conftest import poisson_days

FIRST = np.datetime64("2025-03-03")  # a Monday, no festival within 10 weeks


def test_horizon_exposure_counts_only_active_days(network):
    state = empty_state(network, np.datetime64("2026-11-20"))
    exposure = horizon_exposure(
        state, network, np.datetime64("2026-11-25"), np.full(network.n_pairs, 9)
    )
    cold = network.pair_sku == 3  # launches 2026-12-01: 3 of the 9 days
    warm = network.pair_sku == 1
    assert np.all(exposure[warm] > 0)
    assert np.all(exposure[cold] < exposure[warm])
    assert np.all(exposure[cold] > 0)


def test_horizon_exposure_equals_summing_active_days_one_by_one(network):
    state = empty_state(network, np.datetime64("2026-11-20"))
    start = np.datetime64("2026-11-27")
    days = np.random.default_rng(9).integers(1, 12, network.n_pairs)
    per_sku = sku_exposure(state, network, start + np.arange(12))
    expected = np.zeros(network.n_pairs)
    for p in range(network.n_pairs):
        for i in range(days[p]):
            if network.active(start + i)[p]:
                expected[p] += per_sku[i, network.pair_sku[p]]
    np.testing.assert_allclose(horizon_exposure(state, network, start, days), expected)


def test_horizon_exposure_with_weekday_shapes_and_local_events_equals_the_day_by_day_sum(
    network,
):
    # given: pairs with their own weekday shapes, a local event in one region, and
    # windows that start before a launch (SKU 3, 2026-12-01) or a store's opening, or
    # run past a store's closing
    network = replace(
        network,
        store_opened=network.store_opened.copy(),
        store_closed=network.store_closed.copy(),
    )
    network.store_closed[1] = np.datetime64("2026-12-04")
    network.store_opened[2] = np.datetime64("2026-11-28")

    def local(days):
        out = np.ones((len(days), len(network.regions), len(network.categories)))
        out[days == np.datetime64("2026-11-29"), 0, :] = 2.5
        return out

    settings = DemandSettings(local_events=local)
    weekday = np.array([0.5, 0.8, 0.9, 1.0, 1.1, 1.9, 1.2])
    rates = np.full(network.n_pairs, 1.5)
    sales = poisson_days(network, rates, FIRST, 120, seed=8, weekday=weekday)
    state = fit(network, sales, FIRST - 1, settings)
    assert pair_weekday_factor(state, network) is not None
    start = np.datetime64("2026-11-25")
    days = np.random.default_rng(10).integers(0, 20, network.n_pairs)
    # then: the vectorised sum is the slow, obvious one: every active day, one by one
    grid = start + np.arange(20)
    every = np.arange(network.n_pairs)
    per_day = pair_exposure(state, network, grid, every)
    expected = np.zeros(network.n_pairs)
    for i, day in enumerate(grid):
        counted = network.active(day) & (days > i)
        expected[counted] += per_day[i, counted]
    got = horizon_exposure(state, network, start, days)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    assert (got == 0).any() and (got > 0).any()


def test_horizon_exposure_with_pair_and_local_factors_equals_day_by_day(network):
    # given: learned per-pair weekday shapes and a local event on even days in region 0
    def local(days):
        days = np.asarray(days, "datetime64[D]")
        out = np.ones((len(days), len(network.regions), len(network.categories)))
        out[days.astype(np.int64) % 2 == 0, 0, :] = 1.5
        return out

    settings = DemandSettings(local_events=local)
    weekday = np.array([0.5, 0.8, 0.9, 1.0, 1.1, 1.6, 1.1])
    history = poisson_days(
        network, np.full(network.n_pairs, 1.0), FIRST, 60, seed=6, weekday=weekday
    )
    state = fit(network, history, FIRST - 1, settings)
    start = np.datetime64("2026-11-27")
    days = np.random.default_rng(9).integers(1, 12, network.n_pairs)
    # when
    total = horizon_exposure(state, network, start, days)
    # then: the same as summing each pair's exposure on its active days
    grid = start + np.arange(12)
    per_pair = pair_exposure(state, network, grid, np.arange(network.n_pairs))
    expected = np.zeros(network.n_pairs)
    for p in range(network.n_pairs):
        for i in range(days[p]):
            if network.active(grid[i])[p]:
                expected[p] += per_pair[i, p]
    np.testing.assert_allclose(total, expected)
    assert not np.allclose(per_pair, sku_exposure(state, network, grid)[:, network.pair_sku])
