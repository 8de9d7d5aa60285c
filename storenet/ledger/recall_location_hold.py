"""Holding a recall campaign's units at whole locations: every covered unit on hand
there moves into quarantine, in the caller's transaction (each location whole or not
at all), through movements of kind "hold", document "recall:<campaign>".

`hold_locations` does it set-based: the serials never travel to Python. It reads how
many units of each SKU the campaign has at each location, locks those balance rows
(then, on PostgreSQL, the serial rows, in serial order, in one statement), posts one
movement per location and SKU, and moves the serials with two statements (their
`movement_serials` rows, their `serials` rows), adding the change to the campaign's
kept counts (storenet.ledger.recall_counts) itself. `hold_locations_by_serial` is the
obvious version (read every serial, lock it, move it through `place_serials`): slower
at a million units, kept as the oracle the tests compare the set-based hold with.

Locks: the balance rows of a location first (sorted), then the serial rows (sorted),
the order POS ingestion and receipts take them in, so a hold racing a sale queues
instead of deadlocking.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import (
    Connection,
    and_,
    column,
    func,
    insert,
    literal,
    select,
    table,
    text,
    update,
)

from storenet.errors import NotFound
from storenet.ledger.locations import QUARANTINE
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.recall_counts import add_counts, add_days
from storenet.ledger.recall_holds import (
    ACTIVE,
    STOP_SALE,
    add_stock,
    place_held,
    plain_skus,
    recall_document,
)
from storenet.store.clock import utc_now
from storenet.store.locks import lock_balances, lock_serials
from storenet.store.schema import (
    movement_serials,
    movements,
    recall_campaigns,
    recall_units,
    serials,
)


def _found(conn: Connection, campaign_id: str, where: list[int]) -> set[tuple[int, str]]:
    """(location, sku) of the campaign's units at `where` now (before any lock)."""
    q = (
        select(serials.c.location_id, serials.c.sku_id)
        .where(_units_here(campaign_id, where))
        .distinct()
    )
    return {(r.location_id, r.sku_id) for r in conn.execute(q)}


def _stop_sale(conn: Connection, campaign_id: str) -> bool:
    """True for an active stop-sale campaign; NotFound for an unknown one."""
    campaign = conn.execute(
        select(recall_campaigns.c.severity, recall_campaigns.c.status).where(
            recall_campaigns.c.id == campaign_id
        )
    ).first()
    if campaign is None:
        raise NotFound("recall campaign", campaign_id)
    return campaign.severity == STOP_SALE and campaign.status in ACTIVE


def _units_here(campaign_id: str, where: list[int]):  # type: ignore[no-untyped-def]
    """The condition on `serials`: a unit the campaign lists, at one of `where`. The
    campaign is looked up per serial of those locations (a subquery with LIMIT, which
    the planner runs on recall_units' key instead of hashing the campaign's million
    units for every batch)."""
    listed = (
        select(literal(1))
        .where(recall_units.c.campaign_id == campaign_id, recall_units.c.serial == serials.c.serial)
        .limit(1)
        .scalar_subquery()
    )
    return and_(serials.c.location_id.in_(where), listed.is_not(None))


_staged = table("storenet_hold_units", column("serial"), column("location_id"), column("sku_id"))


def _stage(conn: Connection, campaign_id: str, where: list[int]):  # type: ignore[no-untyped-def]
    """The serials this hold moves, for the statements that follow: a selectable of
    (serial, location_id, sku_id).

    PostgreSQL: the campaign's serials at `where` are locked (in serial order) and
    copied into a temporary table for this transaction, so the later statements join a
    few thousand rows by key instead of looking the campaign up again. SQLite (the
    writer holds the whole database): a subquery by `_units_here`."""
    here = _units_here(campaign_id, where)
    columns = (serials.c.serial, serials.c.location_id, serials.c.sku_id)
    if conn.dialect.name != "postgresql":
        return select(*columns).where(here).subquery("staged")
    # Two statements, one round trip (no parameters: the simple query protocol).
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE IF NOT EXISTS storenet_hold_units (serial varchar(64), "
        "location_id integer, sku_id varchar(32)) ON COMMIT DELETE ROWS; "
        "DELETE FROM storenet_hold_units"
    )
    locking = select(*columns).where(here).order_by(serials.c.serial).with_for_update(of=serials)
    conn.execute(
        insert(_staged).from_select(["serial", "location_id", "sku_id"], locking.subquery())
    )
    conn.exec_driver_sql("ANALYZE storenet_hold_units")
    return _staged


def _groups(conn: Connection, staged) -> dict[tuple[int, str], int]:  # type: ignore[no-untyped-def]
    """{(location, sku): units} of the `staged` serials."""
    q = select(staged.c.location_id, staged.c.sku_id, func.count().label("units")).group_by(
        staged.c.location_id, staged.c.sku_id
    )
    return {(r.location_id, r.sku_id): r.units for r in conn.execute(q)}


def _count_delta(conn: Connection, staged) -> Counter:  # type: ignore[no-untyped-def]
    """What moving the `staged` serials (a campaign's units on hand) into quarantine
    does to every campaign's kept counts: each unit neither returned nor remedied
    (those stay in their bucket) goes from not_held to held_in_network at its
    location, for every campaign listing it."""
    if staged is _staged:
        # PostgreSQL: the listings of each staged serial by recall_units' serial index
        # (a LATERAL the planner may not flatten: OFFSET 0), never a hash of the
        # million listings of the campaign for every batch.
        q = text(
            "SELECT u.campaign_id, st.location_id, count(*) AS units"
            " FROM storenet_hold_units st CROSS JOIN LATERAL ("
            "SELECT l.campaign_id FROM recall_units l WHERE l.serial = st.serial"
            " AND l.returned_at IS NULL AND l.remedied_at IS NULL OFFSET 0) u"
            " GROUP BY u.campaign_id, st.location_id"
        )
    else:
        listing = recall_units.alias("listing")
        q = (
            select(listing.c.campaign_id, staged.c.location_id, func.count().label("units"))
            .join(listing, listing.c.serial == staged.c.serial)
            .where(listing.c.returned_at.is_(None), listing.c.remedied_at.is_(None))
            .group_by(listing.c.campaign_id, staged.c.location_id)
        )
    delta: Counter = Counter()
    for r in conn.execute(q):
        delta[(r.campaign_id, r.location_id, "not_held")] -= r.units
        delta[(r.campaign_id, r.location_id, "held_in_network")] += r.units
    return delta


def _move_serials(conn: Connection, staged, ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    """Record the `staged` serials as carried by the hold movements `ids` (one per
    location and SKU) and now in quarantine at their location; answers how many
    moved."""
    m = movements
    theirs = and_(
        m.c.id.in_(ids), m.c.site_location == staged.c.location_id, m.c.sku_id == staged.c.sku_id
    )
    carried = select(m.c.id, staged.c.serial).join(m, theirs)
    conn.execute(insert(movement_serials).from_select(["movement_id", "serial"], carried))
    moved = conn.execute(
        update(serials)
        .where(serials.c.serial == staged.c.serial, theirs)
        .values(location_id=QUARANTINE, site_location=staged.c.location_id, last_movement_id=m.c.id)
    )
    return moved.rowcount


def hold_locations(
    conn: Connection,
    campaign_id: str,
    location_ids: list[int],
    at: datetime | None = None,
    *,
    expected: set[tuple[int, str]] | None = None,
) -> dict:
    """Move every unit of stop-sale campaign `campaign_id` on hand at the real
    locations `location_ids` into quarantine there, in the caller's transaction (so
    each location is held whole or not at all), set-based (module docstring).

    Serial-tracked units: one movement per location and SKU carrying its serials; a
    SKU without serials that the campaign covers whole moves all its units on hand
    (reserved ones too: a recall outranks a promise). Units already in quarantine, sold
    or in transit are not touched, so a second call moves nothing. An advisory, closed
    or cancelled campaign holds nothing. Answers {"locations", "serials" (units held by
    serial), "units" (by quantity), "movements"}. NotFound for an unknown campaign.

    `expected`: the (location, SKU) pairs of the campaign's serial-tracked units at
    `location_ids` as the caller read them just before (the hold reads every
    location's once for the whole campaign), to lock their balance rows without
    looking them up again; a SKU arrived since is found under the serial locks and
    its balance row locked then (as without `expected`).
    """
    where = sorted(set(location_ids))
    answer = {"locations": len(where), "serials": 0, "units": 0, "movements": []}
    if not _stop_sale(conn, campaign_id) or not where:
        return answer
    plain = plain_skus(conn, campaign_id)
    # Lock the balance rows of the SKUs found, then the serials (PostgreSQL: staged),
    # and read again: a unit that arrived meanwhile was committed before our locks.
    found = _found(conn, campaign_id, where) if expected is None else set(expected)
    locked = lock_balances(conn, sorted(found | {(loc, sku) for loc in where for sku in plain}))
    staged = _stage(conn, campaign_id, where)
    groups = _groups(conn, staged)
    if set(groups) - set(locked):  # a SKU new here since the first read
        locked |= lock_balances(conn, sorted(set(groups) - set(locked)))
    when = at or utc_now()
    document = recall_document(campaign_id)
    moves = [
        Movement("hold", sku, loc, QUARANTINE, n, when, site_location=loc, document=document)
        for (loc, sku), n in sorted(groups.items())
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
    delta = _count_delta(conn, staged) if groups else Counter()
    posted = post_movements(conn, moves, utc_now())
    if groups:
        serial_ids = posted.ids[: len(groups)]
        moved = _move_serials(conn, staged, serial_ids)
        if moved != sum(groups.values()):  # cannot happen under the locks: refuse loudly
            raise RuntimeError(f"hold moved {moved} serials, expected {sum(groups.values())}")
    add_counts(conn, delta)
    _finish(conn, campaign_id, where, groups, quantities, when)
    answer["serials"] = sum(groups.values())
    answer["units"] = sum(quantities.values())
    answer["movements"] = posted.ids
    return answer


def _finish(
    conn: Connection,
    campaign_id: str,
    where: list[int],
    by_serial: dict[tuple[int, str], int],
    quantities: dict[tuple[int, str], int],
    when: datetime,
) -> None:
    """The campaign's held-by-quantity rows and its day-by-day figure of what its
    hold moved, per location."""
    per_place: Counter = Counter()
    for (loc, _), n in [*by_serial.items(), *quantities.items()]:
        per_place[loc] += n
    add_days(conn, [(campaign_id, when.date(), loc, "held", n) for loc, n in per_place.items()])
    for loc in where:
        held = {sku: n for (at_loc, sku), n in quantities.items() if at_loc == loc}
        add_stock(conn, campaign_id, loc, held, "qty_held")


def hold_locations_by_serial(
    conn: Connection, campaign_id: str, location_ids: list[int], at: datetime | None = None
) -> dict:
    """`hold_locations` the obvious way: every serial read, locked and moved through
    `place_serials` (which keeps the counts). Slower; the oracle of the tests."""
    where = sorted(set(location_ids))
    answer = {"locations": len(where), "serials": 0, "units": 0, "movements": []}
    if not _stop_sale(conn, campaign_id) or not where:
        return answer
    plain = plain_skus(conn, campaign_id)
    locked: dict[tuple[int, str], dict] = {}
    while True:
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
    place_held(conn, moves, posted.ids)
    counted = {k: len(v) for k, v in by_key.items()}
    _finish(conn, campaign_id, where, counted, quantities, when)
    answer["serials"] = sum(counted.values())
    answer["units"] = sum(quantities.values())
    answer["movements"] = posted.ids
    return answer


def _units_at(conn: Connection, campaign_id: str, where: list[int]) -> dict[str, tuple[str, int]]:
    """{serial: (sku, location)} of the campaign's units the ledger has at the
    locations `where` now."""
    q = select(serials.c.serial, serials.c.sku_id, serials.c.location_id).where(
        _units_here(campaign_id, where)
    )
    return {r.serial: (r.sku_id, r.location_id) for r in conn.execute(q)}
