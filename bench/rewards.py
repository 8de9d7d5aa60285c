"""A month's franchise rewards for the whole network (issue 16).

On a network of `--stores` stores (90 % franchised, `--stores-per-franchisee` each),
`--lines-per-day` POS lines a day (5 % returns) over November 2026, every franchisee
with a monthly revenue target, one incentive program (two tiers: a fixed amount at
90 % attainment, 3 % of net sales at 100 %) accepted by all: closing the period
computes every franchisee's attainment and reward, with its calculation
(`rewards_close_period_s`, goal under 30 s). Then the rewards page's service calls
(the first 500 rewards and the overdue count and totals, as finance sees them,
every reward overdue) are read repeatedly (`rewards_page_p95_ms`, goal under 300 ms). The record
keeps the settings and the machine's load average at the start.

Each seeded day is kept as the night's close keeps it (storenet.sales.net_days), so
the close reads kept sums as it does in production; `rewards_keep_day_s` is the time
to keep the last day again (its 1M lines: the close's added nightly work), measured
before the close. Seeding the reference month takes long (30M lines);
`--seeded FILE` (SQLite) keeps the seeded database there on the first run and starts
each later run from a copy of it.

    python bench/rewards.py --json /tmp/rewards.json            # the reference network
    python bench/rewards.py --seeded /tmp/rewards-seed.db --json /tmp/rewards.json
    python bench/rewards.py --db sqlite --stores 600 --lines-per-day 20000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from ingest import fresh_engine  # bench/ingest.py
from record import write_json  # bench/record.py
from sqlalchemy import Engine, insert

from storenet.accounts.principal import Principal
from storenet.franchise import actions
from storenet.franchise.programs import accept_terms, create_program, draft_terms, publish_terms
from storenet.franchise.rewards import close_period
from storenet.franchise.targets import TargetInput, set_targets
from storenet.sales.net_days import keep_net_sales
from storenet.store.bulk import analyze
from storenet.store.engine import open_engine, unit_of_work
from storenet.store.schema import (
    cities,
    franchisees,
    regions,
    sale_lines,
    skus,
    store_owners,
    stores,
)

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TZ = "Asia/Shanghai"
PERIOD = "2026-11"
FIRST = date(2026, 11, 1)
DAYS = 30
FINANCE = Principal(user_id=0, username="bench-fin", role="finance", token_id=0, token_kind="cli")
SKUS = [(f"K{i}", ("phone", "tv", "wearable", "accessory", "appliance", "smart-home")[i % 6],
         (199_900, 399_900, 99_900, 9_900, 259_900, 19_900)[i % 6]) for i in range(60)]  # fmt: skip
COLUMNS = ("batch_key", "store_id", "device_id", "receipt_no", "line_no", "kind", "sku_id",
           "qty", "unit_price_cents", "sold_at")  # fmt: skip


def seed(engine: Engine, n_stores: int, per_franchisee: int, per_day: int) -> list[str]:
    """The network, its owners, a month of POS lines; answers the franchisee ids."""
    rng = random.Random(16)
    store_ids = [f"S{i:05d}" for i in range(n_stores)]
    franchised = [s for i, s in enumerate(store_ids) if i % 10 != 0]
    fids = [f"F{i:05d}" for i in range((len(franchised) + per_franchisee - 1) // per_franchisee)]
    with engine.begin() as conn:
        conn.execute(insert(regions), [{"id": f"R{r}", "name": f"R{r}"} for r in range(30)])
        conn.execute(insert(cities), [{"id": f"C{r}", "name": "c", "province": "p", "tier": 1,
                                       "region_id": f"R{r}"} for r in range(30)])  # fmt: skip
        conn.execute(insert(stores), [
            {"id": s, "name": s, "format": "franchise" if i % 10 else "direct",
             "region_id": f"R{i % 30}", "city_id": f"C{i % 30}", "status": "open"}
            for i, s in enumerate(store_ids)])  # fmt: skip
        conn.execute(insert(franchisees), [{"id": f, "name": f"Franchisee {f}"} for f in fids])
        owner = {s: fids[i // per_franchisee] for i, s in enumerate(franchised)}
        conn.execute(insert(store_owners), [
            {"store_id": s, "franchisee_id": owner.get(s), "valid_from": datetime(2025, 1, 1)}
            for s in store_ids])  # fmt: skip
        conn.execute(insert(skus), [
            {"id": k, "name": k, "category": c, "model": k, "launch_on": date(2026, 1, 1),
             "cost_cents": p // 2, "price_cents": p} for k, c, p in SKUS])  # fmt: skip
    sql = (
        f"INSERT INTO sale_lines ({', '.join(COLUMNS)}) VALUES "
        f"({', '.join(['%s' if engine.dialect.name == 'postgresql' else '?'] * 10)})"
    )
    n = 0
    for d in range(DAYS):
        day0 = datetime.combine(FIRST + timedelta(days=d), datetime.min.time()) - timedelta(hours=8)
        rows = []
        for i in range(per_day):
            store = store_ids[rng.randrange(n_stores)]
            sku, _, price = SKUS[rng.randrange(len(SKUS))]
            kind = "return" if rng.random() < 0.05 else "sale"
            at = day0 + timedelta(seconds=rng.randrange(86_400))
            if engine.dialect.name == "sqlite":  # as SQLAlchemy writes it: text compares
                at = at.isoformat(" ", timespec="microseconds")
            n += 1
            rows.append((f"b{d}", store, "till", f"R{n}", 1, kind, sku, 1 + (i % 3), price, at))
        with engine.begin() as conn:
            conn.exec_driver_sql(sql, rows)
        with engine.begin() as conn:  # the night's close of the day
            keep_net_sales(conn, FIRST + timedelta(days=d), TZ)
    with engine.begin() as conn:
        analyze(conn, [sale_lines.name, store_owners.name, stores.name, "net_sales_days"])
    return fids


def setup_program(
    engine: Engine, fids: list[str], per_franchisee: int, per_day: int, n_stores: int
) -> None:
    """Targets near each franchisee's expected month, and the accepted program."""
    expected = per_day * DAYS / n_stores * per_franchisee * 1_500  # ~ revenue a franchisee
    rng = random.Random(7)

    def work(conn):  # type: ignore[no-untyped-def]
        set_targets(
            conn,
            [
                TargetInput(
                    "franchisee", f, PERIOD, "revenue", f"{expected * rng.uniform(0.7, 1.2):.2f}"
                )
                for f in fids
            ],
            "planner",
        )
        create_program(conn, "BENCH", "Bench bonus", "planner")
        draft_terms(
            conn,
            "BENCH",
            {
                "period_kind": "month",
                "from_period": PERIOD,
                "basis": "attainment",
                "tiers": [
                    {"threshold": "0.90", "payout": "fixed", "amount": "800.00"},
                    {"threshold": "1.00", "payout": "share", "rate": "0.03"},
                ],
                "currency": "CNY",
                "due_days": 10,
                "eligible": ["*"],
            },
            "planner",
        )
        publish_terms(conn, "BENCH", 1, "planner")
        for f in fids:
            accept_terms(conn, "BENCH", 1, f, f"owner-{f}")

    unit_of_work(engine, work)


def seed_month(engine: Engine, args: argparse.Namespace) -> None:
    """The network, a month of POS lines kept day by day, targets and the program."""
    t0 = time.perf_counter()
    fids = seed(engine, args.stores, args.stores_per_franchisee, args.lines_per_day)
    setup_program(engine, fids, args.stores_per_franchisee, args.lines_per_day, args.stores)
    lines, took = args.lines_per_day * DAYS, time.perf_counter() - t0
    print(f"seeded {args.stores:,} stores, {len(fids):,} franchisees, {lines:,} POS lines "
          f"in {took:.0f} s")  # fmt: skip


def run(engine: Engine, args: argparse.Namespace) -> list[dict]:
    """The timed part, on a seeded database."""
    last = FIRST + timedelta(days=DAYS - 1)
    started = time.perf_counter()
    kept = unit_of_work(engine, lambda c: keep_net_sales(c, last, TZ))
    keep_s = time.perf_counter() - started
    print(f"kept {last} again ({kept:,} lines): {keep_s:.1f} s")
    started = time.perf_counter()
    closed = unit_of_work(
        engine, lambda c: close_period(c, "BENCH", PERIOD, TZ, "planner", date(2026, 12, 1))
    )
    elapsed = time.perf_counter() - started
    print(f"close {PERIOD}: {elapsed:.1f} s, {len(closed['rewards']):,} rewards, "
          f"{len(closed['skipped']):,} skipped")  # fmt: skip
    today = date(2026, 12, 12)  # every reward overdue: the digest's worst case
    page = []
    for _ in range(args.page_reads):
        t = time.perf_counter()
        with engine.connect() as conn:
            actions.read_rewards(conn, FINANCE, today, limit=500)
            actions.overdue_summary(conn, FINANCE, today)
        page.append(time.perf_counter() - t)
    p95 = statistics.quantiles(page, n=20)[-1] * 1000 if len(page) > 1 else page[0] * 1000
    print(f"rewards page p95 {p95:.0f} ms over {len(page)} reads")
    return [
        {"name": "rewards_close_period_s", "value": round(elapsed, 1), "unit": "s"},
        {"name": "rewards_page_p95_ms", "value": round(p95), "unit": "ms"},
        {"name": "rewards_keep_day_s", "value": round(keep_s, 1), "unit": "s"},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("STORENET_TEST_PG_URL", DEFAULT_PG))
    parser.add_argument("--stores", type=int, default=12_000)
    parser.add_argument("--stores-per-franchisee", type=int, default=3)
    parser.add_argument("--lines-per-day", type=int, default=1_000_000)
    parser.add_argument("--page-reads", type=int, default=20)
    parser.add_argument("--seeded", type=Path, help="SQLite: keep/reuse the seeded database")
    parser.add_argument("--json", type=Path, help="write results here")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.seeded and args.db != "sqlite":
        parser.error("--seeded works with --db sqlite only")
    with tempfile.TemporaryDirectory(dir=args.seeded.parent if args.seeded else None) as tmp:
        reuse = args.seeded is not None and args.seeded.exists()
        if reuse:
            copy = Path(tmp) / "rewards.db"
            shutil.copyfile(args.seeded, copy)
            engine = open_engine(f"sqlite:///{copy}")
            drop = engine.dispose
        else:
            engine, drop, path = fresh_engine(args.db, args.pg_url, Path(tmp))
        try:
            if not reuse:
                seed_month(engine, args)
            if args.seeded and not reuse:
                engine.dispose()
                shutil.copyfile(path, args.seeded)
                print(f"seeded database kept at {args.seeded}")
            results = run(engine, args)
        finally:
            drop()
    if args.json:
        settings = {
            k: str(v) if isinstance(v, Path) else v
            for k, v in vars(args).items()
            if k not in ("json", "pg_url")
        }
        write_json(args.json, "rewards", results, settings=settings,
                   load_average=[round(x, 2) for x in load])  # fmt: skip
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
