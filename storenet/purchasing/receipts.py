"""Receiving a purchase order: what arrived against each line, booked through the
ledger once per key.

Good units go on hand at the order's warehouse, damaged ones into quarantine there
(held, never free: `storenet.ledger.supplier_receipts`), both as supplier receipts
whose document is the order id. A short delivery leaves the line open and the order
partly received; an over delivery (more than the line still expects) is accepted only
with an `over_note` saying why the extra units are kept: the ledger is right either
way (the units are there), so it is not a stock discrepancy to count, but a person
must have looked at it, and the note stays in the audit entry. When no line expects
anything more, the order closes.

A replay of the key answers the first receipt and writes nothing; the same key with
another payload is refused naming the difference (`storenet.ledger.idempotency`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from storenet.audit.chain import record
from storenet.errors import Problem, Refused
from storenet.ledger.idempotency import run_once
from storenet.ledger.supplier_receipts import receive_with_damage
from storenet.purchasing.orders import SCOPE, is_line_of, open_units
from storenet.purchasing.status import lock_order, move, require_status
from storenet.store.clock import as_utc
from storenet.store.schema import purchase_order_lines, purchase_order_receipts


def receive_purchase_order(
    conn: Connection,
    *,
    key: str,
    po_id: str,
    lines: list[dict],
    by: str,
    delivery_note: str | None = None,
    at: datetime | None = None,
) -> dict:
    """Book a delivery against order `po_id` as `by`, once per `key`.

    A line is {"line_no", "good" (units fit to sell), "damaged"? (units into
    quarantine), "serials"? and "damaged_serials"? (serial-tracked SKUs: one new serial
    per unit), "over_note"? (why units beyond what the line still expects are kept)};
    each line number once, at least one unit per line. `delivery_note` is the
    supplier's note (kept on each receipt row), `at` when it arrived (default now).
    The order must be confirmed or partly received (StatusConflict otherwise).

    Answers {"po", "status", "receipts" (row ids), "lines": [{"line_no", "good",
    "damaged", "over", "open"}], "movements"}. Refused naming line and field for
    anything wrong (unknown line, bad count, missing serials, an over delivery without
    a note); nothing is written then. NotFound for an unknown order.
    """
    payload = {
        "cmd": "receive",
        "po": po_id,
        "lines": lines,
        "delivery_note": delivery_note,
        "at": at.isoformat() if isinstance(at, datetime) else at,
    }

    def work() -> dict:
        header = lock_order(conn, po_id)
        require_status(header, "receive")
        when = as_utc(at, "at")
        current = {
            r.line_no: r._asdict()
            for r in conn.execute(
                select(purchase_order_lines).where(purchase_order_lines.c.po_id == po_id)
            )
        }
        arriving, notes = _check(current, lines, delivery_note)
        booked = receive_with_damage(
            conn,
            key=f"po-receipt:{key}",
            location=header["warehouse_id"],
            lines=[
                {
                    "sku": current[n]["sku_id"],
                    "good": a["good"],
                    "damaged": a["damaged"],
                    **({"serials": a["serials"]} if a["serials"] else {}),
                    **({"damaged_serials": a["damaged_serials"]} if a["damaged_serials"] else {}),
                }
                for n, a in arriving.items()
            ],
            document=po_id,
            at=when,
        )
        before = {str(n): _counts(current[n]) for n in arriving}
        answered, receipt_ids = [], []
        for (n, a), (good_id, damaged_id) in zip(arriving.items(), booked["movements"]):
            line = current[n]
            over = max(0, a["good"] + a["damaged"] - open_units(line))
            line["qty_received"] += a["good"]
            line["qty_damaged"] += a["damaged"]
            conn.execute(
                update(purchase_order_lines)
                .where(purchase_order_lines.c.po_id == po_id, purchase_order_lines.c.line_no == n)
                .values(
                    qty_received=purchase_order_lines.c.qty_received + a["good"],
                    qty_damaged=purchase_order_lines.c.qty_damaged + a["damaged"],
                )
            )
            receipt_ids.append(
                conn.execute(
                    insert(purchase_order_receipts)
                    .values(
                        po_id=po_id,
                        line_no=n,
                        received_at=when,
                        qty_good=a["good"],
                        qty_damaged=a["damaged"],
                        delivery_note=delivery_note,
                        recorded_by=by,
                        movement_id=good_id if good_id is not None else damaged_id,
                    )
                    .returning(purchase_order_receipts.c.id)
                ).scalar_one()
            )
            answered.append(
                {
                    "line_no": n,
                    "good": a["good"],
                    "damaged": a["damaged"],
                    "over": over,
                    "open": open_units(line),
                }
            )
        status_before = header["status"]
        finished = all(open_units(row) == 0 for row in current.values())
        target = "closed" if finished else "partly_received"
        if target != status_before:
            why = f"delivery note {delivery_note}" if delivery_note else "received"
            move(conn, header, target, by, "receive", why)
        record(
            conn,
            by,
            "po.receive",
            f"po:{po_id}",
            {"status": status_before, "lines": before},
            {
                "status": header["status"],
                "lines": {str(n): _counts(current[n]) for n in arriving},
                "delivery_note": delivery_note,
                "over": {str(a["line_no"]): a["over"] for a in answered if a["over"]},
                "over_notes": notes,
            },
        )
        return {
            "po": po_id,
            "status": header["status"],
            "receipts": receipt_ids,
            "lines": answered,
            "movements": booked["movements"],
        }

    return run_once(conn, SCOPE, key, payload, work)


def receive_in_full(
    conn: Connection,
    *,
    key: str,
    po_id: str,
    by: str,
    delivery_note: str | None = None,
    at: datetime | None = None,
) -> dict:
    """Book every unit the order still expects as good, once per `key` (a delivery
    exactly as confirmed: the demo's and the simulator's supplier). Serial-tracked
    lines need their serials, so they are refused here (use receive_purchase_order).
    Answers as `receive_purchase_order`; a replay of `key` answers the first receipt.
    StatusConflict unless the order is confirmed or partly received."""
    payload = {"cmd": "receive_in_full", "po": po_id, "delivery_note": delivery_note}
    payload["at"] = at.isoformat() if isinstance(at, datetime) else at

    def work() -> dict:
        header = lock_order(conn, po_id)
        require_status(header, "receive")
        rows = conn.execute(
            select(purchase_order_lines)
            .where(purchase_order_lines.c.po_id == po_id)
            .order_by(purchase_order_lines.c.line_no)
        ).all()
        lines = [
            {"line_no": r.line_no, "good": open_units(r._asdict())}
            for r in rows
            if open_units(r._asdict())
        ]
        return receive_purchase_order(
            conn,
            key=f"in-full:{key}",
            po_id=po_id,
            lines=lines,
            by=by,
            delivery_note=delivery_note,
            at=at,
        )

    return run_once(conn, SCOPE, key, payload, work)


def _counts(line: dict) -> dict:
    return {"received": line["qty_received"], "damaged": line["qty_damaged"]}


def _check(
    current: dict[int, dict], lines: list[dict], delivery_note: str | None
) -> tuple[dict[int, dict], dict[str, str]]:
    """What arrives per line number, in line order, and the over-delivery notes; or
    Refused naming every bad line and field."""
    problems: list[Problem] = []
    if delivery_note is not None and (
        not isinstance(delivery_note, str) or not 1 <= len(delivery_note.strip()) <= 80
    ):
        problems.append(Problem("delivery_note", "must be 1 to 80 characters", value=delivery_note))
    if not isinstance(lines, list) or not lines:
        raise Refused([*problems, Problem("lines", "a receipt needs at least one line")])
    arriving: dict[int, dict] = {}
    notes: dict[str, str] = {}
    for i, line in enumerate(lines, start=1):
        where = f"line {i}"
        if not isinstance(line, dict):
            problems.append(Problem("line", "must be an object {line_no, good, ...}", where))
            continue
        n = line.get("line_no")
        if not is_line_of(n, current):
            problems.append(Problem("line_no", "is not a line of this order", where, n))
            continue
        if n in arriving:
            problems.append(Problem("line_no", "is named twice in one receipt", where, n))
            continue
        good, damaged = line.get("good", 0), line.get("damaged", 0)
        bad = [
            Problem(f, "must be a whole number, zero or more", where, v)
            for f, v in (("good", good), ("damaged", damaged))
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10**9
        ]
        if bad:
            problems += bad
            continue
        if good + damaged == 0:
            problems.append(Problem("good", "a receipt line needs at least one unit", where, 0))
            continue
        rest = open_units(current[n])
        note = (line.get("over_note") or "").strip()
        if good + damaged > rest and not note:
            reason = (
                f"{good + damaged} units arrive but line {n} expects {rest} more: keep the "
                f"{good + damaged - rest} extra with an over_note saying why, or book {rest}"
            )
            problems.append(Problem("good", reason, where, good))
            continue
        if note:
            notes[str(n)] = note[:200]
        arriving[n] = {
            "good": good,
            "damaged": damaged,
            "serials": line.get("serials") or None,
            "damaged_serials": line.get("damaged_serials") or None,
        }
    if problems:
        raise Refused(problems)
    return arriving, notes
