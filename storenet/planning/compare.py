"""Policy comparisons: replay recent demand against storenet's plan and its peers and
return each run's KPI point, the one implementation behind `storenet simulate` and the
console's simulator page.

A comparison is a list of runs: every chosen policy at its default settings, then (with
the sweep) every policy at each setting of `simulate.SWEEPS` in order. Each run is one
`simulate.simulate` replay of the same `SimInput`; its KPIs are `SimResult.kpis()`
(DESIGN section 4). Nothing here writes: the current network is read on a read-only
connection and the history from Parquet.

On the current network (`compare_current`): the replayed window is the last `days` days
of the sales history (the split is `days` days before its last day); store pairs start
from the closing on hand the history recorded on the split day (see `simulate`), and
warehouses from their free stock in the ledger's balances now, a stated assumption: the
history does not record warehouse stock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from storenet.errors import Problem, Refused
from storenet.planning import simulate as sim_mod
from storenet.planning.history import read_history
from storenet.planning.simulate.engine import SimResult
from storenet.planning.simulate.inputs import SimInput, SimSettings
from storenet.planning.source import network_from_db, stock_from_db
from storenet.store.engine import reading

Progress = Callable[[str, int, int], None]

STATSFORECAST_MISSING = "statsforecast is not installed (pip install 'storenet[peers]')"
SETTING_NAMES = {
    "storenet": "service level",
    "minmax": "safety factor",
    "statsforecast": "forecast multiplier",
}
"""What a sweep setting means, per policy (for labels)."""


def available_policies() -> tuple[str, ...]:
    """The policies that can run here: storenet, minmax, and statsforecast if the
    optional peer is installed."""
    return tuple(
        name
        for name in sim_mod.POLICIES
        if name != "statsforecast" or sim_mod.statsforecast_available()
    )


def choose_policies(names: Sequence[str]) -> tuple[list[str], list[dict]]:
    """The policies to run from `names` (duplicates dropped, order kept), and the
    skipped ones as {"policy", "reason"} (statsforecast when it is not installed).
    Raises Refused (field "policies") naming the choices when a name is unknown or none
    is given, or when nothing is left to run."""
    chosen = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in chosen if n not in sim_mod.POLICIES]
    if unknown or not chosen:
        raise _refused_policies(", ".join(unknown) or "(none)")
    skipped = []
    if "statsforecast" in chosen and not sim_mod.statsforecast_available():
        chosen.remove("statsforecast")
        skipped.append({"policy": "statsforecast", "reason": STATSFORECAST_MISSING})
        if not chosen:
            raise Refused([Problem("policies", f"{STATSFORECAST_MISSING}; choose another policy")])
    return chosen, skipped


def _refused_policies(unknown: str) -> Refused:
    """The refusal of unknown policy names, naming the choices."""
    choices = ", ".join(sim_mod.POLICIES)
    reason = f"unknown policy {unknown}; choose from {choices}"
    return Refused([Problem("policies", reason, value=unknown)])


def planned_runs(policies: Sequence[str], sweep: bool) -> list[tuple[str, float | None]]:
    """(policy, setting) of every run in order: each policy at its defaults (setting
    None), then with `sweep` each policy at every setting of `simulate.SWEEPS`."""
    runs: list[tuple[str, float | None]] = [(name, None) for name in policies]
    if sweep:
        runs += [(name, value) for name in policies for value in sim_mod.SWEEPS[name]]
    return runs


@dataclass(frozen=True)
class Comparison:
    """The runs of one comparison, in `planned_runs` order, and what they started from.

    `runs`: the planned (policy, setting) of each result, setting None at the
    defaults (a result's own `setting` names the default value where the policy has
    one, e.g. min/max 1.5); `split`: the last warm-up day; `first_day`..`last_day`:
    the replayed days;
    `skipped`: policies asked for that could not run ({"policy", "reason"});
    `start_stock`: units and pair counts by where the starting stock came from."""

    settings: SimSettings
    policies: tuple[str, ...]
    sweep: bool
    split: date
    first_day: date
    last_day: date
    results: list[SimResult]
    runs: list[tuple[str, float | None]]
    skipped: list[dict] = field(default_factory=list)
    start_stock: dict = field(default_factory=dict)

    def defaults(self) -> list[SimResult]:
        """The runs at default settings, one per policy."""
        return [r for r, (_, v) in zip(self.results, self.runs, strict=True) if v is None]

    def curves(self) -> dict[str, list[SimResult]]:
        """The sweep runs per policy, in sweep order (empty without the sweep)."""
        out: dict[str, list[SimResult]] = {}
        for r, (name, value) in zip(self.results, self.runs, strict=True):
            if value is not None:
                out.setdefault(name, []).append(r)
        return out

    def points(self) -> list[dict]:
        """Every run's KPIs (`SimResult.kpis()`) and `default_settings` (True for the
        runs at default settings, False for sweep points), JSON-ready: a KPI without a
        denominator (NaN) is None."""
        return [
            {**{k: _plain(v) for k, v in r.kpis().items()}, "default_settings": value is None}
            for r, (_, value) in zip(self.results, self.runs, strict=True)
        ]

    def summary(self) -> dict:
        """The comparison's parameters and starting point as plain values."""
        return {
            "policies": list(self.policies),
            "sweep": self.sweep,
            "split": self.split.isoformat(),
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "settings": dict(vars(self.settings)),
            "demand_source": (
                "the generator's true demand where the history has it, else recorded units"
                if self.settings.demand == "true"
                else "recorded units (censored on stock-out days)"
            ),
            "start_stock": self.start_stock,
            "skipped": self.skipped,
        }


def _plain(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _day(value: np.datetime64) -> date:
    return date.fromisoformat(str(np.datetime64(value, "D")))


def compare(
    sim: SimInput,
    policies: Sequence[str],
    sweep: bool = False,
    progress: Progress | None = None,
    skipped: Sequence[dict] = (),
) -> Comparison:
    """Replay `sim` against every run of `planned_runs(policies, sweep)`.

    `policies` must be runnable (see `choose_policies`; Refused otherwise).
    `progress(stage, done, total)` counts replayed days over all runs (total = runs x
    days), the stage naming the run ("storenet", "minmax 1.5")."""
    for name in policies:
        if name not in sim_mod.POLICIES:
            raise _refused_policies(repr(name))
    tell = progress or (lambda stage, done, total: None)
    runs = planned_runs(policies, sweep)
    n_days = len(sim.days)
    results = []
    for i, (name, value) in enumerate(runs):

        def step(stage: str, done: int, total: int, base: int = i * n_days) -> None:
            tell(stage, base + done, len(runs) * n_days)

        results.append(sim_mod.simulate(sim, sim_mod.make_policy(name, value), step))
    return Comparison(
        settings=sim.settings,
        policies=tuple(policies),
        sweep=sweep,
        split=_day(sim.split),
        first_day=_day(sim.days[0]),
        last_day=_day(sim.days[-1]),
        results=results,
        runs=runs,
        skipped=list(skipped),
        start_stock={
            "store_units": int(sim.on_hand.sum()),
            "pairs_from_closing_on_hand": int((sim.start_source == 0).sum()),
            "pairs_from_storenet_target": int((sim.start_source == 1).sum()),
            "pairs_inactive": int((sim.start_source == 2).sum()),
            "warehouse_units": int(sim.warehouse.sum()),
        },
    )


def current_input(
    engine: Engine,
    history_dir: Path,
    settings: SimSettings,
    progress: Progress | None = None,
) -> SimInput:
    """The replay inputs of the current network: stores, SKUs, assortment and the
    warehouses' free stock from the database (one read-only connection), the sales
    history from `history_dir`; the split is `settings.days` days before the last day
    of history (see the module doc for the starting stock). Raises Refused when the
    assortment or the history is empty, and ValueError (from `simulate.prepare`) when
    the history is too short to warm up and replay."""
    tell = progress or (lambda stage, done, total: None)
    tell("reading network", 0, 1)
    with reading(engine) as conn:
        network = network_from_db(conn)
        warehouse = stock_from_db(conn, network).warehouse
    tell("reading network", 1, 1)
    if network.n_pairs == 0:
        raise Refused([Problem("assortment", "is empty: import a network first")])
    history = read_history(network, history_dir)
    if history.day.size == 0:
        raise Refused([Problem("history", "holds no sales; close a day first", str(history_dir))])
    split = history.day[-1] - np.timedelta64(settings.days, "D")
    closing = sim_mod.closing_on_hand(network, history_dir, split)
    return sim_mod.prepare(network, history, settings, split, closing, warehouse, tell)


def compare_current(
    engine: Engine,
    history_dir: Path,
    policies: Sequence[str],
    days: int = 14,
    sweep: bool = False,
    progress: Progress | None = None,
) -> Comparison:
    """Compare `policies` (names of `simulate.POLICIES`) over the last `days` days of
    history on the current network (`current_input` with default `SimSettings` but
    `days`), each at its defaults and, with `sweep`, along its sweep. Read-only: writes
    nothing to the database or the planner's files. statsforecast is skipped (and
    listed in `skipped`) when not installed. Progress stages: "reading network",
    "warm-up", then one per run. Raises Refused for unknown policies and inputs
    `current_input` refuses, ValueError for `days` < 1 (`simulate.SimSettings`)."""
    names, skipped = choose_policies(policies)
    sim = current_input(engine, history_dir, SimSettings(days=days), progress)
    return compare(sim, names, sweep, progress, skipped)
