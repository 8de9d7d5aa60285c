import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from storenet.planning.chain import orders
from storenet.planning.chain.tree import order_day_mask


def slow_round(short, case, moq):
    """The obvious loop: add cases until the shortfall and the minimum are covered."""
    if short <= 0:
        return 0
    qty = 0
    while qty < short or qty < moq:
        qty += case
    return qty


@given(
    st.lists(st.tuples(st.integers(-5, 300), st.integers(1, 24), st.integers(1, 100)), max_size=40)
)
def test_round_order_matches_the_loop_and_keeps_packs_and_minimums(rows):
    short, case, moq = (np.array([r[i] for r in rows], np.int64) for i in range(3))
    qty, note = orders.round_order(short, case, moq)
    assert qty.tolist() == [slow_round(*r) for r in rows]
    assert np.all(qty % case == 0)
    assert np.all((qty == 0) | (qty >= moq))
    assert np.array_equal(note != 0, qty != np.maximum(short, 0))


def test_notes_say_why_an_order_grew():
    qty, note = orders.round_order(np.array([10, 7, 12]), np.array([6, 1, 6]), np.array([1, 20, 1]))
    assert qty.tolist() == [12, 20, 12]
    assert [orders.NOTES[n] for n in note] == ["rounded to case pack", "rounded up to MOQ", ""]


def test_order_days_and_protection_period():
    mon_thu = np.array([order_day_mask("mon,thu")])
    assert orders.is_order_day(mon_thu, 0)[0] and orders.is_order_day(mon_thu, 3)[0]
    assert not orders.is_order_day(mon_thu, 1)[0]
    assert orders.protection_days(mon_thu, 0)[0] == 3  # Monday -> Thursday
    assert orders.protection_days(mon_thu, 3)[0] == 4  # Thursday -> Monday
    assert orders.protection_days(np.array([order_day_mask("wed")]), 2)[0] == 7
    assert orders.weekday_of(np.datetime64("2026-12-07")) == 0  # a Monday


@given(st.integers(0, 127), st.integers(0, 6))
def test_protection_days_match_walking_the_week(mask, weekday):
    days = mask or 127
    walk = next(a for a in range(1, 8) if (days >> ((weekday + a) % 7)) & 1)
    assert orders.protection_days(np.array([mask]), weekday)[0] == walk


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 60)), min_size=1, max_size=12),
    st.lists(st.integers(-1, 80), min_size=4, max_size=4),
    st.lists(st.integers(1, 6), min_size=4, max_size=4),
    st.lists(st.integers(1, 12), min_size=4, max_size=4),
)
def test_capacity_is_never_exceeded_and_lines_keep_packs_and_minimums(lines, left, case, moq):
    sku = np.array([s for s, _ in lines], np.int64)
    case, moq, left = np.array(case), np.array(moq), np.array(left)
    qty, _ = orders.round_order(np.array([q for _, q in lines]), case[sku], moq[sku])
    share = orders.share_capacity(
        sku,
        qty,
        left,
        case,
        moq,
        np.zeros(sku.size, np.int64),
        np.full(sku.size, 2.0),
        np.full(sku.size, 0.1),
    )
    got = np.bincount(sku, share.qty, 4)
    limited = left >= 0
    assert np.all(got[limited] <= left[limited])
    assert np.all(share.qty <= qty)
    assert np.all(share.qty % case[sku] == 0)
    assert np.all((share.qty == 0) | (share.qty >= moq[sku]))
    unlimited = ~limited[sku]
    assert np.array_equal(share.qty[unlimited], qty[unlimited])
