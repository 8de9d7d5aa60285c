"""Which stores a standards auditor audits: a store, or every store of a region,
assigned over time. The open rows are the current assignments; ending one keeps its
history (valid_to). storenet.accounts.scope reads them for the role standards_auditor.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from storenet.accounts.roles import STANDARDS_AUDITOR
from storenet.audit.chain import record
from storenet.errors import Problem, Refused
from storenet.store.clock import utc_now
from storenet.store.locks import lock_name
from storenet.store.schema import regions, standards_assignments, stores, users


def _check(conn: Connection, auditor: str, store_id: str | None, region_id: str | None) -> None:
    problems = []
    role = conn.execute(select(users.c.role).where(users.c.username == auditor)).scalar()
    if role != STANDARDS_AUDITOR:
        problems.append(
            Problem("auditor", "is not a user with the role standards_auditor", value=auditor)
        )
    if (store_id is None) == (region_id is None):
        problems.append(Problem("store_id", "give a store_id or a region_id, not both"))
    elif store_id is not None:
        if conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first() is None:
            problems.append(Problem("store_id", "is not a known store", value=store_id))
    elif conn.execute(select(regions.c.id).where(regions.c.id == region_id)).first() is None:
        problems.append(Problem("region_id", "is not a known region", value=region_id))
    if problems:
        raise Refused(problems)


def _current(auditor: str, store_id: str | None, region_id: str | None):  # type: ignore[no-untyped-def]
    a = standards_assignments
    place = a.c.store_id == store_id if store_id is not None else a.c.region_id == region_id
    return (a.c.auditor == auditor) & place & a.c.valid_to.is_(None)


def assign(
    conn: Connection,
    *,
    auditor: str,
    by: str,
    store_id: str | None = None,
    region_id: str | None = None,
) -> dict:
    """Assign store `store_id` or region `region_id` to standards auditor `auditor`, as
    `by`, from now. An assignment already open changes nothing ("created": False).
    Refused naming the field. Answers {"auditor", "store_id", "region_id", "created"}."""
    _check(conn, auditor, store_id, region_id)
    lock_name(conn, f"standards-assign:{auditor}")
    answer = {"auditor": auditor, "store_id": store_id, "region_id": region_id}
    a = standards_assignments
    if conn.execute(select(a.c.id).where(_current(auditor, store_id, region_id))).first():
        return {**answer, "created": False}
    conn.execute(
        insert(a).values(
            auditor=auditor, store_id=store_id, region_id=region_id, valid_from=utc_now()
        )
    )
    record(conn, by, "standards.assign", f"user:{auditor}", None, answer)
    return {**answer, "created": True}


def unassign(
    conn: Connection,
    *,
    auditor: str,
    by: str,
    store_id: str | None = None,
    region_id: str | None = None,
) -> dict:
    """End the open assignment of `store_id` or `region_id` to `auditor` now (kept as
    history). Nothing open: "ended": False. Answers {"auditor", "store_id",
    "region_id", "ended"}."""
    answer = {"auditor": auditor, "store_id": store_id, "region_id": region_id}
    ended = conn.execute(
        update(standards_assignments)
        .where(_current(auditor, store_id, region_id))
        .values(valid_to=utc_now())
    ).rowcount
    if ended:
        record(conn, by, "standards.unassign", f"user:{auditor}", answer, None)
    return {**answer, "ended": bool(ended)}


def current_assignments(conn: Connection, auditor: str | None = None) -> list[dict]:
    """Open assignments (of `auditor`, or everyone's): auditor, store_id, region_id,
    valid_from."""
    a = standards_assignments
    q = select(a.c.auditor, a.c.store_id, a.c.region_id, a.c.valid_from).where(
        a.c.valid_to.is_(None)
    )
    if auditor is not None:
        q = q.where(a.c.auditor == auditor)
    return [r._asdict() for r in conn.execute(q.order_by(a.c.auditor, a.c.id))]
