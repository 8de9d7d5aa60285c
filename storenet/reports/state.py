"""The network's state at a glance: stores by region and format, stock and days of
cover by category, open discrepancies.

Days of cover follows DESIGN section 4: units on hand / average units sold per day,
here over the 28 days of history ending on the state's day (on hand is today's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, func, select, text

from storenet.sales.history import read_history
from storenet.store.schema import day_closes, discrepancies, stores

COVER_WINDOW_DAYS = 28


@dataclass
class CategoryStock:
    """Stock of one category: units in stores and warehouses, sales rate, cover."""

    category: str
    store_units: int
    warehouse_units: int
    in_transit: int
    units_per_day: float

    @property
    def store_days_of_cover(self) -> float | None:
        """Store units on hand / average units sold per day; None without sales."""
        return self.store_units / self.units_per_day if self.units_per_day > 0 else None


@dataclass
class NetworkState:
    """What `storenet status` shows."""

    day: date | None
    stores_by_region_format: dict[tuple[str, str], int]
    stores_by_status: dict[str, int]
    stock: list[CategoryStock]
    open_discrepancies: dict[str, int]
    oldest_discrepancies: list[dict] = field(default_factory=list)


def network_state(conn: Connection, history_dir: Path, day: date | None = None) -> NetworkState:
    """Summarise the network as of `day` (default: the last closed day, else the last
    day of history). Reads the database and the Parquet history; writes nothing."""
    by_rf = {
        (r.region_id, r.format): r.n
        for r in conn.execute(
            select(stores.c.region_id, stores.c.format, func.count().label("n"))
            .where(stores.c.status == "open")
            .group_by(stores.c.region_id, stores.c.format)
        )
    }
    by_status = {
        r.status: r.n
        for r in conn.execute(
            select(stores.c.status, func.count().label("n")).group_by(stores.c.status)
        )
    }
    history = read_history(history_dir)
    if day is None:
        day = conn.execute(select(func.max(day_closes.c.day))).scalar()
    if day is None:
        day = history.select(pl.col("day").max()).collect().item()
    rates: dict[str, float] = {}
    if day is not None:
        start = day - timedelta(days=COVER_WINDOW_DAYS - 1)
        sold = (
            history.filter((pl.col("day") >= start) & (pl.col("day") <= day))
            .group_by("sku_id")
            .agg(pl.col("units").sum())
            .collect()
        )
        category = dict(conn.execute(text("SELECT id, category FROM skus")).all())
        for sku, units in sold.iter_rows():
            cat = category.get(sku, "unknown")
            rates[cat] = rates.get(cat, 0.0) + units / COVER_WINDOW_DAYS
    stock_rows = conn.execute(
        text(
            """
            SELECT k.category,
                   SUM(CASE WHEN l.kind = 'store' THEN b.on_hand ELSE 0 END) AS store_units,
                   SUM(CASE WHEN l.kind = 'warehouse' THEN b.on_hand ELSE 0 END) AS wh_units,
                   SUM(b.in_transit) AS in_transit
            FROM balances b
            JOIN locations l ON l.id = b.location_id
            JOIN skus k ON k.id = b.sku_id
            GROUP BY k.category ORDER BY k.category
            """
        )
    ).all()
    stock = [
        CategoryStock(
            r.category,
            int(r.store_units),
            int(r.wh_units),
            int(r.in_transit),
            rates.get(r.category, 0.0),
        )
        for r in stock_rows
    ]
    open_counts = {
        r.kind: r.n
        for r in conn.execute(
            select(discrepancies.c.kind, func.count().label("n"))
            .where(discrepancies.c.status == "open")
            .group_by(discrepancies.c.kind)
        )
    }
    oldest = [
        r._asdict()
        for r in conn.execute(
            text(
                """
                SELECT d.id, d.kind, COALESCE(l.store_id, l.warehouse_id) AS location,
                       d.sku_id, d.serial, d.opened_at, d.detail
                FROM discrepancies d JOIN locations l ON l.id = d.location_id
                WHERE d.status = 'open' ORDER BY d.id LIMIT 5
                """
            )
        )
    ]
    return NetworkState(day, by_rf, by_status, stock, open_counts, oldest)
