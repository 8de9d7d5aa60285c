"""Transfers between real locations: warehouse to store, store to store.

A transfer is a document (draft -> shipped -> received). Shipping moves units from the
source into transit (counted as in_transit at the destination); receiving moves what
arrived from transit into the destination. A short receipt sends the missing units
from transit to the count-difference location; an over receipt brings the extra units
from there; either opens a discrepancy so someone finds out why.

Serial-tracked SKUs (phones, TVs) move by serial. A draft line may name its serials;
a line that does not gets them picked at the source when it ships, oldest first (the
unit that has sat at the source longest leaves first, which keeps aged stock down and
makes the pick repeatable). The serials a transfer carries are kept in
`transfer_serials`; in transit they sit at TRANSIT with the destination as their site,
and receiving places each one where it ended up: the destination, or the
count-difference location for a serial that never arrived.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, exists, insert, select, update

from storenet.catalog.skus import sku_handling
from storenet.errors import NotFound, Problem, Refused
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
from storenet.store.schema import (
    movements,
    serials,
    transfer_lines,
    transfer_serials,
    transfers,
)

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
    """Create a draft transfer of `lines` from `source` to `destination`.

    A line is {"sku", "qty"}; a serial-tracked SKU's line may also name its serials,
    {"sku", "qty", "serials": [...]}, one distinct serial per unit, each one the ledger
    has at `source` as that SKU and not named on another draft transfer. Named serials
    are claimed by this draft; a serial-tracked line without them gets serials picked
    when it ships. Each SKU appears once. Any problem refuses the whole transfer.
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
        problems += _named_serial_problems(conn, src, named, named_rows, claims=True)
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
        _store_serials(conn, transfer_id, named)
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
        tracked = _serial_tracked(conn, [line.sku_id for line in lines])
        named, picked = _serials_to_ship(
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
        _store_serials(conn, transfer_id, picked)
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

    `received` maps SKU -> units that arrived (default: everything shipped; a SKU left
    out of a given map means none arrived). For a serial-tracked SKU,
    `received_serials` maps SKU -> the serials that arrived; without it the line
    arrives whole or not at all (a count in between is refused: say which serials).
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
        shipped_serials = _transfer_serials(conn, transfer_id)
        tracked = _serial_tracked(conn, list(lines))
        got_serials = _arrived_serials(
            lines, tracked, shipped_serials, arrived, received, received_serials or {}
        )
        when, doc_ref, dst = as_utc(at), f"transfer:{transfer_id}", doc.to_location
        # Lock every serial this receipt may move, in one sorted pass.
        rows = lock_serials(
            conn,
            [s for found in shipped_serials.values() for s in found]
            + [s for found in got_serials.values() for s in found],
        )
        _refuse_serials_elsewhere(conn, shipped_serials, got_serials, rows)

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
        place_serials(conn, _placements(moves, ids, rows))
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


def _serial_tracked(conn: Connection, sku_ids: list[str]) -> set[str]:
    """The serial-tracked SKUs among `sku_ids`."""
    return {sku for sku, h in sku_handling(conn, sku_ids).items() if h.serial_tracked}


def _transfer_serials(conn: Connection, transfer_id: str) -> dict[str, list[str]]:
    """{sku: serials, sorted} recorded on the transfer."""
    out: dict[str, list[str]] = {}
    for row in conn.execute(
        select(transfer_serials.c.sku_id, transfer_serials.c.serial)
        .where(transfer_serials.c.transfer_id == transfer_id)
        .order_by(transfer_serials.c.sku_id, transfer_serials.c.serial)
    ):
        out.setdefault(row.sku_id, []).append(row.serial)
    return out


def _store_serials(conn: Connection, transfer_id: str, by_sku: dict) -> None:
    rows = [
        {"transfer_id": transfer_id, "sku_id": sku, "serial": s}
        for sku, found in sorted(by_sku.items())
        for s in sorted(found)
    ]
    if rows:
        conn.execute(insert(transfer_serials), rows)


def _at(row: dict | None, location: int, sku: str) -> bool:
    """True when the (locked) serial row says the unit is at `location` as `sku`."""
    return row is not None and row["location_id"] == location and row["sku_id"] == sku


def _named_serial_problems(
    conn: Connection, src: int, named: dict[str, tuple | list], rows: dict, *, claims: bool
) -> list[Problem]:
    """Problems of serials named for shipping from `src`, read from their locked `rows`:
    each must be recorded there as its line's SKU and, with `claims`, not be named on
    any draft transfer already."""
    wanted = sorted(s for found in named.values() for s in found)
    if not wanted:
        return []
    claimed: dict[str, str] = {}
    if claims:
        claimed = dict(
            conn.execute(
                select(transfer_serials.c.serial, transfer_serials.c.transfer_id)
                .join(transfers, transfers.c.id == transfer_serials.c.transfer_id)
                .where(transfer_serials.c.serial.in_(wanted), transfers.c.status == "draft")
            ).all()
        )
    names = location_names(conn)
    problems = []
    for sku, found in sorted(named.items()):
        for s in sorted(found):
            row = rows.get(s)
            if row is None:
                reason = "is not in the ledger"
            elif row["sku_id"] != sku:
                reason = f"is a unit of {row['sku_id']}, not {sku}"
            elif row["location_id"] != src:
                reason = (
                    f"is not at {names[src]}: the ledger has it at "
                    f"{names.get(row['location_id'], row['location_id'])}"
                )
            elif s in claimed:
                reason = f"is already named on draft transfer {claimed[s]}"
            else:
                continue
            problems.append(Problem("serials", reason, f"sku {sku}", s))
    return problems


def _serials_to_ship(
    conn: Connection, transfer_id: str, src: int, wanted: dict[str, int]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The serials each serial-tracked line of a shipment carries, locked: (named on the
    draft, picked now), each {sku: serials}. Refused naming the SKU when a named serial
    left the source or the source has too few serials to pick from."""
    named = _transfer_serials(conn, transfer_id)
    named = {sku: found for sku, found in named.items() if sku in wanted}
    to_pick = {sku: n for sku, n in wanted.items() if sku not in named}
    picked: dict[str, list[str]] = {sku: [] for sku in to_pick}
    tried: set[str] = set()
    candidates = {sku: _oldest_at(conn, src, sku, n, tried) for sku, n in to_pick.items()}
    # Lock the named serials and the candidates in one sorted pass, then check them.
    # A candidate another writer moved between the read and the lock is dropped and
    # the next oldest tried: rare (shipments from one source already queue on its
    # balance rows), and it ends once no candidates are left.
    rows = lock_serials(
        conn, [s for by_sku in (named, candidates) for found in by_sku.values() for s in found]
    )
    problems = _named_serial_problems(conn, src, named, rows, claims=False)
    while any(candidates.values()):
        for sku, found in candidates.items():
            tried.update(found)
            picked[sku] += [s for s in found if _at(rows.get(s), src, sku)]
        candidates = {
            sku: _oldest_at(conn, src, sku, n - len(picked[sku]), tried)
            for sku, n in to_pick.items()
            if len(picked[sku]) < n
        }
        rows = lock_serials(conn, [s for found in candidates.values() for s in found])
    if to_pick:
        source = location_names(conn)[src]
        for sku, n in sorted(to_pick.items()):
            if len(picked[sku]) < n:
                problems.append(
                    Problem(
                        "serials",
                        f"only {len(picked[sku])} unit(s) of {sku} with a serial are free "
                        f"at {source}, {n} to ship",
                        f"sku {sku}",
                        n,
                    )
                )
    if problems:
        raise Refused(problems)
    return named, picked


def _oldest_at(conn: Connection, src: int, sku: str, n: int, exclude: set[str]) -> list[str]:
    """Up to `n` serials of `sku` at `src`, oldest first (when the movement that brought
    each there happened, then serial), leaving out `exclude` and serials named on a
    draft transfer (claimed for that transfer). Not locked."""
    claimed = exists(
        select(transfer_serials.c.serial)
        .join(transfers, transfers.c.id == transfer_serials.c.transfer_id)
        .where(transfer_serials.c.serial == serials.c.serial, transfers.c.status == "draft")
    )
    q = (
        select(serials.c.serial)
        .join(movements, movements.c.id == serials.c.last_movement_id)
        .where(serials.c.location_id == src, serials.c.sku_id == sku, ~claimed)
        .order_by(movements.c.occurred_at, serials.c.serial)
        .limit(n)
    )
    if exclude:
        q = q.where(serials.c.serial.not_in(sorted(exclude)))
    return list(conn.execute(q).scalars())


def _arrived_serials(
    lines: dict,
    tracked: set[str],
    shipped: dict[str, list[str]],
    arrived: dict[str, int],
    received: dict[str, int] | None,
    named: dict[str, list[str]],
) -> dict[str, set[str]]:
    """{sku: serials that arrived} for every serial-tracked line; Refused on bad input."""
    problems = [
        Problem("received_serials", "is not on this transfer", value=sku)
        for sku in sorted(set(named) - set(lines))
    ]
    problems += [
        Problem("received_serials", f"{sku} is not serial-tracked", value=sku)
        for sku in sorted((set(named) & set(lines)) - tracked)
    ]
    out: dict[str, set[str]] = {}
    seen: dict[str, str] = {}
    for sku in sorted(tracked):
        sent = shipped.get(sku, [])
        if sku in named:
            given = named[sku]
            if not isinstance(given, list) or not all(isinstance(s, str) and s for s in given):
                problems.append(
                    Problem(f"received_serials.{sku}", "must be a list of serial numbers")
                )
                continue
            if len(set(given)) != len(given):
                problems.append(
                    Problem(f"received_serials.{sku}", "names a serial twice", value=given)
                )
            if received is not None and sku in received and received[sku] != len(given):
                problems.append(
                    Problem(
                        f"received.{sku}",
                        f"says {received[sku]} but received_serials names {len(given)}",
                        value=received[sku],
                    )
                )
            came = set(given)
        else:
            count = arrived.get(sku, 0)
            if count not in (0, len(sent)):
                problems.append(
                    Problem(
                        f"received.{sku}",
                        f"{sku} is serial-tracked: name the serials that arrived in "
                        "received_serials",
                        value=count,
                    )
                )
                continue
            came = set(sent) if count else set()
        for s in sorted(came):
            if s in seen:
                problems.append(
                    Problem("received_serials", f"names {s} under {seen[s]} and {sku}", value=s)
                )
            seen[s] = sku
        out[sku] = came
    if problems:
        raise Refused(problems)
    return out


def _refuse_serials_elsewhere(
    conn: Connection, shipped: dict[str, list[str]], got: dict[str, set[str]], rows: dict
) -> None:
    """Refuse an arrived serial that was not shipped on the transfer unless the ledger
    never saw it or has it at count difference as the same SKU (a unit lost earlier,
    now found): a serial is in exactly one place."""
    names: dict[int, str] | None = None
    problems = []
    for sku, came in sorted(got.items()):
        for s in sorted(came - set(shipped.get(sku, ()))):
            row = rows.get(s)
            if row is None or _at(row, COUNT_DIFFERENCE, sku):
                continue
            names = names or location_names(conn)
            problems.append(
                Problem(
                    f"received_serials.{sku}",
                    f"serial {s} was not shipped on this transfer and the ledger has it at "
                    f"{names.get(row['location_id'], row['location_id'])} as "
                    f"{row['sku_id']}; a serial is in one place",
                    value=s,
                )
            )
    if problems:
        raise Refused(problems)


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


def _placements(moves: list[Movement], ids: list[int], rows: dict) -> list[tuple]:
    """Where a receipt leaves each serial it carried.

    A shipped serial is placed only if the ledger still has it in transit: if something
    moved it since (a till sold it at the destination before the receipt), that later
    movement already says where it is and raised its own discrepancy.
    """
    out = []
    for mid, m in zip(ids, moves):
        for s in m.serials:
            if m.kind == "over" or (rows.get(s) or {}).get("location_id") == TRANSIT:
                out.append((s, m.sku_id, m.to_location, None, mid, None))
    return out
