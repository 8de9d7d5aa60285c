import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from storenet.planning.allocate import allocate_scarce
from storenet.planning.chain.sharing import share_scarce


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 400), st.integers(-50, 100)),
        min_size=1,
        max_size=10,
    ),
    st.lists(st.integers(0, 600), min_size=3, max_size=3),
    st.integers(0, 1000),
)
def test_lots_give_what_the_groups_hold_and_stay_near_the_exact_filling(lines, supply, seed):
    rng = np.random.default_rng(seed)
    group = np.array([g for g, _, _ in lines])
    request = np.array([q for _, q, _ in lines])
    position = np.array([x for _, _, x in lines])
    r, p = rng.uniform(1, 30, group.size), rng.uniform(0.05, 0.5, group.size)
    supply = np.array(supply)
    exact = allocate_scarce(group, supply, request, position, np.zeros_like(group), r, p)
    same = share_scarce(group, supply, request, position, r, p)
    lots = share_scarce(group, supply, request, position, r, p, max_units=40)

    assert np.array_equal(same.units, exact.units)
    want = np.minimum(supply, np.bincount(group, request, 3))
    assert np.array_equal(np.bincount(group, lots.units, 3), want)
    assert np.all((lots.units >= 0) & (lots.units <= request))
    scarce = (np.bincount(group, request, 3) > supply)[group]
    listed = np.minimum(request, supply[group])[scarce].sum()
    lot = max(1, -(-listed // 40))
    # Within a few lots of the exact share (the lot's probability is its first unit's)
    # where the last units still have a chance to sell; far in the tail all are ~0.
    assume(np.all(exact.level > 1e-3))
    assert np.all(np.abs(lots.units - exact.units) <= 3 * lot + 1)
