"""Stock commands at one location: supplier receipts, counts, manual adjustments,
scrap, quarantine holds and releases, and reversals.

Each command runs inside the caller's transaction, carries an idempotency key, checks
everything before it writes anything, and posts movements through
`storenet.ledger.posting`. Answers are plain dicts (JSON-able), returned again on replay.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from storenet.errors import NotFound, Problem, Refused
from storenet.ledger.checks import (
    require_location,
    require_qty,
    require_serials,
    require_sku,
    take_available,
)
from storenet.ledger.discrepancies import resolve_stock_discrepancies
from storenet.ledger.idempotency import run_once
from storenet.ledger.locations import COUNT_DIFFERENCE, QUARANTINE, SCRAP, SUPPLIER
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.recall_holds import Arrival, quarantine_arrivals
from storenet.ledger.serials import place_serials
from storenet.store.clock import as_utc, utc_now
from storenet.store.locks import lock_balances, lock_name, lock_serials
from storenet.store.schema import movement_serials, movements

SCOPE = "ledger"


def receive_from_supplier(
    conn: Connection,
    *,
    key: str,
    location: str,
    lines: list[dict],
    at: datetime | None = None,
    document: str | None = None,
) -> dict:
    """Book a supplier delivery of `lines` ({sku, qty, serials?}) into `location`.

    All lines are checked before anything is written. Serial-tracked SKUs need one new
    serial per unit; a serial the ledger already knows is refused. A delivery note
    (`document`) is booked once per location, whoever books it and under whatever key:
    a second receipt with the same note is refused naming `document`.
    """
    payload = {"cmd": "receive", "location": location, "lines": lines, "document": document}

    def work() -> dict:
        where = require_location(conn, location, "location")
        when = as_utc(at)
        if document is not None:
            _refuse_booked_note(conn, where, location, document)
        moves, problems = [], []
        for i, line in enumerate(lines, start=1):
            try:
                handling = require_sku(conn, line.get("sku"), "sku")
                qty = require_qty(line.get("qty"))
                serials = require_serials(handling, line.get("serials"), qty)
            except Refused as refused:
                problems += [
                    Problem(p.field, p.reason, f"line {i}", p.value) for p in refused.problems
                ]
                continue
            moves.append(
                Movement(
                    "receipt",
                    handling.id,
                    SUPPLIER,
                    where,
                    qty,
                    when,
                    document=document,
                    serials=serials,
                )
            )
        known = lock_serials(conn, [s for m in moves for s in m.serials])
        problems += [
            Problem("serials", "already exists in the ledger", value=s) for s in sorted(known)
        ]
        if problems:
            raise Refused(problems)
        posted = post_movements(conn, moves, utc_now())
        place_serials(
            conn,
            [
                (s, m.sku_id, where, None, mid, None)
                for mid, m in zip(posted.ids, moves)
                for s in m.serials
            ],
        )
        # Recalled units go on into quarantine in this transaction, never free stock.
        quarantine_arrivals(conn, where, [Arrival(m.sku_id, m.qty, m.serials) for m in moves], when)
        return {"movements": posted.ids, "units": sum(m.qty for m in moves)}

    return run_once(conn, SCOPE, key, payload, work)


def _refuse_booked_note(conn: Connection, where: int, location: str, document: str) -> None:
    """Refused when delivery note `document` was booked into `where` already."""
    lock_name(conn, f"receipt:{where}:{document}")
    booked = conn.execute(
        select(movements.c.id, movements.c.recorded_at)
        .where(
            movements.c.document == document,
            movements.c.kind == "receipt",
            movements.c.to_location == where,
        )
        .limit(1)
    ).first()
    if booked is not None:
        reason = (
            f"was booked into {location} already (movement {booked.id}, "
            f"{booked.recorded_at:%Y-%m-%d %H:%M} UTC); a delivery note is booked once"
        )
        raise Refused([Problem("document", reason, value=document)])


def record_count(
    conn: Connection,
    *,
    key: str,
    location: str,
    sku: str,
    counted: int,
    at: datetime | None = None,
) -> dict:
    """Book a physical count: the ledger's on_hand for (location, sku) becomes `counted`.

    The difference moves to or from the virtual count-difference location, and every
    open discrepancy for the pair is resolved. A count equal to the ledger writes no
    movement but still resolves discrepancies.
    """
    payload = {"cmd": "count", "location": location, "sku": sku, "counted": counted}

    def work() -> dict:
        where = require_location(conn, location, "location")
        handling = require_sku(conn, sku)
        if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
            raise Refused(
                [Problem("counted", "must be a whole number, zero or more", value=counted)]
            )
        when = as_utc(at)
        before = lock_balances(conn, [(where, handling.id)])[(where, handling.id)]["on_hand"]
        diff = counted - before
        ids: list[int] = []
        if diff:
            src, dst = (COUNT_DIFFERENCE, where) if diff > 0 else (where, COUNT_DIFFERENCE)
            ids = post_movements(
                conn, [Movement("count", handling.id, src, dst, abs(diff), when)], utc_now()
            ).ids
        resolved = resolve_stock_discrepancies(
            conn, where, handling.id, utc_now(), f"counted {counted}"
        )
        return {"movements": ids, "before": before, "counted": counted, "resolved": resolved}

    return run_once(conn, SCOPE, key, payload, work)


def adjust_stock(
    conn: Connection,
    *,
    key: str,
    location: str,
    sku: str,
    delta: int,
    reason: str,
    at: datetime | None = None,
) -> dict:
    """A manual correction of `delta` units (either sign) with a stated reason.

    Removing more than is free (on hand minus reserved) is refused.
    """
    payload = {"cmd": "adjust", "location": location, "sku": sku, "delta": delta, "reason": reason}

    def work() -> dict:
        where = require_location(conn, location, "location")
        handling = require_sku(conn, sku)
        if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
            raise Refused([Problem("delta", "must be a non-zero whole number", value=delta)])
        if not reason or not reason.strip():
            raise Refused([Problem("reason", "is required for a manual adjustment")])
        if delta < 0:
            take_available(conn, where, location, handling.id, -delta)
        src, dst = (COUNT_DIFFERENCE, where) if delta > 0 else (where, COUNT_DIFFERENCE)
        move = Movement(
            "adjust",
            handling.id,
            src,
            dst,
            abs(delta),
            as_utc(at),
            document=f"adjust:{reason[:70]}",
        )
        return {"movements": post_movements(conn, [move], utc_now()).ids}

    return run_once(conn, SCOPE, key, payload, work)


def scrap_stock(
    conn: Connection,
    *,
    key: str,
    location: str,
    sku: str,
    qty: int,
    from_held: bool = False,
    at: datetime | None = None,
) -> dict:
    """Write off `qty` units at `location`, from free stock or (from_held) from quarantine."""
    payload = {"cmd": "scrap", "location": location, "sku": sku, "qty": qty, "held": from_held}

    def work() -> dict:
        where = require_location(conn, location, "location")
        handling = require_sku(conn, sku)
        n = require_qty(qty)
        if handling.serial_tracked:
            raise Refused([Problem("sku", "serial-tracked units are scrapped by serial")])
        if from_held:
            _require_held(conn, where, location, handling.id, n)
            move = Movement(
                "scrap", handling.id, QUARANTINE, SCRAP, n, as_utc(at), site_location=where
            )
        else:
            take_available(conn, where, location, handling.id, n)
            move = Movement("scrap", handling.id, where, SCRAP, n, as_utc(at))
        return {"movements": post_movements(conn, [move], utc_now()).ids}

    return run_once(conn, SCOPE, key, payload, work)


def hold_stock(
    conn: Connection, *, key: str, location: str, sku: str, qty: int, at: datetime | None = None
) -> dict:
    """Quarantine `qty` free units at `location`: they stay there but cannot be sold
    or allocated until released (a quality hold, a recall)."""
    payload = {"cmd": "hold", "location": location, "sku": sku, "qty": qty}

    def work() -> dict:
        where = require_location(conn, location, "location")
        handling = require_sku(conn, sku)
        n = require_qty(qty)
        take_available(conn, where, location, handling.id, n)
        move = Movement("hold", handling.id, where, QUARANTINE, n, as_utc(at), site_location=where)
        return {"movements": post_movements(conn, [move], utc_now()).ids}

    return run_once(conn, SCOPE, key, payload, work)


def release_stock(
    conn: Connection, *, key: str, location: str, sku: str, qty: int, at: datetime | None = None
) -> dict:
    """Release `qty` quarantined units at `location` back to free stock."""
    payload = {"cmd": "release", "location": location, "sku": sku, "qty": qty}

    def work() -> dict:
        where = require_location(conn, location, "location")
        handling = require_sku(conn, sku)
        n = require_qty(qty)
        _require_held(conn, where, location, handling.id, n)
        move = Movement(
            "release", handling.id, QUARANTINE, where, n, as_utc(at), site_location=where
        )
        return {"movements": post_movements(conn, [move], utc_now()).ids}

    return run_once(conn, SCOPE, key, payload, work)


def reverse_movement(
    conn: Connection, *, key: str, movement_id: int, at: datetime | None = None
) -> dict:
    """Undo movement `movement_id` with a reversing movement that points at it.

    The original is never changed; a movement can be reversed once (the database
    enforces it), and a reversal itself cannot be reversed.
    """
    payload = {"cmd": "reverse", "movement_id": movement_id}

    def work() -> dict:
        original = conn.execute(select(movements).where(movements.c.id == movement_id)).first()
        if original is None:
            raise NotFound("movement", str(movement_id))
        if original.kind == "reversal":
            raise Refused([Problem("movement_id", "is itself a reversal", value=movement_id)])
        already = conn.execute(
            select(movements.c.id).where(movements.c.reverses_id == movement_id)
        ).scalar()
        if already is not None:
            raise Refused(
                [
                    Problem(
                        "movement_id",
                        f"was already reversed by movement {already}",
                        value=movement_id,
                    )
                ]
            )
        serials = tuple(
            conn.execute(
                select(movement_serials.c.serial)
                .where(movement_serials.c.movement_id == movement_id)
                .order_by(movement_serials.c.serial)
            ).scalars()
        )
        move = Movement(
            "reversal",
            original.sku_id,
            original.to_location,
            original.from_location,
            original.qty,
            as_utc(at),
            site_location=original.site_location,
            document=f"reversal:{movement_id}",
            serials=serials,
            reverses_id=movement_id,
        )
        posted = post_movements(conn, [move], utc_now())
        place_serials(
            conn,
            [
                (s, move.sku_id, move.to_location, move.site_location, posted.ids[0], None)
                for s in serials
            ],
        )
        return {"movements": posted.ids}

    return run_once(conn, SCOPE, key, payload, work)


def _require_held(conn: Connection, where: int, name: str, sku_id: str, qty: int) -> None:
    held = lock_balances(conn, [(where, sku_id)])[(where, sku_id)]["held"]
    if held < qty:
        raise Refused(
            [Problem("qty", f"only {held} unit(s) of {sku_id} are held at {name}", value=qty)]
        )
