"""The decisions a planner takes on a nightly plan, each with its access check and its
audit entry, in the caller's transaction: edit a draft line, approve, reopen, cancel,
release.

The API (storenet.api.routes.plans), the console (storenet.web.plans) and the command
line (storenet.cli_plan, as a named operator) all call these, so every edge checks,
changes and audits a plan the same way. The documents
themselves (what an edit does) are `storenet.planning.documents`, and what a change
of status does is `storenet.planning.lifecycle`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from storenet.accounts.access import require
from storenet.accounts.principal import Principal
from storenet.audit.chain import record
from storenet.errors import NotFound
from storenet.planning.documents import edit_line
from storenet.planning.lifecycle import approve_plan, cancel_plan, release_plan, reopen_plan
from storenet.store.schema import plan_lines, plans


@dataclass(frozen=True)
class Decision:
    """A plan's header after a decision; `changed` is False when the plan already was
    in that state (nothing written, nothing audited)."""

    header: dict
    changed: bool


def _locked_status(conn: Connection, plan_id: str) -> str:
    """The plan's status, with its row locked until commit (so exactly one of two
    concurrent approvals or releases sees the change and audits it). NotFound."""
    status = conn.execute(
        select(plans.c.status).where(plans.c.id == plan_id).with_for_update()
    ).scalar()
    if status is None:
        raise NotFound("plan", plan_id)
    return status


def edit_plan_line(conn: Connection, who: Principal, plan_id: str, line_no: int, qty: int) -> dict:
    """Set line `line_no` of draft plan `plan_id` to `qty` units as `who`, audited as
    ``plan.edit`` (before and after quantity). Returns the line's stored columns.
    Denied without plan.write; NotFound for an unknown plan or line; Refused when the
    plan is not a draft or `qty` is not a whole number >= 0 (nothing written)."""
    require(conn, who, "plan.write")
    _locked_status(conn, plan_id)
    before = conn.execute(
        select(plan_lines.c.qty).where(
            plan_lines.c.plan_id == plan_id, plan_lines.c.line_no == line_no
        )
    ).scalar()
    if before is None:
        raise NotFound("plan line", f"{plan_id}#{line_no}")
    line = edit_line(conn, plan_id, line_no, qty)
    record(
        conn,
        who.username,
        "plan.edit",
        f"plan:{plan_id}#{line_no}",
        {"qty": before},
        {"qty": line["qty"]},
    )
    return line


def approve(conn: Connection, who: Principal, plan_id: str) -> Decision:
    """Approve draft plan `plan_id` as `who`, audited as ``plan.approve`` when the
    status changed (approving an approved or released plan changes nothing). Denied
    without plan.write; NotFound for an unknown plan."""
    require(conn, who, "plan.write")
    before = _locked_status(conn, plan_id)
    header = approve_plan(conn, plan_id, who.username)
    return _audited(conn, who, "plan.approve", plan_id, before, header)


def release(conn: Connection, who: Principal, plan_id: str) -> Decision:
    """Release approved plan `plan_id` into the ledger as `who`, audited as
    ``plan.release`` with the number of transfers. A released plan is released once:
    again, it returns the same header with `changed` False and writes nothing.
    Denied without plan.write; NotFound; Refused for a draft or a shipment the ledger
    refuses (then nothing is written)."""
    require(conn, who, "plan.write")
    before = _locked_status(conn, plan_id)
    header = release_plan(conn, plan_id, who.username)
    transfers = header.get("summary", {}).get("transfers")
    return _audited(conn, who, "plan.release", plan_id, before, header, transfers=transfers)


def reopen(conn: Connection, who: Principal, plan_id: str, reason: str) -> Decision:
    """Take approved plan `plan_id` back to draft as `who` (`reason` required), audited
    as ``plan.reopen`` when the status changed. Denied without plan.write; NotFound;
    Refused for a released or cancelled plan or a missing reason."""
    require(conn, who, "plan.write")
    before = _locked_status(conn, plan_id)
    header = reopen_plan(conn, plan_id, who.username, reason)
    return _audited(conn, who, "plan.reopen", plan_id, before, header, reason=reason)


def cancel(conn: Connection, who: Principal, plan_id: str, reason: str) -> Decision:
    """Cancel draft or approved plan `plan_id` as `who` (`reason` required), audited as
    ``plan.cancel`` when the status changed. Denied without plan.write; NotFound;
    Refused for a released plan or a missing reason."""
    require(conn, who, "plan.write")
    before = _locked_status(conn, plan_id)
    header = cancel_plan(conn, plan_id, who.username, reason)
    return _audited(conn, who, "plan.cancel", plan_id, before, header, reason=reason)


def _audited(
    conn: Connection,
    who: Principal,
    action: str,
    plan_id: str,
    before: str,
    header: dict,
    **after: object,
) -> Decision:
    """The decision, audited as `action` (status before and after, plus `after`) when
    the plan's status changed; nothing recorded when it did not."""
    changed = header["status"] != before
    if changed:
        record(
            conn,
            who.username,
            action,
            f"plan:{plan_id}",
            {"status": before},
            {"status": header["status"], **after},
        )
    return Decision(header, changed)
