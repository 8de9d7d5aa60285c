"""Where the planner's inputs come from: files written by `storenet generate` (or a
brand's import folder). Stock from the database comes with the plan documents.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from storenet.planning.cycle import Stock
from storenet.planning.network import PlanningNetwork


def stock_from_master(network: PlanningNetwork, master_dir: Path) -> Stock:
    """Stock from `opening_stock` in `master_dir` (location_id, sku_id, qty): store
    rows go to their pair's on hand (rows of unlisted pairs are ignored), warehouse
    rows to the warehouse x SKU matrix. Nothing in transit or reserved."""
    path = Path(master_dir) / "opening_stock.parquet"
    rows = pl.read_parquet(path) if path.exists() else pl.read_csv(path.with_suffix(".csv"))
    stores = pl.DataFrame({"location_id": network.store_ids, "store": np.arange(network.n_stores)})
    whs = pl.DataFrame(
        {"location_id": network.warehouses, "wh": np.arange(len(network.warehouses))}
    )
    skus = pl.DataFrame({"sku_id": network.sku_ids, "sku": np.arange(network.n_skus)})
    rows = rows.with_columns(
        pl.col("location_id").cast(pl.String), pl.col("sku_id").cast(pl.String)
    )
    rows = rows.join(skus, on="sku_id", how="inner")
    at_store = rows.join(stores, on="location_id", how="inner")
    pair = network.pair_index(at_store["store"].to_numpy(), at_store["sku"].to_numpy())
    listed = pair >= 0
    on_hand = np.zeros(network.n_pairs, np.int64)
    np.add.at(on_hand, pair[listed], at_store["qty"].to_numpy()[listed])
    at_wh = rows.join(whs, on="location_id", how="inner")
    warehouse = np.zeros((len(network.warehouses), network.n_skus), np.int64)
    np.add.at(warehouse, (at_wh["wh"].to_numpy(), at_wh["sku"].to_numpy()), at_wh["qty"].to_numpy())
    zero = np.zeros(network.n_pairs, np.int64)
    return Stock(on_hand=on_hand, in_transit=zero, reserved=zero.copy(), warehouse=warehouse)
