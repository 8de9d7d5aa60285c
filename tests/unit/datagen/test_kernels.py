"""The array kernels behind the generator, against their obvious versions."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from storenet.datagen import NetworkSpec
from storenet.datagen.catalog import make_catalog
from storenet.datagen.demand import (
    draw_demand,
    draw_demand_reference,
    draw_levels,
    level_table,
    ramp_up,
)
from storenet.datagen.pricing import make_prices
from storenet.datagen.replenishment import order_up_to, ration, service_up_to
from storenet.datagen.serials import imei_serials, luhn_check_digit, tv_serials
from storenet.errors import Refused


def test_the_clock_kernel_draws_poisson_counts_like_the_obvious_version():
    # given
    rng = np.random.default_rng(1)
    rate = np.repeat(np.array([0.02, 0.1, 0.5, 2.0, 6.0], dtype=np.float32), 20_000)
    clock = rng.standard_exponential(len(rate), dtype=np.float32)
    # when: 20 days of the kernel, and 20 days of plain Poisson draws
    fast = np.zeros((20, len(rate)), dtype=np.int64)
    slow = np.zeros((20, len(rate)), dtype=np.int64)
    for day in range(20):
        hit, counts = draw_demand(clock, rate, rng)
        fast[day, hit] = counts
        hit, counts = draw_demand_reference(rate, rng)
        slow[day, hit] = counts
    # then: same distribution per rate (chi-square on the counts 0..5+), mean = rate
    for r in np.unique(rate):
        cols = rate == r
        f = np.bincount(np.minimum(fast[:, cols].ravel(), 5), minlength=6)
        s = np.bincount(np.minimum(slow[:, cols].ravel(), 5), minlength=6)
        keep = (f + s) > 0
        assert stats.chi2_contingency(np.array([f[keep], s[keep]])).pvalue > 1e-3
        assert fast[:, cols].mean() == pytest.approx(r, rel=0.03)
        # and a series' days are independent: no correlation from one day to the next
        today, tomorrow = fast[:-1, cols].ravel(), fast[1:, cols].ravel()
        assert abs(np.corrcoef(today, tomorrow)[0, 1]) < 0.01


def test_the_clock_kernel_never_draws_demand_at_rate_zero():
    # given
    rng = np.random.default_rng(2)
    clock = rng.standard_exponential(100_000, dtype=np.float32)
    rate = np.zeros(100_000, dtype=np.float32)
    # when
    hit, counts = draw_demand(clock, rate, rng)
    # then
    assert len(hit) == 0 and len(counts) == 0


def test_pair_levels_have_mean_one_and_the_gamma_spread():
    # given
    rng = np.random.default_rng(3)
    table = level_table(rng)
    # when
    levels = draw_levels(table, 200_000, rng)
    # then
    assert levels.mean() == pytest.approx(1.0, abs=0.01)
    assert levels.std() == pytest.approx(1 / np.sqrt(3), rel=0.03)
    assert (levels > 0).all()


def test_ramp_up_starts_low_and_reaches_maturity():
    # given
    age = np.array([-5, 0, 30, 90, 365])
    # when
    r = ramp_up(age)
    # then
    assert r[0] == 0
    assert 0.3 < r[1] < 0.4
    assert np.all(np.diff(r[1:]) > 0)
    assert r[-1] > 0.99


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(1, 30)), min_size=1, max_size=60),
    st.lists(st.integers(0, 100), min_size=5, max_size=5),
    st.integers(0, 2**32 - 1),
)
def test_rationing_never_ships_more_than_asked_or_held(requests, held, seed):
    # given
    keys = np.array([k for k, _ in requests])
    qty = np.array([q for _, q in requests])
    stock = np.array(held, dtype=np.int64)
    before = stock.copy()
    # when
    shipped = ration(keys, qty, stock, np.random.default_rng(seed))
    # then
    sent = np.bincount(keys, weights=shipped, minlength=5).astype(np.int64)
    asked = np.bincount(keys, weights=qty, minlength=5)
    assert ((shipped >= 0) & (shipped <= qty)).all()
    assert (sent <= before).all()
    assert (stock == before - sent).all()
    enough = asked <= before
    assert (sent[enough] == asked[enough]).all()


def test_order_up_to_levels_stay_between_display_minimum_and_capacity():
    # given
    expected = np.array([0.0, 0.3, 2.0, 50.0], dtype=np.float32)
    display = np.array([1, 1, 2, 1])
    capacity = np.array([3, 3, 10, 20])
    # when
    level = order_up_to(expected, display, capacity)
    # then
    assert level.tolist() == [1, 2, 5, 20]


def test_planned_levels_are_the_negative_binomial_quantile_within_display_and_capacity():
    # given expected demand over the cover, the plan's service levels, display and capacity
    expected = np.array([0.0, 0.3, 2.0, 2.0, 50.0, 50.0], dtype=np.float32)
    service = np.array([0.95, 0.95, 0.90, 0.95, 0.95, 0.95])
    display = np.array([1, 1, 1, 1, 1, 1])
    capacity = np.array([3, 3, 30, 30, 200, 40])
    # when
    level = service_up_to(expected, service, display, capacity, shape=3.0)
    # then: the quantile of NB(shape 3, mean expected), lifted and capped
    exact = stats.nbinom.ppf(service, 3.0, 3.0 / (3.0 + expected.astype(np.float64)))
    assert level.tolist() == np.clip(exact, display, capacity).astype(int).tolist()
    assert level[3] > level[2] and level[5] == 40
    # and the level-blind spread asks far more than the simple Poisson margin of a
    # fast seller
    assert level[4] > order_up_to(expected, display, capacity)[4]


def test_phone_serials_are_fifteen_digits_that_pass_the_luhn_check():
    # given
    counter = np.arange(0, 1_000_000, 997)
    # when
    serials = imei_serials(counter).to_pylist()
    # then
    assert len(set(serials)) == len(serials)
    assert all(len(s) == 15 and s.startswith("86") for s in serials)
    assert int(luhn_check_digit(np.array([49015420323751]))[0]) == 8  # a known IMEI
    for s in serials[:50]:
        digits = [int(c) for c in s]
        doubled = [d * 2 - 9 if d * 2 > 9 else d * 2 for d in digits[-2::-2]]
        assert (sum(digits[-1::-2]) + sum(doubled)) % 10 == 0
    assert tv_serials(np.array([0, 7])).to_pylist() == ["SN100000000000", "SN100000000007"]


def test_prices_fall_over_the_life_cycle_and_promotions_lift_demand():
    # given
    rng = np.random.default_rng(4)
    first, last = date(2025, 1, 1), date(2026, 11, 22)
    catalog = make_catalog(300, first, last, rng)
    grid = np.arange(np.datetime64(first), np.datetime64(last) + 1)
    # when
    prices = make_prices(catalog, grid, rng)
    launch = catalog.price_cents[None, :]
    promo = prices.selling_cents < prices.list_cents
    # then
    assert (prices.selling_cents <= prices.list_cents).all()
    assert (prices.list_cents <= launch).all()
    assert (prices.selling_cents % 100 == 0).all()
    assert 0.02 < promo.mean() < 0.2
    assert (prices.demand_factor[promo] > 1).all()
    assert (prices.list_cents[-1] < launch[0]).mean() > 0.3


def test_a_spec_out_of_range_is_refused_with_the_field_named():
    # given / when / then
    with pytest.raises(Refused, match="stores"):
        NetworkSpec(stores=0, skus=10, days=10, seed=1)
    with pytest.raises(Refused, match="end"):
        NetworkSpec(stores=10, skus=10, days=10, seed=1, end=date(2031, 6, 1))
