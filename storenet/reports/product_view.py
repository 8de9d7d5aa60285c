"""One SKU as the console shows it: what it is, where its units are, how it sells
through by region, what the latest plan allocates of it, and where a serial is.

Scope: callers pass `visible`, the stores the caller may see (None: every store, for
network-wide roles). A scoped caller's figures are over their stores only, and the
warehouse total (network stock they may not see) is left out (None).

Every query reads one SKU's rows; each function says what it costs on the reference
network (12,000 stores, 2,000 SKUs, 6.7M balance rows, ~1M sale movements a day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Connection, case, func, literal_column, or_, select

from storenet.accounts.errors import Denied
from storenet.errors import NotFound
from storenet.ledger.locations import SUPPLIER, TRANSIT
from storenet.ledger.serials import find_serial, serial_history
from storenet.planning import kpi
from storenet.planning.documents import of_sku
from storenet.reports.records import get_sku, sku_stock
from storenet.reports.store_view import (
    COVER_WINDOW_DAYS,
    cover_window,
    history_window,
    last_closed_day,
    latest_plan,
)
from storenet.sales.history import day_window
from storenet.store.schema import (
    balances,
    locations,
    movements,
    plan_lines,
    regions,
    skus,
    stores,
    warehouses,
)

LAUNCH_WINDOW_DAYS = 28
SERIAL_MOVES_SHOWN = 20
HOLDERS_PAGE = 50


def sell_through(units_sold: int, units_received: int) -> float | None:
    """Units sold / units received over the same window (DESIGN section 4); None when
    nothing was received (the ratio is undefined, not infinite)."""
    if units_received <= 0:
        return None
    return kpi.sell_through(np.array([units_sold]), np.array([units_received]))


# --- the catalog ---------------------------------------------------------------------


@dataclass
class SkuRow:
    """One line of the catalog."""

    id: str
    name: str
    category: str
    model: str
    variant: str
    launch_on: date
    eol_on: date | None
    price_cents: int
    serial_tracked: bool


@dataclass
class Catalog:
    """A page of the catalog, how many SKUs match, and the categories to filter by."""

    rows: list[SkuRow]
    total: int
    categories: list[str]


def search_skus(
    conn: Connection, text: str | None, category: str | None, limit: int, offset: int
) -> Catalog:
    """SKUs whose id, name or model contains `text` (case-insensitive), of `category`
    when given, by id: `limit` rows from `offset` and the number that match. The
    catalog is not scoped (every role may read it). Cost: a scan of the 2,000-row
    skus table, twice (page and count), and its categories."""
    where = []
    if text:
        needle = text.strip().lower()
        where.append(
            or_(
                func.lower(skus.c.id).contains(needle, autoescape=True),
                func.lower(skus.c.name).contains(needle, autoescape=True),
                func.lower(skus.c.model).contains(needle, autoescape=True),
            )
        )
    if category:
        where.append(skus.c.category == category)
    total = conn.execute(select(func.count()).select_from(skus).where(*where)).scalar() or 0
    rows = conn.execute(
        select(*[skus.c[f] for f in SkuRow.__dataclass_fields__])
        .where(*where)
        .order_by(skus.c.id)
        .limit(limit)
        .offset(offset)
    )
    categories = list(
        conn.execute(select(skus.c.category).distinct().order_by(skus.c.category)).scalars()
    )
    return Catalog([SkuRow(**r._mapping) for r in rows], int(total), categories)


# --- the product page ----------------------------------------------------------------


@dataclass
class SkuHeader:
    """What the SKU is."""

    id: str
    name: str
    category: str
    model: str
    variant: str
    launch_on: date
    eol_on: date | None
    successor_id: str | None
    successor_name: str | None
    pack_size: int
    price_cents: int
    serial_tracked: bool


def sku_header(conn: Connection, sku_id: str) -> SkuHeader:
    """The SKU and its successor's name; NotFound for an unknown SKU. Cost: two
    primary-key reads."""
    sku = get_sku(conn, sku_id)
    successor = None
    if sku["successor_id"]:
        successor = conn.execute(
            select(skus.c.name).where(skus.c.id == sku["successor_id"])
        ).scalar()
    return SkuHeader(
        **{k: sku[k] for k in SkuHeader.__dataclass_fields__ if k in sku},
        successor_name=successor,
    )


@dataclass
class Whereabouts:
    """Units of the SKU on hand in warehouses (None: not the caller's to see), on hand
    in stores, and in transit to those places (counted at the destination)."""

    warehouse_units: int | None
    store_units: int
    in_transit: int
    locations: int


def whereabouts(conn: Connection, sku_id: str, visible: set[str] | None) -> Whereabouts:
    """Totals of the SKU's balances: over every location for network-wide callers,
    over `visible` stores (no warehouses) for scoped ones. Cost: the SKU's balance
    rows (~3,400 on average) — needs an index on balances (sku_id); without it a scan
    of the 6.7M-row table."""
    is_wh = locations.c.warehouse_id.is_not(None)
    q = (
        select(
            func.coalesce(func.sum(case((is_wh, balances.c.on_hand), else_=0)), 0),
            func.coalesce(func.sum(case((is_wh, 0), else_=balances.c.on_hand)), 0),
            func.coalesce(func.sum(balances.c.in_transit), 0),
            func.count(),
        )
        .join(locations, locations.c.id == balances.c.location_id)
        .where(balances.c.sku_id == sku_id)
    )
    if visible is not None:
        q = q.where(locations.c.store_id.in_(sorted(visible)))
    wh, st, transit, n = conn.execute(q).one()
    return Whereabouts(None if visible is not None else int(wh), int(st), int(transit), int(n))


@dataclass
class RegionSellThrough:
    """Sell-through of the SKU in one region over the window."""

    region_id: str
    region: str
    units_sold: int  # POS sales, from the daily sales history
    units_received: int  # arrivals at stores from suppliers or transfers, from the ledger

    @property
    def sell_through(self) -> float | None:
        """Units sold / units received (None: nothing received)."""
        return sell_through(self.units_sold, self.units_received)


def sell_through_by_region(
    conn: Connection,
    history_dir: Path,
    sku_id: str,
    visible: set[str] | None,
    window: tuple[date, date],
    tz: str,
) -> list[RegionSellThrough]:
    """Per region (of the stores in `visible`), over the closed days of `window`: units
    of the SKU sold at its stores (the Parquet history, what `store_days.units_sold`
    sums) and units that arrived at its stores from a supplier or in transit (ledger
    movements, what `store_days.received_units` sums). Regions with neither are left
    out; sorted by region id.

    Cost: 28 days of history filtered to one SKU (~25 ms), the stores' region map
    (12,000 rows) and the SKU's arrivals in the window — needs an index on movements
    (sku_id, occurred_at); without it every movement of the window (~30M) is read."""
    sold_rows = (
        history_window(history_dir, *window)
        .filter(pl.col("sku_id") == sku_id)
        .group_by("store_id")
        .agg(pl.col("units").sum())
        .collect()
    )
    region_q = select(stores.c.id, stores.c.region_id)
    if visible is not None:
        region_q = region_q.where(stores.c.id.in_(sorted(visible)))
    region_of = dict(conn.execute(region_q).all())
    sold: dict[str, int] = {}
    for store, units in sold_rows.iter_rows():
        region = region_of.get(store)
        if region is not None and units:
            sold[region] = sold.get(region, 0) + int(units)
    start, _ = day_window(window[0], tz)
    _, end = day_window(window[1], tz)
    q = (
        select(stores.c.region_id, func.sum(movements.c.qty).label("units"))
        .select_from(movements)
        .join(locations, locations.c.id == movements.c.to_location)
        .join(stores, stores.c.id == locations.c.store_id)
        .where(
            movements.c.sku_id == sku_id,
            # Constants, not parameters: the partial index ix_movements_arrivals is
            # used only when the planner can see its predicate holds.
            movements.c.from_location.in_(
                [literal_column(str(SUPPLIER)), literal_column(str(TRANSIT))]
            ),
            movements.c.occurred_at >= start,
            movements.c.occurred_at < end,
        )
        .group_by(stores.c.region_id)
    )
    if visible is not None:
        q = q.where(stores.c.id.in_(sorted(visible)))
    received = {r.region_id: int(r.units) for r in conn.execute(q)}
    names = dict(conn.execute(select(regions.c.id, regions.c.name)).all())
    return [
        RegionSellThrough(r, names.get(r, r), sold.get(r, 0), received.get(r, 0))
        for r in sorted(set(sold) | set(received))
    ]


@dataclass
class RegionAllocation:
    """What the plan gives the SKU's stores in one region (replenishment lines)."""

    region_id: str
    region: str
    stores: int
    requested: int
    planned: int  # what the planner allocated
    qty: int  # what will ship (a draft's line may have been edited)
    forecast: float  # expected demand over the horizon, summed


@dataclass
class Allocation:
    """The latest plan's replenishment of the SKU, per region; `launch` says the SKU
    launches within 28 days of the plan's day (or later), so this is its launch
    allocation."""

    plan_id: str
    for_day: date
    status: str
    launch: bool
    rows: list[RegionAllocation]


def plan_allocation(
    conn: Connection, sku: SkuHeader, visible: set[str] | None
) -> Allocation | None:
    """The latest plan's replenishment lines of the SKU (to `visible` stores), summed
    per region; None without a plan. Cost: the SKU's lines of one plan, one probe of
    the (plan, store, SKU) index per store (`documents.of_sku`)."""
    plan = latest_plan(conn)
    if plan is None:
        return None
    q = (
        select(
            stores.c.region_id,
            regions.c.name,
            func.count(func.distinct(plan_lines.c.store_id)).label("stores"),
            func.sum(plan_lines.c.requested).label("requested"),
            func.sum(plan_lines.c.planned_qty).label("planned"),
            func.sum(plan_lines.c.qty).label("qty"),
            func.sum(plan_lines.c.forecast_mean).label("forecast"),
        )
        .join(stores, stores.c.id == plan_lines.c.store_id)
        .join(regions, regions.c.id == stores.c.region_id)
        .where(
            plan_lines.c.plan_id == plan[0],
            of_sku(sku.id),
            plan_lines.c.kind == "replenish",
        )
        .group_by(stores.c.region_id, regions.c.name)
        .order_by(stores.c.region_id)
    )
    if visible is not None:
        q = q.where(plan_lines.c.store_id.in_(sorted(visible)))
    rows = [
        RegionAllocation(
            r.region_id,
            r.name,
            int(r.stores),
            int(r.requested),
            int(r.planned),
            int(r.qty),
            float(r.forecast),
        )
        for r in conn.execute(q)
    ]
    launch = sku.launch_on >= plan[1] - timedelta(days=LAUNCH_WINDOW_DAYS)
    return Allocation(plan[0], plan[1], plan[2], launch, rows)


@dataclass
class ProductPage:
    """Everything the product page shows but the paginated locations list."""

    sku: SkuHeader
    where: Whereabouts
    last_day: date | None
    window: tuple[date, date] | None
    sell_through: list[RegionSellThrough]
    allocation: Allocation | None
    holders: list[dict]  # storenet.reports.records.sku_stock rows of this page, + is_store
    more_holders: bool
    offset: int

    @property
    def window_days(self) -> int:
        """Days in the sell-through window."""
        return COVER_WINDOW_DAYS


def product_page(
    conn: Connection,
    history_dir: Path,
    sku_id: str,
    visible: set[str] | None,
    tz: str,
    offset: int = 0,
    limit: int = HOLDERS_PAGE,
) -> ProductPage:
    """The product page of `sku_id` for a caller who sees `visible` stores (None: all);
    NotFound for an unknown SKU. Sell-through is over the 28 closed days ending on the
    last closed day; the locations holding the SKU are `limit` balance rows from
    `offset` (storenet.reports.records.sku_stock: scoped callers see their stores only).
    Reads only; cost: see each reader (sku_stock reads the SKU's balance rows, a page
    of them by location id, through the same balances (sku_id) index)."""
    sku = sku_header(conn, sku_id)
    last = last_closed_day(conn)
    window = cover_window(last)
    holders = sku_stock(conn, sku_id, visible, limit, offset)
    depots = set(conn.execute(select(warehouses.c.id)).scalars())  # ~9 rows
    for row in holders:
        row["is_store"] = row["location"] not in depots
    return ProductPage(
        sku=sku,
        where=whereabouts(conn, sku_id, visible),
        last_day=last,
        window=window,
        sell_through=(
            sell_through_by_region(conn, history_dir, sku_id, visible, window, tz) if window else []
        ),
        allocation=plan_allocation(conn, sku, visible),
        holders=holders[:limit],
        more_holders=len(holders) > limit,
        offset=offset,
    )


# --- serial look-up ------------------------------------------------------------------


@dataclass
class SerialMove:
    """A movement that carried the unit."""

    id: int
    kind: str
    source: str
    destination: str
    occurred_at: datetime
    document: str | None


@dataclass
class SerialUnit:
    """Where a serial-tracked unit is now, and the movements that carried it that the
    caller may see, oldest first."""

    serial: str
    sku_id: str
    sku_name: str
    location: str  # a store or warehouse id, or a virtual place such as "customer"
    store_id: str | None
    buyer_ref: str | None
    moves: list[SerialMove]

    @property
    def recent_moves(self) -> list[SerialMove]:
        """The newest SERIAL_MOVES_SHOWN movements, newest first (what a page shows)."""
        return self.moves[-SERIAL_MOVES_SHOWN:][::-1]


def serial_unit(conn: Connection, serial: str, visible: set[str] | None) -> SerialUnit:
    """Where `serial` is (storenet.ledger.serials.find_serial), for the API's serial
    look-up and the console's: NotFound for an unknown serial; for a scoped caller, a unit
    that is not in one of `visible` stores now raises a hidden Denied (kind
    "serial"), answered exactly like an unknown serial. Cost: primary-key reads of
    the serial and its locations, the serial's movements via ix_movement_serials_serial."""
    found = find_serial(conn, serial)
    if found is None:
        raise NotFound("serial", serial)
    history = serial_history(conn, serial)
    ids = {found["location_id"]} | {m["from_location"] for m in history}
    ids |= {m["to_location"] for m in history}
    names = {
        r.id: (r.store_id or r.warehouse_id or r.kind, r.store_id)
        for r in conn.execute(
            select(
                locations.c.id, locations.c.store_id, locations.c.warehouse_id, locations.c.kind
            ).where(locations.c.id.in_(sorted(ids)))
        )
    }
    here, store_id = names.get(found["location_id"], ("unknown", None))
    if visible is not None and store_id not in visible:
        raise Denied(
            "serial.read",
            target=serial,
            reason="outside the caller's scope",
            hidden=True,
            kind="serial",
        )
    moves = []
    for m in history:
        (src, src_store), (dst, dst_store) = names[m["from_location"]], names[m["to_location"]]
        if visible is None or src_store in visible or dst_store in visible:
            moves.append(SerialMove(m["id"], m["kind"], src, dst, m["occurred_at"], m["document"]))
    sku_name = conn.execute(select(skus.c.name).where(skus.c.id == found["sku_id"])).scalar()
    return SerialUnit(
        serial,
        found["sku_id"],
        sku_name or found["sku_id"],
        here,
        store_id,
        found["buyer_ref"],
        moves,
    )
