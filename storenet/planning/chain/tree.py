"""The chain above the stores as arrays: which warehouse feeds which, how long each leg
takes, how often each node is reviewed, and where each SKU comes from.

Warehouse arrays follow `PlanningNetwork.warehouses` (the warehouse index of
`store_warehouse`), store arrays `PlanningNetwork.store_ids`, SKU arrays
`PlanningNetwork.sku_ids`. Lead times are calendar days from the evening an order or
a shipment is decided to the morning it can be on the receiving node's shelf.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from storenet.planning.cycle import Stock
from storenet.planning.network import PlanningNetwork, index_of

CENTRAL, REGIONAL = 0, 1
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY = 0b1111111


@dataclass(frozen=True)
class ChainTree:
    """The tree of warehouses over the stores, its lanes and the SKUs' sourcing."""

    warehouse_kind: np.ndarray  # int8 per warehouse: CENTRAL or REGIONAL
    warehouse_parent: np.ndarray  # int32 per warehouse: the warehouse feeding it; -1 = suppliers
    lane_lead_mean: np.ndarray  # float64 per warehouse: days on the lane from its parent
    lane_lead_sd: np.ndarray  # float64 per warehouse
    warehouse_review_days: np.ndarray  # int32 per warehouse: days between its reviews
    store_lead_mean: np.ndarray  # float64 per store: days on the lane from its warehouse
    store_lead_sd: np.ndarray  # float64 per store
    store_review_days: np.ndarray  # int32 per store
    supplier_ids: list[str]
    sku_supplier: np.ndarray  # int32 per SKU: its primary supplier; -1 = none (never ordered)
    sku_delivers_to: np.ndarray  # int32 per SKU: warehouse supplied; -1 = each regional directly
    sku_lead_mean: np.ndarray  # float64 per SKU: supplier lead days (learned where enough)
    sku_lead_sd: np.ndarray  # float64 per SKU
    sku_moq: np.ndarray  # int64 per SKU: minimum order quantity, units
    sku_case_pack: np.ndarray  # int64 per SKU: orders are whole cases
    sku_weekly_capacity: np.ndarray  # int64 per SKU: units the supplier ships a week; 0 = no limit
    sku_order_days: np.ndarray  # int8 per SKU: weekdays the supplier takes orders, bit 0 = Monday
    sku_unit_cost: np.ndarray  # float64 per SKU, the supplier's price (planning only)
    # Warehouse ids in tree order: `PlanningNetwork.warehouses` first (so a store's
    # warehouse index is the same in both), then warehouses without stores (a central).
    warehouse_ids: list[str] = field(default_factory=list)

    @property
    def n_warehouses(self) -> int:
        """Number of warehouses."""
        return len(self.warehouse_kind)


@dataclass(frozen=True)
class ChainStock:
    """Stock the chain plan starts from: the stores' (`stores.warehouse` is what each
    warehouse holds free to ship, on hand - reserved) and, per warehouse x SKU
    (int64 [warehouses, SKUs]), what is on its way to it from another warehouse and
    what is on order for it from suppliers (open purchase-order units)."""

    stores: Stock
    warehouse_in_transit: np.ndarray
    warehouse_on_order: np.ndarray
    # int64 per SKU: units already ordered from the SKU's supplier this week (counts
    # against its weekly capacity); None = nothing.
    ordered_this_week: np.ndarray | None = None
    # int64 [days, warehouses, SKUs]: units sold by the stores each warehouse serves,
    # on each of the last days through the plan's last day of history (last row =
    # that day); None = unknown: order smoothing then passes on the forecast's
    # expected demand instead of what was sold (`orders.smoothed_request`).
    recent_sales: np.ndarray | None = None

    def free(self, n_warehouses: int) -> np.ndarray:
        """Free stock per warehouse x SKU (int64 [n_warehouses, SKUs]): the rows of
        `stores.warehouse`, zero for warehouses it has no row for (a central that no
        store lists, when the caller read stock by the network's warehouses only)."""
        held = np.asarray(self.stores.warehouse, np.int64)
        out = np.zeros((n_warehouses, held.shape[1] if held.ndim == 2 else 0), np.int64)
        rows = min(n_warehouses, held.shape[0])
        out[:rows] = held[:rows]
        return out


def order_day_mask(days: str) -> int:
    """The bitmask of a comma-separated weekday list ("mon,thu" -> 0b1001), bit 0 =
    Monday. Raises ValueError naming a word that is not a weekday."""
    mask = 0
    for word in (w.strip().lower() for w in days.split(",") if w.strip()):
        if word not in WEEKDAYS:
            raise ValueError(f"order_days: {word!r} is not one of {', '.join(WEEKDAYS)}")
        mask |= 1 << WEEKDAYS.index(word)
    return mask


def flat_tree(
    network: PlanningNetwork, lead_days: float, review_days: int, supplier_lead_days: float
) -> ChainTree:
    """The chain when there is no chain data: every warehouse of `network` is a root
    fed directly by one unlimited supplier "S0" (order any day, any quantity, packs of
    one) that takes `supplier_lead_days`; every store is `lead_days` from its
    warehouse and reviewed every `review_days`. Store lines then equal `nightly_plan`'s
    with `PlanSettings(lead_days, review_days)`."""
    n_w, n_s, n_k = len(network.warehouses), network.n_stores, network.n_skus
    return ChainTree(
        warehouse_kind=np.full(n_w, REGIONAL, np.int8),
        warehouse_parent=np.full(n_w, -1, np.int32),
        lane_lead_mean=np.full(n_w, float(supplier_lead_days)),
        lane_lead_sd=np.zeros(n_w),
        warehouse_review_days=np.full(n_w, review_days, np.int32),
        store_lead_mean=np.full(n_s, float(lead_days)),
        store_lead_sd=np.zeros(n_s),
        store_review_days=np.full(n_s, review_days, np.int32),
        supplier_ids=["S0"],
        sku_supplier=np.zeros(n_k, np.int32),
        sku_delivers_to=np.full(n_k, -1, np.int32),
        sku_lead_mean=np.full(n_k, float(supplier_lead_days)),
        sku_lead_sd=np.zeros(n_k),
        sku_moq=np.ones(n_k, np.int64),
        sku_case_pack=np.ones(n_k, np.int64),
        sku_weekly_capacity=np.zeros(n_k, np.int64),
        sku_order_days=np.full(n_k, EVERY_DAY, np.int8),
        sku_unit_cost=np.asarray(network.sku_cost, np.float64).copy(),
        warehouse_ids=list(network.warehouses),
    )


def build_tree(
    network: PlanningNetwork,
    warehouses: pl.DataFrame,
    lanes: pl.DataFrame,
    supplier_items: pl.DataFrame,
    default_lead_days: float,
    default_review_days: int,
) -> ChainTree:
    """The chain from its tables.

    `warehouses` (id, kind "central"/"regional", parent_id), `lanes` (from_id, to_id,
    lead_days_mean, lead_days_sd, review_days; warehouse -> warehouse and warehouse ->
    store), `supplier_items` (the primary rows: supplier_id, sku_id, delivers_to
    (null = each regional directly), lead_days_mean, lead_days_sd, moq, case_pack,
    weekly_capacity (null = none), unit_cost_cents, order_days "mon,thu").

    Warehouses follow `network.warehouses`, then the frame's others by id. A lane
    that is missing (or a null in it) falls back to `default_lead_days`, no spread,
    `default_review_days`. A SKU without a supplier item gets `sku_supplier` -1 (never
    ordered). Where a SKU has several rows the first counts. Raises ValueError naming
    an unknown warehouse kind or parent, or an order_days word that is not a weekday.
    """
    ids = list(network.warehouses)
    ids += sorted(set(warehouses["id"].cast(pl.String).to_list()) - set(ids))
    at = {w: i for i, w in enumerate(ids)}
    n_w, n_k = len(ids), network.n_skus
    kind = np.full(n_w, REGIONAL, np.int8)
    parent = np.full(n_w, -1, np.int32)
    for row in warehouses.iter_rows(named=True):
        i = at[str(row["id"])]
        if row["kind"] not in ("central", "regional"):
            raise ValueError(
                f"warehouse {row['id']}: kind {row['kind']!r} is not central or regional"
            )
        kind[i] = CENTRAL if row["kind"] == "central" else REGIONAL
        if row.get("parent_id") is not None:
            if str(row["parent_id"]) not in at:
                raise ValueError(f"warehouse {row['id']}: parent {row['parent_id']!r} is not known")
            parent[i] = at[str(row["parent_id"])]

    lane = {(str(r["from_id"]), str(r["to_id"])): r for r in lanes.iter_rows(named=True)}

    def leg(frm: str | None, to: str) -> tuple[float, float, int]:
        row = lane.get((frm, to)) if frm is not None else None
        if row is None:
            return float(default_lead_days), 0.0, int(default_review_days)
        mean, sd, review = (
            row.get("lead_days_mean"),
            row.get("lead_days_sd"),
            row.get("review_days"),
        )
        return (
            float(default_lead_days if mean is None else mean),
            float(sd or 0.0),
            int(default_review_days if review is None else review),
        )

    wh_legs = [leg(ids[parent[i]] if parent[i] >= 0 else None, ids[i]) for i in range(n_w)]
    st_legs = [
        leg(network.warehouses[w] if w >= 0 else None, s)
        for s, w in zip(network.store_ids, network.store_warehouse.tolist())
    ]

    items = supplier_items.unique(subset="sku_id", keep="first", maintain_order=True)
    sku = index_of(items["sku_id"], network.sku_ids)
    known = sku >= 0
    items, sku = items.filter(pl.Series(known)), sku[known]
    supplier_ids = sorted(set(items["supplier_id"].cast(pl.String).to_list()))
    sku_supplier = np.full(n_k, -1, np.int32)
    sku_supplier[sku] = index_of(items["supplier_id"], supplier_ids)

    def column(name: str, default: float, dtype: type) -> np.ndarray:
        out = np.full(n_k, default, dtype)
        if name in items.columns:
            out[sku] = items[name].cast(pl.Float64).fill_null(default).to_numpy().astype(dtype)
        return out

    delivers = np.full(n_k, -1, np.int32)
    if "delivers_to" in items.columns:
        delivers[sku] = [at.get(str(d), -1) if d is not None else -1 for d in items["delivers_to"]]
    order_days = np.full(n_k, EVERY_DAY, np.int8)
    if "order_days" in items.columns:
        order_days[sku] = [order_day_mask(d or "") or EVERY_DAY for d in items["order_days"]]
    cost = np.asarray(network.sku_cost, np.float64).copy()
    if "unit_cost_cents" in items.columns:
        cost[sku] = items["unit_cost_cents"].cast(pl.Float64).fill_null(0).to_numpy() / 100
    return ChainTree(
        warehouse_kind=kind,
        warehouse_parent=parent,
        lane_lead_mean=np.array([x[0] for x in wh_legs]),
        lane_lead_sd=np.array([x[1] for x in wh_legs]),
        warehouse_review_days=np.array([x[2] for x in wh_legs], np.int32),
        store_lead_mean=np.array([x[0] for x in st_legs]),
        store_lead_sd=np.array([x[1] for x in st_legs]),
        store_review_days=np.array([x[2] for x in st_legs], np.int32),
        supplier_ids=supplier_ids,
        sku_supplier=sku_supplier,
        sku_delivers_to=delivers,
        sku_lead_mean=column("lead_days_mean", float(default_lead_days), np.float64),
        sku_lead_sd=column("lead_days_sd", 0.0, np.float64),
        sku_moq=np.maximum(column("moq", 1, np.int64), 1),
        sku_case_pack=np.maximum(column("case_pack", 1, np.int64), 1),
        sku_weekly_capacity=np.maximum(column("weekly_capacity", 0, np.int64), 0),
        sku_order_days=order_days,
        sku_unit_cost=cost,
        warehouse_ids=ids,
    )
