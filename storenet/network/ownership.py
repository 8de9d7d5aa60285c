"""Who owns each store and who runs each region, over time.

Ownership is history, never overwritten: `store_owners` and `region_managers` hold one
row per period, [valid_from, valid_to), and the open row (valid_to NULL) is the current
one. A change closes the open row at the change time and opens a new one from the same
instant, so the periods of one store (or region) never overlap and leave no gap. Rows
are never deleted.

A store's owner is a franchisee, or nobody (NULL), which means HQ runs it. A region's
manager is a name; a region may have none. All functions run inside the caller's
transaction; times are naive UTC (aware times are converted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table, and_, bindparam, insert, or_, select, update

from storenet.errors import NotFound, Problem, Refused
from storenet.store.clock import as_utc
from storenet.store.schema import franchisees, region_managers, regions, store_owners, stores


@dataclass(frozen=True)
class _History:
    """One kind of ownership history: the table, its subject column and value column."""

    table: Table
    subject: str  # "store_id" / "region_id"
    value: str  # "franchisee_id" / "manager"
    subjects: Table  # stores / regions, whose rows are locked while changing
    noun: str  # "store" / "region"
    holder: str  # "owner" / "manager"
    # A subject with no holder: stores record it as a row with NULL (HQ), regions
    # as no open row at all.
    null_is_a_row: bool


STORES = _History(store_owners, "store_id", "franchisee_id", stores, "store", "owner", True)
REGIONS = _History(region_managers, "region_id", "manager", regions, "region", "manager", False)


@dataclass(frozen=True)
class Changes:
    """What a bulk change did: periods opened, periods closed, subjects left as they were."""

    opened: int = 0
    closed: int = 0
    unchanged: int = 0


# --- stores -------------------------------------------------------------------------


def change_store_owner(
    conn: Connection, store_id: str, franchisee_id: str | None, at: datetime
) -> dict:
    """Make `franchisee_id` (None: HQ) the owner of `store_id` from `at` on.

    Closes the open ownership row at `at` and opens a new one from `at`; does nothing
    if the owner is already `franchisee_id`. A store with no ownership row yet gets its
    first one from `at`. Raises NotFound for an unknown store or franchisee, and Refused
    (field "at") when `at` is before the current row's valid_from: history is appended,
    never rewritten. Returns {"store_id", "franchisee_id", "previous", "changed", "at"}.
    """
    _require(conn, stores, store_id, "store")
    if franchisee_id is not None:
        _require(conn, franchisees, franchisee_id, "franchisee")
    at = as_utc(at)
    previous = _current(conn, STORES, [store_id]).get(store_id)
    changes = set_store_owners(conn, {store_id: franchisee_id}, at)
    return {
        "store_id": store_id,
        "franchisee_id": franchisee_id,
        "previous": previous[1] if previous else None,
        "changed": changes.opened > 0,
        "at": at,
    }


def set_store_owners(
    conn: Connection,
    owners: Mapping[str, str | None],
    at: datetime,
    since: Mapping[str, datetime] | None = None,
) -> Changes:
    """Bulk form of `change_store_owner` for {store_id: franchisee_id or None}.

    A store whose owner differs gets its open row closed at `at` and a new one from
    `at`. A store with no ownership row at all gets one from `since[store]` when given
    and earlier than `at` (an importer knows a store's owner since it opened), else
    from `at`. Stores and franchisees must exist (the caller checks; foreign keys
    enforce). Refused, with nothing written, if any change would be dated before the
    row it closes began.
    """
    return _set(conn, STORES, owners, as_utc(at), since or {})


def store_owner_history(conn: Connection, store_id: str) -> list[dict]:
    """Every ownership period of `store_id`, oldest first:
    [{"franchisee_id", "valid_from", "valid_to"}]; valid_to None is the current one.
    NotFound for an unknown store."""
    _require(conn, stores, store_id, "store")
    return _history(conn, STORES, store_id)


def owner_at(conn: Connection, store_id: str, at: datetime) -> str | None:
    """The franchisee that owned `store_id` at `at`, or None: HQ owned it, or no owner
    was recorded yet at that time. NotFound for an unknown store."""
    _require(conn, stores, store_id, "store")
    return _value_at(conn, STORES, store_id, as_utc(at))


def stores_of_franchisee(
    conn: Connection, franchisee_id: str, at: datetime | None = None
) -> list[str]:
    """Ids of the stores `franchisee_id` owns now (`at` None) or owned at `at`, sorted.
    NotFound for an unknown franchisee."""
    _require(conn, franchisees, franchisee_id, "franchisee")
    t = store_owners
    query = select(t.c.store_id).where(t.c.franchisee_id == franchisee_id)
    query = query.where(t.c.valid_to.is_(None) if at is None else _covers(t, as_utc(at)))
    return sorted(set(conn.execute(query).scalars()))


# --- regions ------------------------------------------------------------------------


def change_region_manager(
    conn: Connection, region_id: str, manager: str | None, at: datetime
) -> dict:
    """Make `manager` (None: nobody) run `region_id` from `at` on.

    Closes the open row at `at` and, unless `manager` is None, opens a new one from
    `at`; does nothing if `manager` already runs it. NotFound for an unknown region;
    Refused (field "at") when `at` is before the current row's valid_from. Returns
    {"region_id", "manager", "previous", "changed", "at"}.
    """
    _require(conn, regions, region_id, "region")
    if manager is not None and not manager.strip():
        raise Refused(
            [Problem("manager", "must not be blank (use None for nobody)", value=manager)]
        )
    at = as_utc(at)
    previous = _current(conn, REGIONS, [region_id]).get(region_id)
    changes = set_region_managers(conn, {region_id: manager}, at)
    return {
        "region_id": region_id,
        "manager": manager,
        "previous": previous[1] if previous else None,
        "changed": changes.opened > 0 or changes.closed > 0,
        "at": at,
    }


def set_region_managers(
    conn: Connection, managers: Mapping[str, str | None], at: datetime
) -> Changes:
    """Bulk form of `change_region_manager` for {region_id: manager or None}.

    Regions must exist (the caller checks; foreign keys enforce). Refused, with nothing
    written, if any change would be dated before the row it closes began.
    """
    return _set(conn, REGIONS, managers, as_utc(at), {})


def region_manager_history(conn: Connection, region_id: str) -> list[dict]:
    """Every management period of `region_id`, oldest first:
    [{"manager", "valid_from", "valid_to"}]. NotFound for an unknown region."""
    _require(conn, regions, region_id, "region")
    return _history(conn, REGIONS, region_id)


def manager_at(conn: Connection, region_id: str, at: datetime) -> str | None:
    """Who ran `region_id` at `at`, or None if nobody was recorded. NotFound for an
    unknown region."""
    _require(conn, regions, region_id, "region")
    return _value_at(conn, REGIONS, region_id, as_utc(at))


# --- shared -------------------------------------------------------------------------


def _require(conn: Connection, table: Table, key: str, kind: str) -> None:
    if conn.execute(select(table.c.id).where(table.c.id == key)).first() is None:
        raise NotFound(kind, key)


def _covers(t: Table, at: datetime):  # type: ignore[no-untyped-def]
    return and_(t.c.valid_from <= at, or_(t.c.valid_to.is_(None), t.c.valid_to > at))


def _current(
    conn: Connection, h: _History, subjects: list[str] | None = None
) -> dict[str, tuple[int, str | None, datetime]]:
    """{subject: (row id, value, valid_from)} of the open rows (of `subjects`, or all)."""
    t = h.table
    query = select(t.c.id, t.c[h.subject], t.c[h.value], t.c.valid_from).where(
        t.c.valid_to.is_(None)
    )
    if subjects is not None and len(subjects) < 1000:
        query = query.where(t.c[h.subject].in_(subjects))
    return {r[1]: (r[0], r[2], r[3]) for r in conn.execute(query)}


def _set(
    conn: Connection,
    h: _History,
    wanted: Mapping[str, str | None],
    at: datetime,
    since: Mapping[str, datetime],
) -> Changes:
    subjects = sorted(wanted)
    if not subjects:
        return Changes()
    _lock(conn, h, subjects)
    current = _current(conn, h, subjects)
    closes: list[dict] = []
    opens: list[dict] = []
    problems: list[Problem] = []
    unchanged = 0
    for subject in subjects:
        value = wanted[subject]
        row = current.get(subject)
        if row is None:
            if value is not None or h.null_is_a_row:
                start = min(as_utc(since[subject]), at) if subject in since else at
                opens.append(_open_row(h, subject, value, start))
            else:
                unchanged += 1
            continue
        row_id, held_by, valid_from = row
        if held_by == value:
            unchanged += 1
            continue
        if at < valid_from:
            problems.append(
                Problem(
                    "at",
                    f"is before the current {h.holder}'s period began ({valid_from}); "
                    "history cannot be rewritten",
                    f"{h.noun} {subject}",
                    at,
                )
            )
            continue
        closes.append({"row_id": row_id})
        if value is not None or h.null_is_a_row:
            opens.append(_open_row(h, subject, value, at))
    if problems:
        raise Refused(problems)
    t = h.table
    if closes:
        # Close first: the partial unique index allows one open row per subject.
        conn.execute(update(t).where(t.c.id == bindparam("row_id")).values(valid_to=at), closes)
    if opens:
        conn.execute(insert(t), opens)
    return Changes(opened=len(opens), closed=len(closes), unchanged=unchanged)


def _open_row(h: _History, subject: str, value: str | None, start: datetime) -> dict:
    return {h.subject: subject, h.value: value, "valid_from": start, "valid_to": None}


def _lock(conn: Connection, h: _History, subjects: list[str]) -> None:
    # PostgreSQL: lock the stores' (regions') rows in sorted order, so two changes of
    # one subject queue instead of both closing the same open row. SQLite already
    # serialises writers at BEGIN IMMEDIATE.
    if conn.dialect.name != "postgresql":
        return
    key = h.subjects.c.id
    for start in range(0, len(subjects), 5000):
        chunk = subjects[start : start + 5000]
        conn.execute(select(key).where(key.in_(chunk)).order_by(key).with_for_update()).all()


def _history(conn: Connection, h: _History, subject: str) -> list[dict]:
    t = h.table
    query = (
        select(t.c[h.value], t.c.valid_from, t.c.valid_to)
        .where(t.c[h.subject] == subject)
        .order_by(t.c.valid_from, t.c.id)
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def _value_at(conn: Connection, h: _History, subject: str, at: datetime) -> str | None:
    t = h.table
    query = (
        select(t.c[h.value])
        .where(t.c[h.subject] == subject, _covers(t, at))
        .order_by(t.c.valid_from.desc(), t.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).scalar()
