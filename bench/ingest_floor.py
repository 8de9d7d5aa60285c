"""The floor of POS ingestion: the writes `ingest_pos_batch` makes, with no storenet code.

Per batch, in one transaction, plain SQL through the driver (sqlite3, psycopg): claim
the idempotency key (a row holding the payload and its hash), resolve the batch's
stores to ledger locations, insert the sale lines (their unique receipt-line constraint
checked by the database), one movement per line (document "sale:<line id>"), add the
summed deltas to the balance rows in key order, store the answer. No checks beyond
what the database enforces, no discrepancies, nothing cached between batches: what is
left is what the database and the driver cost, the floor storenet's share is taken of.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import psycopg

CUSTOMER = 5  # the ledger's customer location (storenet.ledger.locations.CUSTOMER)
SQLITE_ROWS_PER_STATEMENT = 300


def connect_sqlite(path: str) -> sqlite3.Connection:
    """A sqlite3 connection tuned as storenet tunes its own (storenet.store.engine)."""
    db = sqlite3.connect(path, isolation_level=None, timeout=60)
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "cache_size=-262144",
        "mmap_size=2147483648",
        "temp_store=MEMORY",
        "wal_autocheckpoint=20000",
    ):
        db.execute(f"PRAGMA {pragma}")
    return db


def connect_postgres(dsn: str) -> psycopg.Connection:
    """A psycopg connection (READ COMMITTED, as storenet's)."""
    return psycopg.connect(dsn)


def floor_sqlite(db: sqlite3.Connection, lines: list[dict], batch: int, tag: str) -> float:
    """Lines per second through sqlite3 alone, one transaction per batch."""
    started = time.perf_counter()
    for chunk, key, payload, digest in _batches(lines, batch, tag):
        cur = db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.execute(
            "INSERT INTO idempotency_keys (scope, key, payload_hash, payload, response, "
            "created_at) VALUES ('pos', ?, ?, ?, '', ?) ON CONFLICT DO NOTHING RETURNING key",
            (key, digest, payload, _now_text()),
        )
        assert cur.fetchone() is not None
        stores = sorted({line["store"] for line in chunk})
        marks = ", ".join("?" * len(stores))
        where = dict(
            cur.execute(f"SELECT store_id, id FROM locations WHERE store_id IN ({marks})", stores)
        )
        line_id = cur.execute("SELECT COALESCE(MAX(id), 0) FROM sale_lines").fetchone()[0]
        move_id = cur.execute("SELECT COALESCE(MAX(id), 0) FROM movements").fetchone()[0]
        sold_at, price = _parsers()
        recorded = _now_text()
        sales, moves, deltas = [], [], defaultdict(int)
        for i, line in enumerate(chunk, 1):
            at, loc, sku, qty = sold_at(line["at"]), where[line["store"]], line["sku"], line["qty"]
            sales += [line_id + i, key, line["store"], line["device"], line["receipt"]]
            sales += [line["line"], "sale", sku, qty, price(line["unit_price"]), at]
            moves += [move_id + i, "sale", sku, loc, CUSTOMER, qty, at, recorded]
            moves.append(f"sale:{line_id + i}")
            deltas[(loc, sku)] -= qty
        _sqlite_many(
            cur,
            "INSERT INTO sale_lines (id, batch_key, store_id, device_id, receipt_no, line_no, "
            "kind, sku_id, qty, unit_price_cents, sold_at)",
            11,
            sales,
        )
        _sqlite_many(
            cur,
            "INSERT INTO movements (id, kind, sku_id, from_location, to_location, qty, "
            "occurred_at, recorded_at, document)",
            9,
            moves,
        )
        _sqlite_many(
            cur,
            "INSERT INTO balances (location_id, sku_id, on_hand)",
            3,
            [v for k in sorted(deltas) for v in (*k, deltas[k])],
            " ON CONFLICT (location_id, sku_id) DO UPDATE SET on_hand = on_hand + excluded.on_hand",
        )
        answer = json.dumps({"batch": key, "lines": len(chunk)})
        cur.execute(
            "UPDATE idempotency_keys SET response = ? WHERE scope = 'pos' AND key = ?",
            (answer, key),
        )
        cur.execute("COMMIT")
    return len(lines) / (time.perf_counter() - started)


def floor_postgres(db: psycopg.Connection, lines: list[dict], batch: int, tag: str) -> float:
    """Lines per second through psycopg alone, one transaction per batch: COPY for the
    lines, the movements and the balance deltas (applied by one upsert)."""
    started = time.perf_counter()
    for chunk, key, payload, digest in _batches(lines, batch, tag):
        with db.transaction(), db.cursor() as cur:
            cur.execute(
                "INSERT INTO idempotency_keys (scope, key, payload_hash, payload, response, "
                "created_at) VALUES ('pos', %s, %s, %s, '', now() AT TIME ZONE 'UTC') "
                "ON CONFLICT DO NOTHING RETURNING key",
                (key, digest, payload),
            )
            assert cur.fetchone() is not None
            stores = sorted({line["store"] for line in chunk})
            # Joined in rather than "= ANY(array)", which a generic plan tests against
            # every row of the table.
            cur.execute(
                "SELECT l.store_id, l.id FROM unnest(%s::text[]) AS k(v) "
                "JOIN locations l ON l.store_id = k.v",
                (stores,),
            )
            where = dict(cur.fetchall())
            cur.execute(
                "SELECT array(SELECT nextval('sale_lines_id_seq') FROM generate_series(1, %s)), "
                "array(SELECT nextval('movements_id_seq') FROM generate_series(1, %s))",
                (len(chunk), len(chunk)),
            )
            line_ids, move_ids = cur.fetchone()
            sold_at, price = _parsers()
            recorded = _now_text()
            sales, moves, deltas = [], [], defaultdict(int)
            for line, line_id, move_id in zip(chunk, line_ids, move_ids):
                at, loc, sku, qty = (
                    sold_at(line["at"]),
                    where[line["store"]],
                    line["sku"],
                    line["qty"],
                )
                sales.append(
                    f"{line_id}\t{key}\t{line['store']}\t{line['device']}\t{line['receipt']}\t"
                    f"{line['line']}\tsale\t{sku}\t{qty}\t{price(line['unit_price'])}\t{at}\n"
                )
                moves.append(
                    f"{move_id}\tsale\t{sku}\t{loc}\t{CUSTOMER}\t{qty}\t{at}\t{recorded}\t"
                    f"sale:{line_id}\n"
                )
                deltas[(loc, sku)] -= qty
            with cur.copy(
                "COPY sale_lines (id, batch_key, store_id, device_id, receipt_no, line_no, "
                "kind, sku_id, qty, unit_price_cents, sold_at) FROM STDIN"
            ) as copy:
                copy.write("".join(sales))
            with cur.copy(
                "COPY movements (id, kind, sku_id, from_location, to_location, qty, "
                "occurred_at, recorded_at, document) FROM STDIN"
            ) as copy:
                copy.write("".join(moves))
            # The deltas COPYed into a temporary table, then one upsert in key order.
            cur.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS floor_deltas (location_id int, "
                "sku_id text, on_hand bigint) ON COMMIT DELETE ROWS"
            )
            with cur.copy("COPY floor_deltas FROM STDIN") as copy:
                copy.write("".join(f"{k[0]}\t{k[1]}\t{deltas[k]}\n" for k in sorted(deltas)))
            cur.execute(
                "INSERT INTO balances (location_id, sku_id, on_hand) "
                "SELECT * FROM floor_deltas ORDER BY location_id, sku_id "
                "ON CONFLICT (location_id, sku_id) "
                "DO UPDATE SET on_hand = balances.on_hand + excluded.on_hand"
            )
            cur.execute(
                "UPDATE idempotency_keys SET response = %s WHERE scope = 'pos' AND key = %s",
                (json.dumps({"batch": key, "lines": len(chunk)}), key),
            )
    return len(lines) / (time.perf_counter() - started)


def _batches(lines: list[dict], batch: int, tag: str) -> Iterator[tuple[list, str, str, str]]:
    """(lines, idempotency key, payload text, its SHA-256) for each batch."""
    for n, start in enumerate(range(0, len(lines), batch)):
        chunk = lines[start : start + batch]
        payload = json.dumps({"lines": chunk}, sort_keys=True, separators=(",", ":"))
        yield chunk, f"floor-{tag}-{n}", payload, hashlib.sha256(payload.encode()).hexdigest()


def _parsers():  # type: ignore[no-untyped-def]
    """Per-batch converters of the line's time (to UTC text) and price (to cents), each
    distinct value converted once."""
    times: dict[str, str] = {}
    prices: dict[str, int] = {}

    def sold_at(value: str) -> str:
        if value not in times:
            at = datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None)
            times[value] = at.strftime("%Y-%m-%d %H:%M:%S.%f")
        return times[value]

    def price(value: str) -> int:
        if value not in prices:
            prices[value] = int(Decimal(value) * 100)
        return prices[value]

    return sold_at, price


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_many(cur: sqlite3.Cursor, head: str, width: int, flat: list, tail: str = "") -> None:
    """Many rows per INSERT statement, from a flat list of values."""
    one = "(" + ", ".join("?" * width) + ")"
    step = SQLITE_ROWS_PER_STATEMENT * width
    for i in range(0, len(flat), step):
        part = flat[i : i + step]
        cur.execute(f"{head} VALUES {', '.join([one] * (len(part) // width))}{tail}", part)
