"""Ingesting a POS batch: all or nothing, exactly once, never refusing a real sale.

`ingest_pos_batch` runs inside the caller's transaction (use
`storenet.store.engine.unit_of_work`). In order:

1. claim the batch's idempotency key (a replay returns the first answer, a different
   payload under the same key is refused naming the first difference);
2. check every line's shape, store, SKU and serials; any problem refuses the whole
   batch, naming line, field and reason, with nothing written;
3. store the lines (a receipt line already stored by another batch, e.g. an offline
   till resending, is skipped and counted as a duplicate);
4. post one movement per line (sale: store -> customer; return: customer -> store);
5. raise discrepancies where the shelf went below zero or a serial was somewhere else:
   the sale stands, because it happened at the counter.

The batch travels as columns (`PosColumns`), never as one object per line: checks
run over whole columns, balance deltas are summed per (location, SKU) before they are
written, and rows go to the database in bulk (COPY on PostgreSQL). Per-line code runs
only where it must: to name the problems of a refused batch, and for the lines that
carry serials.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection, select

from storenet.errors import Problem, Refused
from storenet.ledger import recall_holds, recall_sales
from storenet.ledger.bulk_posting import MovementColumns, post_columns
from storenet.ledger.discrepancies import open_discrepancies
from storenet.ledger.idempotency import run_once
from storenet.ledger.locations import CUSTOMER
from storenet.ledger.serials import place_serials
from storenet.sales.pos import PosColumns, PosLine, parse_pos_columns, parse_pos_lines
from storenet.store.bulk import allocate_ids, insert_new_columns, rows_where_in
from storenet.store.clock import utc_now
from storenet.store.locks import lock_serials
from storenet.store.schema import (
    discrepancies,
    locations,
    movement_serials,
    movements,
    sale_lines,
    skus,
)

SCOPE = "pos"


def ingest_pos_batch(conn: Connection, *, key: str, lines: list[dict]) -> dict:
    """Ingest one POS batch of raw `lines` under idempotency `key`.

    Returns {"batch", "lines", "accepted", "duplicates", "units_sold", "units_returned",
    "discrepancies"}; the same dict again on every replay.
    Raises Refused (nothing written) or IdempotencyConflict.
    """
    return run_once(conn, SCOPE, key, {"lines": lines}, lambda: _ingest(conn, key, lines))


def _ingest(conn: Connection, key: str, raw: list[dict]) -> dict:
    columns, problems = parse_pos_columns(raw)
    if columns is None:
        raise Refused(_problems(conn, raw))
    store_locations = _store_locations(conn, set(columns.store))
    tracked = _serial_tracked(conn, set(columns.sku))
    plain = (
        len(store_locations) == len(set(columns.store))
        and len(tracked) == len(set(columns.sku))
        and not any(tracked.values())
        and columns.serials is None
        and columns.buyer is None
    )
    if not plain:
        problems = _line_problems(
            [(i + 1, columns.line_at(i)) for i in range(len(columns))], store_locations, tracked
        )
        if problems:
            raise Refused(_as_named(sorted(problems, key=_line_order), raw))

    fresh, line_ids = _store_new_lines(conn, key, columns)
    now = utc_now()
    moves = _movements(columns, fresh, line_ids, store_locations)
    if columns.serials is not None:
        # A unit a recall holds at this store comes out of quarantine to be sold.
        recall_sales.before_sales(conn, *_sold_serials(columns, fresh, store_locations))
    posted = post_columns(conn, moves, now)
    issues = []
    if columns.serials is not None:
        issues += _serial_issues(conn, columns, fresh, moves, posted.ids, store_locations)
    for (location, sku), on_hand in sorted(posted.below_zero.items()):
        issues.append(
            {
                "kind": "negative_stock",
                "location_id": location,
                "sku_id": sku,
                "detail": f"sold with the ledger at {on_hand} on hand",
            }
        )
    open_discrepancies(conn, issues, now)
    if fresh and recall_holds.any_active(conn):
        recall_sales.after_sales(conn, _sale_facts(columns, fresh, posted.ids, store_locations))
    units = [columns.qty[i] for i in fresh]
    sold = sum(q for q, i in zip(units, fresh) if columns.kind[i] == "sale")
    return {
        "batch": key,
        "lines": len(columns),
        "accepted": len(fresh),
        "duplicates": len(columns) - len(fresh),
        "units_sold": sold,
        "units_returned": sum(units) - sold,
        "discrepancies": len(issues),
    }


def _problems(conn: Connection, raw: list[dict]) -> list[Problem]:
    """Every problem of a batch with a badly shaped line, in line order: its shape
    problems and the store, SKU and serial problems of its well-shaped lines."""
    numbered, problems = parse_pos_lines(raw)
    parsed = [line for _, line in numbered]
    store_locations = _store_locations(conn, {p.store for p in parsed})
    tracked = _serial_tracked(conn, {p.sku for p in parsed})
    problems += _line_problems(numbered, store_locations, tracked)
    return _as_named(sorted(problems, key=_line_order), raw)


def _as_named(problems: list[Problem], raw: list[dict]) -> list[Problem]:
    """`problems` naming the store and SKU fields as each line named them: `store_id`
    and `sku_id` (the documented names) or the short `store` and `sku`."""
    out = []
    for p in problems:
        number = p.where.removeprefix("line ")
        if p.field in ("store", "sku") and number.isdigit() and int(number) <= len(raw):
            line = raw[int(number) - 1]
            if isinstance(line, dict) and f"{p.field}_id" in line:
                p = replace(p, field=f"{p.field}_id")
        out.append(p)
    return out


def _line_problems(
    numbered: list[tuple[int, PosLine]], store_locations: dict[str, int], tracked: dict
) -> list[Problem]:
    """Store, SKU, serial and buyer problems, one line at a time (the refusal path)."""
    problems = []
    for n, line in numbered:
        where = f"line {n}"
        if line.store not in store_locations:
            problems.append(Problem("store", "is not a known store", where, line.store))
        serial_tracked = tracked.get(line.sku)
        if serial_tracked is None:
            problems.append(Problem("sku", "is not a known SKU", where, line.sku))
        elif serial_tracked and len(line.serials) != line.qty:
            problems.append(
                Problem(
                    "serials",
                    f"{line.sku} is serial-tracked: give one serial per unit ({line.qty})",
                    where,
                    list(line.serials),
                )
            )
        elif not serial_tracked and line.serials:
            problems.append(
                Problem("serials", f"{line.sku} is not serial-tracked", where, list(line.serials))
            )
        elif line.buyer and not serial_tracked:
            problems.append(Problem("buyer", "is recorded only for serial-tracked units", where))
    return problems


def _store_locations(conn: Connection, stores: set[str]) -> dict[str, int]:
    rows = rows_where_in(conn, locations, "store_id", stores, ("store_id", "id"))
    return dict(rows)


def _serial_tracked(conn: Connection, ids: set[str]) -> dict[str, bool]:
    """{sku: serial-tracked?} for the SKUs in `ids` that exist."""
    rows = rows_where_in(conn, skus, "id", ids, ("id", "serial_tracked"))
    return {sku: bool(flag) for sku, flag in rows}


def _line_order(problem: Problem) -> tuple:
    number = problem.where.removeprefix("line ")
    return (int(number) if number.isdigit() else 0, problem.field)


def _store_new_lines(conn: Connection, key: str, columns: PosColumns) -> tuple[list[int], list]:
    """Insert the lines not stored before; return the positions (0-based) of the ones
    inserted, and every line's allocated id.

    A line whose (store, device, receipt, line) is already stored is skipped by the
    database's unique constraint.
    """
    n = len(columns)
    ids = allocate_ids(conn, sale_lines, n)
    inserted = insert_new_columns(
        conn,
        sale_lines,
        SALE_LINE_COLUMNS,
        [
            ids,
            [key] * n,
            columns.store,
            columns.device,
            columns.receipt,
            columns.line,
            columns.kind,
            columns.sku,
            columns.qty,
            columns.unit_price_cents,
            columns.at,
            columns.buyer or [None] * n,
        ],
    )
    if len(inserted) == n:
        return list(range(n)), ids
    return [i for i, line_id in enumerate(ids) if line_id in inserted], ids


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


def _movements(
    columns: PosColumns, fresh: list[int], line_ids: list, store_locations: dict[str, int]
) -> MovementColumns:
    """One movement per fresh line, with the serials it carries: a sale goes from the
    store to the customer, a return the other way; document "sale:<line id>"."""
    here = [store_locations[columns.store[i]] for i in fresh]
    kind = [columns.kind[i] for i in fresh]
    if "return" in kind:
        src = [h if k == "sale" else CUSTOMER for h, k in zip(here, kind)]
        dst = [CUSTOMER if k == "sale" else h for h, k in zip(here, kind)]
    else:
        src, dst = here, [CUSTOMER] * len(fresh)
    carried = []
    if columns.serials is not None:
        carried = [(j, s) for j, i in enumerate(fresh) for s in columns.serials[i] or ()]
    return MovementColumns(
        kind=kind,
        sku_id=[columns.sku[i] for i in fresh],
        from_location=src,
        to_location=dst,
        qty=[columns.qty[i] for i in fresh],
        occurred_at=[columns.at[i] for i in fresh],
        document=[f"sale:{line_ids[i]}" for i in fresh],
        serials=carried,
    )


def _serial_issues(
    conn: Connection,
    columns: PosColumns,
    fresh: list[int],
    moves: MovementColumns,
    ids: list[int],
    store_locations: dict[str, int],
) -> list[dict]:
    """Move each sold or returned serial of the fresh lines (their movements, `ids`,
    carry them); a serial the ledger had elsewhere, or never saw, is recorded where the
    till says and raised as a discrepancy."""
    carrying = [(j, i) for j, i in enumerate(fresh) if columns.serials[i]]
    numbers = [s for _, i in carrying for s in columns.serials[i]]
    if not numbers:
        return []
    known = lock_serials(conn, numbers)
    issues, placements = [], []
    for j, i in carrying:
        line, mid, to_location = columns.line_at(i), ids[j], moves.to_location[j]
        here = store_locations[line.store]
        for serial in line.serials:
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
                    to_location,
                    None,
                    mid,
                    line.buyer if line.kind == "sale" else None,
                )
            )
            # A later line in this batch sees where this one left the serial.
            known[serial] = {"location_id": to_location, "sku_id": line.sku}
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


def _sold_serials(
    columns: PosColumns, fresh: list[int], store_locations: dict[str, int]
) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    """(store location, sku, serial) of every serial the fresh sale lines sell, and
    every (location, sku) the batch touches (for `recall_sales.before_sales`)."""
    keys = [(store_locations[columns.store[i]], columns.sku[i]) for i in fresh]
    sold = [
        (where, sku, s)
        for (where, sku), i in zip(keys, fresh)
        if columns.kind[i] == "sale"
        for s in columns.serials[i] or ()
    ]
    return sold, keys


def _sale_facts(
    columns: PosColumns, fresh: list[int], ids: list[int], store_locations: dict[str, int]
) -> list[recall_sales.SaleFact]:
    """The fresh lines as the recall hooks read them (`recall_sales.after_sales`)."""
    return [
        recall_sales.SaleFact(
            kind=columns.kind[i],
            location_id=store_locations[columns.store[i]],
            sku_id=columns.sku[i],
            qty=columns.qty[i],
            movement_id=mid,
            at=columns.at[i],
            serials=tuple(columns.serials[i] or ()) if columns.serials else (),
            buyer_ref=columns.buyer[i] if columns.buyer else None,
        )
        for i, mid in zip(fresh, ids)
    ]
