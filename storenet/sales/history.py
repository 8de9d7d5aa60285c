"""Daily sales history: the columnar store the planner reads.

Closing a day aggregates that day's POS lines per (store, SKU), adds the stock left on
the shelf at the end of the day (so the planner knows which days were stock-outs and
censor demand), and writes one Parquet file per day under
``<history_dir>/month=YYYY-MM/day=YYYY-MM-DD.parquet`` (format: docs/data-formats.md).
Writing replaces the day's file whole, through a temporary file and a rename, so a
close can be rerun and is never half-visible. History never has to live as movement
rows: the ledger keeps the recent past, Parquet keeps years.

Days are calendar days in the market's time zone (settings: `market_tz`).
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import Connection, DateTime, bindparam, text

from storenet.ledger.locations import FIRST_REAL_ID
from storenet.store.clock import utc_now
from storenet.store.engine import upsert_for
from storenet.store.schema import day_closes

HISTORY_SCHEMA = {
    "store_id": pl.String,
    "sku_id": pl.String,
    "day": pl.Date,
    "units": pl.Int32,
    "returns": pl.Int32,
    "revenue_cents": pl.Int64,
    "closing_on_hand": pl.Int32,
    "demand": pl.Int32,
}


def day_window(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC (naive) start and end of calendar `day` in time zone `tz`."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone)
    end = start + timedelta(days=1)
    return (
        start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None),
        end.astimezone(ZoneInfo("UTC")).replace(tzinfo=None),
    )


def day_file(history_dir: Path, day: date) -> Path:
    """Where the history of `day` lives."""
    return history_dir / f"month={day:%Y-%m}" / f"day={day:%Y-%m-%d}.parquet"


def daily_rows(conn: Connection, day: date, tz: str) -> pl.DataFrame:
    """The history rows of `day`, per docs/data-formats.md, from the database.

    Sales and returns come from POS lines in the day's window; closing_on_hand is the
    store's on_hand at the end of the day (today's projection minus anything that
    happened after the window). Rows: pairs that sold or took returns, and listed
    pairs that ended the day with nothing on the shelf.
    """
    start, end = day_window(day, tz)
    return history_rows(day_sales(conn, start, end), closing_stock(conn, end), day)


def day_sales(conn: Connection, start: datetime, end: datetime) -> pl.DataFrame:
    """POS units sold and returned and sales revenue per (store_id, sku_id) between
    `start` and `end` (naive UTC)."""
    sales = conn.execute(
        text(
            """
            SELECT store_id, sku_id,
                   SUM(CASE WHEN kind = 'sale' THEN qty ELSE 0 END) AS units,
                   SUM(CASE WHEN kind = 'return' THEN qty ELSE 0 END) AS returns,
                   SUM(CASE WHEN kind = 'sale' THEN qty * unit_price_cents ELSE 0 END)
                     AS revenue_cents
            FROM sale_lines WHERE sold_at >= :start AND sold_at < :end
            GROUP BY store_id, sku_id
            """
        ).bindparams(bindparam("start", type_=DateTime()), bindparam("end", type_=DateTime())),
        {"start": start, "end": end},
    ).all()
    return pl.DataFrame(
        sales,
        schema={
            "store_id": pl.String,
            "sku_id": pl.String,
            "units": pl.Int64,
            "returns": pl.Int64,
            "revenue_cents": pl.Int64,
        },
        orient="row",
    )


def closing_stock(conn: Connection, end: datetime) -> pl.DataFrame:
    """Units on hand at `end` (naive UTC) for every store pair that has a balance or is
    listed: (store_id, sku_id, closing_on_hand, listed 0/1). Today's projection minus
    what entered after `end` plus what left after it."""
    closing = conn.execute(
        text(
            f"""
            SELECT l.store_id, b.sku_id,
                   b.on_hand - COALESCE(later.net, 0) AS closing_on_hand,
                   CASE WHEN a.sku_id IS NULL THEN 0 ELSE 1 END AS listed
            FROM balances b
            JOIN locations l ON l.id = b.location_id AND l.store_id IS NOT NULL
            LEFT JOIN assortment a ON a.store_id = l.store_id AND a.sku_id = b.sku_id
            LEFT JOIN (
                SELECT loc, sku_id, SUM(q) AS net FROM (
                    SELECT to_location AS loc, sku_id, qty AS q FROM movements
                      WHERE occurred_at >= :end AND to_location >= {FIRST_REAL_ID}
                    UNION ALL
                    SELECT from_location, sku_id, -qty FROM movements
                      WHERE occurred_at >= :end AND from_location >= {FIRST_REAL_ID}
                ) AS m GROUP BY loc, sku_id
            ) AS later ON later.loc = b.location_id AND later.sku_id = b.sku_id
            UNION ALL
            SELECT a.store_id, a.sku_id, 0, 1
            FROM assortment a
            JOIN locations l ON l.store_id = a.store_id
            LEFT JOIN balances b ON b.location_id = l.id AND b.sku_id = a.sku_id
            WHERE b.sku_id IS NULL
            """
        ).bindparams(bindparam("end", type_=DateTime())),
        {"end": end},
    ).all()
    return pl.DataFrame(
        closing,
        schema={
            "store_id": pl.String,
            "sku_id": pl.String,
            "closing_on_hand": pl.Int64,
            "listed": pl.Int64,
        },
        orient="row",
    )


def history_rows(sold: pl.DataFrame, stock: pl.DataFrame, day: date) -> pl.DataFrame:
    """The history rows of `day` from its sales (`day_sales`) and closing stock
    (`closing_stock`): pairs that sold or took returns, and listed pairs that ended
    the day with nothing on the shelf, sorted by (store_id, sku_id)."""
    rows = (
        stock.join(sold, on=["store_id", "sku_id"], how="full", coalesce=True)
        .with_columns(
            pl.col("units").fill_null(0),
            pl.col("returns").fill_null(0),
            pl.col("revenue_cents").fill_null(0),
            pl.col("closing_on_hand").fill_null(0),
            pl.col("listed").fill_null(0),
        )
        .filter(
            (pl.col("units") > 0)
            | (pl.col("returns") > 0)
            | ((pl.col("listed") == 1) & (pl.col("closing_on_hand") <= 0))
        )
        .with_columns(pl.lit(day).alias("day"), pl.lit(None, dtype=pl.Int32).alias("demand"))
    )
    return rows.select([pl.col(name).cast(dtype) for name, dtype in HISTORY_SCHEMA.items()]).sort(
        ["store_id", "sku_id"]
    )


def write_day(history_dir: Path, day: date, rows: pl.DataFrame) -> Path:
    """Write `rows` as the history of `day`, replacing any earlier file atomically."""
    target = day_file(history_dir, day)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".parquet.partial")
    rows.write_parquet(partial)
    os.replace(partial, target)
    return target


def close_day(
    conn: Connection, history_dir: Path, day: date, tz: str, rows: pl.DataFrame | None = None
) -> dict:
    """Close `day`: write its history file and record the close. Rerunnable.

    `rows` are the day's history rows when the caller has them already (else they are
    read with `daily_rows`). Returns {"day", "file", "pairs", "units"}.
    """
    if rows is None:
        rows = daily_rows(conn, day, tz)
    path = write_day(history_dir, day, rows)
    units = int(rows["units"].sum())
    stmt = upsert_for(conn)(day_closes).values(
        day=day, closed_at=utc_now(), pairs=rows.height, units=units
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[day_closes.c.day],
            set_={
                "closed_at": stmt.excluded.closed_at,
                "pairs": stmt.excluded.pairs,
                "units": stmt.excluded.units,
            },
        )
    )
    return {"day": day.isoformat(), "file": str(path), "pairs": rows.height, "units": units}


def read_history(
    history_dir: Path, start: date | None = None, end: date | None = None
) -> pl.LazyFrame:
    """All history rows between `start` and `end` (inclusive) as a lazy frame.

    Reads every Parquet file under the month partitions (one per day from closes, or
    one per month from the generator). `demand` is null where unknown.
    """
    files = sorted(str(p) for p in history_dir.glob("month=*/*.parquet"))
    if not files:
        return pl.DataFrame(schema=HISTORY_SCHEMA).lazy()
    frame = pl.scan_parquet(files, hive_partitioning=False).select(
        [pl.col(name).cast(dtype) for name, dtype in HISTORY_SCHEMA.items()]
    )
    if start is not None:
        frame = frame.filter(pl.col("day") >= start)
    if end is not None:
        frame = frame.filter(pl.col("day") <= end)
    return frame
