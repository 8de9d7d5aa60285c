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
    literal_column,
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


def _units(conn: Connection, campaign_id: str, visible: set[int] | None, name: str = "units"):  # type: ignore[no-untyped-def]
    """(location_id, bucket, units) of the campaign at its places, rows of no units
    left out, as one selectable: the kept counts (units with no place left out) and
    the SKUs without serials; with `visible`, those locations only."""
    c, rs, d = recall_counts, recall_stock, recall_discrepancies
    parts = [
        select(c.c.location_id, c.c.bucket, c.c.units).where(
            c.c.campaign_id == campaign_id, c.c.location_id != NO_PLACE, c.c.units != 0
        ),
        select(rs.c.location_id, literal("held_in_network"), rs.c.qty_held).where(
            rs.c.campaign_id == campaign_id, rs.c.qty_held != 0
        ),
        select(rs.c.location_id, literal("returned"), rs.c.qty_returned).where(
            rs.c.campaign_id == campaign_id, rs.c.qty_returned != 0
        ),
        select(d.c.location_id, literal("sold_unreached"), d.c.qty).where(
            d.c.campaign_id == campaign_id, d.c.serial == "", d.c.qty != 0
        ),
    ]
    plain = plain_skus(conn, campaign_id)
    if plain:
        parts.append(
            select(balances.c.location_id, literal("in_transit"), balances.c.in_transit).where(
                balances.c.sku_id.in_(plain), balances.c.in_transit > 0
            )
        )
    if visible is not None:
        parts = [q.where(q.selected_columns[0].in_(sorted(visible))) for q in parts]
    return union_all(*parts).subquery(name)


def _bucket_sums(u):  # type: ignore[no-untyped-def]
    """affected and each bucket's units, summed over the `_units` rows `u`."""
    return [func.sum(u.c.units).label("affected")] + [
        func.sum(case((u.c.bucket == b, u.c.units), else_=0)).label(b) for b in BUCKETS
    ]


def _region():  # type: ignore[no-untyped-def]
    """A place's region ("" for none), over `locations` joined to stores and warehouses."""
    # The empty string as SQL text, not a parameter: the same expression then reads
    # the same in SELECT and GROUP BY.
    none = literal_column("''")
    return func.coalesce(stores.c.region_id, warehouses.c.region_id, none).label("region")


def _placed(selectable, location_id):  # type: ignore[no-untyped-def]
    """`selectable` joined to the place `location_id` names, its store or warehouse."""
    loc = locations.c
    return (
        selectable.outerjoin(locations, loc.id == location_id)
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
    # Rank the places by their units not held (one narrow sum each) and name, cut the
    # page, then sum the page's places' buckets only.
    u = _units(conn, campaign_id, visible)
    owing = (
        select(
            u.c.location_id,
            func.sum(case((u.c.bucket == "not_held", u.c.units), else_=0)).label("not_held"),
        )
        .group_by(u.c.location_id)
        .subquery("owing")
    )
    loc = locations.c
    name = func.coalesce(
        loc.store_id, loc.warehouse_id, loc.code, cast(owing.c.location_id, String)
    )
    order = (owing.c.not_held.desc(), _by_name(conn, name), owing.c.location_id)
    ranked = (
        select(owing.c.location_id, owing.c.not_held, name.label("location"))
        .select_from(owing.outerjoin(locations, loc.id == owing.c.location_id))
        .order_by(*order)
    )
    if limit is not None:
        ranked = ranked.limit(limit)
    if offset:
        ranked = ranked.offset(offset)
    page = ranked.subquery("page")
    rows = _units(conn, campaign_id, visible, "page_units")
    q = (
        select(page.c.location, _region(), *_bucket_sums(rows))
        .select_from(
            _placed(page.join(rows, rows.c.location_id == page.c.location_id), page.c.location_id)
        )
        .group_by(page.c.location_id, page.c.location, page.c.not_held, _region())
        .order_by(page.c.not_held.desc(), _by_name(conn, page.c.location), page.c.location_id)
    )
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
    u = _units(conn, campaign_id, visible)
    owing = case((u.c.bucket == "not_held", u.c.location_id))
    q = (
        select(
            _region(),
            func.count(u.c.location_id.distinct()).label("places"),
            func.count(owing.distinct()).label("owing"),
            *_bucket_sums(u),
        )
        .select_from(_placed(u, u.c.location_id))
        .group_by(_region())
        .order_by(func.sum(case((u.c.bucket == "not_held", u.c.units), else_=0)).desc(),
                  _by_name(conn, _region()))
    )  # fmt: skip
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
