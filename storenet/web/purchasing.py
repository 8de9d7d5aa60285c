"""The console's purchase orders: the list (filtered, paged), one order with its lines,
receipts and dated transitions and its next decision, and the receiving form.

Every write goes through `storenet.purchasing.actions`, the functions the API and the
command line call, so the page checks access and audits as they do (the page only
hides what a role may not do: the approve button from the order's creator, four eyes).
Each form carries an idempotency key made when it was drawn, so a double submit
replays the first answer. Answers re-render the panel they came from: a message, or
the refusal's reasons (422 for bad input, 409 for an order another change moved on or
a key reused with other input). An order outside the caller's scope answers 404
exactly as an unknown one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from uuid import uuid4

from fastapi import APIRouter, Form, Path, Query, Request
from sqlalchemy import Connection
from starlette.responses import Response

from storenet.accounts.principal import Principal
from storenet.accounts.roles import allowed
from storenet.errors import IdempotencyConflict, Problem, Refused
from storenet.http.service import Service, ServiceDep
from storenet.purchasing import actions
from storenet.purchasing.status import STATUSES, StatusConflict
from storenet.web.layout import PREFIX, Offset, Viewer, render

router = APIRouter(include_in_schema=False)

PoId = Annotated[str, Path(min_length=1, max_length=64)]
Key = Annotated[str, Form(max_length=64)]
Many = Annotated[list[str], Form()]
Filter = Annotated[str, Query(max_length=32)]
PER_PAGE = 25
# The order page's decisions and the policy's action each needs.
DECISIONS = {
    "approve": "po.approve",
    "send": "po.write",
    "confirm": "po.write",
    "cancel": "po.write",
}


def _can(who: Principal, order: dict | None = None) -> dict[str, bool]:
    """What `who` may do (function scope; the order's creator may not approve it)."""
    can = {name: allowed(who.role, action) for name, action in DECISIONS.items()}
    can["receive"] = allowed(who.role, "po.receive")
    if order is not None and order["created_by"] == who.username:
        can["approve"] = False
    return can


def _context(who: Principal, order: dict | None = None) -> dict[str, Any]:
    return {"can": _can(who, order), "new_key": lambda: uuid4().hex, "po_url": _po_url}


def _po_url(po_id: str, *tail: str) -> str:
    return "/".join([f"{PREFIX}/purchase-orders/{quote(po_id, safe='')}", *tail])


@router.get(PREFIX + "/purchase-orders")
def orders_page(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    status: Filter = "",
    supplier: Filter = "",
    warehouse: Filter = "",
    offset: Offset = 0,
) -> Response:
    """The orders the caller may see, newest first, filtered and paged (po.read)."""
    wanted = {"status": status, "supplier": supplier, "warehouse": warehouse}
    if status and status not in STATUSES:
        raise Refused([Problem("status", f"must be one of {', '.join(STATUSES)}", value=status)])
    rows = svc.read(
        lambda conn: actions.list_orders(
            conn,
            who,
            status=status or None,
            supplier=supplier or None,
            warehouse=warehouse or None,
            limit=PER_PAGE,
            offset=offset,
        )
    )

    def page_url(at: int) -> str:
        query = {k: v for k, v in {**wanted, "offset": at or ""}.items() if v}
        return f"{PREFIX}/purchase-orders" + (f"?{urlencode(query)}" if query else "")

    return render(
        request,
        "purchasing/orders.html",
        who,
        orders=rows[:PER_PAGE],
        wanted=wanted,
        statuses=STATUSES,
        previous=page_url(max(0, offset - PER_PAGE)) if offset else None,
        following=page_url(offset + PER_PAGE) if len(rows) > PER_PAGE else None,
        **_context(who),
    )


@router.get(PREFIX + "/purchase-orders/{po_id}")
def order_page(request: Request, who: Viewer, svc: ServiceDep, po_id: PoId) -> Response:
    """One order: header, lines, decision panel, receipts and transitions (po.read)."""
    order = svc.read(lambda conn: actions.read_order(conn, who, po_id))
    return render(
        request, "purchasing/order.html", who, order=order, note=None, **_context(who, order)
    )


def _decide(
    request: Request,
    who: Principal,
    svc: Service,
    po_id: str,
    write: Callable[[Connection], dict],
    message: str,
) -> Response:
    """Run a decision and answer the decision panel: 200 with `message`, 422 with the
    refusal's reasons, 409 when the order moved on (or the key was reused)."""
    status, note = 200, {"form": "po", "message": message, "problems": []}
    try:
        svc.write(write)
    except Refused as refused:
        status, note = 422, {"form": "po", "message": None, "problems": refused.problems}
    except StatusConflict as conflict:
        problem = Problem("status", str(conflict), value=conflict.status)
        status, note = 409, {"form": "po", "message": None, "problems": [problem]}
    except IdempotencyConflict as conflict:
        problem = Problem(conflict.field, "this form was sent before with other input")
        status, note = 409, {"form": "po", "message": None, "problems": [problem]}
    order = svc.read(lambda conn: actions.read_order(conn, who, po_id))
    return render(
        request,
        "purchasing/decision.html",
        who,
        status=status,
        order=order,
        note=note,
        **_context(who, order),
    )


def _key(key: str) -> str:
    if not key.strip():
        raise Refused([Problem("key", "is missing: reload the page and send the form again")])
    return "console:" + key.strip()


@router.post(PREFIX + "/purchase-orders/{po_id}/approve")
def order_approve(
    request: Request, who: Viewer, svc: ServiceDep, po_id: PoId, key: Key = ""
) -> Response:
    """Approve a draft (po.approve; the creator is refused: four eyes, 403)."""
    return _decide(
        request,
        who,
        svc,
        po_id,
        lambda conn: actions.approve_order(conn, who, key=_key(key), po_id=po_id),
        "Order approved.",
    )


@router.post(PREFIX + "/purchase-orders/{po_id}/send")
def order_send(
    request: Request, who: Viewer, svc: ServiceDep, po_id: PoId, key: Key = ""
) -> Response:
    """Mark an approved order sent to the supplier (po.write)."""
    return _decide(
        request,
        who,
        svc,
        po_id,
        lambda conn: actions.send_order(conn, who, key=_key(key), po_id=po_id),
        "Order marked as sent.",
    )


@router.post(PREFIX + "/purchase-orders/{po_id}/confirm")
def order_confirm(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    po_id: PoId,
    key: Key = "",
    promised_on: Annotated[str, Form(max_length=10)] = "",
    line_no: Many = [],  # noqa: B006 (FastAPI copies form defaults)
    qty: Many = [],  # noqa: B006
) -> Response:
    """Record the supplier's confirmation (po.write): a promised day and, per line, the
    units it will deliver (blank: as ordered)."""

    def write(conn: Connection) -> dict:
        problems, lines = [], []
        day = None
        if promised_on.strip():
            try:
                day = date.fromisoformat(promised_on.strip())
            except ValueError:
                reason = "must be a date YYYY-MM-DD"
                problems.append(Problem("promised_on", reason, "", promised_on))
        for n, q in zip(line_no, qty, strict=False):
            if q.strip():
                try:
                    lines.append({"line_no": int(n), "qty": int(q)})
                except ValueError:
                    problems.append(Problem("qty", "must be a whole number", f"line {n}", q))
        if problems:
            raise Refused(problems)
        return actions.confirm_order(
            conn, who, key=_key(key), po_id=po_id, promised_on=day, lines=lines or None
        )

    return _decide(request, who, svc, po_id, write, "Confirmation recorded.")


@router.post(PREFIX + "/purchase-orders/{po_id}/cancel")
def order_cancel(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    po_id: PoId,
    key: Key = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Cancel the rest of the order, with a reason (po.write)."""
    return _decide(
        request,
        who,
        svc,
        po_id,
        lambda conn: actions.cancel_order(conn, who, key=_key(key), po_id=po_id, reason=reason),
        "The rest of the order is cancelled.",
    )


@router.get(PREFIX + "/purchase-orders/{po_id}/receive")
def receive_page(request: Request, who: Viewer, svc: ServiceDep, po_id: PoId) -> Response:
    """The receiving form of one order: per open line, units good and damaged (po.read;
    the form itself needs po.receive)."""
    order = svc.read(lambda conn: actions.read_order(conn, who, po_id))
    return render(
        request, "purchasing/receive.html", who, order=order, note=None, **_context(who, order)
    )


@router.post(PREFIX + "/purchase-orders/{po_id}/receive")
def receive_submit(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    po_id: PoId,
    key: Key = "",
    delivery_note: Annotated[str, Form(max_length=80)] = "",
    line_no: Many = [],  # noqa: B006
    good: Many = [],  # noqa: B006
    damaged: Many = [],  # noqa: B006
    serials: Many = [],  # noqa: B006
    damaged_serials: Many = [],  # noqa: B006
    over_note: Many = [],  # noqa: B006
) -> Response:
    """Book a delivery (po.receive, audited once per key); rows with no units are
    skipped. Answers the form with a message or the reasons (422, 409)."""
    rows = list(zip(line_no, good, damaged, serials, damaged_serials, over_note, strict=False))
    entered = {"key": key, "delivery_note": delivery_note, "rows": {r[0]: r for r in rows}}

    def write(conn: Connection) -> dict:
        return actions.receive_order(
            conn,
            who,
            key=_key(key),
            po_id=po_id,
            lines=_receipt_lines(rows),
            delivery_note=delivery_note.strip() or None,
        )

    status, note = 200, {"form": "po", "message": None, "problems": [], "entered": {}}
    try:
        done = svc.write(write)
        units = sum(line["good"] + line["damaged"] for line in done["lines"])
        lines, now = len(done["lines"]), done["status"].replace("_", " ")
        note["message"] = f"Received {units} units on {lines} lines; the order is {now}."
    except Refused as refused:
        status, note["problems"], note["entered"] = 422, refused.problems, entered
    except (StatusConflict, IdempotencyConflict) as conflict:
        field = getattr(conflict, "field", "status")
        note["problems"] = [Problem(field, str(conflict))]
        status, note["entered"] = 409, entered
    order = svc.read(lambda conn: actions.read_order(conn, who, po_id))
    return render(
        request,
        "purchasing/receive_form.html",
        who,
        status=status,
        order=order,
        note=note,
        **_context(who, order),
    )


def _receipt_lines(rows: list[tuple[str, ...]]) -> list[dict]:
    """The form's rows as receipt lines (rows without units skipped), or Refused."""
    problems, lines = [], []
    for n, g, d, s, ds, over in rows:
        if not (g.strip() or d.strip()):
            continue
        where = f"line {n}"
        line: dict[str, Any] = {"line_no": int(n) if n.isdigit() else n}
        for field, text in (("good", g), ("damaged", d)):
            try:
                line[field] = int(text.strip() or "0")
            except ValueError:
                problems.append(Problem(field, "must be a whole number", where, text))
        for field, text in (("serials", s), ("damaged_serials", ds)):
            named = [x.strip() for x in text.splitlines() if x.strip()]
            if named:
                line[field] = named
        if over.strip():
            line["over_note"] = over.strip()
        lines.append(line)
    if not lines and not problems:
        problems.append(Problem("good", "enter the units that arrived on at least one line"))
    if problems:
        raise Refused(problems)
    return lines
