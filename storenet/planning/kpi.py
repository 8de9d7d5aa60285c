"""The KPIs of DESIGN section 4, one definition each, as plain functions over arrays.

Every function sums or averages what it is given, so the same formula serves one pair,
one store or the whole network: pass the series for the scope you want. Units are
units of stock; a "day series" has one entry per day of the window, in order. A ratio
whose denominator is zero is NaN (nothing to measure), never an exception.
"""

from __future__ import annotations

import numpy as np


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else float("nan")


def fill_rate(sold: np.ndarray, demanded: np.ndarray) -> float:
    """Units sold / units demanded, over everything given (any shape, same units).

    Where demand on stock-out days is an estimate (real data: sales censor demand),
    the caller says so next to the figure (DESIGN section 4)."""
    return _ratio(np.sum(sold), np.sum(demanded))


def inventory_days(on_hand: np.ndarray, sold: np.ndarray) -> float:
    """Days of cover: average units on hand / average units sold per day.

    `on_hand` and `sold` are day series over the same window (units on hand at the end
    of each day, units sold that day), summed over the scope. Lower is better at the
    same fill rate."""
    on_hand = np.asarray(on_hand, np.float64)
    sold = np.asarray(sold, np.float64)
    if on_hand.size == 0 or sold.size == 0:
        return float("nan")
    return _ratio(on_hand.mean(), sold.mean())


def turnover(on_hand: np.ndarray, sold: np.ndarray) -> float:
    """Units sold over the window / average units on hand (day series as in
    `inventory_days`; equals window days / inventory days)."""
    on_hand = np.asarray(on_hand, np.float64)
    if on_hand.size == 0:
        return float("nan")
    return _ratio(np.sum(sold), on_hand.mean())


def stockouts(on_hand: np.ndarray, active: np.ndarray) -> int:
    """Number of (pair, day) entries that ended with nothing on hand while the pair was
    in the store's assortment (`active`). Arrays of equal shape, any shape."""
    return int(np.count_nonzero(np.asarray(active, bool) & (np.asarray(on_hand) <= 0)))


def stockout_rate(stockout_pair_days: np.ndarray, active_pair_days: np.ndarray) -> float:
    """Share of active (pair, day) ending with zero on hand: summed stock-out counts
    (e.g. `stockouts` per day) over summed active pair counts of the same days."""
    return _ratio(np.sum(stockout_pair_days), np.sum(active_pair_days))


def sell_through(sold: np.ndarray, received: np.ndarray) -> float:
    """Units sold / units received over the window."""
    return _ratio(np.sum(sold), np.sum(received))


def network_inventory_days(
    stores: np.ndarray, warehouses: np.ndarray, in_transit: np.ndarray, sold: np.ndarray
) -> float:
    """Days of cover of the whole network: average units held (in the stores, in the
    warehouses and in transit between the network's own nodes) / average units sold
    per day to consumers. Day series over the same window (end-of-day stock, units sold
    that day), summed over the scope. Orders open at suppliers are not stock yet and
    are not counted. The same formula as `inventory_days`, over every echelon."""
    held = (
        np.asarray(stores, np.float64)
        + np.asarray(warehouses, np.float64)
        + np.asarray(in_transit, np.float64)
    )
    return inventory_days(held, sold)


def weekly_sums(by_day: np.ndarray, first_day: np.datetime64) -> np.ndarray:
    """Sum a day series (axis 0: days, in order from `first_day`; any trailing axes, e.g.
    SKUs) into calendar weeks, Monday to Sunday. Only whole weeks are kept: the days
    before the first Monday and after the last Sunday are dropped, so every row sums
    seven days. Returns float64 [weeks, ...]."""
    by_day = np.asarray(by_day, np.float64)
    # Day 0 of numpy's calendar (1970-01-01) is a Thursday: +3 puts Monday at 0.
    weekday = (int(np.datetime64(first_day, "D").astype(np.int64)) + 3) % 7
    skip = (7 - weekday) % 7
    weeks = (by_day.shape[0] - skip) // 7
    if weeks <= 0:
        return np.zeros((0, *by_day.shape[1:]))
    whole = by_day[skip : skip + 7 * weeks]
    return whole.reshape(weeks, 7, *by_day.shape[1:]).sum(axis=1)


def bullwhip_ratio(orders_by_week: np.ndarray, demand_by_week: np.ndarray) -> float:
    """Variance of weekly supplier orders / variance of weekly consumer demand.

    Week series over the same weeks; a 2-D input ([weeks, series], e.g. per SKU) is
    measured series by series and pooled: the sum over series of the order variances
    over the sum of the demand variances (a SKU amplified upstream is not hidden by
    another's opposite swing, and each SKU weighs by its own demand variance). 1 = the
    orders vary as much as demand; above 1 the chain amplifies it. Population
    variances (ddof 0); NaN with fewer than two weeks or no demand variance."""
    orders = np.asarray(orders_by_week, np.float64)
    demand = np.asarray(demand_by_week, np.float64)
    if orders.shape != demand.shape:
        raise ValueError(f"orders {orders.shape} and demand {demand.shape} differ in shape")
    if orders.shape[0] < 2:
        return float("nan")
    return _ratio(orders.var(axis=0).sum(), demand.var(axis=0).sum())
