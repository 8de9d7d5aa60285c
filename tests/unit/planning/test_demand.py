from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from scipy import stats

from storenet import calendar
from storenet.planning import demand
from storenet.planning.demand import DaySales, expected_given_at_least
from storenet.planning.network import build_network

from .conftest import poisson_days

FIRST = np.datetime64("2025-03-03")  # a Monday, no festival within 10 weeks


def test_fitting_history_equals_updating_day_by_day_through_saved_states(network, tmp_path):
    days = poisson_days(network, np.full(network.n_pairs, 0.4), FIRST, 60, seed=1)
    batch = demand.fit(network, days, FIRST - 1)
    state = demand.fit(network, days[:40], FIRST - 1)
    state.save(tmp_path / "state.npz")
    state = demand.DemandState.load(tmp_path / "state.npz")
    for sales in days[40:]:
        state = demand.update_day(state, network, sales)
    assert state.through == batch.through
    for name in ("a", "b", "weekday_units", "stage_units", "stage_expected", "disp_mu2",
                 "pair_weekday", "weekday_days"):  # fmt: skip
        np.testing.assert_array_equal(getattr(state, name), getattr(batch, name), err_msg=name)
    np.testing.assert_array_equal(state.last_sale, batch.last_sale)


def test_update_refuses_a_day_out_of_order(network):
    state = demand.empty_state(network, FIRST - 1)
    with pytest.raises(ValueError, match="cannot follow"):
        demand.update_day(
            state, network, DaySales(FIRST + 1, np.zeros(0, int), np.zeros(0), np.zeros(0, bool))
        )


def test_estimates_converge_to_the_true_rates(network):
    rates = np.where(network.pair_sku == 0, 2.0, 0.3)
    state = demand.fit(network, poisson_days(network, rates, FIRST, 150, seed=2), FIRST - 1)
    mean = demand.posterior(state, network).mean
    launched = network.pair_sku != 3
    # kappa = 2.5 against a pair's own ~50 remembered days (delta 0.98), blended with
    # its ~10-day short memory (about half the weight for a steady pair): a 0.3/day
    # rate is then known to about +-17%, one sd; 0.4 is more than two sd.
    np.testing.assert_allclose(mean[launched], rates[launched], rtol=0.4)


def test_weekday_profile_is_recovered(network):
    weekday = np.array([0.7, 0.8, 0.9, 1.0, 1.1, 1.4, 1.1])
    days = poisson_days(network, np.full(network.n_pairs, 3.0), FIRST, 140, seed=3, weekday=weekday)
    state = demand.fit(network, days, FIRST - 1)
    phone = network.categories.index("phone")
    np.testing.assert_allclose(
        demand.weekday_profile(state)[phone], weekday / weekday.mean(), rtol=0.06
    )


def test_stockout_days_do_not_pull_the_estimate_down(network):
    rates = np.full(network.n_pairs, 2.0)
    days = poisson_days(network, rates, FIRST, 60, seed=4)

    # From day 30 pair 0 sells nothing: its shelf is empty. Once flagged as a
    # stock-out, and once not.
    def blank(flag):
        out = []
        for i, d in enumerate(days):
            if i < 30:
                out.append(d)
                continue
            keep = d.pair != 0
            pair = np.append(d.pair[keep], 0) if flag else d.pair[keep]
            units = np.append(d.units[keep], 0) if flag else d.units[keep]
            stock = (
                np.append(np.zeros(keep.sum(), bool), True) if flag else np.zeros(keep.sum(), bool)
            )
            out.append(DaySales(d.day, pair, units, stock))
        return out

    censored = demand.posterior(demand.fit(network, blank(True), FIRST - 1), network).mean[0]
    uncensored = demand.posterior(demand.fit(network, blank(False), FIRST - 1), network).mean[0]
    assert censored == pytest.approx(2.0, rel=0.25)
    assert uncensored < 0.5 * censored


def test_a_new_store_starts_from_its_format_and_region_prior(network):
    rates = np.where(network.store_format[network.pair_store] == 1, 1.5, 0.3)
    days = poisson_days(network, rates, FIRST, 120, seed=5)
    state = demand.fit(network, days, FIRST - 1)
    # Forget store 1 (direct) entirely, as if it had just opened.
    pairs = network.pair_store == 1
    state.a[pairs] = 0.0
    state.b[pairs] = 0.0
    mean = demand.posterior(state, network).mean
    for sku in (0, 1):
        pair = np.flatnonzero(pairs & (network.pair_sku == sku))[0]
        assert mean[pair] == pytest.approx(1.5, rel=0.3)


def test_a_cold_successor_starts_from_its_predecessor(network):
    rates = np.select([network.pair_sku == 0, network.pair_sku == 1], [2.0, 0.2], 0.5)
    state = demand.fit(network, poisson_days(network, rates, FIRST, 100, seed=6), FIRST - 1)
    post = demand.posterior(state, network)
    assert post.prior.donor[3] == 0  # K3 succeeds K0 and has never been on sale
    successor = network.pair_sku == 3
    np.testing.assert_allclose(post.mean[successor], 2.0, rtol=0.3)


def test_expected_demand_given_a_stockout_matches_brute_force():
    mu = np.array([0.5, 2.0, 2.0, 7.5, 0.1])
    sold = np.array([0, 1, 3, 2, 4])
    k = np.arange(0, 200)
    for m, s in zip(mu, sold):
        pmf = stats.poisson.pmf(k, m)
        brute = (k[k >= s] * pmf[k >= s]).sum() / pmf[k >= s].sum()
        assert expected_given_at_least(np.array([m]), np.array([s]))[0] == pytest.approx(
            max(brute, s), rel=1e-6
        )


def test_horizon_exposure_counts_only_active_days(network):
    state = demand.empty_state(network, np.datetime64("2026-11-20"))
    exposure = demand.horizon_exposure(
        state, network, np.datetime64("2026-11-25"), np.full(network.n_pairs, 9)
    )
    cold = network.pair_sku == 3  # launches 2026-12-01: 3 of the 9 days
    warm = network.pair_sku == 1
    assert np.all(exposure[warm] > 0)
    assert np.all(exposure[cold] < exposure[warm])
    assert np.all(exposure[cold] > 0)


def test_horizon_exposure_equals_summing_active_days_one_by_one(network):
    state = demand.empty_state(network, np.datetime64("2026-11-20"))
    start = np.datetime64("2026-11-27")
    days = np.random.default_rng(9).integers(1, 12, network.n_pairs)
    per_sku = demand.sku_exposure(state, network, start + np.arange(12))
    expected = np.zeros(network.n_pairs)
    for p in range(network.n_pairs):
        for i in range(days[p]):
            if network.active(start + i)[p]:
                expected[p] += per_sku[i, network.pair_sku[p]]
    np.testing.assert_allclose(demand.horizon_exposure(state, network, start, days), expected)


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

    settings = demand.DemandSettings(local_events=local)
    weekday = np.array([0.5, 0.8, 0.9, 1.0, 1.1, 1.9, 1.2])
    rates = np.full(network.n_pairs, 1.5)
    sales = poisson_days(network, rates, FIRST, 120, seed=8, weekday=weekday)
    state = demand.fit(network, sales, FIRST - 1, settings)
    assert demand.pair_weekday_factor(state, network) is not None
    start = np.datetime64("2026-11-25")
    days = np.random.default_rng(10).integers(0, 20, network.n_pairs)
    # then: the vectorised sum is the slow, obvious one: every active day, one by one
    grid = start + np.arange(20)
    every = np.arange(network.n_pairs)
    per_day = demand.pair_exposure(state, network, grid, every)
    expected = np.zeros(network.n_pairs)
    for i, day in enumerate(grid):
        counted = network.active(day) & (days > i)
        expected[counted] += per_day[i, counted]
    got = demand.horizon_exposure(state, network, start, days)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    assert (got == 0).any() and (got > 0).any()


def test_a_pairs_own_weekday_shape_is_learned_and_keeps_its_level(network):
    # given: every pair sells flat, except pair 0 which sells only on Saturdays
    flat = demand.fit(
        network, poisson_days(network, np.full(network.n_pairs, 2.0), FIRST, 140, seed=4), FIRST - 1
    )
    g = demand.pair_weekday_factor(flat, network)
    assert g.shape == (7, network.n_pairs)
    profile = demand.weekday_profile(flat)[network.sku_category[network.pair_sku]].T
    # then: the pair's weekday multipliers x its category's profile average 1
    np.testing.assert_allclose((g * profile).mean(axis=0), 1.0, rtol=1e-5)
    np.testing.assert_allclose(g, 1.0, atol=0.35)  # Poisson noise, shrunk by kappa_weekday
    # when: pair 0 sells 14 on Saturdays (weekday 5) and nothing on other days
    days = []
    for sales in poisson_days(network, np.full(network.n_pairs, 2.0), FIRST, 140, seed=4):
        keep = sales.pair != 0
        pair, units = sales.pair[keep], sales.units[keep]
        if int(calendar.weekdays(sales.day)) == 5:
            pair, units = np.append(pair, 0), np.append(units, 14)
        days.append(DaySales(sales.day, pair, units, np.zeros(pair.size, bool)))
    state = demand.fit(network, days, FIRST - 1)
    g = demand.pair_weekday_factor(state, network)
    assert g[5, 0] > 3.0 and g[:5, 0].max() < 0.5


def test_pair_weekday_statistics_can_be_switched_off(network):
    settings = demand.DemandSettings(kappa_weekday=0.0)
    state = demand.fit(
        network,
        poisson_days(network, np.full(network.n_pairs, 1.0), FIRST, 20, seed=5),
        FIRST - 1,
        settings,
    )
    assert state.pair_weekday is None
    assert demand.pair_weekday_factor(state, network) is None


def test_horizon_exposure_with_pair_and_local_factors_equals_day_by_day(network):
    # given: learned per-pair weekday shapes and a local event on even days in region 0
    def local(days):
        days = np.asarray(days, "datetime64[D]")
        out = np.ones((len(days), len(network.regions), len(network.categories)))
        out[days.astype(np.int64) % 2 == 0, 0, :] = 1.5
        return out

    settings = demand.DemandSettings(local_events=local)
    weekday = np.array([0.5, 0.8, 0.9, 1.0, 1.1, 1.6, 1.1])
    history = poisson_days(
        network, np.full(network.n_pairs, 1.0), FIRST, 60, seed=6, weekday=weekday
    )
    state = demand.fit(network, history, FIRST - 1, settings)
    start = np.datetime64("2026-11-27")
    days = np.random.default_rng(9).integers(1, 12, network.n_pairs)
    # when
    total = demand.horizon_exposure(state, network, start, days)
    # then: the same as summing each pair's exposure on its active days
    grid = start + np.arange(12)
    per_pair = demand.pair_exposure(state, network, grid, np.arange(network.n_pairs))
    expected = np.zeros(network.n_pairs)
    for p in range(network.n_pairs):
        for i in range(days[p]):
            if network.active(grid[i])[p]:
                expected[p] += per_pair[i, p]
    np.testing.assert_allclose(total, expected)
    assert not np.allclose(per_pair, demand.sku_exposure(state, network, grid)[:, network.pair_sku])


def test_a_brands_first_days_leave_the_weekdays_not_yet_seen_ordinary(network):
    # A brand that has sold for four days (Monday to Thursday) knows nothing yet of
    # the weekend: it is an ordinary day of the category, not a dead one.
    days = poisson_days(network, np.full(network.n_pairs, 0.5), FIRST, 4, seed=7)
    state = demand.fit(network, days, FIRST - 1)
    profile = demand.weekday_profile(state)
    np.testing.assert_allclose(profile[:, 4:], 1.0, rtol=0.35)
    assert profile.min() > 0.5


@pytest.mark.parametrize("n_days", [3, 4, 6, 10])
def test_a_brand_with_days_of_history_forecasts_what_it_sells_not_a_multiple(network, n_days):
    # Rates spread like a real assortment (many slow pairs); after a few days the
    # model's expected demand over the next 9 days matches the truth on the whole
    # network, and its 7-day 95% quantiles cover the pairs' weeks about 95% of the
    # time: it neither hides its doubt nor pushes stock on a guess. Before weekdays
    # were counted, 4 days of sales gave 3x the true demand.
    rng = np.random.default_rng(11)
    ratios, covered = [], []
    for seed in range(8):
        rates = rng.gamma(0.5, 0.8, network.n_pairs)
        days = poisson_days(network, rates, FIRST, n_days + 7, seed=100 + seed)
        state = demand.fit(network, days[:n_days], FIRST - 1)
        grid = state.through + np.timedelta64(1, "D") + np.arange(7)
        active = np.stack([network.active(d) for d in grid])
        m = np.where(
            active, demand.pair_exposure(state, network, grid, np.arange(network.n_pairs)), 0.0
        )
        post = demand.posterior(state, network)
        expected = (post.mean * m.sum(0))[active.any(0)]
        actual = np.zeros(network.n_pairs)
        for sales in days[n_days:]:
            actual[sales.pair] += sales.units
        ratios.append(expected.sum() / actual[active.any(0)].sum())
        shape_w, rate_w = post.over_days(7.0)
        from storenet.planning import distribution

        r, p = distribution.nb_params(shape_w, rate_w, m.sum(0))
        q95 = distribution.nb_quantile(r, p, 0.95)
        covered.append((actual <= q95)[active.any(0)].mean())
    assert 0.8 < np.mean(ratios) < 1.25, ratios
    assert 0.9 <= np.mean(covered) <= 0.995, covered


def _week_cover(state, network, days_after, pairs):
    """Share of `pairs` whose units over the 7 days after the state fall at or below
    the model's 7-day 95% quantile, and the model's mean over those 7 days."""
    from storenet.planning import distribution

    grid = state.through + np.timedelta64(1, "D") + np.arange(7)
    active = np.stack([network.active(d) for d in grid])
    m = np.where(active, demand.pair_exposure(state, network, grid, np.arange(network.n_pairs)), 0)
    post = demand.posterior(state, network)
    shape_w, rate_w = post.over_days(7.0)
    r, p = distribution.nb_params(shape_w, rate_w, m.sum(0))
    q95 = distribution.nb_quantile(r, p, 0.95)
    actual = np.zeros(network.n_pairs)
    for sales in days_after:
        actual[sales.pair] += sales.units
    return (actual <= q95)[pairs].mean(), (post.mean * m.sum(0))[pairs].sum(), actual[pairs].sum()


def test_a_store_open_four_days_that_sells_twice_its_peers_is_not_hidden_by_its_prior():
    # A new store that sells twice what its format and region expect: after four
    # days the forecast has moved toward its own sales and its quantiles still cover
    # its weeks about as often as they should, so the plan neither starves it nor
    # believes the prior blindly.
    from datetime import date

    from tests.unit.planning.conftest import small_network

    base = small_network(n_stores=8)
    opened = FIRST + np.timedelta64(116, "D")
    stores = pl.DataFrame(
        {
            "id": base.store_ids,
            "format": ["direct" if i % 2 else "franchise" for i in range(8)],
            "region_id": [f"R{i % 2}" for i in range(8)],
            "opened_on": [date(2024, 1, 1)] * 7 + [opened.astype(object)],
            "closed_on": [None] * 8,
            "warehouse_id": ["W1"] * 8,
        }
    )
    skus = pl.DataFrame(
        {
            "id": base.sku_ids[:3],
            "category": ["phone", "phone", "accessory"],
            "model": ["M0", "M1", "M2"],
            "launch_on": [date(2025, 1, 1)] * 3,
            "eol_on": [None] * 3,
            "successor_id": [None] * 3,
            "pack_size": [1] * 3,
            "cost": [100.0] * 3,
            "price": [150.0] * 3,
        }
    )
    assortment = pl.DataFrame(
        {
            "store_id": [s for s in base.store_ids for _ in range(3)],
            "sku_id": base.sku_ids[:3] * 8,
            "display_min": [1] * 24,
        }
    )
    network = build_network(stores, skus, assortment)
    new = network.pair_store == 7
    rates = np.where(new, 2.0, 1.0) * np.array([1.0, 0.5, 2.0])[network.pair_sku]
    covered, means, actuals = [], [], []
    for seed in range(30):
        days = poisson_days(network, rates, FIRST, 127, seed=seed)
        state = demand.fit(network, days[:120], FIRST - 1)
        c, mean, actual = _week_cover(state, network, days[120:], new)
        covered.append(c), means.append(mean), actuals.append(actual)
    prior_only = 7 * np.array([1.0, 0.5, 2.0]).sum()
    assert prior_only < np.mean(means) < np.mean(actuals)  # moved toward its own sales
    assert np.mean(covered) >= 0.85, np.mean(covered)  # 0.92 measured
