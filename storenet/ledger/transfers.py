"""Transfers between real locations: warehouse to store, store to store.

A transfer is a document (draft -> shipped -> received). Shipping moves units from the
source into transit (counted as in_transit at the destination); receiving moves what
arrived from transit into the destination. A short receipt sends the missing units
from transit to the count-difference location; an over receipt brings the extra units
from there; either opens a discrepancy so someone finds out why.

Serial-tracked SKUs (phones, TVs) move by serial: a draft line may name its serials,
else they are picked at the source when it ships (`storenet.ledger.picking`). In
transit they sit at TRANSIT with the destination as their site, and receiving places
each one where it ended up: the destination, or the count-difference location for a
serial that never arrived.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from storenet.errors import NotFound, Problem, Refused
from storenet.ledger import picking
from storenet.ledger.checks import (
    require_location,
    require_qty,
    require_serials,
    require_sku,
    take_available,
)
from storenet.ledger.discrepancies import open_discrepancies
from storenet.ledger.idempotency import run_once
from storenet.ledger.locations import COUNT_DIFFERENCE, TRANSIT, location_names
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.serials import place_serials
from storenet.store.clock import as_utc, utc_now
from storenet.store.locks import lock_balances, lock_serials
from storenet.store.schema import transfer_lines, transfers

SCOPE = "ledger"
TAKEN_ID = "cannot be used: transfer ids are unique across the network, choose another"


def create_transfer(
    conn: Connection,
    *,
    key: str,
    transfer_id: str,
    source: str,
    destination: str,
    lines: list[dict],
) -> dict:
    """Create a draft transfer of `lines` from `source` to `destination`.

    A line is {"sku", "qty"}; a serial-tracked SKU's line may also name its serials,
    {"sku", "qty", "serials": [...]}, one distinct serial per unit, each one the ledger
    has at `source` as that SKU and not named on another draft transfer. Named serials
    are claimed by this draft; a serial-tracked line without them gets serials picked
    when it ships. Each SKU appears once. Any problem refuses the whole transfer.
    `transfer_id` is unique across the network: a taken one is refused (field
    "transfer_id", reason TAKEN_ID) whoever holds it.
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
            # Transfer ids are one namespace for the whole network, so a taken id is
            # refused whoever holds it, in words that say nothing of the holder: the
            # same answer for the caller's own transfer and for one they cannot see.
            raise Refused([Problem("transfer_id", TAKEN_ID, value=transfer_id)])
        problems, rows, seen = [], [], set()
        named: dict[str, tuple[str, ...]] = {}
        for i, line in enumerate(lines, start=1):
            try:
                handling = require_sku(conn, line.get("sku"))
                qty = require_qty(line.get("qty"))
                given = line.get("serials")
                if given is not None or not handling.serial_tracked:
                    # Serials are optional on a serial-tracked line, refused on others.
                    named_here = require_serials(handling, given, qty)
                    if named_here:
                        named[handling.id] = named_here
            except Refused as refused:
                problems += [
                    Problem(p.field, p.reason, f"line {i}", p.value) for p in refused.problems
                ]
                continue
            if handling.id in seen:
                problems.append(Problem("sku", "appears twice", f"line {i}", handling.id))
            seen.add(handling.id)
            rows.append({"transfer_id": transfer_id, "sku_id": handling.id, "qty_requested": qty})
        if not rows and not problems:
            problems.append(Problem("lines", "a transfer needs at least one line"))
        named_rows = lock_serials(conn, [s for found in named.values() for s in found])
        problems += picking.named_serial_problems(conn, src, named, named_rows, claims=True)
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
        picking.record_serials(conn, transfer_id, named)
        return {"transfer": transfer_id, "status": "draft", "lines": len(rows)}

    return run_once(conn, SCOPE, key, payload, work)


def ship_transfer(
    conn: Connection, *, key: str, transfer_id: str, at: datetime | None = None
) -> dict:
    """Ship a draft transfer in full: source -> transit, counted in transit at the
    destination.

    Serial-tracked lines carry their named serials, or serials picked at the source
    oldest first (by the time of the movement that brought each there, then by
    serial). Refused, with nothing written, if any line lacks free stock
    (InsufficientStock) or a serial-tracked line lacks serials at the source (Refused,
    field "serials", naming the SKU). Answers {"transfer", "status", "movements",
    "serials": {sku: [serial, ...]}}.
    """
    payload = {"cmd": "ship", "id": transfer_id}

    def work() -> dict:
        doc = _transfer(conn, transfer_id, expect="draft")
        lines = _lines(conn, transfer_id)
        when = as_utc(at)
        # Lock every balance row this shipment touches (source on hand, destination in
        # transit) in one sorted pass before checking, so opposite shipments queue on
        # their first row instead of deadlocking. Serial rows are locked after balance
        # rows, as POS ingestion does, so the two never wait on each other in a cycle.
        lock_balances(
            conn,
            [(loc, line.sku_id) for line in lines for loc in (doc.from_location, doc.to_location)],
        )
        source = location_names(conn)[doc.from_location]
        for line in sorted(lines, key=lambda r: r.sku_id):
            take_available(conn, doc.from_location, source, line.sku_id, line.qty_requested)
        tracked = picking.serial_tracked(conn, [line.sku_id for line in lines])
        named, picked = picking.serials_to_ship(
            conn,
            transfer_id,
            doc.from_location,
            {line.sku_id: line.qty_requested for line in lines if line.sku_id in tracked},
        )
        carried = {**named, **picked}
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
                serials=tuple(carried.get(line.sku_id, ())),
            )
            for line in lines
        ]
        ids = post_movements(conn, moves, utc_now()).ids
        place_serials(
            conn,
            [
                (s, m.sku_id, TRANSIT, doc.to_location, mid, None)
                for mid, m in zip(ids, moves)
                for s in m.serials
            ],
        )
        picking.record_serials(conn, transfer_id, picked)
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
        return {
            "transfer": transfer_id,
            "status": "shipped",
            "movements": ids,
            "serials": {sku: sorted(found) for sku, found in sorted(carried.items())},
        }

    return run_once(conn, SCOPE, key, payload, work)


def receive_transfer(
    conn: Connection,
    *,
    key: str,
    transfer_id: str,
    received: dict[str, int] | None = None,
    received_serials: dict[str, list[str]] | None = None,
    at: datetime | None = None,
) -> dict:
    """Receive a shipped transfer.

    `received` maps SKU -> units that arrived; a SKU it leaves out (or no map at all)
    arrived as shipped, so a clerk lists only the lines that differ. For a
    serial-tracked SKU, `received_serials` maps SKU -> the serials that arrived;
    without it the line arrives whole or not at all (a count in between is refused:
    say which serials).
    A shipped serial that did not arrive goes transit -> count difference (short); a
    serial that arrived but was not shipped comes from count difference (over), and
    must be unknown to the ledger or recorded at count difference as the same SKU (a
    serial is in one place: one recorded anywhere else is refused). Short and over
    receipts open discrepancies at the destination, one per serial for serial-tracked
    lines. Answers {"transfer", "status", "movements", "discrepancies",
    "serials_short", "serials_over"}.
    """
    payload: dict = {"cmd": "receive_transfer", "id": transfer_id, "received": received}
    if received_serials is not None:
        # Only when given, so replays of receipts recorded before serials keep matching.
        payload["received_serials"] = received_serials

    def work() -> dict:
        doc = _transfer(conn, transfer_id, expect="shipped")
        lines = {line.sku_id: line for line in _lines(conn, transfer_id)}
        # What the receipt does not list arrived as shipped (the API's documented
        # default): booking 0 for a line the clerk did not mention would record a
        # shortage nobody counted.
        arrived = {sku: line.qty_shipped for sku, line in lines.items()} | (received or {})
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
        shipped_serials = picking.carried_serials(conn, transfer_id)
        tracked = picking.serial_tracked(conn, list(lines))
        got_serials = picking.arrived_serials(
            lines, tracked, shipped_serials, arrived, received, received_serials or {}
        )
        when, doc_ref, dst = as_utc(at), f"transfer:{transfer_id}", doc.to_location
        # Lock every serial this receipt may move, in one sorted pass.
        rows = lock_serials(
            conn,
            [s for found in shipped_serials.values() for s in found]
            + [s for found in got_serials.values() for s in found],
        )
        picking.refuse_serials_elsewhere(conn, shipped_serials, got_serials, rows)

        # Where each part of a line goes: what arrived into the destination, what never
        # arrived to count difference, what arrived unshipped from count difference.
        routes = {
            "receive": (TRANSIT, dst),
            "short": (TRANSIT, COUNT_DIFFERENCE),
            "over": (COUNT_DIFFERENCE, dst),
        }
        moves, issues = [], []  # issues: (index of its movement, discrepancy)
        for sku in sorted(lines):
            shipped = lines[sku].qty_shipped
            if sku in tracked:
                sent, came = set(shipped_serials.get(sku, ())), got_serials[sku]
                got = len(came)
                parts = {"receive": sent & came, "short": sent - came, "over": came - sent}
                units = {kind: len(found) for kind, found in parts.items()}
            else:
                got = arrived.get(sku, 0)
                parts = {}
                units = {
                    "receive": min(shipped, got),
                    "short": max(shipped - got, 0),
                    "over": max(got - shipped, 0),
                }
            for kind, (frm, to) in routes.items():
                if not units[kind]:
                    continue
                found = tuple(sorted(parts.get(kind, ())))
                moves.append(
                    Movement(
                        kind,
                        sku,
                        frm,
                        to,
                        units[kind],
                        when,
                        site_location=dst if frm == TRANSIT else None,
                        document=doc_ref,
                        serials=found,
                    )
                )
                if kind != "receive":
                    issues += _receipt_issues(
                        len(moves) - 1,
                        kind,
                        dst,
                        sku,
                        found,
                        f"{doc_ref}: shipped {shipped}, received {got}",
                    )
            conn.execute(
                update(transfer_lines)
                .where(transfer_lines.c.transfer_id == transfer_id, transfer_lines.c.sku_id == sku)
                .values(qty_received=got)
            )
        ids = post_movements(conn, moves, utc_now()).ids
        place_serials(conn, picking.receipt_placements(moves, ids, rows))
        open_discrepancies(
            conn, [{**issue, "movement_id": ids[i]} for i, issue in issues], utc_now()
        )
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
            "serials_short": sorted(s for m in moves if m.kind == "short" for s in m.serials),
            "serials_over": sorted(s for m in moves if m.kind == "over" for s in m.serials),
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


def _receipt_issues(
    index: int, kind: str, dst: int, sku: str, found: tuple, detail: str
) -> list[tuple[int, dict]]:
    """Discrepancies for a short or over receipt (`kind`) booked by movement `index`:
    one per serial (so each unit can be chased by its number), else one for the line."""
    common = {"kind": f"transfer_{kind}", "location_id": dst, "sku_id": sku}
    if not found:
        return [(index, {**common, "detail": detail})]
    what = "shipped, not received" if kind == "short" else "received, not shipped"
    return [
        (index, {**common, "serial": s, "detail": f"{detail}; serial {s} {what}"}) for s in found
    ]
