"""A regional whose SKU one store alone holds sends it all it holds (`sole_store_push`)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storenet.planning.chain.plan import TRANSFER, chain_plan
from storenet.planning.cycle import PlanSettings

from .conftest import chain_network, chain_stock, chain_tree, fitted_state


@pytest.fixture(scope="module")
def serial():
    """Two stores, one under each regional: every regional cell has a sole store."""
    network = chain_network(n_stores=2, n_skus=4)
    tree = chain_tree(network, direct=(3,))
    rng = np.random.default_rng(7)
    state = fitted_state(network, rng.gamma(2.0, 1.0, network.n_pairs), seed=7)
    rng = np.random.default_rng(8)
    shape = (tree.n_warehouses, network.n_skus)
    free = rng.integers(0, 60, shape)
    on_hand = rng.integers(0, 40, network.n_pairs)
    on_hand[0] = 500  # one store far above its target
    stock = chain_stock(
        network, tree, on_hand, free, rng.integers(0, 10, shape), rng.integers(0, 30, shape)
    )
    return network, tree, state, stock, free


def test_the_sole_store_gets_everything_its_regional_has_left(serial):
    network, tree, state, stock, free = serial
    plan = chain_plan(network, tree, state, stock, PlanSettings(sole_store_push=True))
    plain = chain_plan(network, tree, state, stock)
    n_k = network.n_skus
    up = plan.upstream
    out = np.zeros(free.size, np.int64)
    transfer = up.kind == TRANSFER
    np.add.at(out, up.source[transfer] * n_k + up.sku[transfer], up.qty[transfer])
    for pair in range(network.n_pairs):
        w = int(network.store_warehouse[network.pair_store[pair]])
        k = int(network.pair_sku[pair])
        held = int(free[w, k])
        left = held - int(plan.stores.allocated[pair]) - int(out[w * n_k + k])
        # Nothing allocated that the regional does not hold, and nothing kept back.
        assert left >= 0
        if plan.stores.target[pair] > 0:
            assert left == 0
        # The push rides on the line: request and allocation rise together.
        extra = plan.stores.allocated[pair] - plain.stores.allocated[pair]
        assert extra >= 0
        assert plan.stores.request[pair] - plain.stores.request[pair] == extra


def test_a_sole_store_counts_in_full_in_its_echelon(serial):
    network, tree, state, stock, free = serial
    plan = chain_plan(network, tree, state, stock, PlanSettings(sole_store_push=True))
    figures = plan.echelons
    transit = np.asarray(stock.warehouse_in_transit)
    on_order = np.asarray(stock.warehouse_on_order)
    for pair in range(network.n_pairs):
        w = int(network.store_warehouse[network.pair_store[pair]])
        k = int(network.pair_sku[pair])
        position, target = int(plan.stores.position[pair]), int(plan.stores.target[pair])
        counted = position if target > 0 else min(position, target)
        assert figures.position[w, k] == free[w, k] + transit[w, k] + on_order[w, k] + counted
    # The store far above its target: the default caps it at its target.
    plain = chain_plan(network, tree, state, stock).echelons
    w0, k0 = int(network.store_warehouse[network.pair_store[0]]), int(network.pair_sku[0])
    assert figures.position[w0, k0] - plain.position[w0, k0] == (
        plan.stores.position[0] - plan.stores.target[0]
    )


SERIAL = chain_network(n_stores=3, n_skus=4)  # W1 holds S0 and S2, W2 holds S1 alone
SERIAL_STATE = fitted_state(SERIAL, np.random.default_rng(4).gamma(1.5, 1.0, SERIAL.n_pairs))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), reviewing=st.lists(st.booleans(), min_size=3, max_size=3))
def test_with_the_push_nothing_is_given_that_a_node_does_not_hold(seed, reviewing):
    network, rng = SERIAL, np.random.default_rng(seed)
    tree = chain_tree(network, direct=(3,))
    shape = (tree.n_warehouses, network.n_skus)
    free = rng.integers(0, 40, shape) * rng.integers(0, 2, shape)
    stock = chain_stock(
        network, tree, rng.integers(0, 8, network.n_pairs), free, None, rng.integers(0, 30, shape)
    )
    due = np.array(reviewing)
    plan = chain_plan(
        network, tree, SERIAL_STATE, stock, PlanSettings(sole_store_push=True), reviewing=due
    )
    plain = chain_plan(network, tree, SERIAL_STATE, stock, reviewing=due)
    n_k = network.n_skus
    given_out = np.zeros(free.size, np.int64)
    home = network.store_warehouse[network.pair_store].astype(np.int64)
    np.add.at(given_out, home * n_k + network.pair_sku, plan.stores.allocated)
    up = plan.upstream
    transfer = up.kind == TRANSFER
    np.add.at(given_out, up.source[transfer] * n_k + up.sku[transfer], up.qty[transfer])
    assert np.all(given_out <= free.reshape(-1))
    extra = plan.stores.allocated - plain.stores.allocated
    assert np.all(extra >= 0)
    # Only a sole holder that reviews tonight gets more; W1's two stores never do
    # unless one of them has no target.
    holders = np.bincount(home * n_k + network.pair_sku, plan.stores.target > 0, free.size)
    sole = (holders[home * n_k + network.pair_sku] == 1) & (plan.stores.target > 0)
    assert np.all(extra[~(sole & due[network.pair_store])] == 0)
