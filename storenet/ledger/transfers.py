"""Transfers between real locations: warehouse to store, store to store.

A transfer is a document (draft -> shipped -> received). Shipping moves units from the
source into transit (counted as in_transit at the destination); receiving moves what
arrived from transit into the destination. A short receipt sends the missing units
from transit to the count-difference location; an over receipt brings the extra units
from there; either opens a discrepancy so someone finds out why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from storenet.errors import NotFound, Problem, Refused
from storenet.ledger.checks import (
    as_utc,
    require_location,
    require_qty,
    require_sku,
    take_available,
    utc_now,
)
from storenet.ledger.discrepancies import open_discrepancies
from storenet.ledger.idempotency import run_once
from storenet.ledger.locations import COUNT_DIFFERENCE, TRANSIT, location_names
from storenet.ledger.posting import Movement, post_movements
from storenet.store.locks import lock_balances
from storenet.store.schema import transfer_lines, transfers

SCOPE = "ledger"


def create_transfer(
    conn: Connection,
    *,
    key: str,
    transfer_id: str,
    source: str,
    destination: str,
    lines: list[dict],
) -> dict:
    """Create a draft transfer of `lines` ({sku, qty}) from `source` to `destination`.

    Each SKU appears once; serial-tracked SKUs cannot move by transfer yet (they are
    refused here rather than losing track of their serials).
    """
    payload = {
        "cmd": "create_transfer",
        "id": transfer_id,
        "source": source,
        "destination": destination,
        "lines": lines,
    }

    def work() -> dict:
        src = require_location(conn, source, "source")
        dst = require_location(conn, destination, "destination")
        if src == dst:
            raise Refused([Problem("destination", "must differ from source", value=destination)])
        if conn.execute(select(transfers.c.id).where(transfers.c.id == transfer_id)).first():
            raise Refused([Problem("transfer_id", "already exists", value=transfer_id)])
        problems, rows, seen = [], [], set()
        for i, line in enumerate(lines, start=1):
            try:
                handling = require_sku(conn, line.get("sku"))
                qty = require_qty(line.get("qty"))
            except Refused as refused:
                problems += [
                    Problem(p.field, p.reason, f"line {i}", p.value) for p in refused.problems
                ]
                continue
            if handling.serial_tracked:
                problems.append(
                    Problem(
                        "sku",
                        "serial-tracked SKUs move by serial, not by transfer line",
                        f"line {i}",
                        handling.id,
                    )
                )
            if handling.id in seen:
                problems.append(Problem("sku", "appears twice", f"line {i}", handling.id))
            seen.add(handling.id)
            rows.append({"transfer_id": transfer_id, "sku_id": handling.id, "qty_requested": qty})
        if not rows and not problems:
            problems.append(Problem("lines", "a transfer needs at least one line"))
        if problems:
            raise Refused(problems)
        conn.execute(
            insert(transfers).values(
                id=transfer_id,
                from_location=src,
                to_location=dst,
                status="draft",
                created_at=utc_now(),
            )
        )
        conn.execute(insert(transfer_lines), rows)
        return {"transfer": transfer_id, "status": "draft", "lines": len(rows)}

    return run_once(conn, SCOPE, key, payload, work)


def ship_transfer(
    conn: Connection, *, key: str, transfer_id: str, at: datetime | None = None
) -> dict:
    """Ship a draft transfer in full: source -> transit, counted in transit at the
    destination. Refused, with nothing written, if any line lacks free stock."""
    payload = {"cmd": "ship", "id": transfer_id}

    def work() -> dict:
        doc = _transfer(conn, transfer_id, expect="draft")
        lines = _lines(conn, transfer_id)
        when = as_utc(at)
        # Lock every balance row this shipment touches (source on hand, destination in
        # transit) in one sorted pass before checking, so opposite shipments queue on
        # their first row instead of deadlocking.
        lock_balances(
            conn,
            [(loc, line.sku_id) for line in lines for loc in (doc.from_location, doc.to_location)],
        )
        source = location_names(conn)[doc.from_location]
        for line in sorted(lines, key=lambda r: r.sku_id):
            take_available(conn, doc.from_location, source, line.sku_id, line.qty_requested)
        moves = [
            Movement(
                "ship",
                line.sku_id,
                doc.from_location,
                TRANSIT,
                line.qty_requested,
                when,
                site_location=doc.to_location,
                document=f"transfer:{transfer_id}",
            )
            for line in lines
        ]
        ids = post_movements(conn, moves, utc_now()).ids
        for line in lines:
            conn.execute(
                update(transfer_lines)
                .where(
                    transfer_lines.c.transfer_id == transfer_id,
                    transfer_lines.c.sku_id == line.sku_id,
                )
                .values(qty_shipped=line.qty_requested)
            )
        conn.execute(
            update(transfers)
            .where(transfers.c.id == transfer_id)
            .values(status="shipped", shipped_at=when)
        )
        return {"transfer": transfer_id, "status": "shipped", "movements": ids}

    return run_once(conn, SCOPE, key, payload, work)


def receive_transfer(
    conn: Connection,
    *,
    key: str,
    transfer_id: str,
    received: dict[str, int] | None = None,
    at: datetime | None = None,
) -> dict:
    """Receive a shipped transfer. `received` maps SKU -> units that arrived (default:
    everything shipped). Short and over receipts are booked against the
    count-difference location and each opens a discrepancy at the destination."""
    payload = {"cmd": "receive_transfer", "id": transfer_id, "received": received}

    def work() -> dict:
        doc = _transfer(conn, transfer_id, expect="shipped")
        lines = {line.sku_id: line for line in _lines(conn, transfer_id)}
        arrived = (
            dict(received)
            if received is not None
            else {sku: line.qty_shipped for sku, line in lines.items()}
        )
        problems = [
            Problem("received", "is not on this transfer", value=sku)
            for sku in sorted(set(arrived) - set(lines))
        ]
        for sku, qty in arrived.items():
            if isinstance(qty, bool) or not isinstance(qty, int) or qty < 0:
                problems.append(
                    Problem(f"received.{sku}", "must be a whole number, zero or more", value=qty)
                )
        if problems:
            raise Refused(problems)
        when, doc_ref = as_utc(at), f"transfer:{transfer_id}"
        moves, issues = [], []
        dst = doc.to_location
        for sku in sorted(lines):
            shipped, got = lines[sku].qty_shipped, arrived.get(sku, 0)
            if min(shipped, got):
                moves.append(
                    Movement(
                        "receive",
                        sku,
                        TRANSIT,
                        dst,
                        min(shipped, got),
                        when,
                        site_location=dst,
                        document=doc_ref,
                    )
                )
            if got < shipped:
                moves.append(
                    Movement(
                        "short",
                        sku,
                        TRANSIT,
                        COUNT_DIFFERENCE,
                        shipped - got,
                        when,
                        site_location=dst,
                        document=doc_ref,
                    )
                )
                issues.append(
                    {
                        "kind": "transfer_short",
                        "location_id": dst,
                        "sku_id": sku,
                        "detail": f"{doc_ref}: shipped {shipped}, received {got}",
                    }
                )
            if got > shipped:
                moves.append(
                    Movement(
                        "over", sku, COUNT_DIFFERENCE, dst, got - shipped, when, document=doc_ref
                    )
                )
                issues.append(
                    {
                        "kind": "transfer_over",
                        "location_id": dst,
                        "sku_id": sku,
                        "detail": f"{doc_ref}: shipped {shipped}, received {got}",
                    }
                )
            conn.execute(
                update(transfer_lines)
                .where(transfer_lines.c.transfer_id == transfer_id, transfer_lines.c.sku_id == sku)
                .values(qty_received=got)
            )
        ids = post_movements(conn, moves, utc_now()).ids
        open_discrepancies(conn, issues, utc_now())
        conn.execute(
            update(transfers)
            .where(transfers.c.id == transfer_id)
            .values(status="received", received_at=when)
        )
        return {
            "transfer": transfer_id,
            "status": "received",
            "movements": ids,
            "discrepancies": len(issues),
        }

    return run_once(conn, SCOPE, key, payload, work)


def _transfer(conn: Connection, transfer_id: str, expect: str):  # type: ignore[no-untyped-def]
    stmt = select(transfers).where(transfers.c.id == transfer_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    doc = conn.execute(stmt).first()
    if doc is None:
        raise NotFound("transfer", transfer_id)
    if doc.status != expect:
        raise Refused(
            [Problem("status", f"transfer is {doc.status}, expected {expect}", value=transfer_id)]
        )
    return doc


def _lines(conn: Connection, transfer_id: str) -> list:
    return list(
        conn.execute(
            select(transfer_lines)
            .where(transfer_lines.c.transfer_id == transfer_id)
            .order_by(transfer_lines.c.sku_id)
        )
    )
