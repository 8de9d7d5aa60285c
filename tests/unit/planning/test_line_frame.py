"""The columnar plan lines (`line_frame`) equal the obvious one-dict-per-line build
they replaced, kept here as the oracle."""

from __future__ import annotations

import math

import numpy as np

from storenet.planning.cycle import NightlyPlan, PlanSettings, Stock, nightly_plan
from storenet.planning.demand.update import fit
from storenet.planning.documents import is_at_risk, is_excess, pair_incoming
from storenet.planning.line_frame import exception_totals, plan_frame
from storenet.planning.network import PlanningNetwork
from storenet.planning.rebalance import RebalanceCosts

from .conftest import poisson_days, small_network

SLOW_CUT_REASONS = {0: "", 1: "scarce stock", 2: "scarce for minimums"}
FIRST = np.datetime64("2026-08-01")


def slow_plan_rows(network: PlanningNetwork, plan: NightlyPlan) -> list[dict]:
    """The plan's lines as rows of `plan_lines` (without plan_id), replenishment first.

    A replenishment line exists for every pair that requested stock (also when
    allocation cut it to zero, so the cut is explained); a rebalancing line for every
    store-to-store move. Transfer numbers group lines by (source, destination).
    """
    rows: list[dict] = []
    asked = np.flatnonzero(plan.request > 0)
    store = network.pair_store[asked]
    sku = network.pair_sku[asked]
    wh = network.store_warehouse[store]
    group = wh.astype(np.int64) * network.n_stores + store
    _, transfer = np.unique(group, return_inverse=True)
    level = plan.level[wh.astype(np.int64) * network.n_skus + sku]
    for i, pair in enumerate(asked.tolist()):
        rows.append(
            slow_line(
                network,
                plan,
                pair,
                "replenish",
                network.warehouses[wh[i]],
                int(plan.allocated[pair]),
                int(transfer[i]),
                water_level=float(level[i]) if level[i] < 1 else None,
            )
        )
    offset = int(transfer.max()) + 1 if transfer.size else 0
    moves = plan.moves
    for i in range(len(moves)):
        to_pair = int(moves.to_pair[i])
        source = network.store_ids[network.pair_store[moves.from_pair[i]]]
        rows.append(
            slow_line(
                network,
                plan,
                to_pair,
                "rebalance",
                source,
                int(moves.units[i]),
                offset + int(plan.transfer_number[i]),
                value=float(moves.value[i]),
            )
        )
    for n, row in enumerate(rows, start=1):
        row["line_no"] = n
    slow_pair_figures(rows)
    return rows


def slow_pair_figures(rows: list[dict]) -> None:
    """Set each row's pair figures (see `plan_lines` in storenet.store.schema):
    `pair_first`, `shortfall`, `surplus` from all the rows of its (store, SKU) pair,
    and `cut_units`. `rows` hold every line of one plan, with line numbers; the
    position, target and forecast of a pair are the same on each of its lines."""
    incoming: dict[tuple[str, str], int] = {}
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["store_id"], row["sku_id"])
        incoming[key] = incoming.get(key, 0) + row["qty"]
        first[key] = min(first.get(key, row["line_no"]), row["line_no"])
    for row in rows:
        key = (row["store_id"], row["sku_id"])
        after = row["position"] + incoming[key]
        row["pair_first"] = int(first[key] == row["line_no"])
        row["shortfall"] = float(row["forecast_mean"]) - after
        row["surplus"] = after - row["target"]
        row["cut_units"] = row["requested"] - row["planned_qty"] if row["cut_reason"] else 0


def slow_exception_totals(rows: list[dict]) -> dict:
    """The plan's exception counts from its rows with pair figures (what the review
    shows network-wide; kept in the plan's summary and updated by edits)."""
    firsts = [r for r in rows if r["pair_first"]]
    moves = [r for r in rows if r["kind"] == "rebalance"]
    return {
        "lines": len(rows),
        "pairs": len(firsts),
        "cut": sum(1 for r in rows if r["cut_reason"]),
        "cut_units": sum(r["cut_units"] for r in rows),
        "at_risk": sum(
            1 for r in firsts if is_at_risk(r["position"], pair_incoming(r), r["forecast_mean"])
        ),
        "excess": sum(1 for r in firsts if is_excess(r["position"], pair_incoming(r), r["target"])),
        "rebalance": len(moves),
        "rebalance_units": sum(r["qty"] for r in moves),
        "rebalance_value": round(sum(r["value"] or 0.0 for r in moves), 4),
    }


def slow_line(network, plan, pair, kind, source, qty, transfer_no, water_level=None, value=None):  # type: ignore[no-untyped-def]
    return {
        "kind": kind,
        "source_id": source,
        "store_id": network.store_ids[network.pair_store[pair]],
        "sku_id": network.sku_ids[network.pair_sku[pair]],
        "qty": qty,
        "planned_qty": qty,
        "forecast_mean": round(float(plan.mean[pair]), 4),
        "forecast_quantile": int(plan.quantile[pair]),
        "service_level": float(plan.service_level[pair]),
        "position": int(plan.position[pair]),
        "target": int(plan.target[pair]),
        "requested": int(plan.request[pair]) if kind == "replenish" else qty,
        "cut_reason": SLOW_CUT_REASONS[int(plan.cut_reason[pair])] if kind == "replenish" else "",
        "water_level": water_level,
        "value": value,
        "transfer_no": transfer_no,
    }


def a_plan_with_cuts_and_moves():
    network = small_network(n_stores=12)
    rng = np.random.default_rng(5)
    rates = rng.gamma(1.0, 0.8, network.n_pairs)
    days = poisson_days(network, rates, FIRST, 118, seed=5)
    state = fit(network, days, FIRST - 1)
    on_hand = rng.integers(0, 12, network.n_pairs)
    warehouse = rng.integers(0, 6, (1, network.n_skus))
    zero = np.zeros(network.n_pairs, np.int64)
    settings = PlanSettings(
        rebalance=RebalanceCosts(unit_cost=0.5, transfer_cost=0.5, max_transfers=3)
    )
    plan = nightly_plan(network, state, Stock(on_hand, zero, zero.copy(), warehouse), settings)
    return network, plan


def test_the_columnar_lines_equal_the_line_by_line_oracle():
    network, plan = a_plan_with_cuts_and_moves()
    # The case exercises every kind of line: cut, uncut, and rebalancing moves.
    assert (plan.cut_reason > 0).any() and len(plan.moves) > 0
    expected = slow_plan_rows(network, plan)
    got = plan_frame(network, plan).to_dicts()
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected):
        for column, value in theirs.items():
            if isinstance(value, float):
                assert math.isclose(mine[column], value, abs_tol=1e-9), column
            else:
                assert mine[column] == value, (column, mine, theirs)


def test_the_exception_totals_equal_the_line_by_line_oracle():
    network, plan = a_plan_with_cuts_and_moves()
    rows = slow_plan_rows(network, plan)
    assert exception_totals(plan_frame(network, plan)) == slow_exception_totals(rows)
