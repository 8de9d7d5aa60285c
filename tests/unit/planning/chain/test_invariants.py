"""The plan's invariants across echelons, on random stock and sourcing rules."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storenet.planning.chain.orders import (
    NOTE_LENT,
    NOTE_NOT_ORDER_DAY,
    NOTE_PUSHED,
    cycle_days,
    is_order_day,
    last_order_of_week,
    protection_days,
    smoothed_request,
    weekday_of,
)
from storenet.planning.chain.plan import PURCHASE, TRANSFER, chain_plan
from storenet.planning.chain.tree import WEEKDAYS
from storenet.planning.cycle import PlanSettings

from .conftest import chain_network, chain_stock, chain_tree, fitted_state

NETWORK = chain_network(n_stores=8, n_skus=4)
STATE = fitted_state(NETWORK, np.random.default_rng(2).gamma(1.0, 1.0, NETWORK.n_pairs), seed=2)
SHAPE = (3, NETWORK.n_skus)


@pytest.fixture(scope="module")
def network():
    return NETWORK


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    case_pack=st.integers(1, 12),
    moq=st.integers(1, 60),
    capacity=st.one_of(st.none(), st.integers(1, 200)),
    days=st.sets(st.sampled_from(WEEKDAYS), min_size=1),
    direct=st.sets(st.integers(0, 3), max_size=2),
    seed=st.integers(0, 10_000),
)
def test_nothing_is_given_that_a_node_does_not_hold_and_orders_keep_the_rules(
    network, case_pack, moq, capacity, days, direct, seed
):
    rng = np.random.default_rng(seed)
    tree = chain_tree(
        network,
        case_pack=case_pack,
        moq=moq,
        capacity=capacity,
        order_days=",".join(sorted(days)),
        direct=tuple(direct),
    )
    free = rng.integers(0, 40, SHAPE) * rng.integers(0, 2, SHAPE)
    on_order = rng.integers(0, 30, SHAPE) * rng.integers(0, 2, SHAPE)
    ordered = rng.integers(0, 120, network.n_skus)
    stock = chain_stock(network, tree, rng.integers(0, 6, network.n_pairs), free, None, on_order)
    stock = type(stock)(stock.stores, stock.warehouse_in_transit, on_order, ordered)
    plan = chain_plan(network, tree, STATE, stock)
    lines = plan.upstream
    n_k = network.n_skus

    # Stores: what each warehouse sends its stores, it holds now.
    home = network.store_warehouse[network.pair_store]
    to_stores = np.zeros(SHAPE, np.int64)
    np.add.at(to_stores, (home, network.pair_sku), plan.stores.allocated)
    assert np.all(to_stores <= free)
    # Transfers: a parent sends its children at most what its stores leave it.
    t = lines.kind == TRANSFER
    sent = np.zeros(SHAPE, np.int64)
    np.add.at(sent, (lines.source[t], lines.sku[t]), lines.qty[t])
    assert np.all(sent <= free - to_stores)
    assert np.all(lines.qty[t] <= lines.requested[t])
    # Purchases: whole cases, at least the MOQ, within capacity, on order days only.
    b = lines.kind == PURCHASE
    qty = lines.qty[b]
    assert np.all(qty % case_pack == 0)
    assert np.all((qty == 0) | (qty >= moq))
    if capacity is not None:
        per_sku = np.bincount(lines.sku[b], qty, n_k)
        assert np.all(per_sku <= np.maximum(capacity - ordered, 0))
    today = weekday_of(STATE.through + np.timedelta64(1, "D"))
    if not is_order_day(tree.sku_order_days[:1], today)[0]:
        assert np.all(qty == 0)
        assert np.all(lines.note[b] == NOTE_NOT_ORDER_DAY)
    # Every line says in numbers why it asks: a transfer from the parent what the
    # echelon lacks (a push more), a purchase the order rule's request.
    assert np.all(lines.requested > 0)
    short = lines.target - lines.position
    pushed = lines.note == NOTE_PUSHED
    lent = lines.note == NOTE_LENT
    plain = t & ~pushed & ~lent
    assert np.all(lines.requested[plain] == short[plain])
    assert np.all(lines.requested[pushed] >= np.maximum(short[pushed], 0))
    ps = PlanSettings()
    figures = plan.echelons
    # An order the week's capacity allows only once passes on its whole cycle.
    left = np.full(n_k, -1) if capacity is None else np.maximum(capacity - ordered, 0)
    last = last_order_of_week(left, np.full(n_k, case_pack), np.full(n_k, moq))
    order_days = tree.sku_order_days[:n_k]
    cycle = np.maximum(
        cycle_days(order_days, today),
        np.where(last, protection_days(order_days, today, last), 0),
    )
    expected = figures.daily[lines.destination[b], lines.sku[b]] * cycle[lines.sku[b]]
    rule = smoothed_request(short[b], expected, ps.order_smoothing, ps.order_lag_cycles)
    assert np.array_equal(lines.requested[b], rule)
