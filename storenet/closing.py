"""The night's close of one day: its sales history and its daily figures.

Closing a day writes the day's Parquet history (storenet.sales.history) and, in the
same transaction, the day's net sales per store and category for attainment
(storenet.sales.net_days), one `store_days` row per store and one `region_days` row per region:
the sums the KPIs of DESIGN section 4 are ratios of (storenet.planning.kpi), so the
console reads any window and scope with a SUM instead of rescanning history.

Figures of a store for a day:
- units_sold, revenue_cents: POS sales of the day (returns are not netted: the KPIs
  count what left the shelf);
- on_hand_units: units on hand at the end of the day, summed over the store's pairs;
- listed_pairs, stockout_pairs: pairs in the assortment, and those that ended the day
  with nothing on hand;
- lost_units_est: an estimate of demand not served, each stock-out pair's mean daily
  sales over the last 28 days (fill rate = sold / (sold + lost) is reported as an
  estimate, as DESIGN section 4 asks);
- received_units: units that arrived from suppliers or transfers during the day;
- aged_units: units on hand of pairs with no sale in the last 60 days (this one
  included).
Rerunning a close replaces the day's rows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import Connection, DateTime, bindparam, delete, insert, select, text

from storenet.errors import Problem, Refused
from storenet.ledger.locations import SUPPLIER, TRANSIT
from storenet.sales.history import close_day as write_history
from storenet.sales.history import (
    closing_stock,
    day_sales,
    day_window,
    history_rows,
    read_history,
)
from storenet.sales.net_days import keep_net_sales
from storenet.store.bulk import analyze
from storenet.store.schema import day_closes, net_sales_days, region_days, store_days, stores

AGED_AFTER_DAYS = 60
RATE_WINDOW_DAYS = 28
FIGURES = (
    "units_sold",
    "revenue_cents",
    "lost_units_est",
    "on_hand_units",
    "received_units",
    "aged_units",
    "listed_pairs",
    "stockout_pairs",
)


def close_day(conn: Connection, history_dir: Path, day: date, tz: str) -> dict:
    """Close `day` (a calendar day in time zone `tz`): write its history file, record
    the close and write its figures per store and region. Rerunnable: a second run
    replaces the first's output.

    Refused when `day` is after today in `tz`: its sales are not in yet, and its
    figures would say nothing was sold. Today may be closed (and closed again later).

    Returns {"day", "file", "pairs", "units", "stores"}."""
    today = datetime.now(ZoneInfo(tz)).date()
    if day > today:
        reason = f"is after today ({today} in {tz}): only a day that has begun can be closed"
        raise Refused([Problem("day", reason, value=day.isoformat())])
    start, end = day_window(day, tz)
    sold = day_sales(conn, start, end)
    stock = closing_stock(conn, end)
    closed = write_history(conn, history_dir, day, tz, rows=history_rows(sold, stock, day))
    recent = read_history(history_dir, day - timedelta(days=AGED_AFTER_DAYS - 1), day)
    figures = store_figures(sold, stock, recent.collect(), received(conn, start, end), day)
    write_figures(conn, day, figures)
    keep_net_sales(conn, day, tz)
    analyze(conn, [day_closes.name, store_days.name, region_days.name, net_sales_days.name])
    return {**closed, "stores": figures.height}


def received(conn: Connection, start: datetime, end: datetime) -> pl.DataFrame:
    """Units that arrived at each store from a supplier or in transit between `start`
    and `end` (naive UTC): (store_id, received_units)."""
    rows = conn.execute(
        text(
            """
            SELECT l.store_id, SUM(m.qty) AS received_units
            FROM movements m JOIN locations l ON l.id = m.to_location
            WHERE l.store_id IS NOT NULL AND m.from_location IN (:supplier, :transit)
              AND m.occurred_at >= :start AND m.occurred_at < :end
            GROUP BY l.store_id
            """
        ).bindparams(bindparam("start", type_=DateTime()), bindparam("end", type_=DateTime())),
        {"start": start, "end": end, "supplier": SUPPLIER, "transit": TRANSIT},
    ).all()
    return pl.DataFrame(
        rows, schema={"store_id": pl.String, "received_units": pl.Int64}, orient="row"
    )


def store_figures(
    sold: pl.DataFrame,
    stock: pl.DataFrame,
    recent: pl.DataFrame,
    arrived: pl.DataFrame,
    day: date,
) -> pl.DataFrame:
    """One row per store with the figures of `day` (module docstring), from the day's
    sales (`day_sales`), closing stock (`closing_stock`), the history of the last 60
    days including `day` (`read_history` rows) and arrivals (`received`)."""
    rate_from = day - timedelta(days=RATE_WINDOW_DAYS - 1)
    by_pair = recent.group_by("store_id", "sku_id").agg(
        (pl.col("units").filter(pl.col("day") >= rate_from).sum() / RATE_WINDOW_DAYS).alias("rate"),
        (pl.col("units").sum() > 0).alias("sold_lately"),
    )
    pairs = (
        stock.join(by_pair, on=["store_id", "sku_id"], how="left")
        .with_columns(
            pl.col("rate").fill_null(0.0),
            pl.col("sold_lately").fill_null(False),
            pl.col("closing_on_hand").clip(lower_bound=0).alias("held"),
            ((pl.col("listed") == 1) & (pl.col("closing_on_hand") <= 0)).alias("out"),
        )
        .group_by("store_id")
        .agg(
            pl.col("held").sum().alias("on_hand_units"),
            pl.col("listed").sum().alias("listed_pairs"),
            pl.col("out").sum().alias("stockout_pairs"),
            pl.col("rate").filter(pl.col("out")).sum().alias("lost_units_est"),
            pl.col("held").filter(~pl.col("sold_lately")).sum().alias("aged_units"),
        )
    )
    sales = sold.group_by("store_id").agg(
        pl.col("units").sum().alias("units_sold"),
        pl.col("revenue_cents").sum(),
    )
    frame = (
        pairs.join(sales, on="store_id", how="full", coalesce=True)
        .join(arrived, on="store_id", how="left")
        .with_columns(pl.lit(day).alias("day"))
    )
    ints = [f for f in FIGURES if f != "lost_units_est"]
    return frame.select(
        "store_id",
        "day",
        *[pl.col(f).fill_null(0).cast(pl.Int64) for f in ints],
        pl.col("lost_units_est").fill_null(0.0).cast(pl.Float64),
    ).sort("store_id")


def write_figures(conn: Connection, day: date, figures: pl.DataFrame) -> None:
    """Replace the `store_days` and `region_days` rows of `day` with `figures`
    (from `store_figures`); stores unknown to the network are refused by the
    foreign key, so nothing half-written survives the transaction."""
    conn.execute(delete(store_days).where(store_days.c.day == day))
    conn.execute(delete(region_days).where(region_days.c.day == day))
    if figures.is_empty():
        return
    conn.execute(insert(store_days), figures.to_dicts())
    region_of = pl.DataFrame(
        conn.execute(select(stores.c.id, stores.c.region_id)).all(),
        schema={"store_id": pl.String, "region_id": pl.String},
        orient="row",
    )
    regions = (
        figures.join(region_of, on="store_id", how="inner")
        .group_by("region_id")
        .agg(pl.len().alias("stores"), *[pl.col(f).sum() for f in FIGURES])
        .with_columns(pl.lit(day).alias("day"))
    )
    conn.execute(insert(region_days), regions.to_dicts())
