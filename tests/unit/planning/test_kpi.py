import math

import numpy as np

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
