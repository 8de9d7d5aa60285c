"""Where the planner's inputs come from: the database (what `storenet plan` uses), or
the files written by `storenet generate` (benchmarks and the simulator).

Reads are columnar: whole tables into polars frames (`read_frame` streams them with
COPY on PostgreSQL), then arrays; nothing loops over pairs in Python.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Connection

from storenet.ledger.locations import FIRST_REAL_ID, TRANSIT
from storenet.ledger.recall_holds import ACTIVE, STOP_SALE
from storenet.planning.chain.tree import ChainStock, ChainTree, build_tree
from storenet.planning.cycle import Stock
from storenet.planning.network import PlanningNetwork, build_network, index_of, read_table
from storenet.store.bulk import read_frame


def stock_from_master(
    network: PlanningNetwork, master_dir: Path, warehouse_ids: list[str] | None = None
) -> Stock:
    """Stock from `opening_stock` in `master_dir` (location_id, sku_id, qty): store
    rows go to their pair's on hand (rows of unlisted pairs are ignored), warehouse
    rows to the warehouse x SKU matrix, one row per id of `warehouse_ids` (default:
    the network's warehouses; the chain passes the tree's, central ones included).
    Nothing in transit or reserved."""
    rows = read_table(Path(master_dir), "opening_stock")
    pair = network.pair_of_ids(rows["location_id"], rows["sku_id"])
    qty = rows["qty"].to_numpy()
    on_hand = np.zeros(network.n_pairs, np.int64)
    np.add.at(on_hand, pair[pair >= 0], qty[pair >= 0])
    ids = network.warehouses if warehouse_ids is None else warehouse_ids
    warehouse = _per_cell(
        ids,
        network,
        rows.rename({"location_id": "warehouse_id"}),
        "qty",
        (len(ids), network.n_skus),
    )
    zero = np.zeros(network.n_pairs, np.int64)
    return Stock(on_hand=on_hand, in_transit=zero, reserved=zero.copy(), warehouse=warehouse)


def tree_from_master(
    network: PlanningNetwork, master_dir: Path, default_lead_days: int, default_review_days: int
) -> ChainTree:
    """The chain above the stores from the master files in `master_dir` (warehouses,
    lanes, supplier_items as `storenet generate` writes them; docs/data-formats.md):
    primary supplier items only, stated lead times (no receipts to learn from)."""

    folder = Path(master_dir)
    items = read_table(folder, "supplier_items")
    if "is_primary" in items.columns:
        items = items.filter(pl.col("is_primary").fill_null(True))
    if "unit_cost_cents" not in items.columns:
        items = items.with_columns(
            (pl.col("unit_cost").cast(pl.Float64) * 100)
            .round()
            .cast(pl.Int64)
            .alias("unit_cost_cents")
        )
    return build_tree(
        network,
        read_table(folder, "warehouses"),
        read_table(folder, "lanes"),
        items,
        default_lead_days,
        default_review_days,
    )


def chain_stock_from_master(
    network: PlanningNetwork, tree: ChainTree, master_dir: Path
) -> ChainStock:
    """Stock for the chain plan from the master files: `opening_stock` at stores (per
    pair) and at every warehouse of the tree, nothing in transit, and the open
    purchase orders of the history (status not closed nor cancelled) on order."""
    folder = Path(master_dir)
    stores = stock_from_master(network, folder, tree.warehouse_ids)
    shape = (tree.n_warehouses, network.n_skus)
    orders_path = folder / "purchase_orders.parquet"
    on_order = np.zeros(shape, np.int64)
    if orders_path.exists():
        orders = pl.read_parquet(orders_path).filter(
            ~pl.col("status").is_in(["closed", "cancelled"])
        )
        lines = pl.read_parquet(folder / "purchase_order_lines.parquet").join(
            orders.select(pl.col("id").alias("po_id"), "warehouse_id"), on="po_id"
        )
        on_order = _per_cell(tree.warehouse_ids, network, lines, "qty_ordered", shape)
    zero = np.zeros(shape, np.int64)
    return ChainStock(stores=stores, warehouse_in_transit=zero, warehouse_on_order=on_order)


def network_from_db(conn: Connection) -> PlanningNetwork:
    """The planning view of the stores, SKUs and assortment in the database."""
    stores = read_frame(
        conn,
        "SELECT id, format, region_id, opened_on, closed_on, warehouse_id FROM stores ORDER BY id",
        {
            "id": pl.String,
            "format": pl.String,
            "region_id": pl.String,
            "opened_on": pl.Date,
            "closed_on": pl.Date,
            "warehouse_id": pl.String,
        },
    )
    skus = read_frame(
        conn,
        "SELECT id, category, model, launch_on, eol_on, successor_id, pack_size,"
        " cost_cents, price_cents FROM skus ORDER BY id",
        {
            "id": pl.String,
            "category": pl.String,
            "model": pl.String,
            "launch_on": pl.Date,
            "eol_on": pl.Date,
            "successor_id": pl.String,
            "pack_size": pl.Int32,
            "cost_cents": pl.Int64,
            "price_cents": pl.Int64,
        },
    ).with_columns(
        (pl.col("cost_cents") / 100).alias("cost"), (pl.col("price_cents") / 100).alias("price")
    )
    assortment = read_frame(
        conn,
        "SELECT store_id, sku_id, display_min, capacity, listed_from, listed_to FROM assortment",
        {
            "store_id": pl.String,
            "sku_id": pl.String,
            "display_min": pl.Int32,
            "capacity": pl.Int32,
            "listed_from": pl.Date,
            "listed_to": pl.Date,
        },
    )
    return build_network(stores, skus, assortment)


def stock_from_db(
    conn: Connection, network: PlanningNetwork, warehouse_ids: list[str] | None = None
) -> Stock:
    """Stock now, from the ledger's balances: per listed pair on hand, in transit and
    reserved; per warehouse x SKU what is free to ship (on hand - reserved, never
    below 0), one row per id of `warehouse_ids` (default: the network's warehouses)."""
    return _stock(network, _balance_rows(conn), warehouse_ids)


def _balance_rows(conn: Connection) -> pl.DataFrame:
    """Every real location's balances, with the store or warehouse it is; in transit
    less the recalled units on their way (`_recalled_in_transit`)."""
    rows = _all_balances(conn)
    recalled = _recalled_in_transit(conn)
    if recalled.is_empty():
        return rows
    return (
        rows.join(recalled, on=["store_id", "sku_id"], how="left", nulls_equal=False)
        .with_columns(
            (pl.col("in_transit") - pl.col("recalled").fill_null(0)).clip(0).alias("in_transit")
        )
        .drop("recalled")
    )


def _recalled_in_transit(conn: Connection) -> pl.DataFrame:
    """Units on their way to a store that an active stop-sale campaign covers, per
    (store, SKU): serial-tracked units it lists, and every unit in transit of a SKU
    without serials it covers whole (by SKU or model). They will be quarantined on
    receipt (the recall's receipt hook), so no store can count on them."""
    active = (
        f"c.severity = '{STOP_SALE}'"
        f" AND c.status IN ({', '.join(repr(status) for status in ACTIVE)})"
    )
    types = {"store_id": pl.String, "sku_id": pl.String, "recalled": pl.Int64}
    by_serial = read_frame(
        conn,
        "SELECT l.store_id, s.sku_id, COUNT(DISTINCT s.serial) FROM serials s"
        " JOIN recall_units u ON u.serial = s.serial"
        " JOIN recall_campaigns c ON c.id = u.campaign_id"
        " JOIN locations l ON l.id = s.site_location"
        f" WHERE s.location_id = {TRANSIT} AND l.store_id IS NOT NULL AND {active}"
        " GROUP BY l.store_id, s.sku_id",
        types,
    )
    by_quantity = read_frame(
        conn,
        "SELECT DISTINCT l.store_id, b.sku_id, b.in_transit FROM balances b"
        " JOIN locations l ON l.id = b.location_id"
        " JOIN skus k ON k.id = b.sku_id"
        " JOIN recall_scopes sc ON (sc.kind = 'sku' AND sc.value = k.id)"
        " OR (sc.kind = 'model' AND sc.value = k.model)"
        " JOIN recall_campaigns c ON c.id = sc.campaign_id"
        " WHERE b.in_transit > 0 AND l.store_id IS NOT NULL AND NOT k.serial_tracked"
        f" AND {active}",
        types,
    )
    return pl.concat([by_serial, by_quantity])


def _all_balances(conn: Connection) -> pl.DataFrame:
    return read_frame(
        conn,
        "SELECT l.store_id, l.warehouse_id, b.sku_id, b.on_hand, b.in_transit, b.reserved,"
        " b.held FROM balances b JOIN locations l ON l.id = b.location_id"
        f" WHERE b.location_id >= {FIRST_REAL_ID}",
        {
            "store_id": pl.String,
            "warehouse_id": pl.String,
            "sku_id": pl.String,
            "on_hand": pl.Int64,
            "in_transit": pl.Int64,
            "reserved": pl.Int64,
            "held": pl.Int64,
        },
    )


def _stock(network: PlanningNetwork, rows: pl.DataFrame, warehouse_ids: list[str] | None) -> Stock:
    pair = network.pair_of_ids(rows["store_id"], rows["sku_id"])
    listed = pair >= 0
    per_pair = {}
    for name in ("on_hand", "in_transit", "reserved"):
        values = np.zeros(network.n_pairs, np.int64)
        # Held units (quarantine) have left on hand already: not sellable, not counted.
        values[pair[listed]] = rows[name].to_numpy()[listed]
        per_pair[name] = values
    ids = network.warehouses if warehouse_ids is None else warehouse_ids
    free = rows.with_columns((pl.col("on_hand") - pl.col("reserved")).clip(0).alias("free"))
    warehouse = _per_cell(ids, network, free, "free", (len(ids), network.n_skus))
    return Stock(warehouse=warehouse, **per_pair)


def tree_from_db(
    conn: Connection,
    network: PlanningNetwork,
    default_lead_days: int,
    default_review_days: int,
    learned: pl.DataFrame | None = None,
) -> ChainTree:
    """The chain above the stores from the database: warehouses and their parents,
    lanes, and each SKU's primary supplier item. `learned` (supplier_id, sku_id,
    lead_days_mean, lead_days_sd), lead times learned from receipts, replaces the
    stated figures of the items it covers. Lanes missing from the table fall back to
    `default_lead_days` and `default_review_days`."""
    warehouses = read_frame(
        conn,
        "SELECT id, kind, parent_id FROM warehouses ORDER BY id",
        {"id": pl.String, "kind": pl.String, "parent_id": pl.String},
    )
    lanes = read_frame(
        conn,
        "SELECT from_id, to_id, lead_days_mean, lead_days_sd, review_days FROM lanes",
        {
            "from_id": pl.String,
            "to_id": pl.String,
            "lead_days_mean": pl.Float64,
            "lead_days_sd": pl.Float64,
            "review_days": pl.Int32,
        },
    )
    items = read_frame(
        conn,
        "SELECT supplier_id, sku_id, delivers_to, lead_days_mean, lead_days_sd, moq,"
        " case_pack, weekly_capacity, unit_cost_cents, order_days FROM supplier_items"
        " WHERE is_primary",
        {
            "supplier_id": pl.String,
            "sku_id": pl.String,
            "delivers_to": pl.String,
            "lead_days_mean": pl.Float64,
            "lead_days_sd": pl.Float64,
            "moq": pl.Int64,
            "case_pack": pl.Int64,
            "weekly_capacity": pl.Int64,
            "unit_cost_cents": pl.Int64,
            "order_days": pl.String,
        },
    )
    if learned is not None and learned.height:
        taught = learned.select(
            "supplier_id",
            "sku_id",
            pl.col("lead_days_mean").alias("learned_mean"),
            pl.col("lead_days_sd").alias("learned_sd"),
        )
        items = (
            items.join(taught, on=["supplier_id", "sku_id"], how="left")
            .with_columns(
                pl.coalesce("learned_mean", "lead_days_mean").alias("lead_days_mean"),
                pl.coalesce("learned_sd", "lead_days_sd").alias("lead_days_sd"),
            )
            .drop("learned_mean", "learned_sd")
        )
    return build_tree(network, warehouses, lanes, items, default_lead_days, default_review_days)


def chain_stock_from_db(
    conn: Connection,
    network: PlanningNetwork,
    tree: ChainTree,
    on_order: pl.DataFrame,
    week_start: date | None = None,
) -> ChainStock:
    """Stock now for the chain plan. Per pair as `stock_from_db`; per warehouse of the
    tree (`tree.warehouse_ids`, the central ones included): free stock (on hand -
    reserved), what is on its way to it (the ledger's in transit there), and
    `on_order` (warehouse_id, sku_id, units: open purchase-order units). With
    `week_start` (a date), what the plans for deliveries since then ordered of each
    SKU from suppliers, which counts against the supplier's weekly capacity (orders
    raised by hand are not counted: the plan's are the ones it can see coming)."""
    rows = _balance_rows(conn)
    stores = _stock(network, rows, tree.warehouse_ids)
    shape = (tree.n_warehouses, network.n_skus)
    ordered = None
    if week_start is not None:
        week = read_frame(
            conn,
            "SELECT l.sku_id, SUM(l.qty_ordered) AS units FROM purchase_order_lines l"
            " JOIN purchase_orders o ON o.id = l.po_id JOIN plans p ON p.id = o.plan_id"
            f" WHERE o.status <> 'cancelled' AND p.for_day >= '{week_start.isoformat()}'"
            " GROUP BY l.sku_id",
            {"sku_id": pl.String, "units": pl.Int64},
        )
        ordered = np.zeros(network.n_skus, np.int64)
        sku = index_of(week["sku_id"], network.sku_ids)
        ordered[sku[sku >= 0]] = week["units"].to_numpy()[sku >= 0]
    return ChainStock(
        stores=stores,
        warehouse_in_transit=_per_cell(tree.warehouse_ids, network, rows, "in_transit", shape),
        warehouse_on_order=_per_cell(tree.warehouse_ids, network, on_order, "units", shape),
        ordered_this_week=ordered,
    )


def _per_cell(
    warehouse_ids: list[str],
    network: PlanningNetwork,
    rows: pl.DataFrame,
    column: str,
    shape: tuple[int, int],
) -> np.ndarray:
    out = np.zeros(shape, np.int64)
    wh = index_of(rows["warehouse_id"], warehouse_ids)
    sku = index_of(rows["sku_id"], network.sku_ids)
    known = (wh >= 0) & (sku >= 0)
    np.add.at(out, (wh[known], sku[known]), rows[column].to_numpy()[known])
    return out
