"""The slow, obvious POS ingestion: one PosLine and one Movement object per line.

This is storenet's first implementation of `ingest_pos_batch`, kept as the oracle the
columnar path is checked against (test_ingest_oracle.py). Not used by storenet itself.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from storenet.catalog.skus import sku_handling
from storenet.errors import Problem, Refused
from storenet.ledger.discrepancies import open_discrepancies
from storenet.ledger.idempotency import run_once
from storenet.ledger.locations import CUSTOMER
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.serials import place_serials
from storenet.sales.pos import PosLine, parse_pos_lines
from storenet.store.bulk import allocate_ids, insert_rows
from storenet.store.clock import utc_now
from storenet.store.locks import lock_serials
from storenet.store.schema import (
    discrepancies,
    locations,
    movement_serials,
    movements,
    sale_lines,
)

SCOPE = "pos"


def reference_ingest_pos_batch(conn: Connection, *, key: str, lines: list[dict]) -> dict:
    """Ingest one POS batch of raw `lines` under idempotency `key`.

    Returns {"batch", "lines", "accepted", "duplicates", "units_sold", "units_returned",
    "discrepancies"}; the same dict again on every replay.
    Raises Refused (nothing written) or IdempotencyConflict.
    """
    return run_once(conn, SCOPE, key, {"lines": lines}, lambda: _ingest(conn, key, lines))


def _ingest(conn: Connection, key: str, raw: list[dict]) -> dict:
    numbered, problems = parse_pos_lines(raw)
    parsed = [line for _, line in numbered]
    store_locations = _store_locations(conn, {p.store for p in parsed})
    handling = sku_handling(conn, [p.sku for p in parsed])
    for n, line in numbered:
        where = f"line {n}"
        if line.store not in store_locations:
            problems.append(Problem("store", "is not a known store", where, line.store))
        sku = handling.get(line.sku)
        if sku is None:
            problems.append(Problem("sku", "is not a known SKU", where, line.sku))
        elif sku.serial_tracked and len(line.serials) != line.qty:
            problems.append(
                Problem(
                    "serials",
                    f"{line.sku} is serial-tracked: give one serial per unit ({line.qty})",
                    where,
                    list(line.serials),
                )
            )
        elif not sku.serial_tracked and line.serials:
            problems.append(
                Problem("serials", f"{line.sku} is not serial-tracked", where, list(line.serials))
            )
        elif line.buyer and not sku.serial_tracked:
            problems.append(Problem("buyer", "is recorded only for serial-tracked units", where))
    if problems:
        raise Refused(sorted(problems, key=_line_order))

    fresh = _store_new_lines(conn, key, parsed)
    now = utc_now()
    moves = [_movement(line, store_locations[line.store], line_id) for line_id, line in fresh]
    posted = post_movements(conn, moves, now, read_after=True)
    issues = _serial_issues(conn, fresh, moves, posted.ids, store_locations)
    for (location, sku), after in posted.after.items():
        if after["on_hand"] < 0:
            issues.append(
                {
                    "kind": "negative_stock",
                    "location_id": location,
                    "sku_id": sku,
                    "detail": f"sold with the ledger at {after['on_hand']} on hand",
                }
            )
    open_discrepancies(conn, issues, now)
    sold = sum(line.qty for _, line in fresh if line.kind == "sale")
    return {
        "batch": key,
        "lines": len(parsed),
        "accepted": len(fresh),
        "duplicates": len(parsed) - len(fresh),
        "units_sold": sold,
        "units_returned": sum(line.qty for _, line in fresh) - sold,
        "discrepancies": len(issues),
    }


def _store_locations(conn: Connection, stores: set[str]) -> dict[str, int]:
    if not stores:
        return {}
    rows = conn.execute(
        select(locations.c.store_id, locations.c.id).where(locations.c.store_id.in_(sorted(stores)))
    )
    return {r.store_id: r.id for r in rows}


def _line_order(problem: Problem) -> tuple:
    number = problem.where.removeprefix("line ")
    return (int(number) if number.isdigit() else 0, problem.field)


def _store_new_lines(
    conn: Connection, key: str, parsed: list[PosLine]
) -> list[tuple[int, PosLine]]:
    """Insert lines not stored before; return (id, line) for the ones inserted.

    A line whose (store, device, receipt, line) is already stored is skipped by the
    database's unique constraint; the batch key tells which rows this batch wrote.
    """
    ids = allocate_ids(conn, sale_lines, len(parsed))
    insert_rows(
        conn,
        sale_lines,
        SALE_LINE_COLUMNS,
        [
            (
                i,
                key,
                p.store,
                p.device,
                p.receipt,
                p.line,
                p.kind,
                p.sku,
                p.qty,
                p.unit_price_cents,
                p.at,
                p.buyer,
            )
            for i, p in zip(ids, parsed)
        ],
        skip_conflicts=True,
    )
    mine = set(conn.execute(select(sale_lines.c.id).where(sale_lines.c.batch_key == key)).scalars())
    return [(i, p) for i, p in zip(ids, parsed) if i in mine]


SALE_LINE_COLUMNS = (
    "id",
    "batch_key",
    "store_id",
    "device_id",
    "receipt_no",
    "line_no",
    "kind",
    "sku_id",
    "qty",
    "unit_price_cents",
    "sold_at",
    "buyer_ref",
)


def _movement(line: PosLine, store_location: int, line_id: int) -> Movement:
    src, dst = (store_location, CUSTOMER) if line.kind == "sale" else (CUSTOMER, store_location)
    return Movement(
        line.kind,
        line.sku,
        src,
        dst,
        line.qty,
        line.at,
        document=f"sale:{line_id}",
        serials=line.serials,
    )


def _serial_issues(
    conn: Connection,
    fresh: list[tuple[int, PosLine]],
    moves: list[Movement],
    ids: list[int],
    store_locations: dict[str, int],
) -> list[dict]:
    """Move each sold or returned serial; a serial the ledger had elsewhere, or never
    saw, is recorded where the till says and raised as a discrepancy."""
    numbers = [s for m in moves for s in m.serials]
    if not numbers:
        return []
    known = lock_serials(conn, numbers)
    issues, placements = [], []
    for (_, line), move, mid in zip(fresh, moves, ids):
        here = store_locations[line.store]
        for serial in move.serials:
            expected = here if line.kind == "sale" else CUSTOMER
            current = known.get(serial)
            if current is None:
                issues.append(
                    {
                        "kind": "serial_unknown",
                        "location_id": here,
                        "sku_id": line.sku,
                        "serial": serial,
                        "movement_id": mid,
                        "detail": f"{line.kind} of a serial the ledger never received",
                    }
                )
            elif _elsewhere(conn, serial, current, (expected, line.sku), ids):
                issues.append(
                    {
                        "kind": "serial_elsewhere",
                        "location_id": here,
                        "sku_id": line.sku,
                        "serial": serial,
                        "movement_id": mid,
                        "detail": f"{line.kind} of a serial the ledger had at location "
                        f"{current['location_id']} as {current['sku_id']}",
                    }
                )
            placements.append(
                (
                    serial,
                    line.sku,
                    move.to_location,
                    None,
                    mid,
                    line.buyer if line.kind == "sale" else None,
                )
            )
            # A later line in this batch sees where this one left the serial.
            known[serial] = {"location_id": move.to_location, "sku_id": line.sku}
    # Keep the last placement per serial: a serial is one row.
    last = {p[0]: p for p in placements}
    place_serials(conn, list(last.values()))
    return issues


def _elsewhere(
    conn: Connection, serial: str, current: dict, expected: tuple[int, str], mine: list[int]
) -> bool:
    """True when the ledger did not have `serial` at `expected` (location, SKU).

    If the serial's last move was itself raised as serial_elsewhere (a till sold a unit
    the ledger had in another store), that disputed move does not count against the
    store that really had the unit: the ledger's belief is where the serial was before
    it (ignoring this batch's own movements, `mine`).
    """
    if (current["location_id"], current["sku_id"]) == expected:
        return False
    last = current.get("last_movement_id")
    if last is None:
        return True
    disputed = conn.execute(
        select(discrepancies.c.id).where(
            discrepancies.c.kind == "serial_elsewhere",
            discrepancies.c.serial == serial,
            discrepancies.c.movement_id == last,
            discrepancies.c.status == "open",
        )
    ).first()
    if disputed is None:
        return True
    before = conn.execute(
        select(movements.c.to_location, movements.c.sku_id)
        .join(movement_serials, movement_serials.c.movement_id == movements.c.id)
        .where(movement_serials.c.serial == serial, movements.c.id.not_in([last, *mine]))
        .order_by(movements.c.id.desc())
        .limit(1)
    ).first()
    return before is None or (before.to_location, before.sku_id) != expected
