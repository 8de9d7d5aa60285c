"""One store as the console shows it: who runs it, its stock and days of cover, what is
on its way, how it sells against the plan's forecast and its target, what to count.

Every query reads one store's rows through a primary key or index, aggregates in SQL
and limits lists, so a page costs the same on a 12-store demo and on the reference
network (12,000 stores, 6.7M store-SKU pairs). Sales rates come from the Parquet
history, reading only the month partitions that overlap the window and keeping only
this store's rows. Each function says what it costs on the reference network.

Definitions (DESIGN section 4): days of cover = units on hand now / average units sold
per day over the 28 closed days ending on the last closed day; target attainment =
month-to-date sales (`store_days.revenue_cents`, POS sales of the closed days of the
month) / the month's target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.orm import aliased

from storenet.errors import NotFound
from storenet.planning import kpi
from storenet.planning.cycle import PlanSettings
from storenet.reports.records import list_discrepancies
from storenet.sales.history import HISTORY_SCHEMA
from storenet.store.schema import (
    balances,
    cities,
    day_closes,
    franchisees,
    locations,
    plan_lines,
    plans,
    regions,
    skus,
    store_days,
    store_owners,
    store_targets,
    stores,
    transfer_lines,
    transfers,
)

COVER_WINDOW_DAYS = 28
SALES_CHART_DAYS = 90
INCOMING_LIMIT = 50
DISCREPANCY_LIMIT = 50
SKU_PAGE = 25


# --- arithmetic (pure; tests/unit/reports) -------------------------------------------


def days_of_cover(on_hand: int, units_sold: int, window_days: int) -> float | None:
    """Units on hand / average units sold per day over `window_days`.

    Negative on hand (sales recorded beyond the system's stock, waiting for a count)
    counts as nothing on the shelf: 0 days. None when nothing sold in the window (the
    cover is unbounded, not a number)."""
    if window_days <= 0 or units_sold <= 0:
        return None
    # DESIGN section 4's one definition (on hand now, the window's daily sales).
    return kpi.inventory_days(np.array([max(on_hand, 0)]), np.array([units_sold / window_days]))


def attainment(revenue_cents: int, target_cents: int | None) -> float | None:
    """Sales / target for the period; None when there is no target (or it is 0)."""
    if target_cents is None or target_cents <= 0:
        return None
    return revenue_cents / target_cents


# --- shared readers ------------------------------------------------------------------


def last_closed_day(conn: Connection) -> date | None:
    """The last day whose close was recorded (`day_closes`), or None. One index read."""
    return conn.execute(select(func.max(day_closes.c.day))).scalar()


def history_window(history_dir: Path, first: date, last: date) -> pl.LazyFrame:
    """History rows of days `first`..`last` (inclusive) as a lazy frame.

    Opens only the month partitions that overlap the window (at most two for 28 days,
    four for 90), not the 730 days of the reference history; the caller adds its store
    or SKU filter, which polars pushes into the scan (measured: ~15-30 ms for 28 days
    of 230k-row files filtered to one store or one SKU)."""
    files: list[str] = []
    month = first.replace(day=1)
    while month <= last:
        folder = history_dir / f"month={month:%Y-%m}"
        files.extend(sorted(str(p) for p in folder.glob("*.parquet")))
        month = (month + timedelta(days=32)).replace(day=1)
    if not files:
        return pl.DataFrame(schema=HISTORY_SCHEMA).lazy()
    return (
        pl.scan_parquet(files, hive_partitioning=False)
        .select([pl.col(name).cast(dtype) for name, dtype in HISTORY_SCHEMA.items()])
        .filter((pl.col("day") >= first) & (pl.col("day") <= last))
    )


def cover_window(last: date | None) -> tuple[date, date] | None:
    """The first and last day of the 28-day sales window ending on `last`."""
    if last is None:
        return None
    return last - timedelta(days=COVER_WINDOW_DAYS - 1), last


# --- the store page ------------------------------------------------------------------


@dataclass
class StoreHeader:
    """Who and where a store is."""

    id: str
    name: str
    format: str
    region_id: str
    region: str
    city: str
    province: str
    status: str
    opened_on: date | None
    closed_on: date | None
    owner: str  # the franchisee's name, or "HQ (directly run)"
    owner_since: date | None
    location_id: int | None


def store_header(conn: Connection, store_id: str) -> StoreHeader:
    """The store's header row with its current owner; NotFound for an unknown store.
    Cost: primary-key reads of stores, cities, regions, locations and the current
    owner (partial unique index ix_store_owners_current)."""
    owner = aliased(store_owners)
    row = conn.execute(
        select(
            stores,
            regions.c.name.label("region"),
            cities.c.name.label("city"),
            cities.c.province,
            franchisees.c.name.label("franchisee"),
            owner.c.valid_from.label("owner_since"),
            locations.c.id.label("location_id"),
        )
        .join(regions, regions.c.id == stores.c.region_id)
        .join(cities, cities.c.id == stores.c.city_id)
        .outerjoin(owner, and_(owner.c.store_id == stores.c.id, owner.c.valid_to.is_(None)))
        .outerjoin(franchisees, franchisees.c.id == owner.c.franchisee_id)
        .outerjoin(locations, locations.c.store_id == stores.c.id)
        .where(stores.c.id == store_id)
    ).first()
    if row is None:
        raise NotFound("store", store_id)
    return StoreHeader(
        id=row.id,
        name=row.name,
        format=row.format,
        region_id=row.region_id,
        region=row.region,
        city=row.city,
        province=row.province,
        status=row.status,
        opened_on=row.opened_on,
        closed_on=row.closed_on,
        owner=row.franchisee or "HQ (directly run)",
        owner_since=row.owner_since.date() if row.owner_since else None,
        location_id=row.location_id,
    )


@dataclass
class Cover:
    """Stock and days of cover of one category or one SKU at a store."""

    key: str  # category, or SKU id
    name: str  # category, or SKU name
    skus: int
    on_hand: int
    in_transit: int
    units_sold: int  # over the cover window
    window_days: int

    @property
    def units_per_day(self) -> float:
        """Average units sold per day over the window."""
        return self.units_sold / self.window_days if self.window_days else 0.0

    @property
    def days_of_cover(self) -> float | None:
        """On hand / average units sold per day (None: nothing sold)."""
        return days_of_cover(self.on_hand, self.units_sold, self.window_days)


def _store_sold(
    history_dir: Path, store_id: str, window: tuple[date, date] | None, sku_ids: list[str] | None
) -> dict[str, int]:
    """Units sold per SKU at the store over `window` (Parquet: this store's rows)."""
    if window is None:
        return {}
    frame = history_window(history_dir, *window).filter(pl.col("store_id") == store_id)
    if sku_ids is not None:
        frame = frame.filter(pl.col("sku_id").is_in(sku_ids))
    sold = frame.group_by("sku_id").agg(pl.col("units").sum()).collect()
    return {s: int(u) for s, u in sold.iter_rows() if u}


def stock_by_category(
    conn: Connection, history_dir: Path, store: StoreHeader, last: date | None
) -> list[Cover]:
    """Per category: SKUs held, units on hand and in transit to the store (balances),
    units sold over the 28 days to `last` (history) and days of cover; sorted by
    category. Categories the store sold but holds no balance of appear with 0 on hand.
    Cost: the store's balance rows by primary-key prefix (300-1,500 rows), the SKU
    table's id and category (2,000 rows), 28 days of history for one store (~20 ms)."""
    window = cover_window(last)
    days = COVER_WINDOW_DAYS if window else 0
    held: dict[str, list[int]] = {}
    if store.location_id is not None:
        rows = conn.execute(
            select(
                skus.c.category,
                func.count().label("n"),
                func.coalesce(func.sum(balances.c.on_hand), 0).label("on_hand"),
                func.coalesce(func.sum(balances.c.in_transit), 0).label("in_transit"),
            )
            .join(skus, skus.c.id == balances.c.sku_id)
            .where(balances.c.location_id == store.location_id)
            .group_by(skus.c.category)
        )
        held = {r.category: [int(r.n), int(r.on_hand), int(r.in_transit)] for r in rows}
    sold_by_sku = _store_sold(history_dir, store.id, window, None)
    sold: dict[str, int] = {}
    if sold_by_sku:
        category_of = dict(conn.execute(select(skus.c.id, skus.c.category)).all())
        for sku, units in sold_by_sku.items():
            cat = category_of.get(sku, "unknown")
            sold[cat] = sold.get(cat, 0) + units
    out = []
    for cat in sorted(set(held) | set(sold)):
        n, on_hand, in_transit = held.get(cat, [0, 0, 0])
        out.append(Cover(cat, cat, n, on_hand, in_transit, sold.get(cat, 0), days))
    return out


def sku_cover(
    conn: Connection,
    history_dir: Path,
    store: StoreHeader,
    category: str,
    last: date | None,
    limit: int = SKU_PAGE,
    offset: int = 0,
) -> list[Cover]:
    """The store's SKUs of `category` with a balance, by SKU id, `limit` + 1 rows from
    `offset` (the extra row says there is a next page), each with its days of cover.
    Cost: one page of the store's balances (primary-key prefix, joined to skus) and 28
    days of history for one store, filtered to the page's SKUs."""
    if store.location_id is None:
        return []
    rows = conn.execute(
        select(skus.c.id, skus.c.name, balances.c.on_hand, balances.c.in_transit)
        .join(skus, skus.c.id == balances.c.sku_id)
        .where(balances.c.location_id == store.location_id, skus.c.category == category)
        .order_by(skus.c.id)
        .limit(limit + 1)
        .offset(offset)
    ).all()
    window = cover_window(last)
    days = COVER_WINDOW_DAYS if window else 0
    sold = _store_sold(history_dir, store.id, window, [r.id for r in rows])
    return [
        Cover(r.id, r.name, 1, int(r.on_hand), int(r.in_transit), sold.get(r.id, 0), days)
        for r in rows
    ]


@dataclass
class Incoming:
    """A transfer to the store that has not arrived: a draft (planned, quantities
    requested) or shipped (in transit, quantities shipped)."""

    id: str
    source: str
    status: str
    created_at: object
    shipped_at: object
    lines: int
    expected_units: int


def incoming_transfers(
    conn: Connection, store: StoreHeader, limit: int = INCOMING_LIMIT
) -> list[Incoming]:
    """Transfers to the store with status draft or shipped, oldest first, `limit` + 1
    rows (the extra one says there are more). Expected units: shipped quantities once
    shipped, requested ones on a draft. Cost: the store's open transfers by
    `to_location` (needs an index on transfers (to_location, status); without it a
    scan of every transfer) and their lines by primary-key prefix."""
    if store.location_id is None:
        return []
    src = aliased(locations)
    expected = func.sum(func.coalesce(transfer_lines.c.qty_shipped, transfer_lines.c.qty_requested))
    rows = conn.execute(
        select(
            transfers.c.id,
            transfers.c.status,
            transfers.c.created_at,
            transfers.c.shipped_at,
            func.coalesce(src.c.store_id, src.c.warehouse_id).label("source"),
            func.count(transfer_lines.c.sku_id).label("lines"),
            func.coalesce(expected, 0).label("expected"),
        )
        .join(src, src.c.id == transfers.c.from_location)
        .outerjoin(transfer_lines, transfer_lines.c.transfer_id == transfers.c.id)
        .where(
            transfers.c.to_location == store.location_id,
            transfers.c.status.in_(("draft", "shipped")),
        )
        .group_by(
            transfers.c.id,
            transfers.c.status,
            transfers.c.created_at,
            transfers.c.shipped_at,
            src.c.store_id,
            src.c.warehouse_id,
        )
        .order_by(transfers.c.created_at, transfers.c.id)
        .limit(limit + 1)
    ).all()
    return [
        Incoming(
            r.id, r.source, r.status, r.created_at, r.shipped_at, int(r.lines), int(r.expected)
        )
        for r in rows
    ]


@dataclass
class PlanForecast:
    """What the latest plan expects this store to sell: the sum over the SKUs that
    have a line for the store in that plan (pairs that asked for stock, or receive a
    rebalancing move) of each pair's expected demand over the plan horizon (lead time
    + review period), and that sum per day of the horizon. Pairs without a line are
    not in it, so it is a floor of the store's expected sales, not all of them."""

    plan_id: str
    for_day: date
    status: str
    skus: int
    horizon_days: int
    expected_units: float

    @property
    def units_per_day(self) -> float:
        """Expected units per day of the horizon."""
        return self.expected_units / self.horizon_days if self.horizon_days else 0.0


def latest_plan(conn: Connection) -> tuple[str, date, str] | None:
    """(id, for_day, status) of the plan for the latest delivery day, or None. Cost:
    the plans table (one row per night)."""
    row = conn.execute(
        select(plans.c.id, plans.c.for_day, plans.c.status)
        .order_by(plans.c.for_day.desc(), plans.c.created_at.desc())
        .limit(1)
    ).first()
    return (row.id, row.for_day, row.status) if row else None


def plan_forecast(conn: Connection, store_id: str) -> PlanForecast | None:
    """The latest plan's forecast for the store (see PlanForecast), None without a
    plan. A pair with several lines (a replenishment and rebalancing moves) counts
    once. The horizon is the planner's default settings' lead + review days (plans
    do not record theirs). Cost: the store's lines of one plan through
    ix_plan_lines_plan_id_store_id (a few hundred rows)."""
    plan = latest_plan(conn)
    if plan is None:
        return None
    per_pair = (
        select(plan_lines.c.sku_id, func.max(plan_lines.c.forecast_mean).label("mean"))
        .where(plan_lines.c.plan_id == plan[0], plan_lines.c.store_id == store_id)
        .group_by(plan_lines.c.sku_id)
        .subquery()
    )
    n, total = conn.execute(
        select(func.count(), func.coalesce(func.sum(per_pair.c.mean), 0.0))
    ).one()
    settings = PlanSettings()
    return PlanForecast(
        plan[0], plan[1], plan[2], int(n), settings.lead_days + settings.review_days, float(total)
    )


@dataclass
class SalesDay:
    """One closed day of the store."""

    day: date
    units_sold: int
    revenue_cents: int


def sales_days(conn: Connection, store_id: str, last: date | None) -> list[SalesDay]:
    """The store's daily figures for the 90 days ending on `last`, by day (closed days
    only: a day the store has no row for is absent). Cost: a primary-key range of
    store_days (at most 90 rows)."""
    if last is None:
        return []
    rows = conn.execute(
        select(store_days.c.day, store_days.c.units_sold, store_days.c.revenue_cents)
        .where(
            store_days.c.store_id == store_id,
            store_days.c.day > last - timedelta(days=SALES_CHART_DAYS),
            store_days.c.day <= last,
        )
        .order_by(store_days.c.day)
    )
    return [SalesDay(r.day, int(r.units_sold), int(r.revenue_cents)) for r in rows]


@dataclass
class Attainment:
    """This month's target and month-to-date sales of one store."""

    month: date  # first day of the month
    through: date | None  # last closed day counted
    days_closed: int
    revenue_cents: int
    target_cents: int | None

    @property
    def share(self) -> float | None:
        """Month-to-date sales / target; None when no target is set."""
        return attainment(self.revenue_cents, self.target_cents)


def month_attainment(conn: Connection, store_id: str, last: date | None, today: date) -> Attainment:
    """The target of the month of the last closed day (of `today` when no day is
    closed) and the store's sales over the closed days of that month up to `last`.
    Cost: one primary-key read of store_targets, a primary-key range of store_days
    (at most 31 rows)."""
    month = (last or today).replace(day=1)
    target = conn.execute(
        select(store_targets.c.revenue_cents).where(
            store_targets.c.store_id == store_id, store_targets.c.month == month
        )
    ).scalar()
    revenue, n = 0, 0
    if last is not None:
        revenue, n = conn.execute(
            select(func.coalesce(func.sum(store_days.c.revenue_cents), 0), func.count()).where(
                store_days.c.store_id == store_id,
                store_days.c.day >= month,
                store_days.c.day <= last,
            )
        ).one()
    return Attainment(
        month, last, int(n), int(revenue), int(target) if target is not None else None
    )


@dataclass
class StorePage:
    """Everything the store page shows."""

    store: StoreHeader
    last_day: date | None
    cover_from: date | None
    categories: list[Cover]
    incoming: list[Incoming]
    more_incoming: bool
    sales: list[SalesDay]
    forecast: PlanForecast | None
    discrepancies: list[dict]
    more_discrepancies: bool
    target: Attainment
    # False for a caller who may not read stock (finance): the page then holds no
    # stock, transfers or discrepancies, and says so instead of showing them empty.
    stock_shown: bool = True
    totals: Cover = field(init=False)

    def __post_init__(self) -> None:
        window = COVER_WINDOW_DAYS if self.cover_from else 0
        self.totals = Cover(
            "all",
            "All categories",
            sum(c.skus for c in self.categories),
            sum(c.on_hand for c in self.categories),
            sum(c.in_transit for c in self.categories),
            sum(c.units_sold for c in self.categories),
            window,
        )


def store_page(
    conn: Connection, history_dir: Path, store_id: str, today: date, *, with_stock: bool = True
) -> StorePage:
    """The store page of `store_id` (NotFound if unknown). Access is the caller's
    business: check it first. Reads only; about a dozen indexed queries and 28 days of
    one store's history (see each reader's cost). `with_stock=False` (a caller who may
    read the store's sales and target but not its stock) reads no stock, transfer or
    discrepancy at all."""
    store = store_header(conn, store_id)
    last = last_closed_day(conn)
    if not with_stock:
        return StorePage(
            store=store,
            last_day=last,
            cover_from=None,
            categories=[],
            incoming=[],
            more_incoming=False,
            sales=sales_days(conn, store_id, last),
            forecast=plan_forecast(conn, store_id),
            discrepancies=[],
            more_discrepancies=False,
            target=month_attainment(conn, store_id, last, today),
            stock_shown=False,
        )
    window = cover_window(last)
    incoming = incoming_transfers(conn, store)
    found = list_discrepancies(conn, None, store_id, "open", DISCREPANCY_LIMIT, 0)
    return StorePage(
        store=store,
        last_day=last,
        cover_from=window[0] if window else None,
        categories=stock_by_category(conn, history_dir, store, last),
        incoming=incoming[:INCOMING_LIMIT],
        more_incoming=len(incoming) > INCOMING_LIMIT,
        sales=sales_days(conn, store_id, last),
        forecast=plan_forecast(conn, store_id),
        discrepancies=found[:DISCREPANCY_LIMIT],
        more_discrepancies=len(found) > DISCREPANCY_LIMIT,
        target=month_attainment(conn, store_id, last, today),
    )


# --- the stores list -----------------------------------------------------------------


@dataclass
class StoreRow:
    """One line of the stores list."""

    id: str
    name: str
    format: str
    region_id: str
    city: str
    status: str
    opened_on: date | None


@dataclass
class StoreList:
    """A page of the stores list, the number of stores that match, and the choices
    for the filters (regions the caller may see)."""

    rows: list[StoreRow]
    total: int
    regions: list[tuple[str, str]]


def find_stores(
    conn: Connection,
    visible: set[str] | None,
    text: str | None,
    region: str | None,
    format: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> StoreList:
    """Stores the caller may see (`visible`, None = all), matching `text` in their id,
    name or city name (case-insensitive substring) and the filters, by id: `limit`
    rows from `offset`, and how many match. Cost: at most a scan of the 12,000-row
    stores table joined to cities (a few ms) for the page and again for the count."""
    where = []
    if visible is not None:
        where.append(stores.c.id.in_(sorted(visible)))
    if text:
        needle = text.strip().lower()
        where.append(
            or_(
                func.lower(stores.c.id).contains(needle, autoescape=True),
                func.lower(stores.c.name).contains(needle, autoescape=True),
                func.lower(cities.c.name).contains(needle, autoescape=True),
            )
        )
    for column, value in (("region_id", region), ("format", format), ("status", status)):
        if value:
            where.append(stores.c[column] == value)
    base = select(stores.c.id).join(cities, cities.c.id == stores.c.city_id).where(*where)
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar() or 0
    rows = conn.execute(
        select(
            stores.c.id,
            stores.c.name,
            stores.c.format,
            stores.c.region_id,
            cities.c.name.label("city"),
            stores.c.status,
            stores.c.opened_on,
        )
        .join(cities, cities.c.id == stores.c.city_id)
        .where(*where)
        .order_by(stores.c.id)
        .limit(limit)
        .offset(offset)
    )
    scope = select(stores.c.region_id).distinct()
    if visible is not None:
        scope = scope.where(stores.c.id.in_(sorted(visible)))
    choices = conn.execute(
        select(regions.c.id, regions.c.name)
        .where(regions.c.id.in_(scope.scalar_subquery()))
        .order_by(regions.c.id)
    ).all()
    return StoreList(
        [StoreRow(**r._mapping) for r in rows], int(total), [(r.id, r.name) for r in choices]
    )
