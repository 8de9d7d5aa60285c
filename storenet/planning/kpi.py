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
