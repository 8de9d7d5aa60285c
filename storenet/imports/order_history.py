"""Writing the purchase-order history of a folder: orders placed before the cut-over,
closed ones (received before the opening stock) with their receipts, and open ones
(status confirmed: sent, confirmed, nothing received yet), which are on order.

History is added, never rewritten: an order already stored is left alone with its
lines and receipts, whatever happened to it since (so importing the same folder twice
writes nothing the second time). For a new order:

- its lines' qty_confirmed is qty_ordered; a closed order's qty_received and
  qty_damaged are the sums of its receipts and the rest of each line (ordered -
  received - damaged, never below 0) is cancelled; an open order's counters are 0;
- its transitions tell its life: draft -> approved -> sent -> confirmed on the day it
  was ordered; a closed order then -> closed on the day of its last receipt (via
  partly_received on its first receipt day when it arrived on several days; on the
  order day when nothing arrived);
- its receipts carry no ledger movement (movement_id NULL): their units are already in
  the opening stock, which is what the ledger starts from.

Days are stored as that day's 00:00 UTC.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from sqlalchemy import Connection

from storenet.imports.parse import DTYPES
from storenet.imports.read import ROW, TableFile
from storenet.imports.report import TableCounts
from storenet.imports.tables import SPEC_BY_NAME
from storenet.store.bulk import insert_frame, read_frame, temp_values
from storenet.store.schema import (
    purchase_order_lines,
    purchase_order_receipts,
    purchase_order_transitions,
    purchase_orders,
)

Tell = Callable[[str, int, int], None]
IMPORTED_BY = "import"
REASON = "purchase order from before the cut-over, imported"
NAMES = ("purchase_orders", "purchase_order_lines", "purchase_order_receipts")


def write_order_history(
    conn: Connection, files: dict[str, TableFile], tell: Tell
) -> dict[str, TableCounts]:
    """Insert the folder's orders that are not stored yet, with their lines,
    transitions and receipts (typed, checked `files`). Returns counts for the three
    files and for purchase_order_transitions (inserted only); {} without orders."""
    if "purchase_orders" not in files:
        return {}
    orders = files["purchase_orders"].frame.drop(ROW)
    lines = _frame(files, "purchase_order_lines")
    receipts = _frame(files, "purchase_order_receipts")
    stored = _stored_ids(conn, orders["id"])
    new = orders.join(stored, on="id", how="anti")
    new_ids = new.select(pl.col("id").alias("po_id"))
    new_lines = lines.join(new_ids, on="po_id", how="semi")
    new_receipts = receipts.join(new_ids, on="po_id", how="semi").with_columns(
        pl.col("received_on").cast(pl.Datetime("us")).alias("received_at")
    )
    tell("write purchase orders", 0, 1)
    insert_frame(conn, purchase_orders, _orders(new))
    insert_frame(conn, purchase_order_lines, _lines(new_lines, new_receipts, new))
    transitions = _transitions(new, new_receipts)
    insert_frame(conn, purchase_order_transitions, transitions)
    insert_frame(
        conn,
        purchase_order_receipts,
        new_receipts.select(
            "po_id",
            "line_no",
            "received_at",
            "qty_good",
            "qty_damaged",
            "delivery_note",
            pl.lit(IMPORTED_BY).alias("recorded_by"),
        ),
    )
    tell("write purchase orders", 1, 1)

    def counts(read: int, inserted: int) -> TableCounts:
        return TableCounts(read=read, inserted=inserted, unchanged=read - inserted)

    out = {
        "purchase_orders": counts(orders.height, new.height),
        "purchase_order_lines": counts(lines.height, new_lines.height),
        "purchase_order_receipts": counts(receipts.height, new_receipts.height),
        "purchase_order_transitions": TableCounts(
            read=transitions.height, inserted=transitions.height
        ),
    }
    return {name: c for name, c in out.items() if name in files or name.endswith("transitions")}


def _frame(files: dict[str, TableFile], name: str) -> pl.DataFrame:
    if name in files:
        return files[name].frame.drop(ROW)
    spec = SPEC_BY_NAME[name]
    return pl.DataFrame(schema={f.name: DTYPES[f.kind] for f in spec.fields})


def _stored_ids(conn: Connection, ids: pl.Series) -> pl.DataFrame:
    empty = pl.DataFrame(schema={"id": pl.String})
    ids = ids.drop_nulls()
    if ids.len() == 0:
        return empty
    with temp_values(conn, ids) as wanted:
        return read_frame(
            conn,
            f"SELECT o.id FROM {wanted} AS w JOIN purchase_orders AS o ON o.id = w.value",
            {"id": pl.String()},
        )


def _orders(new: pl.DataFrame) -> pl.DataFrame:
    at = pl.col("ordered_on").cast(pl.Datetime("us"))
    return new.select(
        "id",
        "supplier_id",
        "warehouse_id",
        "status",
        "currency",
        at.alias("created_at"),
        pl.lit(IMPORTED_BY).alias("created_by"),
        at.alias("sent_at"),
    )


def _lines(lines: pl.DataFrame, receipts: pl.DataFrame, orders: pl.DataFrame) -> pl.DataFrame:
    received = receipts.group_by("po_id", "line_no").agg(
        pl.col("qty_good").sum().alias("qty_received"),
        pl.col("qty_damaged").sum().alias("qty_damaged"),
    )
    status = orders.select(pl.col("id").alias("po_id"), "status")
    counted = (
        lines.join(received, on=["po_id", "line_no"], how="left")
        .join(status, on="po_id", how="left")
        .with_columns(pl.col("qty_received").fill_null(0), pl.col("qty_damaged").fill_null(0))
    )
    rest = pl.col("qty_ordered") - pl.col("qty_received") - pl.col("qty_damaged")
    rest = pl.when(pl.col("status") == "closed").then(rest).otherwise(0)
    return counted.select(
        "po_id",
        "line_no",
        "sku_id",
        "qty_ordered",
        pl.col("unit_cost").alias("unit_cost_cents"),
        pl.col("qty_ordered").alias("qty_confirmed"),
        "promised_on",
        "qty_received",
        "qty_damaged",
        pl.max_horizontal(rest, pl.lit(0)).alias("qty_cancelled"),
    )


def _transitions(orders: pl.DataFrame, receipts: pl.DataFrame) -> pl.DataFrame:
    """The dated status changes of each new order (see the module docstring)."""
    days = receipts.group_by("po_id").agg(
        pl.col("received_at").min().alias("first"),
        pl.col("received_at").max().alias("last"),
    )
    o = orders.select(
        pl.col("id").alias("po_id"),
        pl.col("ordered_on").cast(pl.Datetime("us")).alias("sent"),
        "status",
    ).join(days, on="po_id", how="left")
    closed = o.filter(pl.col("status") == "closed")
    split = pl.col("first") < pl.col("last")

    def step(frame: pl.DataFrame, at: pl.Expr, before: str, after: str, rank: int) -> pl.DataFrame:
        return frame.select(
            "po_id",
            at.alias("at"),
            pl.lit(before).alias("from_status"),
            pl.lit(after).alias("to_status"),
            pl.lit(rank).alias("rank"),
        )

    parts = [
        step(o, pl.col("sent"), "draft", "approved", 0),
        step(o, pl.col("sent"), "approved", "sent", 1),
        step(o, pl.col("sent"), "sent", "confirmed", 2),
        step(closed.filter(split), pl.col("first"), "confirmed", "partly_received", 3),
        step(closed.filter(split), pl.col("last"), "partly_received", "closed", 4),
        step(
            closed.filter(~split.fill_null(False)),
            pl.coalesce(pl.col("last"), pl.col("sent")),
            "confirmed",
            "closed",
            4,
        ),
    ]
    return (
        pl.concat(parts)
        .sort("po_id", "rank")
        .drop("rank")
        .with_columns(pl.lit(IMPORTED_BY).alias("by"), pl.lit(REASON).alias("reason"))
    )
