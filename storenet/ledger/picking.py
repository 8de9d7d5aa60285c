"""Which serials a transfer carries, and where a receipt leaves them.

A draft line of a serial-tracked SKU may name its serials (claimed by that draft); a
line that does not gets them picked at the source when it ships, oldest first (the
unit that has sat at the source longest leaves first, which keeps aged stock down and
makes the pick repeatable). The serials a transfer carries are kept in
`transfer_serials`. At the receipt, the serials that arrived are checked against the
ones shipped and against where the ledger has them (a serial is in one place).

The document's states and the movements are `storenet.ledger.transfers`'; this module
reads and locks serial rows and records a transfer's serials, nothing else.
"""

from __future__ import annotations

from sqlalchemy import Connection, exists, insert, select

from storenet.catalog.skus import sku_handling
from storenet.errors import Problem, Refused
from storenet.ledger.locations import COUNT_DIFFERENCE, TRANSIT, location_names
from storenet.ledger.posting import Movement
from storenet.store.locks import lock_serials
from storenet.store.schema import movements, serials, transfer_serials, transfers


def serial_tracked(conn: Connection, sku_ids: list[str]) -> set[str]:
    """The serial-tracked SKUs among `sku_ids`."""
    return {sku for sku, h in sku_handling(conn, sku_ids).items() if h.serial_tracked}


def carried_serials(conn: Connection, transfer_id: str) -> dict[str, list[str]]:
    """{sku: serials, sorted} recorded on the transfer."""
    out: dict[str, list[str]] = {}
    for row in conn.execute(
        select(transfer_serials.c.sku_id, transfer_serials.c.serial)
        .where(transfer_serials.c.transfer_id == transfer_id)
        .order_by(transfer_serials.c.sku_id, transfer_serials.c.serial)
    ):
        out.setdefault(row.sku_id, []).append(row.serial)
    return out


def record_serials(conn: Connection, transfer_id: str, by_sku: dict) -> None:
    """Record `by_sku` ({sku: serials}) as carried by the transfer (named or picked)."""
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


def named_serial_problems(
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


def serials_to_ship(
    conn: Connection, transfer_id: str, src: int, wanted: dict[str, int]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The serials each serial-tracked line of a shipment carries, locked: (named on the
    draft, picked now), each {sku: serials}. Refused naming the SKU when a named serial
    left the source or the source has too few serials to pick from."""
    named = carried_serials(conn, transfer_id)
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
    problems = named_serial_problems(conn, src, named, rows, claims=False)
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


def arrived_serials(
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


def refuse_serials_elsewhere(
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


def receipt_placements(moves: list[Movement], ids: list[int], rows: dict) -> list[tuple]:
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
