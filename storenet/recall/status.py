"""A recall campaign's statuses and the only ways between them.

    open --complete--> completed --close--> closed
    completed --reopen--> open
    open | completed --cancel--> cancelled

A campaign is open from its creation (its hold applies at once: a recall cannot wait
for a second signature). Completing it says its criteria are met; closing it is the
proof the campaign finished, so it needs a second person: whoever completed it may not
close it (four eyes, checked on the locked row inside the closing transaction). No state
is skipped: a change not in `EDGES` is a `StatusConflict`, whether asked out of order or
lost to a concurrent change (the row lock makes the second writer wait, then see the
first). Every change is a dated row in `recall_campaign_transitions` and one audit
entry; nothing is deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from storenet import errors
from storenet.accounts.errors import Denied
from storenet.audit.chain import record
from storenet.errors import Problem, Refused
from storenet.store.clock import utc_now
from storenet.store.locks import document_transitions, lock_document
from storenet.store.schema import recall_campaign_transitions, recall_campaigns

STATUSES = ("open", "completed", "closed", "cancelled")
# (from, to) -> the action that makes the change.
EDGES: dict[tuple[str, str], str] = {
    ("open", "completed"): "complete",
    ("completed", "closed"): "close",
    ("completed", "open"): "reopen",
    ("open", "cancelled"): "cancel",
    ("completed", "cancelled"): "cancel",
}
TARGET = {"complete": "completed", "close": "closed", "reopen": "open", "cancel": "cancelled"}
NEEDS = {action: tuple(f for (f, _), a in EDGES.items() if a == action) for action in TARGET}
FOUR_EYES = "four eyes: the person who completed a recall campaign may not also close it"


class StatusConflict(errors.StatusConflict):
    """The campaign (or one of its contacts) is not in a status `action` can start
    from (out of order, or a concurrent change won). Nothing was written. Edges answer
    409."""

    document = "recall campaign"
    needs = NEEDS


def lock_campaign(conn: Connection, campaign_id: str) -> dict:
    """The campaign's row, locked until commit (FOR UPDATE on PostgreSQL). NotFound."""
    return lock_document(conn, recall_campaigns, campaign_id, "recall campaign")


def transitions(conn: Connection, campaign_id: str) -> list[dict]:
    """The campaign's status changes, oldest first: {at, from_status, to_status, by,
    reason}."""
    return document_transitions(
        conn, recall_campaign_transitions, "campaign_id", campaign_id, "reason"
    )


def change_status(
    conn: Connection,
    campaign_id: str,
    action: str,
    by: str,
    reason: str = "",
    at: datetime | None = None,
) -> dict:
    """Make `action` (complete, close, reopen, cancel) on campaign `campaign_id` as `by`,
    in the caller's transaction: a dated transition row and one audit entry
    ("recall.<action>", status before and after). A reopen or a cancel must say why
    (`reason`, 1-500 characters). StatusConflict when the campaign's status does not
    allow `action`; Denied (four eyes) when `by` completed the campaign and now closes
    it; NotFound. Answers {"id", "status"}."""
    if action not in TARGET:
        raise Refused([Problem("action", f"must be one of {', '.join(TARGET)}", value=action)])
    reason = (reason or "").strip()
    if action in ("reopen", "cancel") and not reason:
        raise Refused([Problem("reason", f"is required: say why you {action} the campaign")])
    if len(reason) > 500 or "\x00" in reason:
        raise Refused([Problem("reason", "must be at most 500 characters, without NUL")])
    row = lock_campaign(conn, campaign_id)
    to = TARGET[action]
    if EDGES.get((row["status"], to)) != action:
        raise StatusConflict(campaign_id, row["status"], action)
    if action == "close" and _completed_by(conn, campaign_id) == by:
        raise Denied("recall.write", target=campaign_id, reason=FOUR_EYES)
    now = at or utc_now()
    conn.execute(
        update(recall_campaigns).where(recall_campaigns.c.id == campaign_id).values(status=to)
    )
    conn.execute(
        insert(recall_campaign_transitions).values(
            campaign_id=campaign_id,
            at=now,
            from_status=row["status"],
            to_status=to,
            by=by,
            reason=reason,
        )
    )
    record(
        conn,
        by,
        f"recall.{action}",
        f"recall:{campaign_id}",
        {"status": row["status"]},
        {"status": to, **({"reason": reason} if reason else {})},
    )
    return {"id": campaign_id, "status": to}


def _completed_by(conn: Connection, campaign_id: str) -> str | None:
    t = recall_campaign_transitions
    q = (
        select(t.c.by)
        .where(t.c.campaign_id == campaign_id, t.c.to_status == "completed")
        .order_by(t.c.id.desc())
        .limit(1)
    )
    return conn.execute(q).scalar()
