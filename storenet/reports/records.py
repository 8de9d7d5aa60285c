"""Records as lists and single rows (stock, stores, SKUs, transfers, discrepancies),
filtered and paged, for the API and the console's pages. Plain SQLAlchemy Core over a
connection; no access rules here: callers pass the set of stores the caller may see
(None: all)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, or_, select
from sqlalchemy.orm import aliased

from storenet.errors import NotFound
from storenet.ledger.locations import location_of
from storenet.ledger.verify import balances_as_of
from storenet.store.schema import (
    balances,
    discrepancies,
    locations,
    regions,
    skus,
    stores,
    transfer_lines,
    transfers,
)

STOCK_COLUMNS = ("sku_id", "on_hand", "in_transit", "reserved", "held")


def _ref(loc):  # type: ignore[no-untyped-def]
    return (loc.c.store_id, loc.c.warehouse_id)


def store_stock(
    conn: Connection,
    store_id: str,
    sku: str | None,
    as_of: datetime | None,
    limit: int,
    offset: int,
) -> list[dict]:
    """Balances at a store or warehouse, by SKU: now (the projection) or at `as_of`
    (summed from movements). NotFound for an unknown location."""
    where = location_of(conn, store_id)
    if as_of is not None:
        found = balances_as_of(conn, as_of, location_id=where, sku_id=sku)
        rows = [{"sku_id": s, **v} for (_, s), v in sorted(found.items())]
        return rows[offset : offset + limit + 1]
    q = select(*[balances.c[c] for c in STOCK_COLUMNS]).where(balances.c.location_id == where)
    if sku is not None:
        q = q.where(balances.c.sku_id == sku)
    q = q.order_by(balances.c.sku_id).limit(limit + 1).offset(offset)
    return [dict(r._mapping) for r in conn.execute(q)]


def sku_stock(
    conn: Connection, sku_id: str, visible: set[str] | None, limit: int, offset: int
) -> list[dict]:
    """Where `sku_id` is: balances per store or warehouse the caller may see (scoped
    callers see their stores only). NotFound for an unknown SKU."""
    if conn.execute(select(skus.c.id).where(skus.c.id == sku_id)).first() is None:
        raise NotFound("sku", sku_id)
    q = (
        select(
            locations.c.store_id,
            locations.c.warehouse_id,
            *[balances.c[c] for c in STOCK_COLUMNS],
        )
        .join(locations, locations.c.id == balances.c.location_id)
        .where(balances.c.sku_id == sku_id)
    )
    if visible is not None:
        q = q.where(locations.c.store_id.in_(sorted(visible)))
    q = q.order_by(locations.c.id).limit(limit + 1).offset(offset)
    return [
        {"location": r.store_id or r.warehouse_id, **{c: r._mapping[c] for c in STOCK_COLUMNS}}
        for r in conn.execute(q)
    ]


def list_stores(
    conn: Connection,
    visible: set[str] | None,
    region: str | None,
    format: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[dict]:
    """Stores by id, filtered."""
    q = select(stores)
    if visible is not None:
        q = q.where(stores.c.id.in_(sorted(visible)))
    for column, value in (("region_id", region), ("format", format), ("status", status)):
        if value is not None:
            q = q.where(stores.c[column] == value)
    q = q.order_by(stores.c.id).limit(limit + 1).offset(offset)
    return [dict(r._mapping) for r in conn.execute(q)]


def get_store(conn: Connection, store_id: str) -> dict:
    """One store's row; NotFound if there is none."""
    row = conn.execute(select(stores).where(stores.c.id == store_id)).first()
    if row is None:
        raise NotFound("store", store_id)
    return dict(row._mapping)


def list_regions(conn: Connection, visible: set[str] | None) -> list[dict]:
    """Regions by id (only `visible` ones when given)."""
    q = select(regions).order_by(regions.c.id)
    if visible is not None:
        q = q.where(regions.c.id.in_(sorted(visible)))
    return [dict(r._mapping) for r in conn.execute(q)]


def list_skus(
    conn: Connection, category: str | None, model: str | None, limit: int, offset: int
) -> list[dict]:
    """SKUs by id, filtered by category and model."""
    q = select(skus)
    if category is not None:
        q = q.where(skus.c.category == category)
    if model is not None:
        q = q.where(skus.c.model == model)
    q = q.order_by(skus.c.id).limit(limit + 1).offset(offset)
    return [dict(r._mapping) for r in conn.execute(q)]


def get_sku(conn: Connection, sku_id: str) -> dict:
    """One SKU; NotFound if there is none."""
    row = conn.execute(select(skus).where(skus.c.id == sku_id)).first()
    if row is None:
        raise NotFound("sku", sku_id)
    return dict(row._mapping)


def _transfer_query():  # type: ignore[no-untyped-def]
    src, dst = aliased(locations), aliased(locations)
    q = (
        select(
            transfers.c.id,
            transfers.c.status,
            transfers.c.created_at,
            transfers.c.shipped_at,
            transfers.c.received_at,
            src.c.store_id.label("src_store"),
            src.c.warehouse_id.label("src_wh"),
            dst.c.store_id.label("dst_store"),
            dst.c.warehouse_id.label("dst_wh"),
        )
        .join(src, src.c.id == transfers.c.from_location)
        .join(dst, dst.c.id == transfers.c.to_location)
    )
    return q, src, dst


def _transfer_row(r) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": r.id,
        "source": r.src_store or r.src_wh,
        "destination": r.dst_store or r.dst_wh,
        "status": r.status,
        "created_at": r.created_at,
        "shipped_at": r.shipped_at,
        "received_at": r.received_at,
    }


def list_transfers(
    conn: Connection,
    visible: set[str] | None,
    location: str | None,
    status: str | None,
    limit: int,
    offset: int,
    visible_warehouses: set[str] | None = None,
) -> list[dict]:
    """Transfers by id; scoped callers (`visible` stores not None) see those with a
    visible store, or one of `visible_warehouses`, at either end."""
    q, src, dst = _transfer_query()
    if visible is not None:
        ids, whs = sorted(visible), sorted(visible_warehouses or ())
        q = q.where(
            or_(
                src.c.store_id.in_(ids),
                dst.c.store_id.in_(ids),
                src.c.warehouse_id.in_(whs),
                dst.c.warehouse_id.in_(whs),
            )
        )
    if location is not None:
        q = q.where(or_(*[c == location for c in (*_ref(src), *_ref(dst))]))
    if status is not None:
        q = q.where(transfers.c.status == status)
    q = q.order_by(transfers.c.id).limit(limit + 1).offset(offset)
    return [_transfer_row(r) for r in conn.execute(q)]


def get_transfer(conn: Connection, transfer_id: str) -> dict:
    """A transfer with its lines; NotFound if there is none."""
    q, _, _ = _transfer_query()
    row = conn.execute(q.where(transfers.c.id == transfer_id)).first()
    if row is None:
        raise NotFound("transfer", transfer_id)
    doc = _transfer_row(row)
    lines = conn.execute(
        select(transfer_lines)
        .where(transfer_lines.c.transfer_id == transfer_id)
        .order_by(transfer_lines.c.sku_id)
    )
    doc["lines"] = [{k: v for k, v in r._mapping.items() if k != "transfer_id"} for r in lines]
    return doc


def list_discrepancies(
    conn: Connection,
    visible: set[str] | None,
    location: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[dict]:
    """Discrepancies by id, with their location as a store or warehouse id."""
    q = select(discrepancies, locations.c.store_id, locations.c.warehouse_id).join(
        locations, locations.c.id == discrepancies.c.location_id
    )
    if visible is not None:
        q = q.where(locations.c.store_id.in_(sorted(visible)))
    if location is not None:
        q = q.where(or_(locations.c.store_id == location, locations.c.warehouse_id == location))
    if status is not None:
        q = q.where(discrepancies.c.status == status)
    q = q.order_by(discrepancies.c.id).limit(limit + 1).offset(offset)
    return [_discrepancy(r) for r in conn.execute(q)]


def get_discrepancy(conn: Connection, discrepancy_id: int) -> dict:
    """One discrepancy; NotFound if there is none."""
    row = conn.execute(
        select(discrepancies, locations.c.store_id, locations.c.warehouse_id)
        .join(locations, locations.c.id == discrepancies.c.location_id)
        .where(discrepancies.c.id == discrepancy_id)
    ).first()
    if row is None:
        raise NotFound("discrepancy", str(discrepancy_id))
    return _discrepancy(row)


def _discrepancy(r) -> dict:  # type: ignore[no-untyped-def]
    d = dict(r._mapping)
    d["location"] = d.pop("store_id") or d.pop("warehouse_id", None)
    d.pop("warehouse_id", None)
    d.pop("location_id", None)
    return d
