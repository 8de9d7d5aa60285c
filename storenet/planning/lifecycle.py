"""A plan's life after it is drafted: approve, reopen, cancel, release.

    draft --approve--> approved --release--> released
      ^                  |
      +-----reopen-------+
    draft | approved --cancel--> cancelled

Each change of status is a dated transition kept in `plan_transitions` (who, when,
from, to, why; `storenet.planning.documents.record_transition`), written in the
caller's transaction under the plan's row lock, so two
concurrent decisions on one plan are serialised and the second sees the first. The
access check and the audit entry around each decision are
`storenet.planning.decisions`; this module is what the decision does to the document.

Approval refuses a plan that cannot be carried out (`storenet.planning.feasibility`):
more units from a source than it has free, or a pair filled past its capacity. An
approved plan can go back to draft (to fix an edit) or be cancelled; a released plan is
final (its transfers are in the ledger). A cancelled plan's day can be planned again.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, select, update

from storenet.errors import Problem, Refused
from storenet.ledger.transfers import create_and_ship
from storenet.planning.documents import get_plan, record_transition
from storenet.planning.feasibility import plan_problems
from storenet.planning.upstream import release_upstream
from storenet.store.clock import utc_now
from storenet.store.schema import plan_lines, plans


def approve_plan(conn: Connection, plan_id: str, by: str) -> dict:
    """Approve a draft (`by`: who). Approving an approved or released plan changes
    nothing. Refused, naming each source and pair, when the plan sends more than a
    source has free or fills a pair past its capacity; Refused for a cancelled plan."""
    header = get_plan(conn, plan_id, lock=True)
    if header["status"] == "cancelled":
        raise Refused([Problem("plan", "is cancelled; plan the day again", value=plan_id)])
    if header["status"] != "draft":
        return header
    problems = plan_problems(conn, plan_id)
    if problems:
        raise Refused(problems)
    conn.execute(
        update(plans)
        .where(plans.c.id == plan_id)
        .values(status="approved", approved_at=utc_now(), approved_by=by)
    )
    record_transition(conn, plan_id, "draft", "approved", by)
    return get_plan(conn, plan_id, lock=True)


def reopen_plan(conn: Connection, plan_id: str, by: str, reason: str) -> dict:
    """Take an approved plan back to draft so it can be edited (`reason` required).
    Reopening a draft changes nothing. Refused for a released or cancelled plan."""
    reason = _required_reason(reason)
    header = get_plan(conn, plan_id, lock=True)
    if header["status"] == "draft":
        return header
    if header["status"] != "approved":
        raise Refused(
            [Problem("plan", f"is {header['status']}; only an approved plan reopens", "", plan_id)]
        )
    conn.execute(
        update(plans)
        .where(plans.c.id == plan_id)
        .values(status="draft", approved_at=None, approved_by=None)
    )
    record_transition(conn, plan_id, "approved", "draft", by, reason)
    return get_plan(conn, plan_id, lock=True)


def cancel_plan(conn: Connection, plan_id: str, by: str, reason: str) -> dict:
    """Cancel a draft or approved plan (`reason` required): it is kept, read-only, and
    its day can be planned again. Cancelling a cancelled plan changes nothing. Refused
    for a released plan (its transfers are in the ledger)."""
    reason = _required_reason(reason)
    header = get_plan(conn, plan_id, lock=True)
    if header["status"] == "cancelled":
        return header
    if header["status"] == "released":
        raise Refused(
            [Problem("plan", "is released; its transfers are in the ledger", "", plan_id)]
        )
    conn.execute(update(plans).where(plans.c.id == plan_id).values(status="cancelled"))
    record_transition(conn, plan_id, header["status"], "cancelled", by, reason)
    return get_plan(conn, plan_id, lock=True)


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Refused([Problem("reason", "is required: say why the plan changes state")])
    if len(reason) > 500:
        raise Refused([Problem("reason", "is longer than 500 characters")])
    return reason


def release_plan(conn: Connection, plan_id: str, by: str = "") -> dict:
    """Release an approved plan: one transfer per transfer number, created and shipped
    through the ledger in this transaction (ids ``<plan>-T<n>``), lines of zero units
    left out. Returns the header with the transfer ids. Releasing a released plan
    returns the same and writes nothing. Refused for a draft or a cancelled plan; a
    shipment the ledger refuses (not enough free stock at the source) refuses the whole
    release.
    """
    header = get_plan(conn, plan_id, lock=True)
    if header["status"] == "draft":
        raise Refused([Problem("plan", "is a draft; approve it first", value=plan_id)])
    if header["status"] == "cancelled":
        raise Refused([Problem("plan", "is cancelled; it cannot be released", value=plan_id)])
    if header["status"] == "released":
        return header
    rows = conn.execute(
        select(plan_lines)
        .where(plan_lines.c.plan_id == plan_id, plan_lines.c.qty > 0)
        .order_by(plan_lines.c.transfer_no, plan_lines.c.sku_id)
    ).all()
    transfers: dict[int, dict] = {}
    for row in rows:
        doc = transfers.setdefault(
            row.transfer_no, {"source": row.source_id, "destination": row.store_id, "lines": {}}
        )
        doc["lines"][row.sku_id] = doc["lines"].get(row.sku_id, 0) + row.qty
    released = []
    for number, doc in sorted(transfers.items()):
        transfer_id = f"{plan_id}-T{number:06d}"
        lines = [{"sku": sku, "qty": qty} for sku, qty in sorted(doc["lines"].items())]
        create_and_ship(
            conn,
            transfer_id=transfer_id,
            source=doc["source"],
            destination=doc["destination"],
            lines=lines,
            by=by or "nightly plan",
            reason=f"plan {plan_id}",
        )
        released.append(transfer_id)
    upstream = release_upstream(conn, plan_id, by or "nightly plan")
    summary = {
        **header["summary"],
        "transfers": len(released),
        "purchase_orders_released": len(upstream["purchase_orders"]),
        "warehouse_transfers": len(upstream["warehouse_transfers"]),
    }
    conn.execute(
        update(plans)
        .where(plans.c.id == plan_id)
        .values(
            status="released", released_at=utc_now(), summary=json.dumps(summary, sort_keys=True)
        )
    )
    record_transition(conn, plan_id, "approved", "released", by)
    return get_plan(conn, plan_id, lock=True)
