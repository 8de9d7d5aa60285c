"""Supplier lead times learned from receipts, so the plan stops trusting a stated
figure once the supplier's own record says otherwise.

A lead time is calendar days (fractional) from the order's `sent_at` to the first
receipt of a line: later receipts of the same line are back orders, whose delay says
more about the supplier's stock than about its lead time. Each (supplier, SKU) with at
least `min_receipts` such first receipts gets figures; fewer say too little.

The figures are shrunk towards the supplier item's stated ones, as a normal prior
worth `PRIOR_RECEIPTS` receipts would (a credibility weight): with n learned lead times
of mean m and sample variance s^2 (ddof 1), and the stated mean M and spread S,

    lead_days_mean = (n m + k M) / (n + k)
    lead_days_sd   = sqrt(((n - 1) s^2 + k S^2) / (n - 1 + k))

with k = PRIOR_RECEIPTS. Five receipts move the figure half way from the brand's
number to the supplier's record; fifty, 91%. A SKU bought from a supplier with no
stated figure (no supplier item) gets its learned figures as they are.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, func, select

from storenet.store.schema import (
    purchase_order_lines,
    purchase_order_receipts,
    purchase_orders,
    supplier_items,
)

PRIOR_RECEIPTS = 5
SCHEMA = {
    "supplier_id": pl.String,
    "sku_id": pl.String,
    "receipts": pl.Int64,
    "lead_days_mean": pl.Float64,
    "lead_days_sd": pl.Float64,
}


def first_receipts(conn: Connection) -> pl.DataFrame:
    """One row per received order line of a sent order: supplier_id, sku_id and
    `lead_days` (first receipt's received_at - sent_at, in days)."""
    first = (
        select(
            purchase_order_receipts.c.po_id,
            purchase_order_receipts.c.line_no,
            func.min(purchase_order_receipts.c.received_at).label("received_at"),
        )
        .group_by(purchase_order_receipts.c.po_id, purchase_order_receipts.c.line_no)
        .subquery()
    )
    q = (
        select(
            purchase_orders.c.supplier_id,
            purchase_order_lines.c.sku_id,
            purchase_orders.c.sent_at,
            first.c.received_at,
        )
        .join(purchase_orders, purchase_orders.c.id == first.c.po_id)
        .join(
            purchase_order_lines,
            (purchase_order_lines.c.po_id == first.c.po_id)
            & (purchase_order_lines.c.line_no == first.c.line_no),
        )
        .where(purchase_orders.c.sent_at.is_not(None))
    )
    rows = [
        (r.supplier_id, r.sku_id, (r.received_at - r.sent_at).total_seconds() / 86400)
        for r in conn.execute(q)
    ]
    return pl.DataFrame(
        rows,
        schema={"supplier_id": pl.String, "sku_id": pl.String, "lead_days": pl.Float64},
        orient="row",
    )


def learned_lead_times(conn: Connection, min_receipts: int = 5) -> pl.DataFrame:
    """Per (supplier_id, sku_id) with at least `min_receipts` first receipts:
    `receipts` (n), `lead_days_mean` and `lead_days_sd` in days, shrunk towards the
    supplier item's stated figures (module docstring). Sorted by supplier, SKU."""
    seen = first_receipts(conn)
    if seen.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    learned = (
        seen.group_by("supplier_id", "sku_id")
        .agg(
            n=pl.len().cast(pl.Int64),
            m=pl.col("lead_days").mean(),
            var=pl.col("lead_days").var(ddof=1).fill_null(0.0),
        )
        .filter(pl.col("n") >= min_receipts)
    )
    stated = pl.DataFrame(
        [
            tuple(r)
            for r in conn.execute(
                select(
                    supplier_items.c.supplier_id,
                    supplier_items.c.sku_id,
                    supplier_items.c.lead_days_mean,
                    supplier_items.c.lead_days_sd,
                )
            )
        ],
        schema={"supplier_id": pl.String, "sku_id": pl.String, "M": pl.Float64, "S": pl.Float64},
        orient="row",
    )
    k = float(PRIOR_RECEIPTS)
    n = pl.col("n").cast(pl.Float64)
    has_prior = pl.col("M").is_not_null()
    mean = pl.when(has_prior).then((n * pl.col("m") + k * pl.col("M")) / (n + k))
    var = pl.when(has_prior).then(((n - 1) * pl.col("var") + k * pl.col("S") ** 2) / (n - 1 + k))
    return (
        learned.join(stated, on=["supplier_id", "sku_id"], how="left")
        .select(
            "supplier_id",
            "sku_id",
            receipts=pl.col("n"),
            lead_days_mean=mean.otherwise(pl.col("m")),
            lead_days_sd=var.otherwise(pl.col("var")).sqrt(),
        )
        .sort("supplier_id", "sku_id")
        .cast(SCHEMA)
    )
