"""Transfers between real locations: central warehouse to regional, regional to
regional, warehouse to store, store to store, and a store's or a regional's return to
the warehouse that feeds it.

A transfer is a document (draft -> shipped -> received, or draft -> cancelled; see
`storenet.ledger.transfer_states`, which also keeps every change of status, dated,
with who and why). Shipping moves units from the source into transit (counted as
in_transit at the destination); receiving (`storenet.ledger.transfer_receipts`) moves
what arrived from transit into the destination, short and over receipts balanced
through the count-difference location with a discrepancy each. Cancelling a draft
moves no stock and releases the serials it named.

Serial-tracked SKUs (phones, TVs) move by serial: a draft line may name its serials,
else they are picked at the source when it ships (`storenet.ledger.picking`). In
transit they sit at TRANSIT with the destination as their site, and receiving places
each one where it ended up: the destination, or the count-difference location for a
serial that never arrived.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from storenet.errors import Problem, Refused
from storenet.ledger import picking
from storenet.ledger.checks import (
    require_location,
    require_qty,
    require_serials,
    require_sku,
    take_available,
)
from storenet.ledger.idempotency import run_once
from storenet.ledger.locations import TRANSIT, location_names
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.serials import place_serials

# Receiving lives in its own module; callers have always imported it from here.
from storenet.ledger.transfer_receipts import receive_transfer
from storenet.ledger.transfer_states import (
    SYSTEM,
    checked_reason,
    lines_of,
    lock_transfer,
    record_transition,
    route_problems,
)
from storenet.store.clock import as_utc, utc_now
from storenet.store.locks import lock_balances, lock_serials
from storenet.store.schema import transfer_lines, transfers

__all__ = ["TAKEN_ID", "cancel_transfer", "create_transfer", "receive_transfer", "ship_transfer"]

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
    by: str = SYSTEM,
    reason: str = "",
) -> dict:
    """Create a draft transfer of `lines` from `source` to `destination`, recorded as
    its first transition ("" -> draft) by `by` (who), with `reason` (why; optional).

    Source and destination are stores or warehouses (Refused naming "source" or
    "destination" otherwise) and differ; a store sends to a warehouse only as a return
    to the warehouse that supplies it (`transfer_states.route_problems`).

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
    if reason:
        payload["reason"] = reason

    def work() -> dict:
        src = require_location(conn, source, "source")
        dst = require_location(conn, destination, "destination")
        if src == dst:
            raise Refused([Problem("destination", "must differ from source", value=destination)])
        why = checked_reason(reason)
        wrong_way = route_problems(conn, src, dst)
        if wrong_way:
            raise Refused(wrong_way)
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
        now = utc_now()
        conn.execute(
            insert(transfers).values(
                id=transfer_id,
                from_location=src,
                to_location=dst,
                status="draft",
                created_at=now,
            )
        )
        conn.execute(insert(transfer_lines), rows)
        picking.record_serials(conn, transfer_id, named)
        record_transition(conn, transfer_id, "", "draft", now, by, why)
        return {"transfer": transfer_id, "status": "draft", "lines": len(rows)}

    return run_once(conn, SCOPE, key, payload, work)


def ship_transfer(
    conn: Connection,
    *,
    key: str,
    transfer_id: str,
    at: datetime | None = None,
    by: str = SYSTEM,
    reason: str = "",
) -> dict:
    """Ship a draft transfer in full: source -> transit, counted in transit at the
    destination; recorded as its transition draft -> shipped at `at` (default now) by
    `by`, with `reason`. Of two concurrent shipments (or a shipment and a cancel) of
    one transfer, one wins and the other is Refused naming the status it found.

    Serial-tracked lines carry their named serials, or serials picked at the source
    oldest first (by the time of the movement that brought each there, then by
    serial). Refused, with nothing written, if any line lacks free stock
    (InsufficientStock) or a serial-tracked line lacks serials at the source (Refused,
    field "serials", naming the SKU). Answers {"transfer", "status", "movements",
    "serials": {sku: [serial, ...]}}.
    """
    payload = {"cmd": "ship", "id": transfer_id}
    if reason:
        payload["reason"] = reason

    def work() -> dict:
        why = checked_reason(reason)
        doc = lock_transfer(conn, transfer_id, "ship")
        lines = lines_of(conn, transfer_id)
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
        record_transition(conn, transfer_id, "draft", "shipped", when, by, why)
        return {
            "transfer": transfer_id,
            "status": "shipped",
            "movements": ids,
            "serials": {sku: sorted(found) for sku, found in sorted(carried.items())},
        }

    return run_once(conn, SCOPE, key, payload, work)


def cancel_transfer(
    conn: Connection,
    *,
    key: str,
    transfer_id: str,
    reason: str,
    by: str = SYSTEM,
    at: datetime | None = None,
) -> dict:
    """Cancel a draft transfer (`reason` required): no stock moves, the serials it
    named are free for other transfers again, and the draft is kept, read-only, with
    its lines, recorded as its transition draft -> cancelled at `at` (default now) by
    `by`. Refused (field "status") for a transfer that shipped (receive it instead,
    naming what arrived) or was cancelled; NotFound for an unknown one. Answers
    {"transfer", "status", "serials_released"}.
    """
    payload = {"cmd": "cancel", "id": transfer_id, "reason": reason}

    def work() -> dict:
        why = checked_reason(reason, required=True)
        lock_transfer(conn, transfer_id, "cancel")
        when = as_utc(at)
        # The claims on named serials are the draft's status (picking counts only
        # drafts' serials as claimed): leaving draft releases them, and the record of
        # which serials the draft named stays.
        released = picking.carried_serials(conn, transfer_id)
        conn.execute(
            update(transfers).where(transfers.c.id == transfer_id).values(status="cancelled")
        )
        record_transition(conn, transfer_id, "draft", "cancelled", when, by, why)
        return {
            "transfer": transfer_id,
            "status": "cancelled",
            "serials_released": sorted(s for found in released.values() for s in found),
        }

    return run_once(conn, SCOPE, key, payload, work)


def create_and_ship(
    conn: Connection,
    *,
    transfer_id: str,
    source: str,
    destination: str,
    lines: list[dict],
    by: str,
    reason: str = "",
) -> None:
    """Create transfer `transfer_id` and ship it at once (what a released plan does
    with each of its transfers), keyed by the id (``<id>:create``, ``<id>:ship``) so
    a retry creates and ships nothing twice. Refusals as `create_transfer` and
    `ship_transfer`."""
    create_transfer(
        conn,
        key=f"{transfer_id}:create",
        transfer_id=transfer_id,
        source=source,
        destination=destination,
        lines=lines,
        by=by,
        reason=reason,
    )
    ship_transfer(conn, key=f"{transfer_id}:ship", transfer_id=transfer_id, by=by, reason=reason)
