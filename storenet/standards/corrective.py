"""Corrective actions: opened by an item failed in a submitted audit, closed only by a
later submitted audit of the same store passing the item of the same code.

There is no other way to close one (no button): the proof that a store fixed what
failed is an audit that saw it fixed. One action stays open per (store, item code): a
re-audit failing the item again keeps the action already open and its due date. Each
change is a dated row in `standards_action_transitions` and one audit entry. An action
is overdue on the first day after its due date while it is still open.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from storenet.audit.chain import record
from storenet.store.locks import document_transitions
from storenet.store.schema import standards_action_transitions, standards_actions, stores

STATUSES = ("open", "closed")


def apply_audit(
    conn: Connection,
    *,
    audit_id: str,
    store_id: str,
    failed: list[dict],
    passed_codes: list[str],
    by: str,
    at: datetime,
    today: date,
) -> dict:
    """Close the store's open actions whose item code passed in audit `audit_id`, and
    open one for each `failed` item ({code, section, text, due_days}) that has none
    open, due `today` + due_days. The caller holds the store's standards lock (two
    submissions of one store queue). Answers {"opened": [ids], "closed": [ids]}."""
    a = standards_actions
    closed: list[int] = []
    if passed_codes:
        rows = conn.execute(
            select(a.c.id).where(
                a.c.store_id == store_id, a.c.status == "open", a.c.item_code.in_(passed_codes)
            )
        ).scalars()
        for action_id in sorted(rows):
            conn.execute(
                update(a)
                .where(a.c.id == action_id)
                .values(status="closed", closed_at=at, closed_by_audit=audit_id)
            )
            _transition(conn, action_id, "open", "closed", by, audit_id, at)
            closed.append(action_id)
    still_open = set(
        conn.execute(
            select(a.c.item_code).where(a.c.store_id == store_id, a.c.status == "open")
        ).scalars()
    )
    opened: list[int] = []
    for item in failed:
        if item["code"] in still_open:
            continue
        action_id = conn.execute(
            insert(a)
            .values(
                store_id=store_id,
                item_code=item["code"],
                section=item["section"],
                text=item["text"],
                opened_by_audit=audit_id,
                due_on=today + timedelta(days=item["due_days"]),
                status="open",
                opened_at=at,
            )
            .returning(a.c.id)
        ).scalar_one()
        _transition(conn, action_id, "", "open", by, audit_id, at)
        opened.append(action_id)
    return {"opened": opened, "closed": closed}


def _transition(
    conn: Connection, action_id: int, was: str, now: str, by: str, audit_id: str, at: datetime
) -> None:
    conn.execute(
        insert(standards_action_transitions).values(
            action_id=action_id, at=at, from_status=was, to_status=now, by=by, audit_id=audit_id
        )
    )
    record(
        conn,
        by,
        "standards.action.open" if now == "open" else "standards.action.close",
        f"standards-action:{action_id}",
        {"status": was} if was else None,
        {"status": now, "audit": audit_id},
    )


def list_actions(
    conn: Connection,
    stores_seen: set[str] | None,
    *,
    store_id: str | None = None,
    status: str | None = None,
    today: date | None = None,
    only_overdue: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Corrective actions of the stores in `stores_seen` (None: every store), most
    urgent first (earliest due date), `limit` + 1 rows for paging: id, store_id,
    store_name, item_code, section, text, due_on, status, opened_at, opened_by_audit,
    closed_at, closed_by_audit and `overdue` (open and due before `today`; False
    without `today`). `only_overdue` keeps the overdue ones only (needs `today`)."""
    a = standards_actions
    q = select(
        a.c.id,
        a.c.store_id,
        stores.c.name.label("store_name"),
        a.c.item_code,
        a.c.section,
        a.c.text,
        a.c.due_on,
        a.c.status,
        a.c.opened_at,
        a.c.opened_by_audit,
        a.c.closed_at,
        a.c.closed_by_audit,
    ).join(stores, stores.c.id == a.c.store_id)
    if stores_seen is not None:
        q = q.where(a.c.store_id.in_(sorted(stores_seen)))
    if store_id is not None:
        q = q.where(a.c.store_id == store_id)
    if status is not None:
        q = q.where(a.c.status == status)
    if only_overdue:
        if today is None:
            raise ValueError("only_overdue needs today")
        q = q.where(a.c.status == "open", a.c.due_on < today)
    q = q.order_by(a.c.status.desc(), a.c.due_on, a.c.id).limit(limit + 1).offset(offset)
    rows = [r._asdict() for r in conn.execute(q)]
    for row in rows:
        row["overdue"] = today is not None and is_overdue(row, today)
    return rows


def is_overdue(action: dict, today: date) -> bool:
    """True when `action` is still open after its due date (`today` > due_on)."""
    return action["status"] == "open" and today > action["due_on"]


def action_transitions(conn: Connection, action_id: int) -> list[dict]:
    """The action's status changes, oldest first: {at, from_status, to_status, by,
    audit_id}."""
    return document_transitions(
        conn, standards_action_transitions, "action_id", action_id, "audit_id"
    )
