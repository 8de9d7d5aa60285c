"""On order: the units open purchase orders still bring to each warehouse, which every
inventory position counts (DESIGN section 7: on hand + in transit + on order ...)."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, select

from storenet.purchasing.status import OPEN_STATUSES
from storenet.store.schema import purchase_order_lines, purchase_orders

SCHEMA = {"warehouse_id": pl.String, "sku_id": pl.String, "units": pl.Int64}


def on_order(conn: Connection) -> pl.DataFrame:
    """Open units per (warehouse_id, sku_id), as `units` (Int64, > 0 only), sorted.

    Over the lines of orders approved, sent, confirmed or partly received: per line
    (qty_confirmed once confirmed, else qty_ordered) - received - damaged - cancelled,
    floored at 0 (an over delivery does not make another line's units less on order),
    then summed. Drafts are not on order (nobody has agreed to buy them yet); closed
    and cancelled orders expect nothing more.
    """
    lines = purchase_order_lines
    q = (
        select(
            purchase_orders.c.warehouse_id,
            lines.c.sku_id,
            lines.c.qty_ordered,
            lines.c.qty_confirmed,
            lines.c.qty_received,
            lines.c.qty_damaged,
            lines.c.qty_cancelled,
        )
        .join(purchase_orders, purchase_orders.c.id == lines.c.po_id)
        .where(purchase_orders.c.status.in_(OPEN_STATUSES))
    )
    rows = conn.execute(q).all()
    if not rows:
        return pl.DataFrame(schema=SCHEMA)
    frame = pl.DataFrame(
        [tuple(r) for r in rows],
        schema={
            "warehouse_id": pl.String,
            "sku_id": pl.String,
            "qty_ordered": pl.Int64,
            "qty_confirmed": pl.Int64,
            "qty_received": pl.Int64,
            "qty_damaged": pl.Int64,
            "qty_cancelled": pl.Int64,
        },
        orient="row",
    )
    expected = pl.coalesce("qty_confirmed", "qty_ordered")
    left = expected - pl.col("qty_received") - pl.col("qty_damaged") - pl.col("qty_cancelled")
    return (
        frame.with_columns(units=pl.max_horizontal(left, pl.lit(0, pl.Int64)))
        .group_by("warehouse_id", "sku_id")
        .agg(pl.col("units").sum())
        .filter(pl.col("units") > 0)
        .sort("warehouse_id", "sku_id")
        .cast(SCHEMA)
    )
