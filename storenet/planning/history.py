"""Sales history (docs/data-formats.md) as the demand model's daily input.

Reads the monthly Parquet folders that `storenet generate` and the daily close write,
maps store and SKU ids to the planning network's pair indices, and hands out one
`DaySales` per day. Rows of pairs that are not listed in the network are dropped
(they cannot be planned); the count is reported so nothing vanishes silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from storenet.planning.demand.update import DaySales
from storenet.planning.network import PlanningNetwork


@dataclass(frozen=True)
class HistoryFrame:
    """History rows as arrays sorted by day: `day` (datetime64[D]), `pair`, `units`,
    `stockout` (closing on hand <= 0), `demand` (true demand where known, else -1)."""

    day: np.ndarray
    pair: np.ndarray
    units: np.ndarray
    stockout: np.ndarray
    demand: np.ndarray
    dropped_rows: int

    def days(self, first: np.datetime64, last: np.datetime64) -> Iterator[DaySales]:
        """One DaySales per day from `first` to `last` inclusive (empty on days
        without rows)."""
        first, last = np.datetime64(first, "D"), np.datetime64(last, "D")
        for day in np.arange(first, last + np.timedelta64(1, "D")):
            lo, hi = np.searchsorted(self.day, [day, day + np.timedelta64(1, "D")])
            yield DaySales(day, self.pair[lo:hi], self.units[lo:hi], self.stockout[lo:hi])


def history_span(history_dir: Path) -> tuple[date, date] | None:
    """The first and last day in the sales history under `history_dir` (None when
    there is none)."""
    files = sorted(Path(history_dir).glob("month=*/*.parquet"))
    if not files:
        return None
    days = pl.scan_parquet(files).select(
        pl.col("day").min().alias("first"), pl.col("day").max().alias("last")
    )
    first, last = days.collect().row(0)
    return (first, last) if first is not None else None


def read_history(
    network: PlanningNetwork, history_dir: Path, first: date | None = None, last: date | None = None
) -> HistoryFrame:
    """The history under `history_dir` between `first` and `last` (inclusive; None =
    unbounded), mapped onto `network`'s pairs. Several rows of one (store, SKU, day)
    (e.g. a generated month and a closed day) are summed."""
    files = sorted(Path(history_dir).glob("month=*/*.parquet"))
    if not files:
        return _empty()
    frame = pl.scan_parquet(files, hive_partitioning=False)
    if first is not None:
        frame = frame.filter(pl.col("day") >= first)
    if last is not None:
        frame = frame.filter(pl.col("day") <= last)
    rows = (
        frame.group_by("store_id", "sku_id", "day")
        .agg(
            pl.col("units").sum(),
            pl.col("closing_on_hand").min(),
            pl.col("demand").sum().fill_null(-1),
            pl.col("demand").null_count().alias("unknown"),
        )
        .collect()
    )
    pair = network.pair_of_ids(rows["store_id"], rows["sku_id"])
    keep = pair >= 0
    day = rows["day"].to_numpy().astype("datetime64[D]")[keep]
    order = np.lexsort((pair[keep], day))
    demand = np.where(rows["unknown"].to_numpy() > 0, -1, rows["demand"].to_numpy())
    return HistoryFrame(
        day=day[order],
        pair=pair[keep][order],
        units=rows["units"].to_numpy()[keep][order].astype(np.int64),
        stockout=(rows["closing_on_hand"].to_numpy() <= 0)[keep][order],
        demand=demand[keep][order].astype(np.int64),
        dropped_rows=int((~keep).sum()),
    )


def _empty() -> HistoryFrame:
    z = np.zeros(0, np.int64)
    return HistoryFrame(np.zeros(0, "datetime64[D]"), z, z, np.zeros(0, bool), z, 0)
