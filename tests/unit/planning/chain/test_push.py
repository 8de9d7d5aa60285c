import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from storenet.planning.chain import orders, push
from storenet.planning.chain.plan import TRANSFER, chain_plan

from .conftest import chain_network, chain_stock, chain_tree, fitted_state


def slow_shortfall(asked, given, free, transit, sent, leg, daily):
    """One child at a time, as the module doc says it."""
    pull = max(asked, daily)
    need = pull * leg + (asked - given)
    stock = free - given + transit + sent
    return max(math.ceil(need - stock - 1e-9), 0)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 60),
            st.integers(0, 60),
            st.integers(0, 200),
            st.integers(0, 100),
            st.integers(0, 100),
            st.integers(1, 12),
            st.floats(0, 40, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_local_shortfall_matches_the_loop(rows):
    rows = [(a, min(g, a), f, t, s, leg, d) for a, g, f, t, s, leg, d in rows]
    cols = [np.array([r[i] for r in rows]) for i in range(7)]
    got = push.local_shortfall(*cols)
    assert got.tolist() == [slow_shortfall(*r) for r in rows]


@given(
    st.lists(
        st.tuples(
            st.integers(-5, 80),
            st.integers(0, 300),
            st.integers(0, 300),
            st.floats(0, 50, allow_nan=False),
        )
    )
)
def test_a_parent_pushes_only_free_stock_beyond_its_leg_and_above_its_target(rows):
    left, position, target = (np.array([r[i] for r in rows], np.int64) for i in range(3))
    keep = np.array([r[3] for r in rows])
    got = push.parent_surplus(left, position, target, keep)
    assert got.tolist() == [max(min(a - math.ceil(k - 1e-9), p - t), 0) for a, p, t, k in rows]


def _empty_regional_with_refill_on_the_road(central_free):
    """W1 empty, its stores asking, 3 units on their way to it; the central holding
    `central_free` units of K0 with nothing on order."""
    network = chain_network(n_stores=8, n_skus=2)
    tree = chain_tree(network)
    rates = np.where(network.pair_sku == 0, 1.5, 0.2)
    state = fitted_state(network, rates, seed=3)
    w1, central = tree.warehouse_ids.index("W1"), tree.warehouse_ids.index("C")
    free = np.zeros((tree.n_warehouses, network.n_skus), np.int64)
    free[central, 0] = central_free
    free[tree.warehouse_ids.index("W2"), 0] = 200
    transit = np.zeros_like(free)
    transit[w1, 0] = 3
    on_hand = np.where(network.pair_sku == 0, 1, 3)
    stock = chain_stock(network, tree, on_hand, free, in_transit=transit)
    return chain_plan(network, tree, state, stock), w1, central


def test_a_long_central_pushes_to_a_regional_whose_refill_is_still_on_the_road():
    plan, w1, central = _empty_regional_with_refill_on_the_road(central_free=5000)
    lines = plan.upstream
    f = plan.echelons
    assert f.position[central, 0] > f.target[central, 0]  # the central is long
    at = np.flatnonzero((lines.kind == TRANSFER) & (lines.destination == w1) & (lines.sku == 0))
    assert at.size == 1
    short = max(f.target[w1, 0] - f.position[w1, 0], 0)
    assert lines.qty[at[0]] > short  # more than the echelon alone asks
    assert orders.NOTES[lines.note[at[0]]].startswith("pushed")
    assert lines.qty[at[0]] <= lines.requested[at[0]]
    # Never more than the central holds above its own echelon target.
    sent = lines.qty[(lines.kind == TRANSFER) & (lines.sku == 0)].sum()
    assert sent <= 5000


def test_a_central_at_or_below_its_target_pushes_nothing():
    plan, w1, central = _empty_regional_with_refill_on_the_road(central_free=10)
    lines = plan.upstream
    f = plan.echelons
    assert f.position[central, 0] <= f.target[central, 0]
    k0 = (lines.kind == TRANSFER) & (lines.sku == 0)
    assert not any(orders.NOTES[n].startswith("pushed") for n in lines.note[k0])
    assert np.all(lines.qty[k0] <= np.maximum(lines.requested[k0], 0))
    assert lines.qty[k0].sum() <= 10


def slow_spare(asked, given, free, transit, received, shipped, leg, daily):
    pull = max(asked, daily)
    need = pull * leg + (asked - given)
    on_hand = free - given - shipped
    stock = on_hand + transit + received
    return max(min(math.floor(stock - need + 1e-9), on_hand), 0)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 60),
            st.integers(0, 60),
            st.integers(0, 300),
            st.integers(0, 100),
            st.integers(0, 100),
            st.integers(0, 50),
            st.integers(1, 12),
            st.floats(0, 40, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_local_spare_matches_the_loop(rows):
    rows = [
        (a, min(g, a, f), f, t, r, min(s, f - min(g, a, f)), leg, d)
        for a, g, f, t, r, s, leg, d in rows
    ]
    cols = [np.array([r[i] for r in rows]) for i in range(8)]
    got = push.local_spare(*cols)
    assert got.tolist() == [slow_spare(*r) for r in rows]


def slow_match(group, need, lender_group, spare):
    """Borrowers in order take from lenders of their group in order, unit by unit."""
    left = list(spare)
    got = {}
    for i, (g, n) in enumerate(zip(group, need)):
        for j, lg in enumerate(lender_group):
            while n > 0 and lg == g and left[j] > 0:
                take = min(n, left[j])
                got[(i, j)] = got.get((i, j), 0) + take
                n, left[j] = n - take, left[j] - take
    return got


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20)), max_size=12),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20)), max_size=12),
)
def test_lenders_are_matched_in_order_and_never_overdrawn(borrowers, lenders):
    group = np.array([b[0] for b in borrowers], np.int64)
    need = np.array([b[1] for b in borrowers], np.int64)
    lender_group = np.array([x[0] for x in lenders], np.int64)
    spare = np.array([x[1] for x in lenders], np.int64)
    b, s, units = push.match_lenders(group, need, lender_group, spare)
    got = {(int(i), int(j)): int(u) for i, j, u in zip(b, s, units)}
    assert got == {k: v for k, v in slow_match(group, need, lender_group, spare).items() if v}
    assert np.all(np.bincount(b, units, max(len(need), 1))[: len(need)] <= need)
    assert np.all(np.bincount(s, units, max(len(spare), 1))[: len(spare)] <= spare)


def test_a_regional_short_while_the_central_is_dry_borrows_from_its_long_sibling():
    network = chain_network(n_stores=8, n_skus=2)
    tree = chain_tree(network)
    state = fitted_state(network, np.where(network.pair_sku == 0, 1.5, 0.2), seed=3)
    w1, w2 = tree.warehouse_ids.index("W1"), tree.warehouse_ids.index("W2")
    free = np.zeros((tree.n_warehouses, network.n_skus), np.int64)
    free[w2, 0] = 400  # W2 long, W1 and the central empty
    # W1's stores are out of K0, W2's are full.
    under_w1 = network.store_warehouse[network.pair_store] == w1
    on_hand = np.where(network.pair_sku == 0, np.where(under_w1, 0, 30), 3)
    plan = chain_plan(network, tree, state, chain_stock(network, tree, on_hand, free))
    lines = plan.upstream
    lent = lines.note == orders.NOTE_LENT
    assert lent.any()
    assert set(lines.source[lent].tolist()) == {w2}
    assert set(lines.destination[lent].tolist()) == {w1}
    # W2 keeps its own stores' lines and need; it never lends what it does not hold.
    to_w2_stores = plan.stores.allocated[
        (network.store_warehouse[network.pair_store] == w2) & (network.pair_sku == 0)
    ].sum()
    assert lines.qty[lent].sum() + to_w2_stores <= 400


def slow_sole_push(cell, holds, reviewing, left, room):
    """Pair by pair: the sole holder of its cell, reviewing, gets what the cell has
    left, within its room."""
    out = []
    for p in range(len(cell)):
        c = cell[p]
        others = [q for q in range(len(cell)) if cell[q] == c and holds[q]]
        if c < 0 or not holds[p] or not reviewing[p] or others != [p]:
            out.append(0)
        else:
            out.append(max(min(left[c], room[p]), 0))
    return out


@given(
    st.lists(
        st.tuples(st.integers(-1, 4), st.booleans(), st.booleans(), st.integers(-3, 50)),
        min_size=1,
        max_size=25,
    ),
    st.lists(st.integers(-2, 40), min_size=5, max_size=5),
)
def test_sole_store_push_matches_the_loop(rows, left):
    cell, holds, reviewing, room = (np.array([r[i] for r in rows]) for i in range(4))
    got = push.sole_store_push(cell, holds.astype(bool), reviewing.astype(bool), left, room)
    assert got.tolist() == slow_sole_push(cell, holds, reviewing, left, room)
