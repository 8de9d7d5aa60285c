"""`run_plan`: the nightly job, from the database and the sales history to a draft plan.

1. Read the network and the stock from the database.
2. Bring the demand state up to the day before the plan: load the saved state
   (``<home>/planning/demand.npz``) and learn each newer day of history, or fit from
   the whole history the first time (or when the network's pairs changed).
3. With `model="gbm"`: the gbm forecast of every pair (`gbm_demand.plan_forecast`:
   retrains the saved model when due, blends with the demand state's mean), in place
   of the demand state's own.
4. Plan (`nightly_plan`) and write the draft documents, in one transaction.

The demand state is saved only after the plan is written, through a temporary file,
so a crash leaves the previous state and a rerun learns the same days again.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Connection, Engine

from storenet.errors import Problem, Refused
from storenet.planning.chain.plan import chain_plan
from storenet.planning.cycle import NightlyPlan, PlanSettings
from storenet.planning.demand.memory import DemandState, empty_state
from storenet.planning.demand.update import update_day
from storenet.planning.documents import save_plan
from storenet.planning.history import history_span, read_history
from storenet.planning.network import PlanningNetwork
from storenet.planning.source import chain_stock_from_db, network_from_db, tree_from_db
from storenet.planning.upstream import save_upstream, upstream_rows, upstream_summary
from storenet.purchasing.lead_times import learned_lead_times
from storenet.purchasing.on_order import on_order
from storenet.settings import Settings
from storenet.store.engine import reading, unit_of_work

if TYPE_CHECKING:
    from storenet.planning.gbm_demand import PlanGbmSettings

Progress = Callable[[str, int, int], None]
MODELS = ("storenet", "gbm")  # demand models the nightly plan can use


def state_path(settings: Settings) -> Path:
    """Where the demand state is kept between nights."""
    return settings.home / "planning" / "demand.npz"


def learn_through(
    network: PlanningNetwork,
    history_dir: Path,
    through: date,
    saved: DemandState | None,
    progress: Progress | None = None,
) -> DemandState:
    """The demand state after day `through`: `saved` advanced day by day with the
    history after its own day, or fitted from all history when `saved` is None, does
    not match the network, or is ahead of `through`. Raises Refused when the history
    has no day at all before `through`."""
    tell = progress or (lambda stage, done, total: None)
    last = np.datetime64(through, "D")
    usable = saved is not None and saved.a.shape == (network.n_pairs,) and saved.through <= last
    first_needed = saved.through + np.timedelta64(1, "D") if usable else None
    history = read_history(
        network,
        history_dir,
        first=None if first_needed is None else first_needed.item(),
        last=through,
    )
    if not usable:
        if history.day.size == 0:
            raise Refused(
                [
                    Problem(
                        "history",
                        "has no sales before the plan day; close a day first",
                        value=str(history_dir),
                    )
                ]
            )
        start = history.day.min()
        state = empty_state(network, start - np.timedelta64(1, "D"))
    else:
        state = saved
    days = list(history.days(state.through + np.timedelta64(1, "D"), last))
    for i, sales in enumerate(days):
        state = update_day(state, network, sales)
        tell("learning demand", i + 1, len(days))
    return state


def supplier_week_start(day: date) -> date:
    """The Monday that starts the supplier week of tonight's orders for deliveries on
    `day`. They are the orders of `day` (its weekday is checked against the
    suppliers' order days, `chain_plan`; the simulator confirms them in the week of
    the morning they go out), so they count against the weekly capacity of `day`'s
    Monday-to-Sunday week, not of the evening before: a Monday's order does not share
    the capacity of the previous Thursday's."""
    return day - timedelta(days=day.weekday())


def run_plan(
    settings: Settings,
    engine: Engine,
    day: date | None = None,
    plan_settings: PlanSettings | None = None,
    progress: Progress | None = None,
    model: str = "storenet",
    gbm_settings: PlanGbmSettings | None = None,
) -> tuple[dict, NightlyPlan]:
    """Plan deliveries for `day` (default: the day after the last day of history) and
    save the draft. Returns (plan header with its summary, the plan arrays).

    `model`: the demand forecast, "storenet" (the demand state's posterior) or "gbm"
    (`gbm_demand`, trained under ``<home>/planning/gbm/`` when due). The demand state
    is learned and saved either way (the gbm blends with its mean). Raises Refused
    for another `model`, or for "gbm" when LightGBM is not installed."""
    if model not in MODELS:
        raise Refused([Problem("model", f"must be one of {', '.join(MODELS)}", value=model)])
    if model == "gbm" and importlib.util.find_spec("lightgbm") is None:
        # Checked before any work: LightGBM is an optional extra.
        raise Refused(
            [Problem("model", "gbm needs LightGBM: pip install 'storenet[gbm]'", value=model)]
        )
    tell = progress or (lambda stage, done, total: None)
    if day is None:
        span = history_span(settings.history_dir)
        if span is None:
            raise Refused(
                [Problem("history", "is empty; close a day first", value=str(settings.history_dir))]
            )
        day = span[1] + timedelta(days=1)
    ps = plan_settings or PlanSettings()
    tell("reading network", 0, 1)
    with reading(engine) as conn:
        network = network_from_db(conn)
        if network.n_pairs == 0:
            raise Refused([Problem("assortment", "is empty; import a network first")])
        tree = tree_from_db(conn, network, ps.lead_days, ps.review_days, learned_lead_times(conn))
        stock = chain_stock_from_db(conn, network, tree, on_order(conn), supplier_week_start(day))
    tell("reading network", 1, 1)
    path = state_path(settings)
    saved = DemandState.load(path) if path.exists() else None
    state = learn_through(network, settings.history_dir, day - timedelta(days=1), saved, tell)
    forecast, seconds = None, {}
    if model == "gbm":
        # Imported here: the gbm pulls in LightGBM (when it trains), which the
        # default plan (and the API server importing this module) does not need.
        from storenet.planning import gbm_demand

        run = gbm_demand.plan_forecast(
            settings.home,
            network,
            settings.history_dir,
            state,
            ps.lead_days + ps.review_days,
            settings=gbm_settings,
            progress=tell,
        )
        forecast, seconds = run.forecast, run.seconds
    chain = chain_plan(network, tree, state, stock, ps, progress=tell, forecast=forecast)
    plan = replace(chain.stores, seconds={**seconds, **chain.seconds})
    upstream = upstream_rows(network, tree, chain.upstream)
    summary = {**summarise(network, plan), **upstream_summary(upstream)}

    def write(conn: Connection) -> dict:
        header = save_plan(conn, day, network, plan, summary)
        save_upstream(conn, header["id"], upstream)
        return header

    header = unit_of_work(engine, write)
    path.parent.mkdir(parents=True, exist_ok=True)
    state.save(path)
    return header, plan


def summarise(network: PlanningNetwork, plan: NightlyPlan) -> dict:
    """Headline figures of a plan (plain numbers, for the header and the CLI)."""
    asked = plan.request > 0
    return {
        "pairs": int(network.n_pairs),
        "stores": int(network.n_stores),
        "skus": int(network.n_skus),
        "lines_requested": int(asked.sum()),
        "units_requested": int(plan.request.sum()),
        "units_allocated": int(plan.allocated.sum()),
        "lines_cut": int((plan.cut_reason > 0).sum()),
        "units_cut": int((plan.request - plan.allocated).sum()),
        "scarce_groups": int((plan.level < 1).sum()),
        "rebalance_moves": len(plan.moves),
        "rebalance_units": int(plan.moves.units.sum()),
        "rebalance_value": round(float(plan.moves.value.sum()), 2),
        "expected_demand": round(float(plan.mean.sum()), 1),
        "seconds": {k: round(v, 3) for k, v in plan.seconds.items()},
    }
