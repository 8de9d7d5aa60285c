"""The exposure summed over each pair's own window of days: what a replenishment
decision needs (lead time + review period of the pair's store), for every pair at
once, without a [days, pairs] array (`horizon_exposure` says how).
"""

from __future__ import annotations

import numpy as np

from storenet import calendar
from storenet.planning.demand.exposure import local_factors, pair_weekday_factor, sku_exposure
from storenet.planning.demand.memory import DemandState
from storenet.planning.network import PlanningNetwork


def _between(cum: np.ndarray, upper: np.ndarray, late: np.ndarray, lower: np.ndarray) -> np.ndarray:
    # cum's flat entries at `upper`, less those at `lower` for the rows `late`.
    out = np.take(cum, upper)
    out[late] -= np.take(cum, lower)
    return out


def horizon_exposure(
    state: DemandState, network: PlanningNetwork, start: np.datetime64, days: np.ndarray
) -> np.ndarray:
    """Summed exposure per pair over the `days[p]` days starting at `start` (float64).

    `days` is an int array per pair (lead time + review period of the pair's store).
    Pairs not active on a day get nothing for that day. Vectorised over pairs: a pair
    is active on one interval of days (`PlanningNetwork.active_span`), so its sum is
    a difference of cumulative SKU exposure at the interval's two ends; with per-pair
    weekday factors, one such difference per weekday (and one pass per region when
    the model has local events).
    """
    start = np.datetime64(start, "D")
    days = np.asarray(days, np.int64)
    longest = int(days.max()) if days.size else 0
    grid = start + np.arange(longest)
    per_sku = sku_exposure(state, network, grid)  # [longest, SKUs]
    g = pair_weekday_factor(state, network)  # [7, pairs] or None
    local = local_factors(state, grid)  # [longest, regions, categories] or None
    dow = np.asarray(calendar.weekdays(grid), np.int64)
    sku_cat = network.sku_category.astype(np.int64)
    pair_region = network.store_region[network.pair_store].astype(np.int64)
    # Each pair's active offsets within its window: lo <= offset < hi (hi = lo when
    # it is never active there).
    first, last = network.active_span()
    day0 = int(start.astype(np.int64))
    lo = np.clip(first - day0, 0, days)
    hi = np.clip(last - day0 + 1, lo, days)

    def cumulative(values: np.ndarray) -> np.ndarray:
        return np.vstack([np.zeros(network.n_skus), np.cumsum(values, axis=0)])

    total = np.zeros(network.n_pairs)
    groups = [None] if local is None else range(len(network.regions))
    for region in groups:
        if region is None:
            rows, base = np.arange(network.n_pairs), per_sku
        else:
            rows, base = np.flatnonzero(pair_region == region), per_sku * local[:, region, sku_cat]
        if rows.size == 0:
            continue
        sku = network.pair_sku[rows]
        # Flat indices into a cumulative table, reused by every gather below. Most
        # pairs are active from the window's start (lo = 0, where the table is 0):
        # only the others need the second gather.
        upper = hi[rows] * network.n_skus + sku
        late = np.flatnonzero(lo[rows] > 0)
        lower = lo[rows][late] * network.n_skus + sku[late]

        if g is None:
            total[rows] = _between(cumulative(base), upper, late, lower)
            continue
        acc = np.zeros(rows.size)
        for w in range(7):
            weekday = cumulative(np.where((dow == w)[:, None], base, 0.0))
            on_w = _between(weekday, upper, late, lower)
            on_w *= g[w] if region is None else g[w, rows]
            acc += on_w
        total[rows] = acc
    return total
