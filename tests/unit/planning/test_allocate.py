import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from storenet.planning.allocate import allocate_greedy, allocate_scarce


@st.composite
def groups(draw):
    n = draw(st.integers(1, 7))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    request = rng.integers(0, 9, n)
    position = rng.integers(-2, 6, n)
    display_min = rng.integers(0, 4, n)
    r = rng.gamma(2.0, 1.0, n) + 0.1
    p = rng.uniform(0.05, 0.95, n)
    supply = draw(st.integers(0, int(request.sum()) + 3))
    return supply, request, position, display_min, r, p


def run(case):
    supply, request, position, display_min, r, p = case
    n = len(request)
    return allocate_scarce(
        np.zeros(n, int), np.array([supply]), request, position, display_min, r, p
    )


@settings(max_examples=300, deadline=None)
@given(groups())
def test_water_filling_equals_unit_by_unit_greedy(case):
    assert run(case).units.tolist() == allocate_greedy(*case).tolist()


@settings(max_examples=200, deadline=None)
@given(groups())
def test_allocation_sums_to_supply_and_never_exceeds_request(case):
    supply, request = case[0], case[1]
    units = run(case).units
    assert units.sum() == min(supply, request.sum())
    assert np.all(units <= request) and np.all(units >= 0)


@settings(max_examples=150, deadline=None)
@given(groups())
def test_more_supply_never_gives_any_store_less(case):
    supply, *rest = case
    less = run((supply, *rest)).units
    more = run((supply + 1, *rest)).units
    assert np.all(more >= less)


@settings(max_examples=150, deadline=None)
@given(groups())
def test_display_minimums_are_served_before_anything_else(case):
    supply, request, position, display_min, _, _ = case
    units = run(case).units
    need_min = np.clip(display_min - position, 0, request)
    if supply >= need_min.sum():
        assert np.all(units >= need_min)
    else:
        assert np.all(units <= need_min)


def test_unit_goes_where_it_is_most_likely_to_sell():
    # Two stores with the same position; store 1 sells five times as fast.
    r = np.array([2.0, 2.0])
    p = np.array([2.0 / 3.0, 2.0 / 7.0])  # means 1 and 5 over the horizon
    alloc = allocate_scarce(
        np.zeros(2, int), np.array([4]), np.array([5, 5]), np.zeros(2, int), np.zeros(2, int), r, p
    )
    assert alloc.units[1] > alloc.units[0]
    assert alloc.units.sum() == 4
    assert alloc.cut_reason.tolist() == [1, 1]


def test_groups_are_allocated_independently():
    r, p = np.full(4, 1.5), np.full(4, 0.4)
    alloc = allocate_scarce(
        np.array([0, 0, 1, 1]),
        np.array([3, 100]),
        np.array([4, 4, 4, 4]),
        np.zeros(4, int),
        np.zeros(4, int),
        r,
        p,
    )
    assert alloc.units[:2].sum() == 3
    assert alloc.units[2:].tolist() == [4, 4]
    assert alloc.level[1] == 1.0 and alloc.level[0] < 1.0
