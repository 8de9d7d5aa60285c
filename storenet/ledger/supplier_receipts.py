"""Supplier receipts with damaged units: good units into the warehouse, damaged ones
straight into quarantine at that warehouse, in one command.

`storenet.ledger.stock.receive_from_supplier` books a delivery note once per location,
which suits a store's delivery; a purchase order is received in several deliveries,
each carrying the order's id as its document, and some units arrive damaged. Damaged
units never pass through free stock (a hold after the receipt would briefly offer
them for sale and allocation): they move supplier -> quarantine with the warehouse as
their site, so they count as held there until someone releases or scraps them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from storenet.errors import Problem, Refused
from storenet.ledger.checks import require_location, require_serials, require_sku
from storenet.ledger.idempotency import run_once
from storenet.ledger.locations import QUARANTINE, SUPPLIER
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.recall_holds import Arrival, quarantine_arrivals
from storenet.ledger.serials import place_serials
from storenet.store.clock import as_utc, utc_now
from storenet.store.locks import lock_serials

SCOPE = "ledger"


def receive_with_damage(
    conn: Connection,
    *,
    key: str,
    location: str,
    lines: list[dict],
    document: str,
    at: datetime | None = None,
) -> dict:
    """Book supplier units into `location` (a store or warehouse), once per `key`.

    A line is {"sku", "good", "damaged", "serials"?, "damaged_serials"?}: `good` units
    (whole, >= 0) go on hand at `location` as a receipt, `damaged` units (whole, >= 0)
    go to quarantine with `location` as their site (held there); a line needs at least
    one unit. A serial-tracked SKU needs one new serial per good unit (`serials`) and
    per damaged unit (`damaged_serials`); a serial the ledger knows is refused. Every
    line is checked before anything is written (Refused naming line and field).
    Answers {"movements": [[good id or None, damaged id or None] per line], "units"}.
    """
    payload = {
        "cmd": "receive_with_damage",
        "location": location,
        "lines": lines,
        "document": document,
    }

    def work() -> dict:
        where = require_location(conn, location, "location")
        when = as_utc(at)
        moves: list[Movement] = []
        slots: list[list[int | None]] = []
        problems: list[Problem] = []
        for i, line in enumerate(lines, start=1):
            try:
                handling = require_sku(conn, line.get("sku"), "sku")
                good = _units(line.get("good", 0), "good")
                damaged = _units(line.get("damaged", 0), "damaged")
                if good + damaged == 0:
                    raise Refused([Problem("good", "a line needs at least one unit", value=0)])
                kept = require_serials(handling, line.get("serials"), good) if good else ()
                if not good and line.get("serials"):
                    raise Refused([Problem("serials", "given for no good units")])
                broken = _damaged_serials(handling, line.get("damaged_serials"), damaged)
            except Refused as refused:
                problems += [
                    Problem(p.field, p.reason, f"line {i}", p.value) for p in refused.problems
                ]
                continue
            slot: list[int | None] = [None, None]
            if good:
                slot[0] = len(moves)
                moves.append(
                    Movement(
                        "receipt",
                        handling.id,
                        SUPPLIER,
                        where,
                        good,
                        when,
                        document=document,
                        serials=kept,
                    )
                )
            if damaged:
                slot[1] = len(moves)
                moves.append(
                    Movement(
                        "receipt",
                        handling.id,
                        SUPPLIER,
                        QUARANTINE,
                        damaged,
                        when,
                        site_location=where,
                        document=document,
                        serials=broken,
                    )
                )
            slots.append(slot)
        named = [s for m in moves for s in m.serials]
        if len(named) != len(set(named)):
            problems.append(Problem("serials", "the same serial is named twice"))
        known = lock_serials(conn, named)
        problems += [
            Problem("serials", "already exists in the ledger", value=s) for s in sorted(known)
        ]
        if problems:
            raise Refused(problems)
        posted = post_movements(conn, moves, utc_now())
        place_serials(
            conn,
            [
                (
                    s,
                    m.sku_id,
                    m.to_location,
                    m.site_location,
                    mid,
                    None,
                )
                for mid, m in zip(posted.ids, moves)
                for s in m.serials
            ],
        )
        # Recalled units go on into quarantine in this transaction, never free stock.
        arrived = [Arrival(m.sku_id, m.qty, m.serials) for m in moves if m.to_location == where]
        quarantine_arrivals(conn, where, arrived, when)
        ids = [[None if n is None else posted.ids[n] for n in slot] for slot in slots]
        return {"movements": ids, "units": sum(m.qty for m in moves)}

    return run_once(conn, SCOPE, key, payload, work)


def _units(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Refused([Problem(field, "must be a whole number, zero or more", value=value)])
    return value


def _damaged_serials(handling, serials: list[str] | None, damaged: int) -> tuple:  # type: ignore[no-untyped-def]
    """The damaged units' serials (one per unit for serial-tracked SKUs, else none)."""
    if not damaged:
        if serials:
            raise Refused([Problem("damaged_serials", "given for no damaged units")])
        return ()
    try:
        return require_serials(handling, serials, damaged)
    except Refused as refused:
        raise Refused(
            [Problem("damaged_serials", p.reason, p.where, p.value) for p in refused.problems]
        ) from None
