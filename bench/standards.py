"""Store standards reads at network scale: 12,000 stores, each audited --audits times
against a 25-item checklist, with two corrective actions open per store.

    python bench/standards.py                                   # a temporary SQLite file
    python bench/standards.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench

The database must be empty and migrated (`--db` is migrated here); the network rows
are inserted directly (one region, one city, the stores, the audits and actions as
submission leaves them), then each read is timed --repeat times. Figures (median
seconds): `overview_summary_s` (the overview's standards panel, every store),
`overdue_page_s` (the first page of overdue actions, every store),
`store_standing_s` (one store page's panel), `submit_s` (one real submission of a
25-item audit, scoring included, through storenet.standards).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta

from sqlalchemy import insert

from storenet.standards import audits, history, status, templates
from storenet.standards.corrective import list_actions
from storenet.store.engine import open_engine, reading, unit_of_work
from storenet.store.migrate import migrate
from storenet.store.schema import (
    cities,
    regions,
    standards_actions,
    standards_audits,
    stores,
)

ITEMS = [
    {"section": s, "code": f"{s}.{n}", "text": f"{s} check {n}", "weight": 1 + n % 3}
    for s in ("decor", "display", "service", "cleanliness", "staff")
    for n in range(5)
]


def seed(engine, n_stores: int, per_store: int) -> None:  # type: ignore[no-untyped-def]
    today = date(2026, 12, 1)
    ids = [f"S{n:05d}" for n in range(n_stores)]

    def work(conn):  # type: ignore[no-untyped-def]
        conn.execute(insert(regions).values(id="R", name="R"))
        conn.execute(insert(cities).values(id="C", name="C", province="P", tier=1, region_id="R"))
        conn.execute(
            insert(stores),
            [
                {
                    "id": s,
                    "name": s,
                    "format": "franchise",
                    "region_id": "R",
                    "city_id": "C",
                    "status": "open",
                }  # fmt: skip
                for s in ids
            ],
        )
        made = templates.save_template(
            conn, template_id="std", name="Standard", items=ITEMS, by="bench"
        )
        version = templates.latest_version(conn, made["id"])["id"]
        rows, actions = [], []
        for i, s in enumerate(ids):
            for k in range(per_store):
                at = datetime(2026, 1, 1) + timedelta(days=30 * k, minutes=i)
                rows.append(
                    {
                        "id": f"SA-{i}-{k}",
                        "store_id": s,
                        "version_id": version,
                        "status": "submitted",
                        "auditor": "bench",
                        "started_at": at,
                        "submitted_at": at,
                        "score_bp": (i * 37 + k * 11) % 10001,
                    }  # fmt: skip
                )
            for code in ("clean.0", "staff.1"):
                actions.append(
                    {
                        "store_id": s,
                        "item_code": code,
                        "section": code.split(".")[0],
                        "text": code,
                        "opened_by_audit": f"SA-{i}-{per_store - 1}",
                        "due_on": today - timedelta(days=i % 20),
                        "status": "open",
                        "opened_at": datetime(2026, 11, 1),
                    }  # fmt: skip
                )
        for start in range(0, len(rows), 5000):
            conn.execute(insert(standards_audits), rows[start : start + 5000])
        for start in range(0, len(actions), 5000):
            conn.execute(insert(standards_actions), actions[start : start + 5000])

    unit_of_work(engine, work)


def timed(work, repeat: int) -> float:  # type: ignore[no-untyped-def]
    took = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        took.append(time.perf_counter() - started)
    return round(statistics.median(took), 4)


def main() -> None:
    ask = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ask.add_argument("--db", default="")
    ask.add_argument("--stores", type=int, default=12_000)
    ask.add_argument("--audits", type=int, default=3)
    ask.add_argument("--repeat", type=int, default=5)
    args = ask.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='bench-standards-')}/db.sqlite"
    engine = open_engine(url)
    migrate(engine)
    started = time.perf_counter()
    seed(engine, args.stores, args.audits)
    seeded = round(time.perf_counter() - started, 1)
    today = date(2026, 12, 10)

    def read(fn):  # type: ignore[no-untyped-def]
        def run():  # type: ignore[no-untyped-def]
            with reading(engine) as conn:
                return fn(conn)

        return run

    figures = {
        "database": engine.dialect.name,
        "stores": args.stores,
        "audits": args.stores * args.audits,
        "seed_s": seeded,
        "overview_summary_s": timed(read(lambda c: history.summary(c, None, today)), args.repeat),
        "overdue_page_s": timed(
            read(lambda c: list_actions(c, None, today=today, only_overdue=True, limit=100)),
            args.repeat,
        ),
        "store_standing_s": timed(
            read(lambda c: history.store_standing(c, "S00042", today)), args.repeat
        ),
    }

    def submit_one() -> None:
        def work(conn):  # type: ignore[no-untyped-def]
            made = audits.start_audit(conn, store_id="S00007", template_id="std", by="bench")
            for n, item in enumerate(ITEMS):
                audits.score_item(conn, made["id"], item["code"], by="bench", passed=n % 7 != 0)
            status.change_status(conn, made["id"], "submit", "bench", today=today)

        unit_of_work(engine, work)

    figures["submit_s"] = timed(submit_one, args.repeat)
    print(json.dumps(figures, indent=2))
    engine.dispose()


if __name__ == "__main__":
    main()
