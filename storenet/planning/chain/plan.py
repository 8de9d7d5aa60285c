"""`chain_plan`: the nightly plan of the whole chain, supplier to shelf (DESIGN section 7).

1. Stores: `nightly_plan` with each store's own lane lead time + review as its
   horizon, allocating from what its warehouse holds now.
2. Echelons, deepest warehouse first (`echelon` explains the target): the pooled
   demand of every store below over its cumulative horizon (`pooling`), the node's
   service level from the stores' through the holding costs, target =
   max(quantile + lifts below, sum of targets below); echelon position = free stock
   + in transit to it + on order for it + every position below.
3. Transfers: a node fed by its parent asks target - position; the parent shares
   what it holds now (after its own stores' lines) among its children by water-
   filling on the children's echelon demand (`sharing.share_scarce`). A launch's first
   delivery flows the same way: central to regionals by their stores' priors, then
   regionals to stores.
4. Purchases: a node fed by the supplier orders target - position on the supplier's
   order days, in whole cases, at least the MOQ, within the weekly capacity shared
   among the nodes it feeds (`orders`).

Everything is arrays: pairs are touched by a few gathers and one `bincount` per
level of the tree; the per-warehouse work is over [warehouses, SKUs].
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from storenet.planning import demand
from storenet.planning.chain import orders
from storenet.planning.chain.echelon import (
    backorder_cost,
    demand_quantile,
    lifted_target,
    nb_from_moments,
    stage_service_levels,
)
from storenet.planning.chain.orders import NOTES  # noqa: F401  (re-exported for callers)
from storenet.planning.chain.pooling import (
    NO_SOURCE,
    SUPPLIER,
    Pooled,
    depth_order,
    pool_demand,
    supply_sources,
)
from storenet.planning.chain.sharing import share_scarce
from storenet.planning.chain.tree import CENTRAL, ChainStock, ChainTree
from storenet.planning.cycle import (
    HorizonForecast,
    NightlyPlan,
    PlanSettings,
    Stock,
    horizon_forecast,
    nightly_plan,
)
from storenet.planning.network import PlanningNetwork
from storenet.planning.targets import service_levels

Progress = Callable[[str, int, int], None]
PURCHASE, TRANSFER = 0, 1
CUT_NONE, CUT_SCARCE, CUT_CAPACITY = 0, 1, 2


@dataclass(frozen=True)
class UpstreamLines:
    """The plan's purchase and warehouse-transfer lines, one entry per line.

    A line exists for every (node, SKU) whose echelon position is below its target;
    `qty` 0 lines say why nothing is ordered (`note`, `cut_reason`)."""

    kind: np.ndarray  # int8: PURCHASE or TRANSFER
    source: np.ndarray  # int32: supplier index (tree.supplier_ids; -1 none) or warehouse
    destination: np.ndarray  # int32: warehouse index (tree order)
    sku: np.ndarray  # int32
    qty: np.ndarray  # int64: units, after every rule
    requested: np.ndarray  # int64: echelon target - echelon position
    demand_mean: np.ndarray  # float64: echelon demand over its cumulative horizon
    demand_quantile: np.ndarray  # int64: at the service level
    service_level: np.ndarray  # float64
    position: np.ndarray  # int64: echelon position, each node below counted up to its target
    target: np.ndarray  # int64: echelon target
    cut_reason: np.ndarray  # int8: CUT_NONE, CUT_SCARCE (upstream stock), CUT_CAPACITY
    water_level: np.ndarray  # float64: P(sale) of the last unit given; 1 = not scarce
    note: np.ndarray  # int8: index into NOTES

    def __len__(self) -> int:
        return len(self.kind)


@dataclass(frozen=True)
class EchelonFigures:
    """Per (warehouse, SKU), int64/float64 [warehouses, SKUs], tree order."""

    source: np.ndarray  # int32: SUPPLIER (-1), NO_SOURCE (-2) or the parent warehouse
    leg_days: np.ndarray  # int64: lead + protection period of the leg into the node
    demand_mean: np.ndarray  # float64: pooled echelon demand over its cumulative horizon
    demand_var: np.ndarray  # float64, lead-time spread included
    service_level: np.ndarray  # float64
    quantile: np.ndarray  # int64
    target: np.ndarray  # int64: echelon target
    below_target: np.ndarray  # int64: sum of the targets directly below (the floor)
    position: np.ndarray  # int64: echelon position, each node below counted up to its target
    free: np.ndarray  # int64: on hand - reserved at the node
    in_transit: np.ndarray  # int64: on its way to the node from a warehouse
    on_order: np.ndarray  # int64: open purchase-order units for the node


@dataclass(frozen=True)
class ChainPlan:
    """The night's plan for the whole chain."""

    stores: NightlyPlan
    upstream: UpstreamLines
    echelons: EchelonFigures
    seconds: dict[str, float]


def chain_plan(
    network: PlanningNetwork,
    tree: ChainTree,
    state: demand.DemandState,
    stock: ChainStock,
    settings: PlanSettings | None = None,
    progress: Progress | None = None,
    reviewing: np.ndarray | None = None,
    forecast: HorizonForecast | None = None,
) -> ChainPlan:
    """Plan the night after `state.through` for stores, warehouses and suppliers.

    `reviewing` (bool per store) as in `nightly_plan`; `forecast` (default: the
    demand state's posterior) is demand per pair over each store's own horizon
    (round(tree.store_lead_mean) + tree.store_review_days). Orders go out on the
    day after `state.through` (its weekday is checked against order days).

    Guarantees: nothing is allocated that a node does not hold now (store lines per
    warehouse and transfers per parent sum to at most its free stock); purchase
    quantities are whole cases and 0 or >= MOQ, none on a day that is not an order
    day, and per SKU within the weekly capacity left; with `flat_tree` the store
    lines equal `nightly_plan`'s.
    """
    settings = settings or PlanSettings()
    tell = progress or (lambda stage, done, total: None)
    clock: dict[str, float] = {}
    n_w, n_k = tree.n_warehouses, network.n_skus
    tomorrow = state.through + np.timedelta64(1, "D")
    weekday = orders.weekday_of(tomorrow)

    started = time.perf_counter()
    store_horizon = np.rint(tree.store_lead_mean).astype(np.int64) + tree.store_review_days
    pair_horizon = store_horizon[network.pair_store]
    pair_lead_sd = np.asarray(tree.store_lead_sd, np.float64)[network.pair_store]
    post = None
    if forecast is None:
        post = demand.posterior(state, network)
        forecast = horizon_forecast(network, state, pair_horizon, pair_lead_sd, post)
    if forecast.exposure is None:
        exposure = demand.horizon_exposure(state, network, tomorrow, pair_horizon)
        forecast = HorizonForecast(forecast.mean, forecast.r, forecast.p, exposure)
    free = stock.free(n_w)
    n_net = len(network.warehouses)
    store_stock = Stock(
        stock.stores.on_hand, stock.stores.in_transit, stock.stores.reserved, free[:n_net]
    )
    clock["forecast"] = time.perf_counter() - started
    stores = nightly_plan(
        network, state, store_stock, settings, progress, reviewing, forecast, store_horizon
    )
    clock.update({f"stores_{k}": v for k, v in stores.seconds.items()})

    tell("chain plan", 0, 3)
    started = time.perf_counter()
    source = supply_sources(tree, n_k)
    purchase = source == SUPPLIER
    protection = orders.protection_days(tree.sku_order_days[:n_k], weekday)
    sku_leg = np.rint(tree.sku_lead_mean[:n_k]).astype(np.int64) + protection
    lane_leg = np.rint(tree.lane_lead_mean).astype(np.int64) + tree.warehouse_review_days
    leg_days = np.where(purchase, sku_leg[None, :], lane_leg[:, None])
    leg_days = np.where(source == NO_SOURCE, 0, leg_days).astype(np.int64)
    leg_sd = np.where(purchase, tree.sku_lead_sd[None, :n_k], tree.lane_lead_sd[:, None])
    pooled = pool_demand(
        network,
        state,
        source,
        leg_days,
        pair_horizon,
        pair_lead_sd,
        forecast.mean,
        np.asarray(forecast.r, np.float64),
        forecast.exposure,
        post,
    )
    clock["pooling"] = time.perf_counter() - started

    tell("chain plan", 1, 3)
    started = time.perf_counter()
    figures = _echelons(
        network, tree, stock, stores, source, leg_days, leg_sd, pooled, free, settings
    )
    clock["echelons"] = time.perf_counter() - started

    tell("chain plan", 2, 3)
    started = time.perf_counter()
    given_to_stores = np.zeros((n_w, n_k), np.int64)
    store_wh = network.store_warehouse[network.pair_store].astype(np.int64)
    on = store_wh >= 0
    given_to_stores.reshape(-1)[:] = np.bincount(
        store_wh[on] * n_k + network.pair_sku[on], stores.allocated[on], n_w * n_k
    ).astype(np.int64)
    transfers = _transfers(figures, free - given_to_stores)
    purchases = _purchases(tree, stock, figures, weekday)
    upstream = _concat(transfers, purchases)
    clock["upstream"] = time.perf_counter() - started
    tell("chain plan", 3, 3)
    return ChainPlan(stores=stores, upstream=upstream, echelons=figures, seconds=clock)


def _echelons(
    network: PlanningNetwork,
    tree: ChainTree,
    stock: ChainStock,
    stores: NightlyPlan,
    source: np.ndarray,
    leg_days: np.ndarray,
    leg_sd: np.ndarray,
    pooled: Pooled,
    free: np.ndarray,
    settings: PlanSettings,
) -> EchelonFigures:
    """Echelon targets and positions, deepest node first (module docstring, step 2)."""
    n_w, n_k = source.shape
    size = n_w * n_k
    store_wh = network.store_warehouse[network.pair_store].astype(np.int64)
    on = store_wh >= 0
    key = store_wh[on] * n_k + network.pair_sku[on]

    def per_node(values: np.ndarray) -> np.ndarray:
        return np.bincount(key, values[on], size).reshape(n_w, n_k)

    below_target = np.rint(per_node(stores.target.astype(np.float64))).astype(np.int64)
    lift_in = per_node((stores.target - stores.quantile).astype(np.float64))
    # Each node below counts up to its target: a store's excess cannot serve a store
    # that is short (only rebalancing moves it), so adding it would hide the shortage
    # from the warehouse (echelon theory's balance assumption fails in a tree).
    counted = np.minimum(stores.position, stores.target).astype(np.float64)
    position_in = np.rint(per_node(counted)).astype(np.int64)
    in_transit = _rows(stock.warehouse_in_transit, n_w, n_k)
    on_order = _rows(stock.warehouse_on_order, n_w, n_k)
    mean = pooled.mean.reshape(n_w, n_k)
    var = pooled.var.reshape(n_w, n_k).copy()
    daily = pooled.daily.reshape(n_w, n_k)

    # Service level per node and SKU: the store's category level sets the backorder
    # cost; the node's local holding cost and its source's give its level.
    store_level = service_levels(network.categories, settings.service)[network.sku_category]
    holding = np.where(
        np.asarray(tree.warehouse_kind) == CENTRAL,
        settings.central_holding,
        settings.regional_holding,
    )
    backorder = backorder_cost(store_level, 1.0 - settings.regional_holding)
    parent = np.asarray(tree.warehouse_parent, np.int64)
    level = np.zeros((n_w, n_k))
    for w in range(n_w):
        up = np.where(source[w] >= 0, holding[max(parent[w], 0)], 0.0)
        mine = np.maximum(holding[w], up)
        h = np.stack([1.0 - mine, mine - up, up])
        level[w] = stage_service_levels(h, backorder)[1]

    # A leg's lead-time spread is shared by every store below it: Var += (the
    # echelon's daily mean)^2 sd^2, summed up the tree with the children's.
    order = depth_order(tree)
    lead_var = daily**2 * leg_sd**2
    for w in order:
        if parent[w] >= 0:
            lead_var[parent[w]] += np.where(source[w] == parent[w], lead_var[w], 0.0)
    var += lead_var
    planned = source != NO_SOURCE
    quantile = np.where(planned, np.ceil(demand_quantile(mean, var, level) - 1e-9), 0)
    quantile = quantile.astype(np.int64)
    target = np.zeros((n_w, n_k), np.int64)
    position = np.zeros((n_w, n_k), np.int64)
    for w in order:
        t = lifted_target(quantile[w], lift_in[w], below_target[w])
        target[w] = np.where(planned[w], np.ceil(t - 1e-9), 0)
        position[w] = free[w] + in_transit[w] + on_order[w] + position_in[w]
        if parent[w] >= 0:
            fed = source[w] == parent[w]
            up = parent[w]
            below_target[up] += np.where(fed, target[w], 0)
            lift_in[up] += np.where(fed, target[w] - quantile[w], 0)
            position_in[up] += np.where(fed, np.minimum(position[w], target[w]), 0)
    return EchelonFigures(
        source=source,
        leg_days=leg_days,
        demand_mean=mean,
        demand_var=var,
        service_level=level,
        quantile=quantile,
        target=target,
        below_target=below_target,
        position=position,
        free=free,
        in_transit=in_transit,
        on_order=on_order,
    )


def _rows(values: np.ndarray | None, n_w: int, n_k: int) -> np.ndarray:
    out = np.zeros((n_w, n_k), np.int64)
    if values is not None and np.size(values):
        values = np.asarray(values, np.int64)
        out[: min(n_w, values.shape[0])] = values[:n_w]
    return out


def _echelon_nb(figures: EchelonFigures, w: np.ndarray, k: np.ndarray) -> tuple:
    """NB (r, p) of the echelon demand at lines (w, k), and their positions net of
    the lifts below (what the quantile part of the target compares with)."""
    r, p = nb_from_moments(figures.demand_mean[w, k], figures.demand_var[w, k])
    lift = figures.target[w, k] - figures.quantile[w, k]
    return r, p, figures.position[w, k] - lift


def _transfers(figures: EchelonFigures, parent_free: np.ndarray) -> dict:
    """Transfer lines: parents share what they hold now among their children."""
    n_w, n_k = figures.source.shape
    short = figures.target - figures.position
    w, k = np.nonzero((figures.source >= 0) & (short > 0))
    parent = figures.source[w, k].astype(np.int64)
    request = short[w, k]
    r, p, net = _echelon_nb(figures, w, k)
    supply = np.maximum(parent_free, 0).reshape(-1)
    alloc = share_scarce(parent * n_k + k, supply, request, net, r, p)
    cut = alloc.units < request
    return dict(
        kind=np.full(w.size, TRANSFER, np.int8),
        source=parent.astype(np.int32),
        destination=w.astype(np.int32),
        sku=k.astype(np.int32),
        qty=alloc.units,
        requested=request,
        cut_reason=np.where(cut, CUT_SCARCE, CUT_NONE).astype(np.int8),
        water_level=alloc.level[parent * n_k + k],
        note=np.where(cut, orders.NOTE_SCARCE, orders.NOTE_NONE).astype(np.int8),
        figures=(figures, w, k),
    )


def _purchases(tree: ChainTree, stock: ChainStock, figures: EchelonFigures, weekday: int) -> dict:
    """Purchase lines: supplier-fed nodes order up to target on order days, in cases,
    at least the MOQ, within the weekly capacity left."""
    n_k = figures.source.shape[1]
    short = figures.target - figures.position
    w, k = np.nonzero((figures.source == SUPPLIER) & (short > 0))
    request = short[w, k]
    case, moq = tree.sku_case_pack[:n_k], tree.sku_moq[:n_k]
    qty, note = orders.round_order(request, case[k], moq[k])
    supplier = tree.sku_supplier[:n_k][k]
    order_day = orders.is_order_day(tree.sku_order_days[:n_k][k], weekday)
    note = np.where(order_day, note, orders.NOTE_NOT_ORDER_DAY)
    note = np.where(supplier >= 0, note, orders.NOTE_NO_SUPPLIER).astype(np.int8)
    qty = np.where(order_day & (supplier >= 0), qty, 0)
    capacity = tree.sku_weekly_capacity[:n_k].astype(np.int64)
    done = stock.ordered_this_week
    done = np.zeros(n_k, np.int64) if done is None else np.asarray(done, np.int64)[:n_k]
    left = np.where(capacity > 0, np.maximum(capacity - done, 0), -1)
    r, p, net = _echelon_nb(figures, w, k)
    share = orders.share_capacity(k, qty, left, case, moq, net, r, p)
    capped = share.capped & (qty > 0)
    return dict(
        kind=np.full(w.size, PURCHASE, np.int8),
        source=supplier.astype(np.int32),
        destination=w.astype(np.int32),
        sku=k.astype(np.int32),
        qty=share.qty,
        requested=request,
        cut_reason=np.where(capped, CUT_CAPACITY, CUT_NONE).astype(np.int8),
        water_level=np.where(capped, share.level, 1.0),
        note=np.where(capped, orders.NOTE_CAPACITY, note).astype(np.int8),
        figures=(figures, w, k),
    )


def _concat(*parts: dict) -> UpstreamLines:
    def col(name: str) -> np.ndarray:
        return np.concatenate([part[name] for part in parts])

    def fig(name: str) -> np.ndarray:
        return np.concatenate([getattr(f, name)[w, k] for f, w, k in (p["figures"] for p in parts)])

    return UpstreamLines(
        kind=col("kind"),
        source=col("source"),
        destination=col("destination"),
        sku=col("sku"),
        qty=col("qty").astype(np.int64),
        requested=col("requested").astype(np.int64),
        demand_mean=fig("demand_mean"),
        demand_quantile=fig("quantile"),
        service_level=fig("service_level"),
        position=fig("position"),
        target=fig("target"),
        cut_reason=col("cut_reason"),
        water_level=col("water_level").astype(np.float64),
        note=col("note"),
    )
