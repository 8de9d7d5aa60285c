"""Small helpers shared by the reliability tests: stock set-up, reading balances,
engines with one connection per worker, second databases, and a normalised picture of
the whole ledger that two databases can be compared by."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, select, text

from storenet.ledger import stock
from storenet.ledger.locations import location_ids
from storenet.ledger.verify import conservation_errors, verify_balances
from storenet.store.engine import open_engine, unit_of_work
from storenet.store.migrate import migrate
from storenet.store.schema import (
    balances,
    discrepancies,
    idempotency_keys,
    movement_serials,
    movements,
    sale_lines,
    serials,
)
from tests.support import seed_small_network


def receive(
    engine: Engine,
    location: str,
    lines: list[dict],
    key: str | None = None,
    at: datetime | None = None,
) -> dict:
    """Book a supplier receipt of `lines` ({sku, qty, serials?}) at `location`."""
    return unit_of_work(
        engine,
        lambda c: stock.receive_from_supplier(
            c, key=key or uuid.uuid4().hex, location=location, lines=lines, at=at
        ),
    )


def where(engine: Engine, ref: str) -> int:
    """The ledger location id of store or warehouse `ref`."""
    with engine.connect() as conn:
        return location_ids(conn)[ref]


def balance(engine: Engine, location: str, sku: str) -> tuple[int, int, int, int]:
    """(on_hand, in_transit, reserved, held) of `sku` at store/warehouse `location`."""
    with engine.connect() as conn:
        row = conn.execute(
            select(balances.c.on_hand, balances.c.in_transit, balances.c.reserved, balances.c.held)
            .where(balances.c.location_id == location_ids(conn)[location])
            .where(balances.c.sku_id == sku)
        ).first()
    return tuple(row) if row else (0, 0, 0, 0)


def wide_engine(engine: Engine, connections: int) -> Engine:
    """An engine on the same PostgreSQL database whose pool gives `connections` workers
    a connection each at once (storenet's own pool stops at 16)."""
    return create_engine(
        engine.url, isolation_level="READ COMMITTED", pool_size=connections, max_overflow=0
    )


def url_of(engine: Engine, **query: str) -> str:
    """`engine`'s URL as text (password included), with extra query parameters."""
    url = engine.url.update_query_dict(query) if query else engine.url
    return url.render_as_string(hide_password=False)


@contextmanager
def twin_database(engine: Engine, folder: Path) -> Iterator[Engine]:
    """A second migrated database seeded with the small network, of the same kind as
    `engine` (a new SQLite file in `folder`, or a new PostgreSQL schema); dropped after."""
    if engine.dialect.name == "sqlite":
        twin = open_engine(f"sqlite:///{folder / f'twin-{uuid.uuid4().hex[:8]}.db'}")
        migrate(twin)
        seed_small_network(twin)
        try:
            yield twin
        finally:
            twin.dispose()
        return
    from tests.conftest import pg_engine_in_fresh_schema

    twin, drop = pg_engine_in_fresh_schema()
    try:
        seed_small_network(twin)
        yield twin
    finally:
        drop()


def run_threads(
    targets: list[Callable[[], None]], timeout: float = 120, names: list[str] | None = None
) -> None:
    """Start one thread per target (named after `names`), wait for all; fail if one is
    still running after `timeout` seconds."""
    names = names or [f"worker-{n}" for n in range(len(targets))]
    threads = [threading.Thread(target=t, name=n, daemon=True) for t, n in zip(targets, names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"threads still running after {timeout}s: {stuck}"


def ledger_picture(conn: Connection) -> dict[str, list]:
    """Everything the ledger holds, with database-assigned ids replaced by what they
    point at, so that two databases fed the same inputs compare equal.

    A sale movement's document ``sale:<id>`` becomes the receipt line it came from;
    a movement id (in discrepancies, serials) becomes that movement's own picture.
    """
    receipt_of = {
        r.id: f"{r.store_id}/{r.device_id}/{r.receipt_no}/{r.line_no}"
        for r in conn.execute(select(sale_lines))
    }

    def document(doc: str | None) -> str | None:
        if doc and doc.startswith("sale:"):
            return "sale:" + receipt_of[int(doc.removeprefix("sale:"))]
        return doc

    moves = {
        r.id: (
            document(r.document),
            r.kind,
            r.sku_id,
            r.from_location,
            r.to_location,
            r.site_location,
            r.qty,
            r.occurred_at.isoformat(),
        )
        for r in conn.execute(select(movements))
    }
    return {
        "movements": ordered(moves.values()),
        "movement_serials": ordered(
            (moves[r.movement_id], r.serial) for r in conn.execute(select(movement_serials))
        ),
        "balances": ordered(tuple(r) for r in conn.execute(select(balances))),
        "sale_lines": ordered(
            tuple(v for k, v in r._asdict().items() if k != "id")
            for r in conn.execute(select(sale_lines))
        ),
        "discrepancies": ordered(
            (
                r.kind,
                r.location_id,
                r.sku_id,
                r.serial,
                r.detail,
                r.status,
                moves.get(r.movement_id),
            )
            for r in conn.execute(select(discrepancies))
        ),
        "serials": ordered(
            (r.serial, r.sku_id, r.location_id, r.buyer_ref, moves[r.last_movement_id])
            for r in conn.execute(select(serials))
        ),
        "pos_answers": ordered(
            (r.key, r.payload_hash, r.response)
            for r in conn.execute(select(idempotency_keys).where(idempotency_keys.c.scope == "pos"))
        ),
    }


def ordered(rows) -> list:
    """`rows` sorted by their text form (rows may hold NULLs, which do not compare)."""
    return sorted(rows, key=repr)


def ledger_errors(conn: Connection) -> tuple[list, dict]:
    """(projection mismatches, SKUs not conserved): both empty on a healthy ledger."""
    return verify_balances(conn), conservation_errors(conn)


def count(conn: Connection, sql: str, **params) -> int:
    """The single number `sql` returns."""
    return int(conn.execute(text(sql), params).scalar() or 0)
