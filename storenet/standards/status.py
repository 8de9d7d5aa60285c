"""An audit's statuses and the only ways between them.

    started --submit--> submitted
    started --cancel--> cancelled

An audit is started when created; its items are scored (and re-scored) while it is
started. Submitting needs every item scored: it fixes the score, closes the store's
corrective actions whose items now pass and opens one for each failed item. A cancel
must say why. Submitted and cancelled are final: a correction is a new audit (a
re-audit), never an edit or a delete. A change not in `EDGES` is a StatusConflict,
whether asked out of order or lost to a concurrent change (the audit's row is locked,
so the second writer waits and then sees the first). Every change is a dated row in
`standards_audit_transitions` and one audit entry.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, insert, select, update

from storenet import errors
from storenet.audit.chain import record
from storenet.errors import Problem, Refused
from storenet.standards import corrective
from storenet.standards.score import Scored, by_section, weighted
from storenet.store.clock import utc_now
from storenet.store.locks import document_transitions, lock_document, lock_name
from storenet.store.schema import (
    standards_audit_transitions,
    standards_audits,
    standards_items,
    standards_results,
)

STATUSES = ("started", "submitted", "cancelled")
EDGES: dict[tuple[str, str], str] = {
    ("started", "submitted"): "submit",
    ("started", "cancelled"): "cancel",
}
TARGET = {"submit": "submitted", "cancel": "cancelled"}
# Scoring an item and attaching a photo change an audit that is still started.
NEEDS = {
    **{action: tuple(f for (f, _), a in EDGES.items() if a == action) for action in TARGET},
    "score": ("started",),
    "attach a photo to": ("started",),
}


class StatusConflict(errors.StatusConflict):
    """The audit is not in a status `action` can start from (out of order, or a
    concurrent change won). Nothing was written. Edges answer 409."""

    document = "standards audit"
    needs = NEEDS


def lock_audit(conn: Connection, audit_id: str) -> dict:
    """The audit's row, locked until commit (FOR UPDATE on PostgreSQL). NotFound."""
    return lock_document(conn, standards_audits, audit_id, "standards audit")


def transitions(conn: Connection, audit_id: str) -> list[dict]:
    """The audit's status changes, oldest first: {at, from_status, to_status, by,
    reason}."""
    return document_transitions(conn, standards_audit_transitions, "audit_id", audit_id, "reason")


def add_transition(
    conn: Connection, audit_id: str, was: str, now: str, by: str, at: datetime, reason: str = ""
) -> None:
    """Write one dated transition row of the audit (the caller audits it)."""
    conn.execute(
        insert(standards_audit_transitions).values(
            audit_id=audit_id, at=at, from_status=was, to_status=now, by=by, reason=reason
        )
    )


def change_status(
    conn: Connection,
    audit_id: str,
    action: str,
    by: str,
    *,
    today: date,
    reason: str = "",
    at: datetime | None = None,
) -> dict:
    """Make `action` (submit, cancel) on audit `audit_id` as `by`, in the caller's
    transaction, with one transition row and one audit entry. Submitting needs every
    item scored (Refused naming each unscored item as items.<code>); it sets the score
    and applies corrective actions, due from `today` (the market's day). A cancel needs
    a `reason` (1-500 characters). StatusConflict when the audit's status does not
    allow `action`; NotFound. Answers {"id", "status", "score_bp"?, "opened"?,
    "closed"?}."""
    if action not in TARGET:
        raise Refused([Problem("action", f"must be one of {', '.join(TARGET)}", value=action)])
    reason = (reason or "").strip()
    if action == "cancel" and not reason:
        raise Refused([Problem("reason", "is required: say why the audit is cancelled")])
    if len(reason) > 500 or "\x00" in reason:
        raise Refused([Problem("reason", "must be at most 500 characters, without NUL")])
    row = lock_audit(conn, audit_id)
    to = TARGET[action]
    if EDGES.get((row["status"], to)) != action:
        raise StatusConflict(audit_id, row["status"], action)
    now = at or utc_now()
    answer: dict = {"id": audit_id, "status": to}
    values: dict = {"status": to}
    if action == "submit":
        lock_name(conn, f"standards-store:{row['store_id']}")
        items = _scored_items(conn, row)
        scored = [Scored(i["section"], i["weight"], i["score"], i["max_score"]) for i in items]
        values |= {"submitted_at": now, "score_bp": weighted(scored)}
        changed = corrective.apply_audit(
            conn,
            audit_id=audit_id,
            store_id=row["store_id"],
            failed=[i for i in items if not i["passed"]],
            passed_codes=[i["code"] for i in items if i["passed"]],
            by=by,
            at=now,
            today=today,
        )
        answer |= {
            "score_bp": values["score_bp"],
            "sections": by_section(scored),
            "opened": changed["opened"],
            "closed": changed["closed"],
        }
    conn.execute(update(standards_audits).where(standards_audits.c.id == audit_id).values(**values))
    add_transition(conn, audit_id, row["status"], to, by, now, reason)
    record(
        conn,
        by,
        f"standards.{action}",
        f"standards-audit:{audit_id}",
        {"status": row["status"]},
        {
            "status": to,
            **({"reason": reason} if reason else {}),
            **({"score_bp": values["score_bp"]} if action == "submit" else {}),
        },
    )
    return answer


def _scored_items(conn: Connection, audit: dict) -> list[dict]:
    """Every item of the audit's version with its result; Refused naming those not
    scored yet."""
    i, r = standards_items, standards_results
    q = (
        select(
            i.c.code,
            i.c.section,
            i.c.text,
            i.c.weight,
            i.c.max_score,
            i.c.due_days,
            r.c.score,
            r.c.passed,
        )
        .select_from(i)
        .outerjoin(r, (r.c.item_id == i.c.id) & (r.c.audit_id == audit["id"]))
        .where(i.c.version_id == audit["version_id"])
        .order_by(i.c.position)
    )
    items = [row._asdict() for row in conn.execute(q)]
    missing = [
        Problem(f"items.{x['code']}", "is not scored yet") for x in items if x["score"] is None
    ]
    if missing:
        raise Refused(missing)
    return items
