"""The vectorised echelon aggregation against slow obvious loops."""

from dataclasses import replace

import numpy as np
import pytest

from storenet.planning.chain.plan import chain_plan
from storenet.planning.chain.pooling import (
    NO_SOURCE,
    SUPPLIER,
    active_offsets,
    extend_exposure,
    pool_demand,
    sku_exposure_table,
    supply_sources,
)
from storenet.planning.cycle import horizon_forecast
from storenet.planning.demand.horizon import horizon_exposure
from storenet.planning.demand.posterior import posterior

from .conftest import chain_network, chain_stock, chain_tree, fitted_state


@pytest.fixture(scope="module")
def case():
    network = chain_network(n_stores=6, n_skus=4)
    tree = chain_tree(network, direct=(3,))
    rng = np.random.default_rng(11)
    state = fitted_state(network, rng.gamma(1.0, 0.8, network.n_pairs), seed=11)
    return network, tree, state


def path(tree, source, warehouse, sku):
    """The nodes a store's demand of `sku` passes, its own warehouse first."""
    out = []
    while warehouse >= 0:
        out.append(warehouse)
        up = source[warehouse, sku]
        warehouse = up if up >= 0 else -1
    return out


def test_sources_follow_delivery_points_and_parents(case):
    network, tree, _ = case
    source = supply_sources(tree, network.n_skus)
    central = tree.warehouse_ids.index("C")
    assert source[central, :3].tolist() == [SUPPLIER] * 3
    assert source[0, :3].tolist() == [central] * 3
    assert source[0, 3] == SUPPLIER and source[1, 3] == SUPPLIER  # shipped directly
    assert source[central, 3] == NO_SOURCE


def test_pooled_moments_equal_a_loop_over_pairs_and_their_paths(case):
    network, tree, state = case
    source = supply_sources(tree, network.n_skus)
    legs = np.array([[10, 12, 9, 20], [11, 13, 10, 21], [16, 17, 18, 0]], np.int64)
    horizon = np.array([9, 10, 9, 12, 9, 9], np.int64)[network.pair_store]
    post = posterior(state, network)
    forecast = horizon_forecast(network, state, horizon, post=post)
    sd = np.zeros(network.n_pairs)
    pooled = pool_demand(
        network,
        state,
        source,
        legs,
        horizon,
        sd,
        forecast.mean,
        forecast.r,
        forecast.exposure,
        post,
    )

    tomorrow = state.through + np.timedelta64(1, "D")
    mean = np.zeros(legs.shape)
    var = np.zeros(legs.shape)
    for pair in range(network.n_pairs):
        sku = network.pair_sku[pair]
        window = int(horizon[pair])
        for node in path(tree, source, network.store_warehouse[network.pair_store[pair]], sku):
            window += int(legs[node, sku])
            days = np.full(network.n_pairs, window)
            exposure = horizon_exposure(state, network, tomorrow, days)[pair]
            mu = post.mean[pair] * exposure
            extra = 1 / post.param_shape[pair] + 1 / (post.phi[pair] * window)
            mean[node, sku] += mu
            var[node, sku] += mu + mu * mu * extra
    # Regionals (the stores' own warehouses): exact. The central extends its
    # children's windows by the SKU's exposure (pooling.extend_exposure): within 1%.
    got_mean, got_var = pooled.mean.reshape(legs.shape), pooled.var.reshape(legs.shape)
    assert got_mean[:2] == pytest.approx(mean[:2], rel=1e-9)
    assert got_var[:2] == pytest.approx(var[:2], rel=1e-9)
    assert got_mean[2] == pytest.approx(mean[2], rel=0.01)
    assert got_var[2] == pytest.approx(var[2], rel=0.01)


def test_echelon_positions_and_floors_equal_a_loop_over_the_tree(case):
    network, tree, state = case
    rng = np.random.default_rng(3)
    shape = (tree.n_warehouses, network.n_skus)
    free = rng.integers(0, 30, shape)
    transit = rng.integers(0, 10, shape)
    on_order = rng.integers(0, 50, shape)
    on_hand = rng.integers(0, 5, network.n_pairs)
    stock = chain_stock(network, tree, on_hand, free, transit, on_order)
    plan = chain_plan(network, tree, state, stock)
    figures = plan.echelons
    source = figures.source

    def counted(w: int, k: int) -> int:
        """Node w's echelon position for SKU k, each node below it up to its target."""
        total = free[w, k] + transit[w, k] + on_order[w, k]
        for v in range(tree.n_warehouses):
            if v != w and source[v, k] == w:
                total += min(counted(v, k), figures.target[v, k])
        for pair in np.flatnonzero(network.pair_sku == k):
            if network.store_warehouse[network.pair_store[pair]] == w:
                total += min(plan.stores.position[pair], plan.stores.target[pair])
        return total

    for w in range(tree.n_warehouses):
        for k in range(network.n_skus):
            if source[w, k] == NO_SOURCE:
                assert figures.target[w, k] == 0
                continue
            below = 0
            for v in range(tree.n_warehouses):
                if v != w and source[v, k] == w:
                    below += figures.target[v, k]
            for pair in np.flatnonzero(network.pair_sku == k):
                if network.store_warehouse[network.pair_store[pair]] == w:
                    below += plan.stores.target[pair]
            assert figures.position[w, k] == counted(w, k)
            assert figures.below_target[w, k] == below
            assert figures.target[w, k] >= below


def test_a_store_in_excess_does_not_hide_a_short_sibling_from_its_warehouse(case):
    network, tree, state = case
    shape = (tree.n_warehouses, network.n_skus)
    zero = np.zeros(shape, np.int64)
    on_hand = np.zeros(network.n_pairs, np.int64)
    plan = chain_plan(network, tree, state, chain_stock(network, tree, on_hand, zero, zero, zero))
    # One store of a warehouse gets far more than its target of SKU k; the others none.
    k = int(network.pair_sku[np.argmax(plan.stores.target)])
    pairs = np.flatnonzero(network.pair_sku == k)
    home = network.store_warehouse[network.pair_store[pairs]]
    w = int(home[0])
    mine = pairs[home == w]
    on_hand[mine[0]] = 10 * int(plan.stores.target[mine].sum()) + 100
    again = chain_plan(network, tree, state, chain_stock(network, tree, on_hand, zero, zero, zero))
    # The warehouse still asks for what its other stores are short of.
    others = mine[1:]
    short = int(np.maximum(again.stores.target[others] - again.stores.position[others], 0).sum())
    assert short > 0
    assert again.echelons.target[w, k] - again.echelons.position[w, k] >= short


def test_a_forecast_made_elsewhere_pools_the_same_means(case):
    """Without the posterior (a gbm forecast), a window's mean is the horizon's mean
    scaled by exposure: for the posterior's own forecast, the same means."""
    network, tree, state = case
    source = supply_sources(tree, network.n_skus)
    legs = np.full(source.shape, 12, np.int64)
    horizon = np.full(network.n_pairs, 9, np.int64)
    post = posterior(state, network)
    forecast = horizon_forecast(network, state, horizon, post=post)
    sd = np.zeros(network.n_pairs)
    args = (forecast.mean, forecast.r, forecast.exposure)
    with_post = pool_demand(network, state, source, legs, horizon, sd, *args, post)
    without = pool_demand(network, state, source, legs, horizon, sd, *args, None)
    assert without.mean == pytest.approx(with_post.mean, rel=1e-9)
    assert np.all(without.var >= without.mean)
    plan = chain_plan(
        network,
        tree,
        state,
        chain_stock(
            network, tree, np.zeros(network.n_pairs, np.int64), np.zeros(source.shape, np.int64)
        ),
        forecast=type(forecast)(forecast.mean, forecast.r, forecast.p),
    )
    assert plan.echelons.demand_mean.sum() > 0


def test_extended_exposure_follows_horizon_exposure_and_stops_when_a_store_closes(case):
    network, _, state = case
    tomorrow = state.through + np.timedelta64(1, "D")
    closed = network.store_closed.copy()
    closed[1] = tomorrow + np.timedelta64(20, "D")  # S1 closes on day 20 of 40
    network = replace(network, store_closed=closed)
    short = np.full(network.n_pairs, 16, np.int64)
    long = np.full(network.n_pairs, 40, np.int64)
    exact = horizon_exposure(state, network, tomorrow, long)
    had = horizon_exposure(state, network, tomorrow, short)
    first, last = active_offsets(state, network)
    table = sku_exposure_table(state, network, 40)
    got = extend_exposure(had, short, long, table, network.pair_sku, first, last)
    assert got == pytest.approx(exact, rel=0.02)
    s1 = network.pair_store == 1
    until_close = horizon_exposure(state, network, tomorrow, np.full(network.n_pairs, 20))
    assert got[s1] == pytest.approx(until_close[s1], rel=0.02)
