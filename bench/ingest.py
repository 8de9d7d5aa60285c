"""POS lines per second through the real ingestion service, on SQLite and PostgreSQL.

All of it is measured: idempotency claim, line checks, receipt-line uniqueness,
movements, the balance projection and discrepancies. Beside it, in the same run and on
the same data, a naive baseline: one line at a time, insert the sale line, insert the
movement, then read and update (or insert) the balance row, one batch per transaction.
And at batch 1000 the floor (bench/ingest_floor.py): the same writes with the same
constraints through the driver alone, no storenet code; storenet's share of it is
reported (`*_share_of_floor`), the two run in alternating halves so neither gets the
emptier tables.

    python bench/ingest.py --json /tmp/ingest.json
    python bench/ingest.py --db sqlite --lines 50000

Prints a table; `--json PATH` writes {"bench", "machine", "date", "results"}.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from ingest_floor import (  # bench/ingest_floor.py
    connect_postgres,
    connect_sqlite,
    floor_postgres,
    floor_sqlite,
)
from record import write_json  # bench/record.py
from sqlalchemy import Engine, create_engine, insert, select, text, update

from storenet.ledger.bulk_posting import MovementColumns, post_columns
from storenet.ledger.locations import CUSTOMER, OPENING, ensure_locations, location_ids
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import open_engine, unit_of_work
from storenet.store.migrate import migrate
from storenet.store.schema import balances, cities, movements, regions, sale_lines, skus, stores

STORES, SKUS = 2000, 500
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def seed(engine: Engine) -> None:
    """A network of STORES x SKUS with 50 units of each SKU in every store."""
    with engine.begin() as conn:
        conn.execute(insert(regions).values(id="R", name="Region"))
        conn.execute(
            insert(cities).values(id="C", name="City", province="P", tier=1, region_id="R")
        )
        conn.execute(
            insert(stores),
            [
                {
                    "id": f"S{i:05d}",
                    "name": "s",
                    "format": "franchise",
                    "region_id": "R",
                    "city_id": "C",
                    "status": "open",
                }
                for i in range(STORES)
            ],
        )
        conn.execute(
            insert(skus),
            [
                {
                    "id": f"K{i:04d}",
                    "name": "k",
                    "category": "accessory",
                    "model": "m",
                    "launch_on": date(2026, 1, 1),
                    "cost_cents": 100,
                    "price_cents": 1990,
                }
                for i in range(SKUS)
            ],
        )
        ensure_locations(conn, [f"S{i:05d}" for i in range(STORES)])
        locs = location_ids(conn)
        now = datetime(2026, 11, 1)
        # Opening stock posted as columns, 100 stores (50,000 movements) at a time.
        for first in range(0, STORES, 100):
            pairs = [(s, k) for s in range(first, min(first + 100, STORES)) for k in range(SKUS)]
            n = len(pairs)
            moves = MovementColumns(
                kind=["opening"] * n,
                sku_id=[f"K{k:04d}" for _, k in pairs],
                from_location=[OPENING] * n,
                to_location=[locs[f"S{s:05d}"] for s, _ in pairs],
                qty=[50] * n,
                occurred_at=[now] * n,
                document=[None] * n,
            )
            post_columns(conn, moves, now)


def make_lines(n: int, rng: random.Random, tag: str) -> list[dict]:
    """`n` sale lines, three lines per receipt, spread over stores and SKUs."""
    lines = []
    for i in range(n):
        store = rng.randrange(STORES)
        lines.append(
            {
                "store": f"S{store:05d}",
                "device": f"S{store:05d}-1",
                "receipt": f"{tag}-{i // 3}",
                "line": i % 3 + 1,
                "sku": f"K{rng.randrange(SKUS):04d}",
                "qty": rng.randint(1, 2),
                "unit_price": "19.90",
                "at": "2026-11-23T11:00:00+08:00",
            }
        )
    return lines


def run_service(engine: Engine, lines: list[dict], batch: int) -> float:
    """Lines per second through `ingest_pos_batch`, one transaction per batch."""
    started = time.perf_counter()
    for start in range(0, len(lines), batch):
        chunk = lines[start : start + batch]
        key = uuid.uuid4().hex
        unit_of_work(engine, lambda c, k=key, b=chunk: ingest_pos_batch(c, key=k, lines=b))
    return len(lines) / (time.perf_counter() - started)


def run_naive(engine: Engine, lines: list[dict], batch: int) -> float:
    """Lines per second, one row at a time: insert line, insert movement, then read
    and update the balance. The way a straightforward ORM loop would do it."""
    with engine.connect() as conn:
        locs = location_ids(conn)
    started = time.perf_counter()
    for start in range(0, len(lines), batch):
        with engine.begin() as conn:
            for line in lines[start : start + batch]:
                at = datetime.fromisoformat(line["at"]).astimezone(UTC).replace(tzinfo=None)
                loc = locs[line["store"]]
                conn.execute(
                    insert(sale_lines).values(
                        batch_key="naive",
                        store_id=line["store"],
                        device_id=line["device"],
                        receipt_no=line["receipt"],
                        line_no=line["line"],
                        kind="sale",
                        sku_id=line["sku"],
                        qty=line["qty"],
                        unit_price_cents=1990,
                        sold_at=at,
                    )
                )
                conn.execute(
                    insert(movements).values(
                        kind="sale",
                        sku_id=line["sku"],
                        from_location=loc,
                        to_location=CUSTOMER,
                        qty=line["qty"],
                        occurred_at=at,
                        recorded_at=at,
                        document="naive",
                    )
                )
                found = conn.execute(
                    select(balances.c.on_hand).where(
                        balances.c.location_id == loc, balances.c.sku_id == line["sku"]
                    )
                ).first()
                if found is None:
                    conn.execute(
                        insert(balances).values(
                            location_id=loc, sku_id=line["sku"], on_hand=-line["qty"]
                        )
                    )
                else:
                    conn.execute(
                        update(balances)
                        .where(balances.c.location_id == loc, balances.c.sku_id == line["sku"])
                        .values(on_hand=found.on_hand - line["qty"])
                    )
    return len(lines) / (time.perf_counter() - started)


def run_against_floor(
    engine: Engine, kind: str, where: str, lines: list[dict], batch: int
) -> tuple[float, float]:
    """(storenet lines/s, floor lines/s) over `lines`, in alternating halves."""
    postgres = kind == "postgresql"
    floor = floor_postgres if postgres else floor_sqlite
    db = connect_postgres(where) if postgres else connect_sqlite(where)
    half = len(lines) // 2
    spent = {"storenet": 0.0, "floor": 0.0}
    try:
        for n, part in enumerate((lines[:half], lines[half:])):
            tag = uuid.uuid4().hex[:6]
            spent["floor"] += len(part) / floor(db, relabel(part, f"f{tag}"), batch, f"{tag}{n}")
            spent["storenet"] += len(part) / run_service(engine, part, batch)
    finally:
        db.close()
    return len(lines) / spent["storenet"], len(lines) / spent["floor"]


def relabel(lines: list[dict], tag: str) -> list[dict]:
    """The same lines under other receipt numbers (a receipt line is stored once)."""
    return [{**line, "receipt": f"{tag}-{line['receipt']}"} for line in lines]


def fresh_engine(kind: str, pg_url: str, workdir: Path) -> tuple[Engine, callable, str]:
    """A migrated empty database, how to drop it, and where the floor finds it (SQLite
    path or libpq connection string)."""
    if kind == "sqlite":
        path = workdir / f"ingest-{uuid.uuid4().hex[:8]}.db"
        engine = open_engine(f"sqlite:///{path}")
        migrate(engine)
        return engine, engine.dispose, str(path)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = open_engine(f"{pg_url}?options=-csearch_path%3D{schema}")
    migrate(engine)

    def drop() -> None:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    return engine, drop, f"{dsn}?options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("STORENET_TEST_PG_URL", DEFAULT_PG))
    parser.add_argument("--lines", type=int, default=100_000, help="lines at batch 1000")
    parser.add_argument("--json", type=Path, help="write results here")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    # Smaller line counts where one batch is one transaction of few lines.
    plan = {1: max(args.lines // 50, 500), 100: max(args.lines // 5, 5000), 1000: args.lines}
    results = []
    rng = random.Random(7)
    print(f"{'database':<11}{'batch':>6}{'storenet lines/s':>18}{'naive lines/s':>15}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            prefix = "postgres" if kind == "postgresql" else "sqlite"
            engine, drop, where = fresh_engine(kind, args.pg_url, Path(tmp))
            try:
                seed(engine)
                for batch, n in plan.items():
                    lines = make_lines(n, rng, uuid.uuid4().hex[:6])
                    if batch == 1000:
                        fast, floor = run_against_floor(engine, kind, where, lines, batch)
                        print(
                            f"{kind:<11}{batch:>6}{'floor lines/s':>18}{floor:>15,.0f}"
                            f"{fast / floor:>8.2f} (storenet's share)"
                        )
                        results += [
                            {
                                "name": f"{prefix}_batch{batch}_floor_lines_per_s",
                                "value": round(floor),
                                "unit": "lines/s",
                            },
                            {
                                "name": f"{prefix}_batch{batch}_share_of_floor",
                                "value": round(fast / floor, 2),
                                "unit": "x",
                            },
                        ]
                    else:
                        fast = run_service(engine, lines, batch)
                    naive_n = min(n, 20_000)
                    slow = run_naive(engine, make_lines(naive_n, rng, uuid.uuid4().hex[:6]), batch)
                    print(f"{kind:<11}{batch:>6}{fast:>18,.0f}{slow:>15,.0f}{fast / slow:>8.1f}")
                    results += [
                        {
                            "name": f"{prefix}_batch{batch}_lines_per_s",
                            "value": round(fast),
                            "unit": "lines/s",
                        },
                        {
                            "name": f"{prefix}_batch{batch}_naive_lines_per_s",
                            "value": round(slow),
                            "unit": "lines/s",
                        },
                        {
                            "name": f"{prefix}_batch{batch}_vs_naive",
                            "value": round(fast / slow, 2),
                            "unit": "x",
                        },
                    ]
            finally:
                drop()
    if args.json:
        write_json(args.json, "ingest", results)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
