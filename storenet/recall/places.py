"""A campaign's funnel per store and warehouse, and per region, summed and sorted by
the database: the campaign page's and the API's store table, one page at a time.

The rows are those of `storenet.recall.funnel.funnel_by_store` (the kept counts of the
serial-tracked units plus the per-location rows of SKUs without serials), in the same
order (most units still not held first, then by name), but pivoted, sorted and cut to
a page in SQL, so a campaign at 12,000 places sends the page it shows, not every
place's buckets to Python. The regions are the same rows summed per region
(`funnel_by_region`'s), also in SQL. Both are held to the recomputed funnel by the
recall tests (`tests/integration/recall/recall_support.py`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Connection,
    String,
    case,
    cast,
    collate,
    func,
    literal,
    or_,
    select,
    union_all,
)

from storenet.ledger.recall_counts import NO_PLACE
from storenet.ledger.recall_holds import plain_skus
from storenet.recall.funnel import BUCKETS
from storenet.store.clock import utc_now
from storenet.store.schema import (
    balances,
    locations,
    recall_counts,
    recall_discrepancies,
    recall_stock,
    stores,
    warehouses,
)


def _units(conn: Connection, campaign_id: str):  # type: ignore[no-untyped-def]
    """(location_id, bucket, units) of the campaign at its places, as one selectable:
    the kept counts (units with no place left out) and the SKUs without serials."""
    c, rs, d = recall_counts, recall_stock, recall_discrepancies
    parts = [
        select(c.c.location_id, c.c.bucket, c.c.units).where(
            c.c.campaign_id == campaign_id, c.c.location_id != NO_PLACE, c.c.units != 0
        ),
        select(rs.c.location_id, literal("held_in_network"), rs.c.qty_held).where(
            rs.c.campaign_id == campaign_id
        ),
        select(rs.c.location_id, literal("returned"), rs.c.qty_returned).where(
            rs.c.campaign_id == campaign_id
        ),
        select(d.c.location_id, literal("sold_unreached"), d.c.qty).where(
            d.c.campaign_id == campaign_id, d.c.serial == ""
        ),
    ]
    plain = plain_skus(conn, campaign_id)
    if plain:
        parts.append(
            select(balances.c.location_id, literal("in_transit"), balances.c.in_transit).where(
                balances.c.sku_id.in_(plain), balances.c.in_transit > 0
            )
        )
    return union_all(*parts).subquery("units")


def _per_place(conn: Connection, campaign_id: str, visible: set[int] | None):  # type: ignore[no-untyped-def]
    """One row per place with units: location_id, location (its name), affected and
    each bucket."""
    u = _units(conn, campaign_id)
    sums = [func.sum(case((u.c.bucket == b, u.c.units), else_=0)).label(b) for b in BUCKETS]
    pivot = select(u.c.location_id, *sums).group_by(u.c.location_id)
    if visible is not None:
        pivot = pivot.where(u.c.location_id.in_(sorted(visible)))
    p = pivot.subquery("per_place")
    loc = locations.c
    name = func.coalesce(loc.store_id, loc.warehouse_id, loc.code, cast(p.c.location_id, String))
    buckets = [p.c[b] for b in BUCKETS]
    return (
        select(
            p.c.location_id,
            name.label("location"),
            sum(buckets[1:], buckets[0]).label("affected"),
            *buckets,
        )
        .select_from(p)
        .outerjoin(locations, loc.id == p.c.location_id)
        .where(or_(*(b != 0 for b in buckets)))
    )


def _with_region(places):  # type: ignore[no-untyped-def]
    """`places` (a select of `_per_place`'s columns) with each place's region ("" for
    none), joined after any LIMIT: a page looks up its own places' regions only."""
    p = places.subquery("places")
    loc = locations.c
    region = func.coalesce(stores.c.region_id, warehouses.c.region_id, "")
    return (
        select(p, region.label("region"))
        .select_from(p)
        .outerjoin(locations, loc.id == p.c.location_id)
        .outerjoin(stores, stores.c.id == loc.store_id)
        .outerjoin(warehouses, warehouses.c.id == loc.warehouse_id)
    )


def _by_name(conn: Connection, column):  # type: ignore[no-untyped-def]
    """`column` compared by code point, as Python sorts (PostgreSQL's default
    collation would not)."""
    return collate(column, "C") if conn.dialect.name == "postgresql" else column


def _late(deadline: date | None, today: date | None) -> bool:
    return deadline is not None and (today or utc_now().date()) > deadline


def place_page(
    conn: Connection,
    campaign_id: str,
    visible: set[int] | None = None,
    deadline: date | None = None,
    today: date | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict]:
    """`limit` rows (None: all) from `offset` of the campaign's funnel per store and
    warehouse: exactly `funnel_by_store`'s rows (location, region, affected, the
    buckets, overdue), in its order, with `visible` (location ids) only those places;
    `overdue` once `deadline` has passed (`today`, default the UTC day)."""
    late = _late(deadline, today)
    places = _per_place(conn, campaign_id, visible).subquery("ranked")
    order = (places.c.not_held.desc(), _by_name(conn, places.c.location), places.c.location_id)
    ranked = select(places).order_by(*order)
    if limit is not None:
        ranked = ranked.limit(limit)
    if offset:
        ranked = ranked.offset(offset)
    q = _with_region(ranked)
    c = q.selected_columns
    q = q.order_by(c.not_held.desc(), _by_name(conn, c.location), c.location_id)
    out = []
    for r in conn.execute(q):
        row = {"location": r.location, "region": r.region, "affected": int(r.affected)}
        row |= {b: int(r._mapping[b]) for b in BUCKETS}
        row["overdue"] = late and row["not_held"] > 0
        out.append(row)
    return out


def region_totals(
    conn: Connection,
    campaign_id: str,
    visible: set[int] | None = None,
    deadline: date | None = None,
    today: date | None = None,
) -> list[dict]:
    """The campaign's places summed per region: exactly `funnel_by_region` of every
    `place_page` row (region, places, overdue, affected, the buckets), in its order."""
    late = _late(deadline, today)
    p = _with_region(_per_place(conn, campaign_id, visible)).subquery("placed")
    owing = func.sum(case((p.c.not_held > 0, 1), else_=0))
    q = (
        select(
            p.c.region,
            func.count().label("places"),
            owing.label("owing"),
            func.sum(p.c.affected).label("affected"),
            *(func.sum(p.c[b]).label(b) for b in BUCKETS),
        )
        .group_by(p.c.region)
        .order_by(func.sum(p.c.not_held).desc(), _by_name(conn, p.c.region))
    )
    out = []
    for r in conn.execute(q):
        row = {
            "region": r.region,
            "places": int(r.places),
            "overdue": int(r.owing) if late else 0,
            "affected": int(r.affected),
        }
        out.append(row | {b: int(r._mapping[b]) for b in BUCKETS})
    return out
