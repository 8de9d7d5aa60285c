"""Risk pooling: the demand of the stores below each warehouse, summed, as moments.

Each (warehouse, SKU) is fed either by the SKU's supplier (a purchase node), by its
parent warehouse (a transfer), or not at all (`supply_sources`). Following those
links up from a store's warehouse gives every pair its path: the node at level 0 is
the store's own warehouse, level 1 the node feeding it for that SKU, and so on. A
pair's demand counts at every node of its path, over that node's cumulative horizon
(the store's lead + review, then each leg's lead + protection up to the node).
Moments are summed per (node, SKU) with one `np.bincount` per level: the cost is a
few passes over the pairs, whatever the number of warehouses.

Exposure over a window: at the store's own warehouse `horizon.horizon_exposure`
(`storenet.planning.demand.horizon`: exact, weekday by weekday). Higher up it is
extended from the level below (`extend_exposure`): the SKU's own exposure over the
added days (weekdays, events, life cycle: exact, from `sku_exposure`) times the
pair's ratio to its SKU over the two or more weeks it already had (its weekday shape,
local events, store and pair factors), counting only days the pair is active. It
equals `horizon.horizon_exposure` when a pair's own factors are the same every day and
is within about 2% otherwise (tests); a full `horizon.horizon_exposure` per level cost
more than the rest of the chain's own work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storenet.planning.chain.tree import REGIONAL, ChainTree
from storenet.planning.demand import horizon
from storenet.planning.demand.exposure import sku_exposure
from storenet.planning.demand.memory import DemandState
from storenet.planning.demand.posterior import RatePosterior
from storenet.planning.network import PlanningNetwork

SUPPLIER, NO_SOURCE = -1, -2


def supply_sources(tree: ChainTree, n_skus: int) -> np.ndarray:
    """Where each warehouse gets each SKU (int32 [warehouses, SKUs]): SUPPLIER (a
    purchase node: the SKU's `delivers_to` warehouse, or every regional for a SKU
    shipped directly), the parent's index (a transfer), or NO_SOURCE (a root that is
    not the SKU's delivery point: it never holds the SKU)."""
    n_w = tree.n_warehouses
    delivers = np.asarray(tree.sku_delivers_to, np.int64)[:n_skus]
    node = np.arange(n_w)[:, None]
    purchase = np.where(
        delivers[None, :] >= 0,
        node == delivers[None, :],
        (np.asarray(tree.warehouse_kind) == REGIONAL)[:, None],
    )
    parent = np.asarray(tree.warehouse_parent, np.int64)[:, None]
    fed = np.where(parent >= 0, parent, NO_SOURCE)
    return np.where(purchase, SUPPLIER, np.broadcast_to(fed, (n_w, n_skus))).astype(np.int32)


def depth_order(tree: ChainTree) -> np.ndarray:
    """Warehouse indices, deepest first (a node before the parent it is fed by)."""
    parent = np.asarray(tree.warehouse_parent, np.int64)
    depth = np.zeros(parent.size, np.int64)
    for w in range(parent.size):
        at, seen = w, 0
        while parent[at] >= 0 and seen <= parent.size:
            at, seen = parent[at], seen + 1
        depth[w] = seen
    return np.argsort(-depth, kind="stable")


def sum_up_routes(tree: ChainTree, source: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` (float [warehouses, SKUs], each node's own) summed up the tree along
    each SKU's route: a node adds what every child it feeds (`source`, as
    `supply_sources` gives) holds, deepest first. A new array; `values` is unchanged."""
    total = np.array(values, np.float64)
    parent = np.asarray(tree.warehouse_parent, np.int64)
    for w in depth_order(tree):
        if parent[w] >= 0:
            total[parent[w]] += np.where(source[w] == parent[w], total[w], 0.0)
    return total


@dataclass(frozen=True)
class Pooled:
    """Per (warehouse, SKU), flattened as warehouse * SKUs + SKU (float64): the summed
    mean and variance of its echelon's demand over each pair's cumulative horizon
    at that node (store lane spread included, shared legs' spread not), and the
    summed mean daily demand (for the shared legs' lead-time spread)."""

    mean: np.ndarray
    var: np.ndarray
    daily: np.ndarray


def pool_demand(
    network: PlanningNetwork,
    state: DemandState,
    source: np.ndarray,
    leg_days: np.ndarray,
    pair_horizon: np.ndarray,
    store_lead_sd: np.ndarray,
    horizon_mean: np.ndarray,
    horizon_r: np.ndarray,
    horizon_exposure: np.ndarray,
    post: RatePosterior | None,
) -> Pooled:
    """Sum every pair's demand moments into the nodes of its path.

    `source`, `leg_days` [warehouses, SKUs] (`supply_sources`; lead + protection of
    the leg into each node), per pair: `pair_horizon` (days), `store_lead_sd` (days),
    the horizon forecast's mean, NB shape and summed exposure. With `post` (the
    demand state's posterior) a window of n days and exposure M has mean mu M and
    variance mu M + (mu M)^2 (1/param_shape + 1/(phi n)), as `RatePosterior.over_days`
    describes one pair; without it (a forecast made elsewhere) the horizon's mean is
    scaled by exposure and its NB shape kept. A store lane's spread adds
    (daily mean)^2 sd^2 per pair.
    """
    n_w, n_k = source.shape
    size = n_w * n_k
    mean_sum, var_sum, daily_sum = np.zeros(size), np.zeros(size), np.zeros(size)
    sku = network.pair_sku.astype(np.int64)
    node = network.store_warehouse[network.pair_store].astype(np.int64)
    window = np.asarray(pair_horizon, np.int64).copy()
    daily = horizon_mean / np.maximum(window, 1)
    lane_var = daily**2 * np.asarray(store_lead_sd, np.float64) ** 2
    flat_source = source.reshape(-1)
    flat_leg = leg_days.reshape(-1)
    on = np.flatnonzero(node >= 0)
    # The longest cumulative window: the store's horizon and every leg of the path.
    path_days = leg_days.astype(np.int64)
    columns = np.arange(n_k)
    for _ in range(n_w):
        above = path_days[np.maximum(source, 0), columns[None, :]]
        path_days = leg_days + np.where(source >= 0, above, 0)
    longest = int(window.max(initial=0)) + int(path_days.max(initial=0))
    sku_cum = sku_exposure_table(state, network, longest)
    first, last = active_offsets(state, network)
    tomorrow = state.through + np.timedelta64(1, "D")
    reached = np.zeros(node.size)  # each pair's exposure over its window so far
    for level in range(n_w):
        if on.size == 0:
            break
        key = node[on] * n_k + sku[on]
        before = window[on]
        window[on] += flat_leg[key]
        days = window[on]
        if level == 0:
            # The store's own warehouse: exact, weekday by weekday.
            span = np.zeros(node.size, np.int64)
            span[on] = days
            exposure = horizon.horizon_exposure(state, network, tomorrow, span)[on]
        else:
            exposure = extend_exposure(
                reached[on], before, days, sku_cum, sku[on], first[on], last[on]
            )
        reached[on] = exposure
        if post is not None:
            mu = post.mean[on] * exposure
            extra = 1.0 / np.maximum(post.param_shape[on], 1e-9) + 1.0 / (
                post.phi[on] * np.maximum(days, 1)
            )
        else:
            had = np.asarray(horizon_exposure, np.float64)[on]
            ratio = np.where(had > 0, exposure, 0.0) / np.where(had > 0, had, 1.0)
            mu = horizon_mean[on] * ratio
            extra = 1.0 / np.maximum(horizon_r[on], 1e-9)
        var = mu + mu**2 * extra + lane_var[on]
        mean_sum += np.bincount(key, mu, size)
        var_sum += np.bincount(key, var, size)
        daily_sum += np.bincount(key, daily[on], size)
        up = flat_source[key]
        node[on] = np.where(up >= 0, up, -1)
        on = on[up >= 0]
    return Pooled(mean=mean_sum, var=var_sum, daily=daily_sum)


def sku_exposure_table(state: DemandState, network: PlanningNetwork, days: int) -> np.ndarray:
    """Cumulative SKU exposure from the day after `state.through` (float64 [days + 1,
    SKUs], row d = the sum over the first d days; row 0 = 0)."""
    tomorrow = state.through + np.timedelta64(1, "D")
    grid = tomorrow + np.arange(max(days, 0))
    per_day = sku_exposure(state, network, grid) if days > 0 else np.zeros((0, 0))
    out = np.zeros((max(days, 0) + 1, network.n_skus))
    if days > 0:
        out[1:] = np.cumsum(per_day, axis=0)
    return out


def extend_exposure(
    exposure: np.ndarray,
    days: np.ndarray,
    longer: np.ndarray,
    sku_cum: np.ndarray,
    sku: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
) -> np.ndarray:
    """Exposure per pair over its first `longer` days, from its `exposure` over the
    first `days` (float64; `longer` >= `days`, both int arrays).

    Per pair: `sku` index into `sku_cum` (`sku_exposure_table`), `first` and `last`
    active day as offsets from the window's start (inclusive; the pair is active on
    offsets first..last). The added days' exposure is the SKU's over the pair's active
    added days times the pair's own factor: its exposure over the days it had divided
    by its SKU's over the active part of those days (1 where it had none).
    """
    top = sku_cum.shape[0] - 1
    days = np.minimum(np.asarray(days, np.int64), top)
    longer = np.minimum(np.asarray(longer, np.int64), top)

    def cum(offset: np.ndarray) -> np.ndarray:
        return sku_cum[np.clip(offset, 0, top), sku]

    had_from = np.clip(first, 0, days)
    had_to = np.clip(last + 1, had_from, days)
    had = cum(had_to) - cum(had_from)
    factor = np.where(had > 0, exposure / np.where(had > 0, had, 1.0), 1.0)
    add_from = np.clip(first, days, longer)
    add_to = np.clip(last + 1, add_from, longer)
    return exposure + (cum(add_to) - cum(add_from)) * factor


def active_offsets(state: DemandState, network: PlanningNetwork) -> tuple[np.ndarray, np.ndarray]:
    """First and last active day of each pair as offsets from the day after
    `state.through` (int64; open ends far outside any window)."""
    first, last = network.active_span()
    day0 = int((state.through + np.timedelta64(1, "D")).astype(np.int64))
    return np.clip(first - day0, -(10**6), 10**6), np.clip(last - day0, -(10**6), 10**6)
