"""The demo's tills: a day of POS lines drawn from the generator's own demand.

The generator writes each pair's demand rate on the days after its history
(``<home>/forward/demand.parquet``: the history's process continued, `datagen.forward`).
A POS day sells each pair a Poisson number of units at that day's rate, so a launch
decays, a festival lifts and a quiet pair stays quiet in the demo as in the history
the plan learned from; what the shelf holds caps the sale, as in the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from sqlalchemy import Engine, text

from storenet.settings import Settings
from storenet.store.engine import reading

WRONG_LEDGER = 0.01  # share of lines that ignore the shelf cap (the ledger is wrong)


@dataclass(frozen=True)
class Shelves:
    """What the ledger says the stores hold: units per (store, SKU), and the serials of
    serial-tracked units per (store, SKU), ascending; plus each SKU's price (cents) and
    the serial-tracked SKUs."""

    units: dict[tuple[str, str], int]
    serials: dict[tuple[str, str], list[str]]
    price_cents: dict[str, int]
    tracked: set[str]


def pos_day(engine: Engine, settings: Settings, day: date, seed: int) -> list[dict]:
    """A day of POS lines for `day`, a day after the generated history: `pos_lines`
    over the generator's rates for `day` and the shelves the ledger holds now.
    Raises LookupError when the forward demand file has no rate for `day`."""
    from storenet.datagen.forward import forward_path

    path = forward_path(settings.home)
    rates = (
        pl.scan_parquet(path)
        .filter(pl.col("day") == day)
        .select("store_id", "sku_id", "rate")
        .collect()
        if path.exists()
        else None
    )
    if rates is None or rates.is_empty():
        raise LookupError(f"no generated demand for {day} in {path}")
    with reading(engine) as conn:
        shelves = Shelves(
            units={
                (store, sku): units
                for store, sku, units in conn.execute(
                    text(
                        "SELECT l.store_id, b.sku_id, b.on_hand FROM balances b "
                        "JOIN locations l ON l.id = b.location_id WHERE l.store_id IS NOT NULL"
                    )
                )
            },
            serials={},
            price_cents=dict(conn.execute(text("SELECT id, price_cents FROM skus")).all()),
            tracked={r[0] for r in conn.execute(text("SELECT id FROM skus WHERE serial_tracked"))},
        )
        for serial, store, sku in conn.execute(
            text(
                "SELECT s.serial, l.store_id, s.sku_id FROM serials s "
                "JOIN locations l ON l.id = s.location_id WHERE l.store_id IS NOT NULL "
                "ORDER BY s.serial"
            )
        ):
            shelves.serials.setdefault((store, sku), []).append(serial)
    return pos_lines(rates, shelves, day, seed, ZoneInfo(settings.market_tz))


def pos_lines(
    rates: pl.DataFrame, shelves: Shelves, day: date, seed: int, zone: ZoneInfo
) -> list[dict]:
    """POS lines (dicts in the POS line format, docs/data-formats.md) for `day`.

    `rates`: store_id, sku_id, rate (expected units that day, >= 0), one row per pair;
    pairs without a row sell nothing. Each pair sells Poisson(rate) units, capped by
    `shelves.units` (nothing when the ledger has none), except a seeded WRONG_LEDGER
    share of pairs that sell what they draw whatever the ledger says, as tills do when
    the ledger is wrong. Serial-tracked units are sold by the highest serials on that
    shelf (`shelves.serials` is consumed), or by UNREGISTERED-... serials once it is
    empty. Sale times fall between 10:00 and 21:00 in `zone`. Deterministic: the same
    rates (in any row order), shelves and `seed` give the same lines.
    """
    rates = rates.sort(["store_id", "sku_id"])
    rng = np.random.default_rng(seed)
    drawn = rng.poisson(rates["rate"].to_numpy().astype(np.float64))
    wrong_ledger = rng.random(len(drawn)) < WRONG_LEDGER
    opening = datetime.combine(day, time(10), zone)
    minutes = rng.integers(0, 11 * 60, size=len(drawn))
    lines = []
    for n, (store, sku) in enumerate(rates.select("store_id", "sku_id").iter_rows()):
        units = int(drawn[n])
        if not wrong_ledger[n]:
            units = min(units, max(shelves.units.get((store, sku), 0), 0))
        if units <= 0:
            continue
        line = {
            "store": store,
            "device": f"{store}-POS1",
            "receipt": f"{day:%Y%m%d}-{n}",
            "line": 1,
            "sku": sku,
            "qty": units,
            "unit_price": f"{shelves.price_cents[sku] / 100:.2f}",
            "at": (opening + timedelta(minutes=int(minutes[n]))).isoformat(),
        }
        if sku in shelves.tracked:
            shelf = shelves.serials.get((store, sku), [])
            line["serials"] = [
                shelf.pop() if shelf else f"UNREGISTERED-{day:%Y%m%d}-{n}-{i}" for i in range(units)
            ]
        lines.append(line)
    return lines
