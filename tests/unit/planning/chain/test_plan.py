import numpy as np

from storenet.planning.chain.plan import PURCHASE, TRANSFER, chain_plan
from storenet.planning.chain.tree import ChainStock, flat_tree
from storenet.planning.cycle import PlanSettings, Stock, nightly_plan

from .conftest import chain_network, chain_stock, chain_tree, fitted_state


def test_the_flat_tree_reproduces_nightly_plan_store_lines():
    network = chain_network(n_stores=10)
    rng = np.random.default_rng(5)
    state = fitted_state(network, rng.gamma(1.0, 0.8, network.n_pairs), seed=5)
    on_hand = rng.integers(0, 6, network.n_pairs)
    zero = np.zeros(network.n_pairs, np.int64)
    warehouse = rng.integers(0, 20, (len(network.warehouses), network.n_skus))
    stores = Stock(on_hand, zero, zero.copy(), warehouse)
    settings = PlanSettings(lead_days=3, review_days=5)
    tree = flat_tree(network, 3, 5, 21)
    shape = warehouse.shape
    stock = ChainStock(stores, np.zeros(shape, np.int64), np.zeros(shape, np.int64))

    chained = chain_plan(network, tree, state, stock, settings).stores
    alone = nightly_plan(network, state, stores, settings)

    for name in ("mean", "quantile", "target", "request", "allocated", "cut_reason"):
        assert np.array_equal(getattr(chained, name), getattr(alone, name)), name
    assert np.array_equal(chained.moves.units, alone.moves.units)


def test_a_central_above_regionals_buys_and_regionals_get_transfers():
    network = chain_network()
    tree = chain_tree(network, case_pack=6, moq=12)
    rng = np.random.default_rng(0)
    state = fitted_state(network, rng.gamma(1.0, 0.8, network.n_pairs))
    free = np.zeros((tree.n_warehouses, network.n_skus), np.int64)
    central = tree.warehouse_ids.index("C")
    free[central] = 40
    plan = chain_plan(network, tree, state, chain_stock(network, tree, zero_stock(network), free))
    lines = plan.upstream
    transfers = lines.kind == TRANSFER
    purchases = lines.kind == PURCHASE
    assert set(lines.destination[purchases].tolist()) == {central}
    assert set(lines.destination[transfers].tolist()) <= {0, 1}
    assert np.all(lines.source[transfers] == central)
    given = np.bincount(lines.sku[transfers], lines.qty[transfers], network.n_skus)
    assert np.array_equal(
        given,
        np.minimum(
            40, np.bincount(lines.sku[transfers], lines.requested[transfers], network.n_skus)
        ),
    )
    assert np.all(lines.qty[purchases] % 6 == 0)
    assert np.all(lines.qty[purchases] >= 12)


def zero_stock(network):
    return np.zeros(network.n_pairs, np.int64)


def test_scarce_central_stock_goes_where_the_stores_below_sell_more():
    network = chain_network(n_stores=8)
    tree = chain_tree(network)
    # K0 sells five times better in W1's stores (even store numbers) than in W2's.
    w1 = network.store_warehouse[network.pair_store] == tree.warehouse_ids.index("W1")
    rates = np.where(network.pair_sku == 0, np.where(w1, 2.5, 0.5), 0.3)
    state = fitted_state(network, rates, seed=4)
    free = np.zeros((tree.n_warehouses, network.n_skus), np.int64)
    central = tree.warehouse_ids.index("C")
    free[central, 0] = 30
    plan = chain_plan(network, tree, state, chain_stock(network, tree, zero_stock(network), free))
    lines = plan.upstream
    k0 = (lines.kind == TRANSFER) & (lines.sku == 0)
    by_node = dict(zip(lines.destination[k0].tolist(), lines.qty[k0].tolist()))
    assert sum(by_node.values()) == 30
    assert by_node[0] > by_node.get(1, 0)
    assert np.all(lines.cut_reason[k0] == 1)


def test_a_tight_weekly_capacity_is_shared_and_noted():
    network = chain_network(n_stores=8)
    tree = chain_tree(network, case_pack=5, moq=10, capacity=40, direct=(0, 1, 2, 3))
    state = fitted_state(network, np.full(network.n_pairs, 1.5), seed=6)
    free = np.zeros((tree.n_warehouses, network.n_skus), np.int64)
    plan = chain_plan(network, tree, state, chain_stock(network, tree, zero_stock(network), free))
    lines = plan.upstream
    assert np.all(lines.kind == PURCHASE)
    per_sku = np.bincount(lines.sku, lines.qty, network.n_skus)
    assert np.all(per_sku <= 40) and np.all(per_sku >= 30)
    assert np.all(lines.cut_reason == 2)
    assert np.all(lines.qty % 5 == 0)
