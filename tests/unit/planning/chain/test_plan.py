from datetime import date

import numpy as np
import polars as pl

from storenet.planning.chain.plan import PURCHASE, TRANSFER, chain_plan, upstream_frame
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


def test_an_order_the_weekly_capacity_allows_once_covers_a_whole_week():
    # The night plans Friday's orders; P1 takes orders on Fridays and Sundays. With a
    # capacity below two minimum orders, Sunday could not place a line after Friday's:
    # Friday's order must last to next Friday (lead 14 + 7), not to Sunday (14 + 2).
    network = chain_network(n_stores=8)
    state = fitted_state(network, np.full(network.n_pairs, 1.5), seed=6)
    assert str(state.through + np.timedelta64(1, "D")) == "2026-10-30"  # a Friday
    legs = {}
    for capacity in (150, 160):  # MOQ 80: one order a week fits, or two
        tree = chain_tree(network, case_pack=10, moq=80, capacity=capacity, order_days="fri,sun")
        free = np.zeros((tree.n_warehouses, network.n_skus), np.int64)
        stock = chain_stock(network, tree, zero_stock(network), free)
        plan = chain_plan(network, tree, state, stock)
        central = tree.warehouse_ids.index("C")
        legs[capacity] = plan.echelons.leg_days[central]
        lines = plan.upstream
        bought = lines.kind == PURCHASE
        assert np.all(np.bincount(lines.sku[bought], lines.qty[bought], 4) <= capacity)
    assert np.all(legs[150] == 14 + 7)
    assert np.all(legs[160] == 14 + 2)


def test_a_launch_first_delivery_flows_from_central_to_regionals_by_the_stores_priors():
    # K3 launches on 2026-11-05 (within the regionals' horizon) and succeeds K0, which
    # sells four times better below W1 than below W2: K3's prior follows.
    network = chain_network(n_stores=8, launch=date(2026, 11, 5))
    tree = chain_tree(network)
    w1 = network.store_warehouse[network.pair_store] == tree.warehouse_ids.index("W1")
    rates = np.where(network.pair_sku == 0, np.where(w1, 2.0, 0.5), 0.3)
    rates = np.where(network.pair_sku == 3, 0.0, rates)
    state = fitted_state(network, rates, seed=8)
    free = np.zeros((tree.n_warehouses, network.n_skus), np.int64)
    central = tree.warehouse_ids.index("C")
    free[central, 3] = 40  # the supplier's first delivery, at the central
    plan = chain_plan(network, tree, state, chain_stock(network, tree, zero_stock(network), free))
    lines = plan.upstream
    k3 = (lines.kind == TRANSFER) & (lines.sku == 3)
    by_node = dict(zip(lines.destination[k3].tolist(), lines.qty[k3].tolist()))
    assert sum(by_node.values()) == 40
    assert by_node[0] > by_node[1] > 0
    assert plan.echelons.target[central, 3] > 40  # the central orders the rest


def test_upstream_lines_as_a_frame_name_suppliers_warehouses_and_skus():
    network = chain_network()
    tree = chain_tree(network, case_pack=6, moq=12, direct=(2,))
    state = fitted_state(network, np.full(network.n_pairs, 0.8), seed=1)
    free = np.zeros((tree.n_warehouses, network.n_skus), np.int64)
    free[tree.warehouse_ids.index("C")] = 10
    plan = chain_plan(network, tree, state, chain_stock(network, tree, zero_stock(network), free))
    frame = upstream_frame(plan.upstream, tree, network)
    assert frame.height == len(plan.upstream)
    purchases = frame.filter(pl.col("kind") == "purchase")
    transfers = frame.filter(pl.col("kind") == "transfer")
    assert set(purchases["source_id"]) == {"P1"}
    assert set(purchases.filter(pl.col("sku_id") == "K2")["destination_id"]) == {"W1", "W2"}
    assert set(transfers["source_id"]) == {"C"}
    assert set(transfers["cut_reason"]) == {"scarce upstream stock"}
    assert set(purchases["note"]) <= {"", "rounded to case pack", "rounded up to MOQ"}


def test_order_smoothing_passes_on_what_the_echelon_sold_since_the_last_order_day():
    from storenet.planning.chain.orders import cycle_days, smoothed_request, weekday_of
    from storenet.planning.chain.plan import echelon_sold

    network = chain_network(n_stores=8)
    tree = chain_tree(network, order_days="mon,thu", direct=(3,))
    state = fitted_state(network, np.full(network.n_pairs, 1.5), seed=6)
    n_w, n_k = tree.n_warehouses, network.n_skus
    rng = np.random.default_rng(3)
    recent = rng.integers(0, 9, (7, n_w, n_k))
    central = tree.warehouse_ids.index("C")
    recent[:, central] = 0  # no store is served by the central itself
    free = np.zeros((n_w, n_k), np.int64)
    base = chain_stock(network, tree, zero_stock(network), free)
    stock = ChainStock(
        base.stores, base.warehouse_in_transit, base.warehouse_on_order, recent_sales=recent
    )
    settings = PlanSettings(order_smoothing=4.0, order_lag_cycles=2.0)
    plan = chain_plan(network, tree, state, stock, settings)
    figures = plan.echelons
    # The sums by hand: the central adds its regionals' sales of the SKUs it feeds;
    # the direct SKU is each regional's own.
    weekday = weekday_of(state.through + np.timedelta64(1, "D"))
    days = cycle_days(tree.sku_order_days[:n_k], weekday)
    sold, covered = echelon_sold(tree, figures.source, recent, days)
    assert np.array_equal(covered, days)
    for w in range(n_w):
        for k in range(n_k):
            own = recent[7 - days[k] :, w, k].sum()
            if w == central and k != 3:
                own = sum(recent[7 - days[k] :, c, k].sum() for c in range(n_w) if c != central)
            assert sold[w, k] == own
    bought = plan.upstream.kind == PURCHASE
    w, k = plan.upstream.destination[bought], plan.upstream.sku[bought]
    short = figures.target[w, k] - figures.position[w, k]
    rule = smoothed_request(short, figures.daily[w, k] * days[k], 4.0, 2.0, sold[w, k])
    assert np.array_equal(plan.upstream.requested[bought], rule)
    # Fewer days held than the cycle asks for: the rest is the forecast.
    short_sold, short_cover = echelon_sold(tree, figures.source, recent[-1:], days)
    assert np.all(short_cover == 1)
    assert np.all(short_sold[central] >= 0)
