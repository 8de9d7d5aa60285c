import math

import numpy as np
import pytest
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


def test_an_order_is_the_last_of_its_week_when_the_capacity_left_holds_one_minimum():
    # MOQ 290 in cases of 20 is 300: 460 left holds one such order, 600 two.
    last = orders.last_order_of_week(
        np.array([460, 600, 599, -1, 0]), np.full(5, 20), np.full(5, 290)
    )
    assert last.tolist() == [True, False, True, False, True]


def test_the_last_order_of_a_week_lasts_to_the_next_weeks_first_order_day():
    mon_thu = np.array([order_day_mask("mon,thu")] * 2)
    last = np.array([True, False])
    # Monday: Thursday's order could not place a line, so to next Monday.
    assert orders.protection_days(mon_thu, 0, last).tolist() == [7, 3]
    # Thursday: the next order day is already in the next week.
    assert orders.protection_days(mon_thu, 3, last).tolist() == [4, 4]
    tue_fri = np.array([order_day_mask("tue,fri")])
    assert orders.protection_days(tue_fri, 1, np.array([True]))[0] == 7  # Tue -> next Tue


@given(st.integers(0, 127), st.integers(0, 6))
def test_protection_of_a_weeks_last_order_matches_walking_past_the_week(mask, weekday):
    days = mask or 127
    walk = next(
        a
        for a in range(1, 14)
        if (days >> ((weekday + a) % 7)) & 1 and weekday + a > 6  # in a later week
    )
    got = orders.protection_days(np.array([mask]), weekday, np.array([True]))[0]
    assert got == walk


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


@given(st.integers(0, 127), st.integers(0, 6))
def test_cycle_days_match_walking_the_week_back(mask, weekday):
    days = mask or 127
    walk = next(b for b in range(1, 8) if (days >> ((weekday - b) % 7)) & 1)
    assert orders.cycle_days(np.array([mask]), weekday)[0] == walk


def test_cycle_days_of_two_order_days_a_week():
    mon_thu = np.array([order_day_mask("mon,thu")])
    assert orders.cycle_days(mon_thu, 0)[0] == 4  # Thursday -> Monday
    assert orders.cycle_days(mon_thu, 3)[0] == 3  # Monday -> Thursday


def slow_smoothed(short, expected, cycles, lag=math.inf):
    """The textbook proportional order-up-to, one line at a time: close 1/cycles of
    the gap beyond the expected demand, or more if the position would lag further
    than `lag` cycles of demand behind the target."""
    if cycles == 1:
        return max(short, 0)
    asked = expected + (short - expected) / cycles
    if short - asked > lag * expected:
        asked = short - lag * expected
    whole = math.ceil(asked - 1e-9)
    return max(whole, 0)


@given(
    st.lists(
        st.tuples(st.integers(-200, 400), st.floats(0, 150, allow_nan=False)),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([1.0, 1.5, 2.0, 3.0, 4.0, 8.0]),
    st.sampled_from([0.5, 1.0, 2.0, math.inf]),
)
def test_smoothed_request_matches_the_loop(rows, cycles, lag):
    short = np.array([r[0] for r in rows], np.int64)
    expected = np.array([r[1] for r in rows])
    got = orders.smoothed_request(short, expected, cycles, lag)
    assert got.tolist() == [slow_smoothed(s, e, cycles, lag) for s, e in rows]
    assert got.dtype == np.int64 and np.all(got >= 0)
    # The position never lags its target by more than `lag` cycles of demand.
    if math.isfinite(lag):
        assert np.all(short - got <= lag * expected + 1e-6)


def test_order_up_to_is_smoothing_over_one_cycle():
    short = np.array([-3, 0, 5, 40])
    got = orders.smoothed_request(short, np.array([10.0, 10.0, 10.0, 10.0]), 1.0)
    assert got.tolist() == [0, 0, 5, 40]


def test_smoothing_below_one_cycle_or_without_lag_is_refused():
    with pytest.raises(ValueError, match="order_smoothing"):
        orders.smoothed_request(np.array([1]), np.array([1.0]), 0.5)
    with pytest.raises(ValueError, match="order_lag_cycles"):
        orders.smoothed_request(np.array([1]), np.array([1.0]), 2.0, 0.0)


def _replay_orders(cycles, weeks=400, seed=4, lag=math.inf):
    """A node on a one-week review and a one-week lead (orders arrive before the next
    review), whose target follows a noisy forecast, ordering by `smoothed_request`:
    the weekly orders and the positions after ordering."""
    rng = np.random.default_rng(seed)
    demand = rng.poisson(60, weeks)
    target = 300 + np.rint(rng.normal(0, 15, weeks))  # revised every week
    position, placed, after = 300, [], []
    for week in range(weeks):
        position -= demand[week]
        order = int(orders.smoothed_request(target[week] - position, 60.0, cycles, lag))
        position += order
        placed.append(order)
        after.append(position - target[week])
    return np.array(placed[50:]), np.array(after[50:]), demand[50:]


def test_smoothing_damps_the_orders_and_keeps_the_position_on_target_on_average():
    up_to, gap_up_to, demand = _replay_orders(1.0)
    smooth, gap_smooth, _ = _replay_orders(4.0)
    # Order-up-to passes demand and every revision of the target on: variance above
    # demand's; closing the gap over 4 cycles brings it well below.
    assert up_to.var() > 1.5 * demand.var()
    assert smooth.var() < 0.7 * up_to.var()
    # Both order what sells, so neither drifts: the mean gap stays small.
    assert abs(up_to.mean() - demand.mean()) < 2 and abs(smooth.mean() - demand.mean()) < 2
    assert abs(gap_smooth.mean()) < 5


def test_a_lag_bound_catches_a_jump_of_the_target_up_at_once():
    # A target jumping by 300 units (a trend the forecast caught): smoothing over 8
    # cycles would leave the position 260 below; a bound of 2 cycles (120) does not.
    got = orders.smoothed_request(np.array([360]), np.array([60.0]), 8.0, 2.0)
    assert got[0] == 360 - 120
    smooth, gap, _ = _replay_orders(8.0, lag=2.0)
    assert np.all(gap >= -120 - 1e-9)


def _replay_passing_sales(cycles, weeks=400, seed=4, lag=math.inf, passed_sold=True):
    """As `_replay_orders`, the feed-forward being what sold since the last order
    (`passed`) or, with `passed_sold` False, its forecast (60)."""
    rng = np.random.default_rng(seed)
    demand = rng.poisson(60, weeks)
    target = 300 + np.rint(rng.normal(0, 15, weeks))
    position, placed, after = 300, [], []
    for week in range(weeks):
        position -= demand[week]
        passed = np.array([float(demand[week])]) if passed_sold else None
        short = np.array([target[week] - position])
        order = int(orders.smoothed_request(short, 60.0, cycles, lag, passed)[0])
        position += order
        placed.append(order)
        after.append(position - target[week])
    return np.array(placed[50:]), np.array(after[50:]), demand[50:]


def test_passing_what_sold_is_the_order_up_to_of_an_exponentially_smoothed_target():
    # With the target fixed, passing what sold returns the position to the target
    # every cycle (nothing of the demand's noise is left open), whatever the cycles.
    rng = np.random.default_rng(2)
    position, target = 300, 300
    for sold in rng.poisson(60, 50):
        position -= sold
        position += int(orders.smoothed_request(target - position, 60.0, 8.0, 2.0, sold))
        assert position == target
    # With a noisy target: the orders are damped like the forecast-fed smoothing's,
    # but the position strays from its target less (its spread is the target's
    # smoothed noise, not the demand's accumulated).
    up_to, gap_up_to, demand = _replay_passing_sales(1.0)
    sold, gap_sold, _ = _replay_passing_sales(8.0)
    forecast, gap_forecast, _ = _replay_passing_sales(8.0, passed_sold=False)
    assert sold.var() < 0.7 * up_to.var()
    assert gap_sold.std() < 0.8 * gap_forecast.std()
    assert abs(sold.mean() - demand.mean()) < 2 and abs(gap_sold.mean()) < 5


@given(
    st.lists(
        st.tuples(st.integers(-200, 400), st.floats(0, 150, allow_nan=False), st.integers(0, 200)),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([1.0, 2.0, 8.0]),
    st.sampled_from([1.0, 2.0, math.inf]),
)
def test_smoothed_request_passing_sales_matches_the_loop(rows, cycles, lag):
    short = np.array([r[0] for r in rows], np.int64)
    expected = np.array([r[1] for r in rows])
    sold = np.array([r[2] for r in rows], np.float64)
    got = orders.smoothed_request(short, expected, cycles, lag, sold)
    want = []
    for s, e, d in rows:
        if cycles == 1:
            want.append(max(s, 0))
            continue
        asked = d + (s - d) / cycles
        if math.isfinite(lag):
            asked = max(asked, s - lag * e)
        want.append(max(math.ceil(asked - 1e-9), 0))
    assert got.tolist() == want
