"""What a recall campaign covers, checked and resolved into the units it lists.

A scope is a list of rows {"kind", "value", "value_to"?}:

- `sku` / `model`: every unit of the SKU (of every SKU of the product model). For a
  serial-tracked SKU each serial the ledger knows becomes a campaign unit, and later
  supplier receipts of the SKU join the campaign as they arrive; a SKU without serials
  is held by quantity wherever it is on hand;
- `serial_range`: serials from `value` to `value_to` (inclusive, compared as text, so
  give serials of one length);
- `receipt`: the units a supplier receipt brought, named by its ledger document (a
  store's delivery note, or a purchase order's id for all its deliveries);
- `po_line`: the units received against one purchase-order line, "PO-ID:LINE";
- `date_window`: narrows the others to units received from a supplier between `value`
  and `value_to` (ISO days, UTC, inclusive): a production batch;

and a serial list (a file of up to millions of serials, one per line) is streamed in
chunks straight into `recall_units`, never held in memory whole. Every problem is
refused naming the field (scope row, or the list's line) and reason; nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime

import polars as pl
from sqlalchemy import Connection, DateTime, bindparam, delete, exists, func, select, text

from storenet.errors import Problem, Refused
from storenet.ledger.locations import OPENING, SUPPLIER
from storenet.store.bulk import is_postgres, temp_values
from storenet.store.schema import (
    movement_serials,
    movements,
    purchase_order_lines,
    recall_scopes,
    recall_units,
    skus,
)

KINDS = ("sku", "model", "serial_range", "receipt", "po_line", "date_window")
CHUNK = 50_000
MAX_SERIAL = 64


def check_scope(conn: Connection, rows: list[dict], has_list: bool) -> list[dict]:
    """The scope rows, cleaned ({"kind", "value", "value_to"}); Refused naming the row
    and field for an unknown kind, SKU, model, PO line or receipt, a bad range or
    window, a window alone, or a window over SKUs without serials."""
    problems: list[Problem] = []
    out: list[dict] = []
    if not isinstance(rows, list):
        raise Refused([Problem("scope", "must be a list of {kind, value}")])
    for i, row in enumerate(rows, start=1):
        where = f"scope row {i}"
        if not isinstance(row, dict):
            problems.append(Problem("scope", "must be an object {kind, value}", where))
            continue
        kind, value, value_to = row.get("kind"), row.get("value"), row.get("value_to")
        if kind not in KINDS:
            problems.append(Problem("kind", f"must be one of {', '.join(KINDS)}", where, kind))
            continue
        value = value.strip() if isinstance(value, str) else value
        if not isinstance(value, str) or not 1 <= len(value) <= 200 or _control(value):
            problems.append(Problem("value", "must be 1-200 printable characters", where, value))
            continue
        two_sided = kind in ("serial_range", "date_window")
        if two_sided:
            value_to = value_to.strip() if isinstance(value_to, str) else value_to
            if not isinstance(value_to, str) or not value_to or _control(value_to):
                problems.append(Problem("value_to", f"a {kind} needs its upper end", where))
                continue
        else:
            value_to = None
        problems += [
            Problem(p.field, p.reason, where, p.value) for p in _check(conn, kind, value, value_to)
        ]
        out.append({"kind": kind, "value": value, "value_to": value_to})
    kinds = [r["kind"] for r in out]
    if not problems and not has_list and not set(kinds) - {"date_window"}:
        problems.append(Problem("scope", "name the units: SKUs, a model, serials or a batch"))
    if kinds.count("date_window") > 1:
        problems.append(Problem("scope", "give at most one date window"))
    if not problems and "date_window" in kinds and _plain_in(conn, out):
        problems.append(
            Problem(
                "date_window",
                "narrows serial-tracked units only: units of a SKU without serials cannot "
                "be told apart by when they came; scope that SKU without a window",
            )
        )
    if problems:
        raise Refused(problems)
    return out


def _control(value: str) -> bool:
    return any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)


def _check(conn: Connection, kind: str, value: str, value_to: str | None) -> list[Problem]:
    if kind == "sku":
        if conn.execute(select(skus.c.id).where(skus.c.id == value)).first() is None:
            return [Problem("value", "is not a known SKU", value=value)]
    elif kind == "model":
        if conn.execute(select(skus.c.id).where(skus.c.model == value).limit(1)).first() is None:
            return [Problem("value", "is not the model of any SKU", value=value)]
    elif kind == "serial_range":
        if len(value) > MAX_SERIAL or len(value_to) > MAX_SERIAL or value > value_to:
            return [Problem("value_to", "must not sort before value (serials of 1-64 chars)")]
    elif kind == "date_window":
        try:
            low, high = date.fromisoformat(value), date.fromisoformat(value_to)
        except ValueError:
            return [Problem("value", "a date window is two ISO days, e.g. 2026-01-01")]
        if low > high:
            return [Problem("value_to", "must not be before value", value=value_to)]
    elif kind == "receipt" and not _has_receipt(conn, value):
        return [Problem("value", "names no supplier receipt in the ledger", value=value)]
    elif kind == "po_line" and po_line_sku(conn, value) is None:
        return [Problem("value", "is not a purchase-order line (give PO-ID:LINE)", value=value)]
    return []


def _has_receipt(conn: Connection, document: str) -> bool:
    q = select(movements.c.id).where(
        movements.c.document == document,
        movements.c.kind == "receipt",
        movements.c.from_location == SUPPLIER,
    )
    return conn.execute(q.limit(1)).first() is not None


def po_line_sku(conn: Connection, value: str) -> str | None:
    """The SKU of purchase-order line `value` ("PO-ID:LINE"), or None."""
    po_id, sep, line = value.rpartition(":")
    if not sep or not line.isdecimal():
        return None
    q = select(purchase_order_lines.c.sku_id).where(
        purchase_order_lines.c.po_id == po_id, purchase_order_lines.c.line_no == int(line)
    )
    return conn.execute(q).scalar()


def _plain_in(conn: Connection, rows: list[dict]) -> bool:
    """True when a sku or model row covers a SKU without serials."""
    named = [r["value"] for r in rows if r["kind"] == "sku"]
    models = [r["value"] for r in rows if r["kind"] == "model"]
    q = select(skus.c.id).where(
        ~skus.c.serial_tracked, skus.c.id.in_(named) | skus.c.model.in_(models)
    )
    return conn.execute(q.limit(1)).first() is not None


def _ignore_twins(conn: Connection) -> tuple[str, str]:
    """(INSERT head, tail) that skip a unit the campaign lists already."""
    if is_postgres(conn):
        return "INSERT INTO", "ON CONFLICT DO NOTHING"
    return "INSERT OR IGNORE INTO", ""


def _insert_units(conn: Connection, select_sql: str, params: dict, twins: bool = True) -> int:
    """Insert the (campaign_id, serial, sku_id, added_at) rows `select_sql` selects,
    skipping units listed already; answers how many were new. `twins=False`: the
    campaign lists no unit yet and `select_sql` selects each serial once, so there is
    nothing to skip (a plain insert: cheaper per row at a million)."""
    head, tail = _ignore_twins(conn) if twins else ("INSERT INTO", "")
    sql = f"{head} recall_units (campaign_id, serial, sku_id, added_at) {select_sql} {tail}"
    stmt = text(sql).bindparams(bindparam("now", type_=DateTime()))
    return conn.execute(stmt, params).rowcount or 0


def resolve_rows(conn: Connection, campaign_id: str, rows: list[dict], now: datetime) -> None:
    """Write the checked scope rows and list the units each covers (serial-tracked
    ones; SKUs without serials are held by quantity and list none), then narrow them
    to the date window, if any. Set-based SQL: no loop over units in Python."""
    base = {"c": campaign_id, "now": now}
    listed = select(recall_units.c.serial).where(recall_units.c.campaign_id == campaign_id)
    twins = conn.execute(listed.limit(1)).first() is not None
    for row in rows:
        kind, value, value_to = row["kind"], row["value"], row["value_to"]
        params = {**base, "v": value, "v2": value_to}
        pick = "SELECT :c, s.serial, s.sku_id, :now FROM serials s "
        if kind == "sku":
            units = _insert_units(conn, pick + "WHERE s.sku_id = :v", params, twins)
        elif kind == "model":
            units = _insert_units(
                conn,
                pick + "WHERE s.sku_id IN (SELECT id FROM skus WHERE model = :v)",
                params,
                twins,
            )
        elif kind == "serial_range":
            units = _insert_units(conn, pick + "WHERE s.serial BETWEEN :v AND :v2", params, twins)
        elif kind in ("receipt", "po_line"):
            document, sku = value, None
            if kind == "po_line":
                document, sku = value.rpartition(":")[0], po_line_sku(conn, value)
            params |= {"d": document, "k": sku, "supplier": SUPPLIER}
            units = _insert_units(
                conn,
                "SELECT DISTINCT :c, ms.serial, m.sku_id, :now FROM movements m "
                "JOIN movement_serials ms ON ms.movement_id = m.id "
                "WHERE m.document = :d AND m.kind = 'receipt' AND m.from_location = :supplier"
                + (" AND m.sku_id = :k" if sku else ""),
                params,
            )
        else:
            units = 0
        twins = twins or units > 0
        conn.execute(
            recall_scopes.insert().values(
                campaign_id=campaign_id, kind=kind, value=value, value_to=value_to, units=units
            )
        )
    window = next((r for r in rows if r["kind"] == "date_window"), None)
    if window is not None:
        _narrow_to_window(conn, campaign_id, window["value"], window["value_to"])


def _narrow_to_window(conn: Connection, campaign_id: str, low: str, high: str) -> None:
    """Keep only units received from a supplier (or opened) within [low, high]."""
    start = datetime.fromisoformat(low)
    end = datetime.combine(date.fromisoformat(high), datetime.max.time())
    came = exists(
        select(movement_serials.c.serial)
        .join(movements, movements.c.id == movement_serials.c.movement_id)
        .where(
            movement_serials.c.serial == recall_units.c.serial,
            movements.c.from_location.in_((SUPPLIER, OPENING)),
            movements.c.occurred_at >= start,
            movements.c.occurred_at <= end,
        )
    )
    conn.execute(delete(recall_units).where(recall_units.c.campaign_id == campaign_id, ~came))


def list_serials(
    conn: Connection, campaign_id: str, numbers: Iterable[str], label: str, now: datetime
) -> dict:
    """Stream serial list `numbers` (one serial per item, surrounding blanks ignored,
    blank items skipped) into the campaign's units, `CHUNK` at a time through a
    temporary table; a serial the ledger does not know yet is listed with no SKU (it is
    quarantined when it arrives). Records one scope row ("serial_list", `label`, its
    count and digest). Refused naming the line for a serial over 64 characters or with
    a control character (the caller's transaction then writes nothing). Answers
    {"serials": listed, "new": added}."""
    digest = hashlib.sha256()
    seen = added = 0
    chunk: list[str] = []
    for n, raw in enumerate(numbers, start=1):
        serial = raw.strip() if isinstance(raw, str) else raw
        if not serial:
            continue
        if not isinstance(serial, str) or len(serial) > MAX_SERIAL or _control(serial):
            reason = "must be a serial of 1-64 printable characters"
            raise Refused([Problem("serials", reason, f"{label} line {n}", str(serial)[:80])])
        digest.update(serial.encode() + b"\n")
        seen += 1
        chunk.append(serial)
        if len(chunk) >= CHUNK:
            added += _list_chunk(conn, campaign_id, chunk, now)
            chunk = []
    if chunk:
        added += _list_chunk(conn, campaign_id, chunk, now)
    if not seen:
        raise Refused([Problem("serials", "the list names no serial", label)])
    conn.execute(
        recall_scopes.insert().values(
            campaign_id=campaign_id,
            kind="serial_list",
            value=label[:200],
            value_to=f"{seen} serials, sha256 {digest.hexdigest()}"[:200],
            units=added,
        )
    )
    return {"serials": seen, "new": added}


def _list_chunk(conn: Connection, campaign_id: str, chunk: list[str], now: datetime) -> int:
    with temp_values(conn, pl.Series(chunk).unique()) as tmp:
        return _insert_units(
            conn,
            f"SELECT :c, t.value, s.sku_id, :now FROM {tmp} t "
            "LEFT JOIN serials s ON s.serial = t.value",
            {"c": campaign_id, "now": now},
        )


def units_listed(conn: Connection, campaign_id: str) -> int:
    """How many serial-tracked units the campaign lists."""
    q = (
        select(func.count())
        .select_from(recall_units)
        .where(recall_units.c.campaign_id == campaign_id)
    )
    return conn.execute(q).scalar() or 0
