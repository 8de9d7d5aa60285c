"""The generator's demand after its history: each pair's rate on the days that follow.

The history's demand of a pair on a day is Poisson at

    rate = base x level x traffic[day, store] x appeal[day, SKU]

(`demand`). After the history's last day the same drivers run on (the grid reaches
past the end, `build.generate`) and the pair levels keep being redrawn on the same
schedule (`Simulation.refresh_levels`). `forward_rates` writes that continuation down,
so what plays days after the history (the demo's POS days) draws them from the process
that made the history: a launch's spike decays as it did in the history, a festival
lifts traffic, a pair's level moves on. The levels are redrawn from their own random
stream, so asking for more or fewer days changes nothing in the history.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from storenet.datagen.files import dates, ids, write_table
from storenet.datagen.history import Simulation

FORWARD_SCHEMA = pa.schema(
    [
        ("store_id", pa.dictionary(pa.int32(), pa.string())),
        ("sku_id", pa.dictionary(pa.int32(), pa.string())),
        ("day", pa.date32()),
        ("rate", pa.float32()),
    ]
)


def forward_rates(
    sim: Simulation, days: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rate of every pair on each of the `days` days after `sim`'s history.

    `sim` must have run (its levels are those at the end of the last day's evening);
    its levels are moved on in place. Day j (0 = the first day after the history) uses
    the drivers of grid row n_days + 1 + j and the levels as they stand that morning,
    then redraws the evening's slice from `rng`. The drivers' grid must reach that far.
    Returns (day offset int64, pair index int64, rate float32 > 0), in day then pair
    order; pairs with rate 0 (store not open, SKU not launched) are left out.
    """
    out_day, out_pair, out_rate = [], [], []
    for j in range(days):
        t = sim.n_days + j
        g = t + 1
        rate = sim.d.traffic[g][sim.pair_store] * sim.d.appeal[g][sim.pair_sku]
        rate *= sim.base_level
        pairs = np.flatnonzero(rate > 0)
        out_day.append(np.full(len(pairs), j, dtype=np.int64))
        out_pair.append(pairs)
        out_rate.append(rate[pairs].astype(np.float32))
        sim.refresh_levels(t, rng)
    if not days:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    return np.concatenate(out_day), np.concatenate(out_pair), np.concatenate(out_rate)


def forward_table(
    sim: Simulation,
    day: np.ndarray,
    pair: np.ndarray,
    rate: np.ndarray,
    store_ids: pa.Array,
    sku_ids: pa.Array,
) -> pa.Table:
    """`forward_rates`' output as the forward-demand table (docs/data-formats.md)."""
    first = sim.first_day + np.timedelta64(sim.n_days, "D")
    return pa.Table.from_arrays(
        [
            ids(sim.pair_store[pair], store_ids),
            ids(sim.pair_sku[pair], sku_ids),
            dates(first + day.astype("timedelta64[D]")),
            pa.array(rate, pa.float32()),
        ],
        schema=FORWARD_SCHEMA,
    )


def forward_path(out_dir: Path) -> Path:
    """Where `generate` writes the forward demand under its output folder."""
    return Path(out_dir) / "forward" / "demand.parquet"


def write_forward(
    sim: Simulation,
    days: int,
    rng: np.random.Generator,
    path: Path,
    store_ids: pa.Array,
    sku_ids: pa.Array,
) -> tuple[int, int]:
    """Write the `days` days after `sim`'s history to `path`; returns (rows, bytes)."""
    day, pair, rate = forward_rates(sim, days, rng)
    table = forward_table(sim, day, pair, rate, store_ids, sku_ids)
    return table.num_rows, write_table(table, path)
