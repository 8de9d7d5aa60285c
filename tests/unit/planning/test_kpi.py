import math

import numpy as np
import pytest

from storenet.planning import kpi


def test_fill_rate_is_units_sold_over_units_demanded():
    sold = np.array([[2, 0], [1, 3]])
    demanded = np.array([[2, 1], [4, 3]])
    assert kpi.fill_rate(sold, demanded) == 6 / 10


def test_inventory_days_is_average_on_hand_over_average_daily_sales():
    # Four days: on hand at the end of each day, units sold that day.
    on_hand = np.array([10, 8, 6, 12])
    sold = np.array([2, 2, 2, 2])
    assert kpi.inventory_days(on_hand, sold) == 9 / 2


def test_turnover_is_units_sold_over_average_on_hand():
    on_hand = np.array([10, 8, 6, 12])
    sold = np.array([2, 2, 2, 2])
    assert kpi.turnover(on_hand, sold) == 8 / 9
    # Turnover x inventory days = the window's length.
    assert math.isclose(kpi.turnover(on_hand, sold) * kpi.inventory_days(on_hand, sold), 4)


def test_stockout_rate_counts_only_active_pairs_ending_empty():
    # Two days x three pairs; pair 2 is not in the assortment on day 0.
    on_hand = np.array([[0, 3, 0], [1, 0, 0]])
    active = np.array([[True, True, False], [True, True, True]])
    per_day = [kpi.stockouts(on_hand[d], active[d]) for d in range(2)]
    assert per_day == [1, 2]
    assert kpi.stockouts(on_hand, active) == 3
    assert kpi.stockout_rate(per_day, active.sum(axis=1)) == 3 / 5


def test_sell_through_is_units_sold_over_units_received():
    assert kpi.sell_through(np.array([3, 1]), np.array([4, 4])) == 0.5


def test_zero_denominators_give_nan_not_errors():
    assert math.isnan(kpi.fill_rate(np.zeros(3), np.zeros(3)))
    assert math.isnan(kpi.inventory_days(np.array([5, 5]), np.array([0, 0])))
    assert math.isnan(kpi.inventory_days(np.array([]), np.array([])))
    assert math.isnan(kpi.turnover(np.array([0, 0]), np.array([1, 1])))
    assert math.isnan(kpi.stockout_rate([0], [0]))
    assert math.isnan(kpi.sell_through([1], [0]))


def test_network_inventory_days_counts_every_echelon_and_transit():
    # Two days: stores hold 10 and 20, warehouses 30 and 50, in transit 0 and 10;
    # 5 and 15 sold. Average held (40 + 80) / 2 = 60 over 10 sold a day: 6 days.
    days = kpi.network_inventory_days([10, 20], [30, 50], [0, 10], [5, 15])
    assert days == pytest.approx(6.0)
    # The stores alone: 15 / 10.
    assert kpi.inventory_days([10, 20], [5, 15]) == pytest.approx(1.5)
    assert math.isnan(kpi.network_inventory_days([1], [1], [1], [0]))


def test_weekly_sums_keep_whole_monday_to_sunday_weeks():
    first = np.datetime64("2026-12-05")  # a Saturday: Sat and Sun are dropped
    by_day = np.arange(1, 19)  # 18 days: Sat, Sun, two whole weeks, Mon and Tue
    weeks = kpi.weekly_sums(by_day, first)
    np.testing.assert_array_equal(
        weeks, [3 + 4 + 5 + 6 + 7 + 8 + 9, 10 + 11 + 12 + 13 + 14 + 15 + 16]
    )
    per_sku = kpi.weekly_sums(np.ones((14, 3)), np.datetime64("2026-12-07"))
    np.testing.assert_array_equal(per_sku, np.full((2, 3), 7.0))


def test_bullwhip_ratio_on_a_hand_example():
    demand = np.array([10, 12, 8, 10])  # variance (0 + 4 + 4 + 0) / 4 = 2
    orders = np.array([0, 24, 0, 16])  # mean 10, variance (100 + 196 + 100 + 36) / 4 = 108
    assert kpi.bullwhip_ratio(orders, demand) == pytest.approx(54.0)
    assert kpi.bullwhip_ratio(demand, demand) == pytest.approx(1.0)
    # Per SKU pooled: (108 + 0) / (2 + 2), not the mean of per-SKU ratios.
    two = kpi.bullwhip_ratio(np.c_[orders, np.full(4, 10)], np.c_[demand, demand])
    assert two == pytest.approx(108 / 4)
    assert math.isnan(kpi.bullwhip_ratio([5], [3]))
    with pytest.raises(ValueError, match="shape"):
        kpi.bullwhip_ratio([1, 2], [1, 2, 3])
