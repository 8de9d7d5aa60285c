"""A recall campaign's funnel, kept as its units move (`recall_counts`, `recall_days`).

Each serial-tracked unit a campaign lists is in exactly one bucket at one place (the
rules of `storenet.recall.funnel`, which computes the same from the ledger when asked
and is the oracle the tests hold these counts to):

    remedied > returned > unlocated (never received) > held_in_network (quarantine)
    > in_transit > sold_reached (buyer reference) > sold_unreached > not_held (on
    hand, sellable) > written_off (scrapped, lost, back at the supplier)

and its place is where it is (its site in quarantine or transit), or for a sold unit
the store that sold it (NO_PLACE for units with none). `recall_counts` holds units per
(campaign, place, bucket), changed by the transaction that moves the units:
`place_serials` (every move of a serial goes through it) measures the listed units it
moves before and after (`keeping_counts`), the hold adds its own delta set-based, and
marking units returned or remedied goes through `keeping_counts` too. A campaign's
counts start in the transaction that lists its units (`count_campaign`), which first
locks their serial rows (PostgreSQL), so a move in flight either finished before the
count (and is in it) or waits and adds its delta after.

`recall_days` keeps the campaign's day-by-day figures (held by its hold, sold during
the stop-sale, returned, remedied: units per UTC day and place), for its chart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Connection, and_, case, delete, func, literal, select

from storenet.ledger.locations import CUSTOMER, FIRST_REAL_ID, QUARANTINE, TRANSIT
from storenet.store.bulk import upsert_rows
from storenet.store.schema import movements, recall_counts, recall_days, recall_units, serials

NO_PLACE = 0
# Serials per look-up statement (an IN list).
CHUNK = 5000

Key = tuple[str, int, str]  # (campaign, place, bucket)


def unit_bucket():  # type: ignore[no-untyped-def]
    """The funnel bucket of a listed unit, as a SQL expression over `recall_units`
    outer-joined to `serials` (labelled "bucket"): the one classification both the
    kept counts and the recomputed funnel (`storenet.recall.funnel`) use."""
    s, u = serials, recall_units
    return case(
        (u.c.remedied_at.is_not(None), literal("remedied")),
        (u.c.returned_at.is_not(None), literal("returned")),
        (s.c.serial.is_(None), literal("unlocated")),
        (s.c.location_id == QUARANTINE, literal("held_in_network")),
        (s.c.location_id == TRANSIT, literal("in_transit")),
        (
            and_(s.c.location_id == CUSTOMER, s.c.buyer_ref.is_not(None)),
            literal("sold_reached"),
        ),
        (s.c.location_id == CUSTOMER, literal("sold_unreached")),
        (s.c.location_id >= FIRST_REAL_ID, literal("not_held")),
        else_=literal("written_off"),
    ).label("bucket")


def unit_place():  # type: ignore[no-untyped-def]
    """The store or warehouse a listed unit counts at (NULL: none), as a SQL
    expression: where it is, the site holding it in quarantine or in transit, or the
    store that sold it (`movements` outer-joined on the serial's last movement)."""
    s = serials
    return case(
        (s.c.location_id >= FIRST_REAL_ID, s.c.location_id),
        (s.c.location_id.in_((QUARANTINE, TRANSIT)), s.c.site_location),
        (s.c.location_id == CUSTOMER, movements.c.from_location),
        else_=None,
    )


def _bucket_and_place():  # type: ignore[no-untyped-def]
    return unit_bucket(), func.coalesce(unit_place(), NO_PLACE).label("place")


def _states_query(where):  # type: ignore[no-untyped-def]
    bucket, place = _bucket_and_place()
    s, u = serials, recall_units
    return (
        select(u.c.campaign_id, place, bucket, func.count().label("units"))
        .select_from(u)
        .outerjoin(s, s.c.serial == u.c.serial)
        .outerjoin(
            movements,
            and_(movements.c.id == s.c.last_movement_id, s.c.location_id == CUSTOMER),
        )
        .where(where)
        .group_by(u.c.campaign_id, place, bucket)
    )


def unit_states(conn: Connection, numbers: list[str]) -> Counter[Key]:
    """Units per (campaign, place, bucket) among the serials `numbers`, for every
    campaign listing them (empty when none does): one indexed look-up per CHUNK."""
    out: Counter[Key] = Counter()
    wanted = sorted(set(numbers))
    for i in range(0, len(wanted), CHUNK):
        q = _states_query(recall_units.c.serial.in_(wanted[i : i + CHUNK]))
        for r in conn.execute(q):
            out[(r.campaign_id, r.place, r.bucket)] += r.units
    return out


def add_counts(conn: Connection, delta: Counter[Key] | dict[Key, int]) -> None:
    """Add `delta` ({(campaign, place, bucket): units}, zeros skipped) to the kept
    counts, in key order (concurrent writers queue instead of deadlocking)."""
    rows = [(c, p, b, n) for (c, p, b), n in sorted(delta.items()) if n]
    upsert_rows(
        conn,
        recall_counts,
        ("campaign_id", "location_id", "bucket"),
        ("campaign_id", "location_id", "bucket", "units"),
        rows,
        {"units": "recall_counts.units + excluded.units"},
    )


@contextmanager
def keeping_counts(conn: Connection, numbers: list[str], *, new_units: bool = False) -> Iterator:
    """Keep the counts of the units `numbers` across the change made inside the
    block: their listings are locked (PostgreSQL), their states read before and after,
    and the difference added. Costs two indexed reads when no campaign lists any.
    `new_units`: the block adds units to campaigns (read after even when none was
    listed before)."""
    _lock_listings(conn, numbers)
    before = unit_states(conn, numbers) if numbers else Counter()
    yield
    if before or (new_units and numbers):
        after = unit_states(conn, numbers)
        delta = Counter(after)
        delta.subtract(before)
        add_counts(conn, delta)


def _lock_listings(conn: Connection, numbers: list[str]) -> None:
    """PostgreSQL: lock the `recall_units` rows of the serials `numbers` (every
    campaign's), in key order, until the transaction ends, so two changes of one unit
    (a move and its remedy, say) read its state one after the other, never both from
    before either. After the balance and serial rows, as every mover takes them."""
    if conn.dialect.name != "postgresql" or not numbers:
        return
    wanted = sorted(set(numbers))
    for i in range(0, len(wanted), CHUNK):
        q = (
            select(recall_units.c.campaign_id)
            .where(recall_units.c.serial.in_(wanted[i : i + CHUNK]))
            .order_by(recall_units.c.campaign_id, recall_units.c.serial)
            .with_for_update()
        )
        conn.execute(q).all()


def lock_units(conn: Connection, campaign_id: str) -> None:
    """PostgreSQL: share-lock the serial rows of the units campaign `campaign_id`
    lists, in serial order, until the transaction ends: a move of one of them in
    flight finishes first (and a count after this sees it), a later one waits."""
    if conn.dialect.name != "postgresql":
        return
    listed = select(recall_units.c.serial).where(recall_units.c.campaign_id == campaign_id)
    locking = (
        select(serials.c.serial)
        .where(serials.c.serial.in_(listed))
        .order_by(serials.c.serial)
        .with_for_update(read=True)
        .subquery()
    )
    conn.execute(select(func.count()).select_from(locking))


def count_campaign(conn: Connection, campaign_id: str) -> None:
    """(Re)count campaign `campaign_id`'s units from the ledger into its kept
    counts, replacing what was kept (after `lock_units`, in the transaction that
    listed them, or to repair)."""
    conn.execute(delete(recall_counts).where(recall_counts.c.campaign_id == campaign_id))
    q = _states_query(recall_units.c.campaign_id == campaign_id)
    add_counts(conn, {(r.campaign_id, r.place, r.bucket): r.units for r in conn.execute(q)})


def kept_rows(
    conn: Connection, campaign_id: str, visible: set[int] | None = None
) -> list[tuple[str, int | None, int]]:
    """(bucket, place or None, units) of the campaign's kept counts; with `visible`
    (location ids), only those places."""
    q = select(recall_counts.c.bucket, recall_counts.c.location_id, recall_counts.c.units).where(
        recall_counts.c.campaign_id == campaign_id, recall_counts.c.units != 0
    )
    if visible is not None:
        q = q.where(recall_counts.c.location_id.in_(sorted(visible)))
    return [(b, None if p == NO_PLACE else p, n) for b, p, n in conn.execute(q).all()]


def kept_totals(conn: Connection, campaign_id: str, visible: set[int] | None = None) -> dict:
    """{bucket: units} of the campaign's kept counts, summed by the database; with
    `visible` (location ids), only those places."""
    c = recall_counts
    q = (
        select(c.c.bucket, func.sum(c.c.units).label("units"))
        .where(c.c.campaign_id == campaign_id)
        .group_by(c.c.bucket)
    )
    if visible is not None:
        q = q.where(c.c.location_id.in_(sorted(visible)))
    return {r.bucket: int(r.units) for r in conn.execute(q)}


def add_days(conn: Connection, rows: list[tuple[str, date, int | None, str, int]]) -> None:
    """Add (campaign, UTC day, place, measure, units) to the campaign's day-by-day
    figures (`measure`: held, sold, returned or remedied)."""
    total: Counter[tuple[str, date, int, str]] = Counter()
    for campaign_id, day, place, measure, units in rows:
        total[(campaign_id, day, NO_PLACE if place is None else place, measure)] += units
    upsert_rows(
        conn,
        recall_days,
        ("campaign_id", "day", "location_id", "measure"),
        ("campaign_id", "day", "location_id", "measure", "units"),
        [(*k, n) for k, n in sorted(total.items()) if n],
        {"units": "recall_days.units + excluded.units"},
    )


def kept_days(
    conn: Connection, campaign_id: str, visible: set[int] | None = None
) -> list[tuple[date, str, int]]:
    """(day, measure, units) of the campaign's day-by-day figures, summed over its
    places (with `visible`, only those)."""
    d = recall_days
    q = (
        select(d.c.day, d.c.measure, func.sum(d.c.units).label("units"))
        .where(d.c.campaign_id == campaign_id)
        .group_by(d.c.day, d.c.measure)
    )
    if visible is not None:
        q = q.where(d.c.location_id.in_(sorted(visible)))
    return [(r.day, r.measure, int(r.units)) for r in conn.execute(q)]
