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
   filling on the children's echelon demand (`sharing.share_scarce`), then a parent
   above its target pushes its surplus to children that would run dry before their
   refill lands, and a child still short while its parent has none left borrows
   from a sibling (`transfers`, `push`). A launch's first delivery flows the same
   way: central to regionals by their stores' priors, then regionals to stores.
4. Purchases: a node fed by the supplier orders target - position (or, with
   `order_smoothing`, a proportional order-up-to: `orders.smoothed_request`) on the
   supplier's order days, in whole cases, at least the MOQ, within the weekly
   capacity shared among the nodes it feeds (`orders`); an order the week's
   capacity left allows only once covers to the next week's first order day.
5. With `sole_store_push`, a warehouse whose SKU one store alone holds sends that
   store, on its review night, all it still holds free of the SKU (`push`).

Everything is arrays: pairs are touched by a few gathers and one `bincount` per
level of the tree; the per-warehouse work is over [warehouses, SKUs].
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from storenet.planning.chain import orders, push
from storenet.planning.chain.levels import EchelonFigures, echelon_figures
from storenet.planning.chain.orders import NOTES  # noqa: F401  (re-exported for callers)
from storenet.planning.chain.pooling import (
    NO_SOURCE,
    SUPPLIER,
    pool_demand,
    sum_up_routes,
    supply_sources,
)
from storenet.planning.chain.transfers import (  # noqa: F401  (re-exported for callers)
    CUT_CAPACITY,
    CUT_NONE,
    CUT_REASONS,
    CUT_SCARCE,
    KINDS,
    PURCHASE,
    TRANSFER,
    echelon_nb,
    transfer_lines,
)
from storenet.planning.chain.tree import ChainStock, ChainTree
from storenet.planning.cycle import (
    HorizonForecast,
    NightlyPlan,
    PlanSettings,
    Stock,
    horizon_forecast,
    nightly_plan,
)
from storenet.planning.demand.horizon import horizon_exposure
from storenet.planning.demand.memory import DemandState
from storenet.planning.demand.posterior import posterior
from storenet.planning.network import PlanningNetwork

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class UpstreamLines:
    """The plan's purchase and warehouse-transfer lines, one entry per line.

    A line exists for every (node, SKU) that asks anything: a transfer where the
    echelon position is below its target or a long parent pushes (`push`), a purchase
    where the order rule asks units (`orders.smoothed_request`: below target, or with
    smoothing the expected demand less a share of the excess); `qty` 0 lines say why
    nothing is ordered (`note`, `cut_reason`)."""

    kind: np.ndarray  # int8: PURCHASE or TRANSFER
    source: np.ndarray  # int32: supplier index (tree.supplier_ids; -1 none) or warehouse
    destination: np.ndarray  # int32: warehouse index (tree order)
    sku: np.ndarray  # int32
    qty: np.ndarray  # int64: units, after every rule
    requested: np.ndarray  # int64: what the rule asks (target - position, smoothed, + push)
    demand_mean: np.ndarray  # float64: echelon demand over its cumulative horizon
    demand_quantile: np.ndarray  # int64: at the service level
    service_level: np.ndarray  # float64
    position: np.ndarray  # int64: echelon inventory position
    target: np.ndarray  # int64: echelon target
    cut_reason: np.ndarray  # int8: CUT_NONE, CUT_SCARCE (upstream stock), CUT_CAPACITY
    water_level: np.ndarray  # float64: P(sale) of the last unit given; 1 = not scarce
    note: np.ndarray  # int8: index into NOTES

    def __len__(self) -> int:
        return len(self.kind)


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
    state: DemandState,
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
    lines equal `nightly_plan`'s (unless `settings.sole_store_push`: then a SKU's
    sole store also gets what its warehouse has left, `push.sole_store_push`).
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
        post = posterior(state, network)
        forecast = horizon_forecast(network, state, pair_horizon, pair_lead_sd, post)
    if forecast.exposure is None:
        exposure = horizon_exposure(state, network, tomorrow, pair_horizon)
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
    left = _capacity_left(tree, stock, n_k)
    last = orders.last_order_of_week(left, tree.sku_case_pack[:n_k], tree.sku_moq[:n_k])
    protection = orders.protection_days(tree.sku_order_days[:n_k], weekday, last)
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
    figures = echelon_figures(
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
    asked_by_stores = np.bincount(
        store_wh[on] * n_k + network.pair_sku[on], stores.request[on], n_w * n_k
    ).reshape(n_w, n_k)
    transfers, lent = transfer_lines(
        figures, free - given_to_stores, asked_by_stores, given_to_stores
    )
    if settings.sole_store_push:
        stores = _push_to_sole_stores(
            network, stores, free - given_to_stores, (transfers, lent), reviewing
        )
    purchases = _purchases(
        tree,
        figures,
        weekday,
        left,
        np.where(last, protection, 0),
        settings.order_smoothing,
        settings.order_lag_cycles,
        stock.recent_sales,
    )
    upstream = _concat(transfers, lent, purchases)
    clock["upstream"] = time.perf_counter() - started
    tell("chain plan", 3, 3)
    return ChainPlan(stores=stores, upstream=upstream, echelons=figures, seconds=clock)


def _push_to_sole_stores(
    network: PlanningNetwork,
    stores: NightlyPlan,
    left: np.ndarray,
    lines: tuple[dict, ...],
    reviewing: np.ndarray | None,
) -> NightlyPlan:
    """`stores` with each sole holder's line raised by what its warehouse cell still
    holds free after every other line tonight (`push.sole_store_push`): the request
    and the allocation rise together, so the line says what it carries."""
    n_w, n_k = left.shape
    left = np.array(left, np.int64).reshape(-1)
    for part in lines:
        np.subtract.at(
            left,
            np.asarray(part["source"], np.int64) * n_k + np.asarray(part["sku"], np.int64),
            np.asarray(part["qty"], np.int64),
        )
    wh = network.store_warehouse[network.pair_store].astype(np.int64)
    cell = np.where(wh >= 0, wh * n_k + network.pair_sku, -1)
    due = np.ones(network.n_pairs, bool) if reviewing is None else reviewing[network.pair_store]
    capacity = network.pair_capacity.astype(np.int64)
    room = np.where(
        capacity > 0, capacity - stores.position - stores.allocated, np.iinfo(np.int64).max // 4
    )
    extra = push.sole_store_push(cell, stores.target > 0, due, left, room)
    return replace(stores, request=stores.request + extra, allocated=stores.allocated + extra)


def _capacity_left(tree: ChainTree, stock: ChainStock, n_k: int) -> np.ndarray:
    """Units (int64 per SKU) the supplier can still take this week; -1 = no limit."""
    capacity = tree.sku_weekly_capacity[:n_k].astype(np.int64)
    done = stock.ordered_this_week
    done = np.zeros(n_k, np.int64) if done is None else np.asarray(done, np.int64)[:n_k]
    return np.where(capacity > 0, np.maximum(capacity - done, 0), -1)


def _purchases(
    tree: ChainTree,
    figures: EchelonFigures,
    weekday: int,
    left: np.ndarray,
    single_cycle: np.ndarray,
    smoothing: float,
    lag_cycles: float,
    recent_sales: np.ndarray | None = None,
) -> dict:
    """Purchase lines: supplier-fed nodes order toward target on order days
    (`orders.smoothed_request`; up to it with `smoothing` 1), in cases, at least the
    MOQ, within the weekly capacity `left` (per SKU, -1 = none). `single_cycle` (days
    per SKU, 0 = not so) is the protection period of an order that is the last its
    week can take: the demand it passes on spans at least that period, not just the
    days since the previous order day (which could not place a line). With
    `recent_sales` (`ChainStock.recent_sales`) the smoothing passes on what the
    echelon sold since the previous order day (`echelon_sold`) instead of the
    forecast of it; the days that span does not cover keep the forecast."""
    n_k = figures.source.shape[1]
    cycle = orders.cycle_days(tree.sku_order_days[:n_k], weekday)
    since = np.maximum(cycle, single_cycle)
    expected = figures.daily * since[None, :]
    passed = None
    if recent_sales is not None and smoothing > 1:
        sold, covered = echelon_sold(tree, figures.source, recent_sales, cycle)
        passed = sold + figures.daily * (since - covered)[None, :]
    asked = orders.smoothed_request(
        figures.target - figures.position, expected, smoothing, lag_cycles, passed
    )
    w, k = np.nonzero((figures.source == SUPPLIER) & (asked > 0))
    request = asked[w, k]
    case, moq = tree.sku_case_pack[:n_k], tree.sku_moq[:n_k]
    qty, note = orders.round_order(request, case[k], moq[k])
    supplier = tree.sku_supplier[:n_k][k]
    order_day = orders.is_order_day(tree.sku_order_days[:n_k][k], weekday)
    note = np.where(order_day, note, orders.NOTE_NOT_ORDER_DAY)
    note = np.where(supplier >= 0, note, orders.NOTE_NO_SUPPLIER).astype(np.int8)
    qty = np.where(order_day & (supplier >= 0), qty, 0)
    r, p, net = echelon_nb(figures, w, k)
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


def echelon_sold(
    tree: ChainTree, source: np.ndarray, recent_sales: np.ndarray, days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(units float64 [warehouses, SKUs], days covered int64 per SKU): what every
    store below each node sold over the last `days` (per SKU) days of `recent_sales`
    ([days, warehouses, SKUs], the stores of each warehouse; see `ChainStock`), summed
    up the tree along the SKU's routes (a node adds a child it feeds), and how many of
    those days the rows cover (fewer when `recent_sales` holds fewer days)."""
    n_w, n_k = source.shape
    recent = np.zeros((0, n_w, n_k), np.int64)
    if np.size(recent_sales):
        recent = np.asarray(recent_sales, np.int64)[:, :n_w, :n_k]
    held = recent.shape[0]
    covered = np.minimum(np.asarray(days, np.int64), held)
    within = np.arange(held)[:, None] >= held - covered[None, :]  # [days, SKUs]
    sold = np.zeros((n_w, n_k))
    sold[: recent.shape[1]] = (recent * within[:, None, :]).sum(axis=0)
    return sum_up_routes(tree, source, sold), covered


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


def upstream_frame(lines: UpstreamLines, tree: ChainTree, network: PlanningNetwork) -> pl.DataFrame:
    """The upstream lines with ids and words, one row per line, in the columns of
    `plan_upstream_lines` (without plan_id, line_no, document_no): kind
    ("purchase"/"transfer"), source_id (supplier or warehouse id; "" for a SKU with
    no supplier), destination_id, sku_id, qty, planned_qty (= qty), requested,
    demand_mean, demand_quantile, service_level, position, target, cut_reason
    (`CUT_REASONS`), water_level, note (`orders.NOTES`)."""
    purchase = lines.kind == PURCHASE
    suppliers = np.array([*tree.supplier_ids, ""], dtype=object)
    warehouses = np.array(tree.warehouse_ids or network.warehouses, dtype=object)
    source = np.where(
        purchase,
        suppliers[np.where(purchase & (lines.source >= 0), lines.source, len(tree.supplier_ids))],
        warehouses[np.where(purchase, 0, lines.source)],
    )
    return pl.DataFrame(
        {
            "kind": np.array(KINDS, dtype=object)[lines.kind].tolist(),
            "source_id": source.tolist(),
            "destination_id": warehouses[lines.destination].tolist(),
            "sku_id": np.array(network.sku_ids, dtype=object)[lines.sku].tolist(),
            "qty": lines.qty,
            "planned_qty": lines.qty,
            "requested": lines.requested,
            "demand_mean": lines.demand_mean,
            "demand_quantile": lines.demand_quantile,
            "service_level": lines.service_level,
            "position": lines.position,
            "target": lines.target,
            "cut_reason": np.array(CUT_REASONS, dtype=object)[lines.cut_reason].tolist(),
            "water_level": lines.water_level,
            "note": np.array(orders.NOTES, dtype=object)[lines.note].tolist(),
        },
        schema_overrides={"kind": pl.String, "source_id": pl.String, "note": pl.String},
    )
