"""The vectorised echelon aggregation against slow obvious loops."""

import numpy as np
import pytest

from storenet.planning import demand
from storenet.planning.chain.plan import chain_plan
from storenet.planning.chain.pooling import NO_SOURCE, SUPPLIER, pool_demand, supply_sources
from storenet.planning.cycle import horizon_forecast

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
    post = demand.posterior(state, network)
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
            exposure = demand.horizon_exposure(state, network, tomorrow, days)[pair]
            mu = post.mean[pair] * exposure
            extra = 1 / post.param_shape[pair] + 1 / (post.phi[pair] * window)
            mean[node, sku] += mu
            var[node, sku] += mu + mu * mu * extra
    assert pooled.mean.reshape(legs.shape) == pytest.approx(mean, rel=1e-9)
    assert pooled.var.reshape(legs.shape) == pytest.approx(var, rel=1e-9)


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

    for w in range(tree.n_warehouses):
        for k in range(network.n_skus):
            if source[w, k] == NO_SOURCE:
                assert figures.target[w, k] == 0
                continue
            position = 0
            below = 0
            for v in range(tree.n_warehouses):
                if w in path(tree, source, v, k):
                    position += free[v, k] + transit[v, k] + on_order[v, k]
                if v != w and source[v, k] == w:
                    below += figures.target[v, k]
            for pair in np.flatnonzero(network.pair_sku == k):
                home = network.store_warehouse[network.pair_store[pair]]
                if w in path(tree, source, home, k):
                    position += plan.stores.position[pair]
                if home == w:
                    below += plan.stores.target[pair]
            assert figures.position[w, k] == position
            assert figures.below_target[w, k] == below
            assert figures.target[w, k] >= below
