"""Where the planner's inputs come from: the database (what `storenet plan` uses), or
the files written by `storenet generate` (benchmarks and the simulator).

Reads are columnar: whole tables into polars frames (`read_frame` streams them with
COPY on PostgreSQL), then arrays; nothing loops over pairs in Python.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Connection

from storenet.ledger.locations import FIRST_REAL_ID
from storenet.planning.cycle import Stock
from storenet.planning.network import PlanningNetwork, build_network, index_of
from storenet.store.bulk import read_frame


def stock_from_master(network: PlanningNetwork, master_dir: Path) -> Stock:
    """Stock from `opening_stock` in `master_dir` (location_id, sku_id, qty): store
    rows go to their pair's on hand (rows of unlisted pairs are ignored), warehouse
    rows to the warehouse x SKU matrix. Nothing in transit or reserved."""
    path = Path(master_dir) / "opening_stock.parquet"
    rows = pl.read_parquet(path) if path.exists() else pl.read_csv(path.with_suffix(".csv"))
    location, sku = rows["location_id"], index_of(rows["sku_id"], network.sku_ids)
    pair = network.pair_of_ids(location, rows["sku_id"])
    qty = rows["qty"].to_numpy()
    on_hand = np.zeros(network.n_pairs, np.int64)
    np.add.at(on_hand, pair[pair >= 0], qty[pair >= 0])
    wh = index_of(location, network.warehouses)
    at_wh = (wh >= 0) & (sku >= 0)
    warehouse = np.zeros((len(network.warehouses), network.n_skus), np.int64)
    np.add.at(warehouse, (wh[at_wh], sku[at_wh]), qty[at_wh])
    zero = np.zeros(network.n_pairs, np.int64)
    return Stock(on_hand=on_hand, in_transit=zero, reserved=zero.copy(), warehouse=warehouse)


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


def stock_from_db(conn: Connection, network: PlanningNetwork) -> Stock:
    """Stock now, from the ledger's balances: per listed pair on hand, in transit and
    reserved; per warehouse x SKU what is free to ship (on hand - reserved)."""
    rows = read_frame(
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
    pair = network.pair_of_ids(rows["store_id"], rows["sku_id"])
    listed = pair >= 0
    per_pair = {}
    for name in ("on_hand", "in_transit", "reserved"):
        values = np.zeros(network.n_pairs, np.int64)
        # Held units (quarantine) have left on hand already: not sellable, not counted.
        values[pair[listed]] = rows[name].to_numpy()[listed]
        per_pair[name] = values
    wh = index_of(rows["warehouse_id"], network.warehouses)
    sku = index_of(rows["sku_id"], network.sku_ids)
    at_wh = (wh >= 0) & (sku >= 0)
    free = (rows["on_hand"] - rows["reserved"]).to_numpy()[at_wh]
    warehouse = np.zeros((len(network.warehouses), network.n_skus), np.int64)
    warehouse[wh[at_wh], sku[at_wh]] = np.maximum(free, 0)
    return Stock(warehouse=warehouse, **per_pair)
