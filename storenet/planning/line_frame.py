"""The plan's store lines as one columnar frame, ready for the bulk layer.

A reference night has two million lines or more: building a dict per line and
inserting them one statement at a time took most of the night's wall time. Here every
column is an array computed at once from the plan's arrays, and the frame goes to the
database by COPY (PostgreSQL) or one executemany (SQLite).

Lines (the columns of `plan_lines`, without plan_id): a `replenish` line for every
pair that requested stock (also when allocation cut it to zero, so the cut is
explained), then a `rebalance` line for every store-to-store move. Line numbers run
from 1 in that order. Transfer numbers group lines by (warehouse, store) for
replenishment, then continue for the moves (`NightlyPlan.transfer_number`).

The pair figures (see `plan_lines` in storenet.store.schema) come from all the lines
of a pair: `pair_first` marks its first line; `shortfall` = forecast - (position +
units it receives); `surplus` = position + units received - target; `cut_units` =
requested - planned on a cut line.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from storenet.planning.cycle import NightlyPlan
from storenet.planning.network import PlanningNetwork

CUT_REASONS = ("", "scarce stock", "scarce for minimums")
EXCESS_FACTOR = 1.5


def plan_frame(network: PlanningNetwork, plan: NightlyPlan) -> pl.DataFrame:
    """Every store line of `plan` with its explanation and pair figures, one row a line
    (columns of `plan_lines` except plan_id), in line-number order."""
    asked = np.flatnonzero(plan.request > 0)
    store = network.pair_store[asked].astype(np.int64)
    wh = network.store_warehouse[store].astype(np.int64)
    _, transfer = np.unique(wh * network.n_stores + store, return_inverse=True)
    level = plan.level[wh * network.n_skus + network.pair_sku[asked]]
    moves = plan.moves
    n_asked, n_moves = asked.size, len(moves)
    offset = int(transfer.max()) + 1 if transfer.size else 0

    pair = np.concatenate([asked, moves.to_pair.astype(np.int64)])
    qty = np.concatenate([plan.allocated[asked], moves.units]).astype(np.int64)
    source_ids = pl.Series(network.warehouses + network.store_ids, dtype=pl.String)
    source = np.concatenate(
        [wh, len(network.warehouses) + network.pair_store[moves.from_pair].astype(np.int64)]
    )
    replenish = np.arange(pair.size) < n_asked
    requested = np.where(replenish, plan.request[pair], qty)
    cut = np.where(replenish, plan.cut_reason[pair], 0)
    forecast = np.round(plan.mean[pair].astype(np.float64), 4)
    position = plan.position[pair].astype(np.int64)
    target = plan.target[pair].astype(np.int64)

    # The pair figures: everything a pair receives over all its lines.
    line_no = np.arange(1, pair.size + 1, dtype=np.int64)
    incoming = np.bincount(pair, qty, network.n_pairs).astype(np.int64)[pair]
    first = np.full(network.n_pairs, np.iinfo(np.int64).max)
    np.minimum.at(first, pair, line_no)
    after = position + incoming
    cut_units = np.where(cut > 0, requested - qty, 0)

    water = np.concatenate([np.where(level < 1, level, np.nan), np.full(n_moves, np.nan)])
    value = np.concatenate([np.full(n_asked, np.nan), moves.value.astype(np.float64)])
    return pl.DataFrame(
        {
            "line_no": line_no.astype(np.int32),
            "kind": np.where(replenish, "replenish", "rebalance"),
            "source_id": source_ids.gather(source),
            "store_id": pl.Series(network.store_ids, dtype=pl.String).gather(
                network.pair_store[pair].astype(np.int64)
            ),
            "sku_id": pl.Series(network.sku_ids, dtype=pl.String).gather(
                network.pair_sku[pair].astype(np.int64)
            ),
            "qty": qty.astype(np.int32),
            "planned_qty": qty.astype(np.int32),
            "forecast_mean": forecast,
            "forecast_quantile": plan.quantile[pair].astype(np.int32),
            "service_level": plan.service_level[pair].astype(np.float64),
            "position": position.astype(np.int32),
            "target": target.astype(np.int32),
            "requested": requested.astype(np.int32),
            "cut_reason": pl.Series(CUT_REASONS, dtype=pl.String).gather(cut.astype(np.int64)),
            "water_level": pl.Series(water).fill_nan(None),
            "value": pl.Series(value).fill_nan(None),
            "transfer_no": np.concatenate(
                [transfer, offset + plan.transfer_number.astype(np.int64)]
            ).astype(np.int32),
            "pair_first": (first[pair] == line_no).astype(np.int16),
            "shortfall": forecast - after,
            "surplus": (after - target).astype(np.int32),
            "cut_units": cut_units.astype(np.int32),
        }
    )


def exception_totals(frame: pl.DataFrame) -> dict:
    """The plan's exception counts from its lines with pair figures (what the review
    shows network-wide; kept in the plan's summary and updated by edits). A pair is
    at risk when `shortfall` > 0, in excess when after the plan it holds more than
    its target and more than EXCESS_FACTOR times it (`documents.is_excess`)."""
    firsts = frame.filter(pl.col("pair_first") == 1)
    after = firsts["target"] + firsts["surplus"]
    target = firsts["target"]
    moves = frame.filter(pl.col("kind") == "rebalance")
    return {
        "lines": frame.height,
        "pairs": firsts.height,
        "cut": int((frame["cut_reason"] != "").sum()),
        "cut_units": int(frame["cut_units"].sum()),
        "at_risk": int((firsts["shortfall"] > 0).sum()),
        "excess": int(((after > target) & (after > target * EXCESS_FACTOR)).sum()),
        "rebalance": moves.height,
        "rebalance_units": int(moves["qty"].sum()),
        "rebalance_value": round(float(moves["value"].fill_null(0.0).sum()), 4),
    }
