"""Purchase orders as documents: create one (once per key), read one with its lines,
receipts and transitions, list them.

An order is for one supplier and one receiving warehouse, in the supplier's currency;
each line orders whole units of one SKU at a unit cost in cents (by default the
supplier item's price). A manual order starts as a draft and needs a second person to
approve it (four eyes, `storenet.purchasing.lifecycle`). An order the approved nightly
plan proposes is created approved: the plan's approval was the second pair of eyes,
so `approved=True` needs the id of a plan that is approved or released.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, func, insert, select

from storenet.audit.chain import record
from storenet.errors import NotFound, Problem, Refused
from storenet.ledger.idempotency import run_once
from storenet.purchasing.money import as_decimal, to_cents
from storenet.purchasing.status import STATUSES, move
from storenet.store.clock import utc_now
from storenet.store.schema import (
    plans,
    purchase_order_lines,
    purchase_order_receipts,
    purchase_order_transitions,
    purchase_orders,
    skus,
    supplier_items,
    suppliers,
    warehouses,
)

SCOPE = "purchasing"
MAX_LINES = 5000


def create_purchase_order(
    conn: Connection,
    *,
    key: str,
    supplier: str,
    warehouse: str,
    lines: list[dict],
    by: str,
    plan_id: str | None = None,
    approved: bool = False,
    po_id: str | None = None,
) -> dict:
    """Create a purchase order from `supplier` to `warehouse`, once per `key`, in the
    caller's transaction; returns the order as `get_purchase_order` reads it.

    A line is {"sku", "qty" (whole units > 0), "unit_cost"? (Decimal or text in the
    supplier's currency, e.g. "12.50"; default: the supplier item's price)}; each SKU
    once. `by` is who creates it (kept as created_by; the approver must be someone
    else). `approved=True` creates it approved (a draft -> approved transition by `by`)
    and needs `plan_id` naming an approved or released plan. `po_id` defaults to
    "PO-" and 12 hex digits. Refused naming line and field for any bad input, a taken
    id, an unknown supplier, warehouse or SKU, or a SKU the supplier has no price for
    and no unit_cost is given; nothing is written then. A replay of `key` with the same
    payload answers the first order; another payload is an IdempotencyConflict.
    """
    payload = {
        "cmd": "create",
        "supplier": supplier,
        "warehouse": warehouse,
        "lines": [_payload_line(line) for line in lines],
        "plan_id": plan_id,
        "approved": bool(approved),
        "po_id": po_id,
    }

    def work() -> dict:
        order_id = po_id or f"PO-{uuid.uuid4().hex[:12].upper()}"
        currency = _check_header(conn, order_id, supplier, warehouse, plan_id, approved, by)
        rows = _check_lines(conn, order_id, supplier, currency, lines)
        conn.execute(
            insert(purchase_orders).values(
                id=order_id,
                supplier_id=supplier,
                warehouse_id=warehouse,
                status="draft",
                currency=currency,
                created_at=utc_now(),
                created_by=by,
                plan_id=plan_id,
            )
        )
        conn.execute(insert(purchase_order_lines), rows)
        header = {"id": order_id, "status": "draft"}
        if approved:
            move(conn, header, "approved", by, "approve", f"approved with plan {plan_id}")
        record(
            conn,
            by,
            "po.create",
            f"po:{order_id}",
            None,
            {
                "status": header["status"],
                "supplier": supplier,
                "warehouse": warehouse,
                "lines": len(rows),
                "units": sum(r["qty_ordered"] for r in rows),
                "plan_id": plan_id,
            },
        )
        return get_purchase_order(conn, order_id)

    return run_once(conn, SCOPE, key, payload, work)


def _payload_line(line: object) -> object:
    """A line as the idempotency payload holds it: the cost in cents when it converts,
    so "12.5" and "12.50" are the same order."""
    if not isinstance(line, dict) or line.get("unit_cost") is None:
        return line
    try:
        return {**line, "unit_cost": to_cents(line["unit_cost"])}
    except Refused:
        return {**line, "unit_cost": str(line["unit_cost"])}


def _check_header(
    conn: Connection,
    order_id: str,
    supplier: str,
    warehouse: str,
    plan_id: str | None,
    approved: bool,
    by: str,
) -> str:
    """The order's currency (the supplier's), once the header's references hold."""
    problems = []
    if not isinstance(order_id, str) or not 1 <= len(order_id.strip()) <= 64:
        problems.append(Problem("po_id", "must be 1 to 64 characters", value=order_id))
    elif conn.execute(select(purchase_orders.c.id).where(purchase_orders.c.id == order_id)).first():
        problems.append(Problem("po_id", "is taken: purchase order ids are unique", value=order_id))
    currency = conn.execute(select(suppliers.c.currency).where(suppliers.c.id == supplier)).scalar()
    if currency is None:
        problems.append(Problem("supplier", "is not a known supplier", value=supplier))
    if conn.execute(select(warehouses.c.id).where(warehouses.c.id == warehouse)).first() is None:
        problems.append(Problem("warehouse", "is not a known warehouse", value=warehouse))
    if not by or not by.strip():
        problems.append(Problem("by", "is required: who creates the order"))
    if approved:
        status = (
            conn.execute(select(plans.c.status).where(plans.c.id == plan_id)).scalar()
            if plan_id
            else None
        )
        if status not in ("approved", "released"):
            reason = (
                "must name an approved plan to create an order approved; a manual order "
                "is a draft that another person approves"
            )
            problems.append(Problem("plan_id", reason, value=plan_id))
    if problems:
        raise Refused(problems)
    return currency


def _check_lines(
    conn: Connection, order_id: str, supplier: str, currency: str, lines: list[dict]
) -> list[dict]:
    """The order's line rows, or Refused naming every bad line and field."""
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
        raise Refused([Problem("lines", f"an order needs 1 to {MAX_LINES} lines")])
    named = [line.get("sku") for line in lines if isinstance(line, dict)]
    wanted = sorted({sku for sku in named if isinstance(sku, str)})
    known = set(conn.execute(select(skus.c.id).where(skus.c.id.in_(wanted))).scalars())
    prices = {
        r.sku_id: (r.unit_cost_cents, r.currency)
        for r in conn.execute(
            select(
                supplier_items.c.sku_id, supplier_items.c.unit_cost_cents, supplier_items.c.currency
            ).where(supplier_items.c.supplier_id == supplier, supplier_items.c.sku_id.in_(wanted))
        )
    }
    problems, rows, seen = [], [], set()
    for n, line in enumerate(lines, start=1):
        where = f"line {n}"
        if not isinstance(line, dict):
            problems.append(Problem("line", "must be an object {sku, qty, unit_cost?}", where))
            continue
        sku, qty = line.get("sku"), line.get("qty")
        if not isinstance(sku, str) or sku not in known:
            problems.append(Problem("sku", "is not a known SKU", where, sku))
            continue
        if sku in seen:
            problems.append(Problem("sku", "appears twice: one line per SKU", where, sku))
        seen.add(sku)
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 < qty <= 10**9:
            problems.append(Problem("qty", "must be a whole number above zero", where, qty))
            continue
        try:
            cents = _unit_cost(line.get("unit_cost"), prices.get(sku), currency, supplier, where)
        except Refused as refused:
            problems += refused.problems
            continue
        rows.append(
            {
                "po_id": order_id,
                "line_no": n,
                "sku_id": sku,
                "qty_ordered": qty,
                "unit_cost_cents": cents,
            }
        )
    if problems:
        raise Refused(problems)
    return rows


def _unit_cost(
    given: object, price: tuple[int, str] | None, currency: str, supplier: str, where: str
) -> int:
    if given is not None:
        return to_cents(given, "unit_cost", where)
    if price is None:
        reason = f"is required: supplier {supplier} has no price for this SKU"
        raise Refused([Problem("unit_cost", reason, where)])
    if price[1] != currency:
        reason = f"is required: the supplier's price is in {price[1]}, the order in {currency}"
        raise Refused([Problem("unit_cost", reason, where)])
    return price[0]


def get_purchase_order(conn: Connection, po_id: str) -> dict:
    """One order: its header (with `total` and `total_cents`), its lines (each with
    `unit_cost` as a Decimal, and `open`: the units still expected), its receipts and
    its transitions, oldest first. NotFound."""
    row = conn.execute(select(purchase_orders).where(purchase_orders.c.id == po_id)).first()
    if row is None:
        raise NotFound("purchase order", po_id)
    doc = row._asdict()
    lines = conn.execute(
        select(purchase_order_lines)
        .where(purchase_order_lines.c.po_id == po_id)
        .order_by(purchase_order_lines.c.line_no)
    )
    doc["lines"] = [_line(r._asdict()) for r in lines]
    doc["total_cents"] = sum(line["qty_ordered"] * line["unit_cost_cents"] for line in doc["lines"])
    doc["total"] = as_decimal(doc["total_cents"])
    doc["receipts"] = [
        {k: v for k, v in r._asdict().items() if k != "po_id"}
        for r in conn.execute(
            select(purchase_order_receipts)
            .where(purchase_order_receipts.c.po_id == po_id)
            .order_by(purchase_order_receipts.c.id)
        )
    ]
    doc["transitions"] = [
        {k: v for k, v in r._asdict().items() if k != "po_id"}
        for r in conn.execute(
            select(purchase_order_transitions)
            .where(purchase_order_transitions.c.po_id == po_id)
            .order_by(purchase_order_transitions.c.id)
        )
    ]
    return doc


def expected_units(line: dict) -> int:
    """What a line expects in all: the supplier's confirmed quantity once confirmed,
    else the ordered one."""
    confirmed = line["qty_confirmed"]
    return line["qty_ordered"] if confirmed is None else confirmed


def open_units(line: dict) -> int:
    """Units a line still expects: expected - received - damaged - cancelled, >= 0."""
    done = line["qty_received"] + line["qty_damaged"] + line["qty_cancelled"]
    return max(0, expected_units(line) - done)


def is_line_of(line_no: object, lines: dict[int, dict]) -> bool:
    """True when `line_no` is a whole number naming one of `lines` (by line number)."""
    return isinstance(line_no, int) and not isinstance(line_no, bool) and line_no in lines


def _line(row: dict) -> dict:
    row.pop("po_id", None)
    row["unit_cost"] = as_decimal(row["unit_cost_cents"])
    row["open"] = open_units(row)
    return row


def list_purchase_orders(
    conn: Connection,
    *,
    status: str | None = None,
    supplier: str | None = None,
    warehouse: str | None = None,
    visible_warehouses: set[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Order headers, newest first (then by id), with `lines`, `units` ordered and
    `open_units`; filtered by status, supplier and warehouse, and to
    `visible_warehouses` (None: all). Fetches `limit` + 1 rows (the extra one says
    there is a next page). Refused for an unknown status."""
    if status is not None and status not in STATUSES:
        raise Refused([Problem("status", f"must be one of {', '.join(STATUSES)}", value=status)])
    lines = purchase_order_lines
    left = func.coalesce(lines.c.qty_confirmed, lines.c.qty_ordered) - (
        lines.c.qty_received + lines.c.qty_damaged + lines.c.qty_cancelled
    )
    totals = (
        select(
            lines.c.po_id,
            func.count().label("lines"),
            func.sum(lines.c.qty_ordered).label("units"),
            func.sum(
                func.max(left, 0) if conn.dialect.name == "sqlite" else func.greatest(left, 0)
            ).label("open_units"),
            func.sum(lines.c.qty_ordered * lines.c.unit_cost_cents).label("total_cents"),
        )
        .group_by(lines.c.po_id)
        .subquery()
    )
    q = select(
        purchase_orders,
        totals.c.lines,
        totals.c.units,
        totals.c.open_units,
        totals.c.total_cents,
    ).join(totals, totals.c.po_id == purchase_orders.c.id)
    if status is not None:
        q = q.where(purchase_orders.c.status == status)
    if supplier is not None:
        q = q.where(purchase_orders.c.supplier_id == supplier)
    if warehouse is not None:
        q = q.where(purchase_orders.c.warehouse_id == warehouse)
    if visible_warehouses is not None:
        q = q.where(purchase_orders.c.warehouse_id.in_(sorted(visible_warehouses)))
    q = q.order_by(purchase_orders.c.created_at.desc(), purchase_orders.c.id)
    out = []
    for r in conn.execute(q.limit(limit + 1).offset(offset)):
        row = r._asdict()
        for k in ("lines", "units", "open_units", "total_cents"):
            row[k] = int(row[k] or 0)
        row["total"] = as_decimal(row["total_cents"])
        out.append(row)
    return out
