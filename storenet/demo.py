"""The demo: a small synthetic network run through the real paths, end to end.

`build_network` generates a network and imports it exactly as a brand's own files would
be imported. `run_demo` then plays one day of POS sales through the real ingestion
service (batches with idempotency keys), closes the day into the Parquet history and
summarises the network. Running it twice changes nothing the second time: the import
finds everything unchanged and every POS batch is a replay.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from sqlalchemy import Engine, text

from storenet.planning.service import run_plan
from storenet.reports.state import NetworkState, network_state
from storenet.sales.files import read_pos_file
from storenet.sales.history import close_day, read_history
from storenet.sales.ingest import ingest_pos_batch
from storenet.settings import Settings
from storenet.store.engine import open_engine, reading, unit_of_work
from storenet.store.migrate import migrate

Progress = Callable[[str, int, int], None]
BATCH = 1000


@dataclass
class DemoResult:
    """What the demo did and the state it left."""

    summary: dict
    state: NetworkState
    plan: dict


def build_network(
    settings: Settings,
    engine: Engine,
    *,
    stores: int,
    skus: int,
    days: int,
    seed: int,
    end: date,
    progress: Progress | None = None,
) -> dict:
    """Generate a network into STORENET_HOME and import its master data.

    History is written straight into `settings.history_dir`; master files go to
    ``<home>/generated/master`` and are imported all or nothing.
    """
    from storenet.datagen import NetworkSpec, generate
    from storenet.imports import import_folder

    spec = NetworkSpec(stores=stores, skus=skus, days=days, seed=seed, end=end)
    generated = generate(spec, settings.home, progress=progress)
    report = import_folder(engine, settings.home / "master", progress=progress)
    return {"generated": generated, "imported": report}


def run_demo(
    settings: Settings,
    *,
    stores: int = 300,
    skus: int = 300,
    days: int = 365,
    seed: int = 1,
    progress: Progress | None = None,
) -> DemoResult:
    """Build the demo network, ingest the next day's POS sales, close the day, and
    plan the deliveries of the day after (a draft plan)."""
    engine = open_engine(settings.db_url)
    migrate(engine)
    end = date(2026, 11, 22)
    build_network(
        settings, engine, stores=stores, skus=skus, days=days, seed=seed, end=end, progress=progress
    )
    day = end + timedelta(days=1)
    # Like a till's outbox: the day's lines are written once and resent as they are,
    # so a second demo run replays the same batches and changes nothing.
    outbox = settings.home / "pos" / f"{day.isoformat()}.jsonl"
    if not outbox.exists():
        outbox.parent.mkdir(parents=True, exist_ok=True)
        partial = outbox.with_suffix(".partial")
        partial.write_text(
            "".join(json.dumps(line) + "\n" for line in pos_day(engine, settings, day, seed))
        )
        partial.replace(outbox)
    lines = read_pos_file(outbox)
    totals = {"lines": 0, "accepted": 0, "duplicates": 0, "discrepancies": 0}
    for start in range(0, len(lines), BATCH):
        chunk = lines[start : start + BATCH]
        result = unit_of_work(
            engine,
            lambda c, k=f"demo:{day}:{start // BATCH}", b=chunk: ingest_pos_batch(
                c, key=k, lines=b
            ),
        )
        for k in totals:
            totals[k] += result[k]
        if progress:
            progress("ingesting POS day", min(start + BATCH, len(lines)), len(lines))
    closed = unit_of_work(
        engine, lambda c: close_day(c, settings.history_dir, day, settings.market_tz)
    )
    with reading(engine) as conn:
        state = network_state(conn, settings.history_dir, day)
    # Tonight's plan for tomorrow's deliveries, kept as a draft for a planner to review.
    plan_header, _ = run_plan(settings, engine, day + timedelta(days=1), progress=progress)
    engine.dispose()
    summary = {
        "pos_day": day.isoformat(),
        "pos_file": str(outbox),
        **totals,
        "history_rows_for_day": closed["pairs"],
    }
    return DemoResult(summary=summary, state=state, plan=plan_header)


def pos_day(engine: Engine, settings: Settings, day: date, seed: int) -> list[dict]:
    """A plausible day of POS lines for `day`.

    Each listed pair sells a Poisson number of units at its average rate over the last
    28 days of history, capped by what the ledger has on the shelf, and serial-tracked
    units are sold by serials the ledger has at that store. A seeded 1% of lines ignore
    the cap, as tills do when the ledger is wrong: they show discrepancies being raised.
    """
    rng = np.random.default_rng(seed)
    recent = (
        read_history(settings.history_dir, day - timedelta(days=28), day - timedelta(days=1))
        .group_by(["store_id", "sku_id"])
        .agg((pl.col("units").sum() / 28.0).alias("rate"))
        .sort(["store_id", "sku_id"])
        .collect()
    )
    with reading(engine) as conn:
        prices = dict(conn.execute(text("SELECT id, price_cents FROM skus")).all())
        tracked = {r[0] for r in conn.execute(text("SELECT id FROM skus WHERE serial_tracked"))}
        shelf_units = {
            (store, sku): units
            for store, sku, units in conn.execute(
                text(
                    "SELECT l.store_id, b.sku_id, b.on_hand FROM balances b "
                    "JOIN locations l ON l.id = b.location_id WHERE l.store_id IS NOT NULL"
                )
            )
        }
        on_shelf: dict[tuple[str, str], list[str]] = {}
        for serial, store, sku in conn.execute(
            text(
                "SELECT s.serial, l.store_id, s.sku_id FROM serials s "
                "JOIN locations l ON l.id = s.location_id WHERE l.store_id IS NOT NULL "
                "ORDER BY s.serial"
            )
        ):
            on_shelf.setdefault((store, sku), []).append(serial)
    drawn = rng.poisson(recent["rate"].to_numpy())
    wrong_ledger = rng.random(len(drawn)) < 0.01
    zone = ZoneInfo(settings.market_tz)
    opening = datetime.combine(day, time(10), zone)
    minutes = rng.integers(0, 11 * 60, size=len(drawn))
    lines = []
    for n, (store, sku, _) in enumerate(recent.iter_rows()):
        units = int(drawn[n])
        if not wrong_ledger[n]:
            units = min(units, max(shelf_units.get((store, sku), 0), 0))
        if units <= 0:
            continue
        line = {
            "store": store,
            "device": f"{store}-POS1",
            "receipt": f"{day:%Y%m%d}-{n}",
            "line": 1,
            "sku": sku,
            "qty": units,
            "unit_price": f"{prices[sku] / 100:.2f}",
            "at": (opening + timedelta(minutes=int(minutes[n]))).isoformat(),
        }
        if sku in tracked:
            shelf = on_shelf.get((store, sku), [])
            line["serials"] = [
                shelf.pop() if shelf else f"UNREGISTERED-{day:%Y%m%d}-{n}-{i}" for i in range(units)
            ]
        lines.append(line)
    return lines
