"""The ledger's side of recalls: holding recalled units in quarantine, and what a
receipt, a sale or a return of a recalled unit does to stock.

A campaign (storenet.recall) lists the units it covers (`recall_units`: serials) and
the SKUs it covers whole (`recall_scopes` of kind sku or model). Here, and only here,
that turns into movements:

- `hold_locations`: every covered unit on hand at some locations moves into quarantine
  there (kind "hold", document "recall:<campaign>"), serial by serial, and for SKUs
  without serials every unit on hand by quantity, in the caller's transaction (each
  location whole or not at all); a unit already in quarantine is not moved again, so a
  replay moves nothing.
- `quarantine_arrivals`: units that just arrived at a location (a supplier receipt,
  a transfer receipt: units in transit are quarantined on receipt; a customer's
  return) and are covered by a stop-sale campaign move on into quarantine in the same
  transaction, so they are never free stock for anyone else to see.
- what a POS sale or return of a recalled unit does: `storenet.ledger.recall_sales`.

Locks: the balance rows of a location first (sorted), then the serial rows (sorted),
the order POS ingestion and receipts take them in, so a hold racing a sale queues
instead of deadlocking.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, or_, select, update

from storenet.errors import NotFound
from storenet.ledger.locations import QUARANTINE
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.serials import place_serials
from storenet.store.bulk import insert_rows, upsert_rows
from storenet.store.clock import utc_now
from storenet.store.locks import lock_balances, lock_serials
from storenet.store.schema import (
    recall_campaigns,
    recall_scopes,
    recall_stock,
    recall_units,
    serials,
    skus,
)

# Campaigns whose effects still apply (holds, receipts into quarantine, discrepancies).
ACTIVE = ("open", "completed")
STOP_SALE = "stop_sale"


def recall_document(campaign_id: str) -> str:
    """The document every recall hold movement of `campaign_id` carries."""
    return f"recall:{campaign_id}"


def any_active(conn: Connection) -> bool:
    """True when some campaign is active: the one cheap read the hot paths (POS
    batches, receipts) make before looking any further."""
    q = select(recall_campaigns.c.id).where(recall_campaigns.c.status.in_(ACTIVE)).limit(1)
    return conn.execute(q).first() is not None


def campaigns_of_serials(
    conn: Connection, numbers: list[str], severities: tuple[str, ...] = (STOP_SALE, "advisory")
) -> dict[str, list[str]]:
    """{serial: active campaign ids listing it} for the `numbers` some campaign of
    `severities` covers (by ix_recall_units_serial)."""
    if not numbers:
        return {}
    q = (
        select(recall_units.c.serial, recall_units.c.campaign_id)
        .join(recall_campaigns, recall_campaigns.c.id == recall_units.c.campaign_id)
        .where(
            recall_units.c.serial.in_(sorted(set(numbers))),
            recall_campaigns.c.status.in_(ACTIVE),
            recall_campaigns.c.severity.in_(severities),
        )
        .order_by(recall_units.c.campaign_id)
    )
    out: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(q):
        out[row.serial].append(row.campaign_id)
    return dict(out)


def campaigns_of_skus(
    conn: Connection,
    sku_ids: list[str],
    at: datetime,
    severities: tuple[str, ...] = (STOP_SALE,),
    campaign_id: str | None = None,
) -> dict[str, list[str]]:
    """{sku: active campaign ids covering it whole} (scope rows of kind sku or model)
    among `sku_ids`, for units received at `at` (a campaign with a date window covers
    only units received inside it)."""
    if not sku_ids:
        return {}
    covers = or_(
        and_(recall_scopes.c.kind == "sku", skus.c.id == recall_scopes.c.value),
        and_(recall_scopes.c.kind == "model", skus.c.model == recall_scopes.c.value),
    )
    q = (
        select(recall_campaigns.c.id, skus.c.id.label("sku_id"))
        .join(recall_scopes, recall_scopes.c.campaign_id == recall_campaigns.c.id)
        .join(skus, covers)
        .where(
            skus.c.id.in_(sorted(set(sku_ids))),
            recall_campaigns.c.status.in_(ACTIVE),
            recall_campaigns.c.severity.in_(severities),
        )
        .distinct()
    )
    if campaign_id is not None:
        q = q.where(recall_campaigns.c.id == campaign_id)
    found = conn.execute(q).all()
    windows = _windows(conn, sorted({r.id for r in found}))
    out: dict[str, list[str]] = defaultdict(list)
    for row in sorted(found):
        window = windows.get(row.id)
        if window is None or window[0] <= at.date().isoformat() <= window[1]:
            out[row.sku_id].append(row.id)
    return dict(out)


def _windows(conn: Connection, campaign_ids: list[str]) -> dict[str, tuple[str, str]]:
    if not campaign_ids:
        return {}
    q = select(recall_scopes.c.campaign_id, recall_scopes.c.value, recall_scopes.c.value_to).where(
        recall_scopes.c.campaign_id.in_(campaign_ids), recall_scopes.c.kind == "date_window"
    )
    return {r.campaign_id: (r.value, r.value_to) for r in conn.execute(q)}


def plain_skus(conn: Connection, campaign_id: str) -> list[str]:
    """The SKUs without serials that campaign `campaign_id` covers whole (held by
    quantity), sorted."""
    covers = or_(
        and_(recall_scopes.c.kind == "sku", skus.c.id == recall_scopes.c.value),
        and_(recall_scopes.c.kind == "model", skus.c.model == recall_scopes.c.value),
    )
    q = (
        select(skus.c.id)
        .join(recall_scopes, covers)
        .where(recall_scopes.c.campaign_id == campaign_id, ~skus.c.serial_tracked)
        .distinct()
    )
    return sorted(conn.execute(q).scalars())


def _units_at(conn: Connection, campaign_id: str, where: list[int]) -> dict[str, tuple[str, int]]:
    """{serial: (sku, location)} of the campaign's units the ledger has at the
    locations `where` now."""
    q = (
        select(serials.c.serial, serials.c.sku_id, serials.c.location_id)
        .join(
            recall_units,
            and_(
                recall_units.c.serial == serials.c.serial,
                recall_units.c.campaign_id == campaign_id,
            ),
        )
        .where(serials.c.location_id.in_(where))
    )
    return {r.serial: (r.sku_id, r.location_id) for r in conn.execute(q)}


def hold_location(
    conn: Connection, campaign_id: str, location_id: int, at: datetime | None = None
) -> dict:
    """`hold_locations` for one location."""
    return hold_locations(conn, campaign_id, [location_id], at)


def hold_locations(
    conn: Connection, campaign_id: str, location_ids: list[int], at: datetime | None = None
) -> dict:
    """Move every unit of stop-sale campaign `campaign_id` on hand at the real
    locations `location_ids` into quarantine there, in the caller's transaction (so
    each location is held whole or not at all).

    Serial-tracked units move serial by serial (one movement per location and SKU
    carrying its serials, document "recall:<campaign>"); a SKU without serials that the
    campaign covers whole moves all its units on hand (reserved ones too: a recall
    outranks a promise). Units already in quarantine, sold or in transit are not
    touched, so a second call moves nothing. An advisory, closed or cancelled campaign
    holds nothing. Answers {"locations", "serials" (units held by serial), "units" (by
    quantity), "movements"}. NotFound for an unknown campaign.
    """
    campaign = conn.execute(
        select(recall_campaigns.c.severity, recall_campaigns.c.status).where(
            recall_campaigns.c.id == campaign_id
        )
    ).first()
    if campaign is None:
        raise NotFound("recall campaign", campaign_id)
    where = sorted(set(location_ids))
    answer = {"locations": len(where), "serials": 0, "units": 0, "movements": []}
    if campaign.severity != STOP_SALE or campaign.status not in ACTIVE or not where:
        return answer
    plain = plain_skus(conn, campaign_id)
    locked: dict[tuple[int, str], dict] = {}
    while True:
        # Read, lock the balance rows of the SKUs found, read again: a unit that arrived
        # meanwhile was committed before our lock, so the second read sees it.
        found = _units_at(conn, campaign_id, where)
        wanted = {(loc, sku) for sku, loc in found.values()}
        wanted |= {(loc, sku) for loc in where for sku in plain}
        missing = wanted - set(locked)
        if not missing:
            break
        locked |= lock_balances(conn, sorted(missing))
    rows = lock_serials(conn, list(found))
    by_key: dict[tuple[int, str], list[str]] = defaultdict(list)
    for number, row in rows.items():
        if row["location_id"] in where:
            by_key[(row["location_id"], row["sku_id"])].append(number)
    when = at or utc_now()
    document = recall_document(campaign_id)
    moves = [
        Movement(
            "hold",
            sku,
            loc,
            QUARANTINE,
            len(numbers),
            when,
            site_location=loc,
            document=document,
            serials=tuple(sorted(numbers)),
        )
        for (loc, sku), numbers in sorted(by_key.items())
    ]
    quantities = {
        (loc, sku): locked[(loc, sku)]["on_hand"]
        for loc in where
        for sku in plain
        if locked[(loc, sku)]["on_hand"] > 0
    }
    moves += [
        Movement("hold", sku, loc, QUARANTINE, n, when, site_location=loc, document=document)
        for (loc, sku), n in sorted(quantities.items())
    ]
    if not moves:
        return answer
    posted = post_movements(conn, moves, utc_now())
    _place_held(conn, moves, posted.ids)
    for loc in where:
        held = {sku: n for (at_loc, sku), n in quantities.items() if at_loc == loc}
        _add_stock(conn, campaign_id, loc, held, "qty_held")
    answer["serials"] = sum(len(v) for v in by_key.values())
    answer["units"] = sum(quantities.values())
    answer["movements"] = posted.ids
    return answer


def _place_held(conn: Connection, moves: list[Movement], ids: list[int]) -> None:
    """Record each serial the hold `moves` (posted as `ids`) carried as in quarantine
    at its movement's site."""
    place_serials(
        conn,
        [
            (s, m.sku_id, QUARANTINE, m.site_location, mid, None)
            for mid, m in zip(ids, moves)
            for s in m.serials
        ],
    )


def _add_stock(
    conn: Connection, campaign_id: str, location_id: int, quantities: dict[str, int], column: str
) -> None:
    """Add `quantities` ({sku: units}) to `column` of the campaign's recall_stock rows."""
    if not quantities:
        return
    other = "qty_returned" if column == "qty_held" else "qty_held"
    upsert_rows(
        conn,
        recall_stock,
        ("campaign_id", "location_id", "sku_id"),
        ("campaign_id", "location_id", "sku_id", column, other),
        [(campaign_id, location_id, sku, n, 0) for sku, n in sorted(quantities.items())],
        {column: f"recall_stock.{column} + excluded.{column}"},
    )


@dataclass(frozen=True)
class Arrival:
    """Units of one SKU that just arrived at a location: `serials` for a
    serial-tracked SKU (one per unit), else `qty` units."""

    sku_id: str
    qty: int
    serials: tuple[str, ...] = ()


def quarantine_arrivals(
    conn: Connection,
    location_id: int,
    arrivals: list[Arrival],
    at: datetime,
    *,
    source: str = "supplier",
) -> int:
    """Move the just-arrived units at real location `location_id` that a campaign
    covers on into quarantine there, in the caller's transaction (which posted the
    arrival and so holds the balance rows). Answers how many units it held.

    `source` is "supplier" (new units), "transfer" (units moving inside the network)
    or "return" (a customer's return). Covered: a serial some active stop-sale
    campaign lists; a unit of a SKU without serials that a stop-sale campaign covers
    whole; and from a supplier, a new serial of a SKU a stop-sale campaign covers
    whole (received inside its date window, if it has one), which is added to the
    campaign's units. A return holds any active campaign's unit, advisory ones
    included, and marks it returned: a recalled unit is never resold.
    """
    if not arrivals or not any_active(conn):
        return 0
    returned = source == "return"
    severities = (STOP_SALE, "advisory") if returned else (STOP_SALE,)
    numbers = [s for a in arrivals for s in a.serials]
    listed = campaigns_of_serials(conn, numbers, severities)
    by_sku = campaigns_of_skus(conn, sorted({a.sku_id for a in arrivals}), at, severities)
    new_units = []
    held_serials: dict[str, list[str]] = defaultdict(list)
    quantities: dict[str, int] = defaultdict(int)
    owners: dict[str, list[str]] = defaultdict(list)  # plain sku -> campaigns
    for a in arrivals:
        if a.serials:
            for s in a.serials:
                whole = [] if source != "supplier" else by_sku.get(a.sku_id, [])
                whole = [c for c in whole if c not in listed.get(s, [])]
                new_units += [(c, s, a.sku_id, at) for c in whole]
                if listed.get(s) or whole:
                    held_serials[a.sku_id].append(s)
        elif by_sku.get(a.sku_id):
            quantities[a.sku_id] += a.qty
            owners[a.sku_id] = by_sku[a.sku_id]
    insert_rows(
        conn,
        recall_units,
        ("campaign_id", "serial", "sku_id", "added_at"),
        new_units,
        skip_conflicts=True,
    )
    rows = lock_serials(conn, [s for found in held_serials.values() for s in found])
    when = at
    moves = []
    for sku, found in sorted(held_serials.items()):
        here = tuple(sorted(s for s in found if rows.get(s, {}).get("location_id") == location_id))
        if here:
            moves.append(
                Movement(
                    "hold",
                    sku,
                    location_id,
                    QUARANTINE,
                    len(here),
                    when,
                    site_location=location_id,
                    document="recall:arrival",
                    serials=here,
                )
            )
    moves += [
        Movement(
            "hold",
            sku,
            location_id,
            QUARANTINE,
            n,
            when,
            site_location=location_id,
            document="recall:arrival",
        )
        for sku, n in sorted(quantities.items())
    ]
    if not moves:
        return 0
    posted = post_movements(conn, moves, utc_now())
    _place_held(conn, moves, posted.ids)
    column = "qty_returned" if returned else "qty_held"
    per_campaign: dict[str, dict[str, int]] = defaultdict(dict)
    for sku, n in quantities.items():
        for campaign_id in owners[sku]:
            per_campaign[campaign_id][sku] = n
    for campaign_id, held in sorted(per_campaign.items()):
        _add_stock(conn, campaign_id, location_id, held, column)
    if returned:
        moved = [s for m in moves for s in m.serials]
        if moved:
            conn.execute(
                update(recall_units)
                .where(
                    recall_units.c.serial.in_(sorted(moved)), recall_units.c.returned_at.is_(None)
                )
                .values(returned_at=utc_now())
            )
    return sum(m.qty for m in moves)
