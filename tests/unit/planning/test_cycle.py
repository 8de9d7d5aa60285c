import numpy as np

from storenet.planning.cycle import PlanSettings, Stock, nightly_plan
from storenet.planning.demand.update import fit
from storenet.planning.rebalance import RebalanceCosts

from .conftest import poisson_days, small_network

FIRST = np.datetime64("2026-08-01")


def fitted(network, rates, days=118, seed=0):
    # Through 2026-11-26: the horizon from 11-27 (2 + 7 days) reaches K3's launch on 12-01.
    return fit(network, poisson_days(network, rates, FIRST, days, seed=seed), FIRST - 1)


def test_a_launching_sku_gets_its_first_stock_spread_by_its_prior():
    network = small_network()
    # K0 sells far better in stores 4 and 5; K3 succeeds K0 and launches on 12-01.
    rates = np.where(network.pair_sku == 0, np.where(network.pair_store >= 4, 3.0, 0.3), 0.2)
    state = fitted(network, rates)
    warehouse = np.zeros((1, network.n_skus), np.int64)
    warehouse[0, 3] = 16
    zero = np.zeros(network.n_pairs, np.int64)
    plan = nightly_plan(network, state, Stock(zero, zero, zero.copy(), warehouse))
    k3 = network.pair_sku == 3
    assert plan.allocated[k3].sum() == 16
    by_store = plan.allocated[k3]
    assert np.all(by_store >= 1)  # display minimums first
    assert min(by_store[4], by_store[5]) > max(by_store[:4])
    assert np.all(plan.allocated[k3] <= plan.request[k3])


def test_plan_respects_supply_packs_regions_and_the_transfer_cap():
    network = small_network(n_stores=12)
    rng = np.random.default_rng(3)
    rates = rng.gamma(1.0, 0.8, network.n_pairs)
    state = fitted(network, rates, seed=3)
    on_hand = rng.integers(0, 12, network.n_pairs)
    warehouse = rng.integers(0, 15, (1, network.n_skus))
    zero = np.zeros(network.n_pairs, np.int64)
    settings = PlanSettings(
        rebalance=RebalanceCosts(unit_cost=1.0, transfer_cost=1.0, max_transfers=2)
    )
    plan = nightly_plan(network, state, Stock(on_hand, zero, zero.copy(), warehouse), settings)

    pack = network.sku_pack[network.pair_sku]
    assert np.all(plan.request % pack == 0)
    given = np.bincount(network.pair_sku, plan.allocated, network.n_skus)
    assert np.all(given <= warehouse[0])
    assert np.all(plan.allocated <= plan.request)
    moves = plan.moves
    assert np.all(network.pair_sku[moves.from_pair] == network.pair_sku[moves.to_pair])
    src = network.pair_store[moves.from_pair]
    dst = network.pair_store[moves.to_pair]
    assert np.all(network.store_region[src] == network.store_region[dst])
    assert np.all(src != dst)
    sent = np.bincount(moves.from_pair, moves.units, network.n_pairs)
    assert np.all(sent <= on_hand)
    transfers = {(s, d) for s, d in zip(src.tolist(), dst.tolist())}
    for store in range(network.n_stores):
        assert sum(1 for s, _ in transfers if s == store) <= 2
        assert sum(1 for _, d in transfers if d == store) <= 2


def test_stores_not_reviewing_tonight_neither_order_nor_move():
    network = small_network(n_stores=8)
    rng = np.random.default_rng(4)
    state = fitted(network, rng.gamma(1.0, 0.8, network.n_pairs), seed=4)
    on_hand = rng.integers(0, 10, network.n_pairs)
    zero = np.zeros(network.n_pairs, np.int64)
    warehouse = np.full((1, network.n_skus), 1000)
    reviewing = np.arange(network.n_stores) % 2 == 0
    stock = Stock(on_hand, zero, zero.copy(), warehouse)
    plan = nightly_plan(network, state, stock, reviewing=reviewing)
    everyone = nightly_plan(network, state, stock)
    idle = ~reviewing[network.pair_store]
    assert np.all(plan.request[idle] == 0)
    assert np.array_equal(plan.request[~idle], everyone.request[~idle])
    assert not np.any(idle[plan.moves.from_pair]) and not np.any(idle[plan.moves.to_pair])
