"""What happens to a purchase order after it is drafted: approve, send, confirm,
cancel (receiving is `storenet.purchasing.receipts`).

Each function runs in the caller's transaction under the order's row lock, checks
the change against the transition table (`storenet.purchasing.status`: a change out
of order or lost to a concurrent one is a StatusConflict, nothing written), keeps the
dated transition row and writes one audit entry (who, what, status before and after),
as plan decisions are audited. Nothing is ever deleted: a cancelled line keeps its
ordered quantity and records what was cancelled.

Four eyes: a manual order is approved by someone other than the person who created it.
The check reads the locked header inside the approving transaction, so no edge and no
race can get around it. (An order the approved nightly plan creates arrives approved:
approving the plan was the second look; `storenet.purchasing.orders`.)
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, select, update

from storenet.accounts.errors import Denied
from storenet.audit.chain import record
from storenet.errors import Problem, Refused
from storenet.purchasing.orders import get_purchase_order, is_line_of, open_units
from storenet.purchasing.status import lock_order, move, require_status
from storenet.store.clock import as_utc
from storenet.store.schema import purchase_order_lines

FOUR_EYES = "four eyes: the person who created a purchase order may not approve it"


def approve_purchase_order(conn: Connection, po_id: str, by: str) -> dict:
    """Approve draft order `po_id` as `by`. Denied (four eyes) when `by` created it;
    StatusConflict unless it is a draft; NotFound. Returns the order."""
    header = lock_order(conn, po_id)
    require_status(header, "approve")
    if header["created_by"] == by:
        raise Denied("po.approve", target=po_id, reason=FOUR_EYES)
    move(conn, header, "approved", by, "approve")
    _audit(conn, by, "po.approve", po_id, "draft", header["status"])
    return get_purchase_order(conn, po_id)


def send_purchase_order(conn: Connection, po_id: str, by: str, at: datetime | None = None) -> dict:
    """Mark approved order `po_id` sent to its supplier as `by` (`at`: when, default
    now; lead times count from it). StatusConflict unless approved; NotFound."""
    header = lock_order(conn, po_id)
    require_status(header, "send")
    move(conn, header, "sent", by, "send", at=as_utc(at) if at else None)
    _audit(conn, by, "po.send", po_id, "approved", "sent")
    return get_purchase_order(conn, po_id)


def confirm_purchase_order(
    conn: Connection,
    po_id: str,
    by: str,
    *,
    promised_on: date | None = None,
    lines: list[dict] | None = None,
) -> dict:
    """Record the supplier's confirmation of sent order `po_id` as `by`: per line the
    quantity it will deliver and the promised day. `lines` are {"line_no", "qty"?,
    "promised_on"?}; a line not named (or without "qty") is confirmed as ordered, and
    without a day of its own gets `promised_on`. A confirmed quantity may differ from
    the order (0 = will not deliver); open units count from it. Refused naming the
    line and field for an unknown line, a line named twice, a bad quantity or day;
    StatusConflict unless sent; NotFound."""
    header = lock_order(conn, po_id)
    require_status(header, "confirm")
    current = _lines(conn, po_id)
    given: dict[int, dict] = {}
    problems: list[Problem] = []
    if promised_on is not None and not isinstance(promised_on, date):
        problems.append(Problem("promised_on", "must be a date", value=str(promised_on)))
    for i, line in enumerate(lines or [], start=1):
        where = f"line {i}"
        n = line.get("line_no") if isinstance(line, dict) else None
        if not is_line_of(n, current):
            problems.append(Problem("line_no", "is not a line of this order", where, n))
            continue
        if n in given:
            problems.append(Problem("line_no", "is named twice", where, n))
        qty = line.get("qty")
        if qty is not None and (isinstance(qty, bool) or not isinstance(qty, int) or qty < 0):
            problems.append(Problem("qty", "must be a whole number, zero or more", where, qty))
        day = line.get("promised_on")
        if day is not None and not isinstance(day, date):
            problems.append(Problem("promised_on", "must be a date", where, str(day)))
        given[n] = line
    if problems:
        raise Refused(problems)
    confirmed = {}
    for n, row in current.items():
        said = given.get(n, {})
        qty = said.get("qty")
        confirmed[n] = {
            "qty_confirmed": row["qty_ordered"] if qty is None else qty,
            "promised_on": said.get("promised_on") or promised_on,
        }
        conn.execute(
            update(purchase_order_lines)
            .where(purchase_order_lines.c.po_id == po_id, purchase_order_lines.c.line_no == n)
            .values(**confirmed[n])
        )
    move(conn, header, "confirmed", by, "confirm")
    after = {
        str(n): {"qty": c["qty_confirmed"], "promised_on": c["promised_on"]}
        for n, c in confirmed.items()
    }
    _audit(conn, by, "po.confirm", po_id, "sent", "confirmed", lines=after)
    return get_purchase_order(conn, po_id)


def cancel_purchase_order(
    conn: Connection, po_id: str, by: str, reason: str, lines: list[int] | None = None
) -> dict:
    """Cancel the rest of order `po_id` as `by`, saying why (`reason`, required): each
    line's open units become `qty_cancelled` (every line, or only line numbers
    `lines`). When no line expects anything more the order ends: closed if anything
    was received, else cancelled; otherwise it keeps its status (a line-only cancel).
    Audited as po.cancel with the units cancelled per line. Refused for a missing
    reason or an unknown line; StatusConflict for a closed or cancelled order;
    NotFound."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused([Problem("reason", "is required: say why the order is cancelled")])
    if len(reason) > 500:
        raise Refused([Problem("reason", "is longer than 500 characters")])
    header = lock_order(conn, po_id)
    require_status(header, "cancel")
    current = _lines(conn, po_id)
    chosen = sorted(current) if lines is None else lines
    unknown = [n for n in chosen if not is_line_of(n, current)]
    if unknown or not chosen:
        raise Refused([Problem("lines", "names no line of this order", value=unknown or chosen)])
    cancelled = {}
    for n in sorted(set(chosen)):
        rest = open_units(current[n])
        if rest:
            cancelled[str(n)] = rest
            current[n]["qty_cancelled"] += rest
            conn.execute(
                update(purchase_order_lines)
                .where(purchase_order_lines.c.po_id == po_id, purchase_order_lines.c.line_no == n)
                .values(qty_cancelled=purchase_order_lines.c.qty_cancelled + rest)
            )
    before = header["status"]
    if all(open_units(row) == 0 for row in current.values()):
        arrived = sum(row["qty_received"] + row["qty_damaged"] for row in current.values())
        move(conn, header, "closed" if arrived else "cancelled", by, "cancel", reason)
    _audit(conn, by, "po.cancel", po_id, before, header["status"], reason=reason, lines=cancelled)
    return get_purchase_order(conn, po_id)


def _lines(conn: Connection, po_id: str) -> dict[int, dict]:
    rows = conn.execute(
        select(purchase_order_lines).where(purchase_order_lines.c.po_id == po_id)
    ).all()
    return {r.line_no: r._asdict() for r in rows}


def _audit(
    conn: Connection, by: str, action: str, po_id: str, before: str, after: str, **more: object
) -> None:
    record(conn, by, action, f"po:{po_id}", {"status": before}, {"status": after, **more})
