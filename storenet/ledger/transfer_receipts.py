"""Receiving a shipped transfer: what arrived goes from transit into the destination;
a short receipt sends the missing units from transit to the count-difference location,
an over receipt brings the extra units from there, and either opens a discrepancy so
someone finds out why. Whatever arrived, transit is empty for the transfer afterwards.

Serial-tracked lines are received by serial (`storenet.ledger.picking`): each one is
placed where it ended up, the destination or count difference for one that never
arrived. The same for every kind of destination: a store, a regional or a central
warehouse.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, update

from storenet.errors import Problem, Refused
from storenet.ledger import picking
from storenet.ledger.discrepancies import open_discrepancies
from storenet.ledger.idempotency import run_once
from storenet.ledger.locations import COUNT_DIFFERENCE, TRANSIT
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.recall_holds import Arrival, quarantine_arrivals
from storenet.ledger.serials import place_serials
from storenet.ledger.transfer_states import (
    SYSTEM,
    checked_reason,
    lines_of,
    lock_transfer,
    record_transition,
)
from storenet.store.clock import as_utc, utc_now
from storenet.store.locks import lock_serials
from storenet.store.schema import transfer_lines, transfers

SCOPE = "ledger"


def receive_transfer(
    conn: Connection,
    *,
    key: str,
    transfer_id: str,
    received: dict[str, int] | None = None,
    received_serials: dict[str, list[str]] | None = None,
    at: datetime | None = None,
    by: str = SYSTEM,
    reason: str = "",
) -> dict:
    """Receive a shipped transfer at its destination (store or warehouse), recorded as
    its transition shipped -> received at `at` (default now) by `by`, with `reason`.

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
    if reason:
        payload["reason"] = reason

    def work() -> dict:
        why = checked_reason(reason)
        doc = lock_transfer(conn, transfer_id, "receive")
        lines = {line.sku_id: line for line in lines_of(conn, transfer_id)}
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
        # Recalled units that were in transit are quarantined on receipt.
        arrived = [Arrival(m.sku_id, m.qty, m.serials) for m in moves if m.to_location == dst]
        quarantine_arrivals(conn, dst, arrived, when, source="transfer")
        open_discrepancies(
            conn, [{**issue, "movement_id": ids[i]} for i, issue in issues], utc_now()
        )
        conn.execute(
            update(transfers)
            .where(transfers.c.id == transfer_id)
            .values(status="received", received_at=when)
        )
        record_transition(conn, transfer_id, "shipped", "received", when, by, why)
        return {
            "transfer": transfer_id,
            "status": "received",
            "movements": ids,
            "discrepancies": len(issues),
            "serials_short": sorted(s for m in moves if m.kind == "short" for s in m.serials),
            "serials_over": sorted(s for m in moves if m.kind == "over" for s in m.serials),
        }

    return run_once(conn, SCOPE, key, payload, work)


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
