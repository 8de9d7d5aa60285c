"""Replenishment policies the simulator replays, and what they see and decide.

`StorenetPolicy` is the nightly plan (NB targets at service levels, scarce allocation,
rebalancing, demand learned nightly with censoring), `MinMaxPolicy` a static ERP
reorder rule and `ForecastPolicy` order-up-to on statsforecast point forecasts (an
optional peer). `NullPolicy` orders nothing (a test baseline). A policy sees pairs of
stores and SKUs and the stock of the warehouses that feed them; it does not know how
the simulator moves its orders (see `engine`).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from storenet.planning.cycle import PlanSettings, Stock, nightly_plan
from storenet.planning.demand.update import DaySales, update_day
from storenet.planning.network import PlanningNetwork
from storenet.planning.rebalance import Moves
from storenet.planning.simulate.inputs import ONE_DAY, SimInput, copy_state
from storenet.planning.targets import order_quantity


@dataclass(frozen=True)
class View:
    """What a policy sees on an evening: stock at the end of `day` per pair (`on_hand`,
    `in_transit` = ordered, not yet on the shelf), the warehouses' stock [warehouses,
    SKUs], and which pairs' stores review tonight."""

    day: np.datetime64
    on_hand: np.ndarray
    in_transit: np.ndarray
    warehouse: np.ndarray
    reviewing: np.ndarray


@dataclass(frozen=True)
class Decision:
    """A policy's orders for one evening. `request` (int64 per pair): units asked of
    the warehouse; `allocated` (optional, int64 per pair): the units the policy
    itself allocates within warehouse stock (else the simulator shares scarce stock in
    proportion to requests); `moves`: store-to-store moves (optional)."""

    request: np.ndarray
    allocated: np.ndarray | None = None
    moves: Moves | None = None


class Policy(Protocol):
    """A replenishment policy: `start` once before the replay, then every evening
    `observe` the day's sales (int64 per pair) and stock-out flags (bool per pair: active
    and ended the day empty), then `decide`."""

    name: str
    setting: float | None

    def start(self, sim: SimInput) -> None: ...

    def observe(self, day: np.datetime64, sold: np.ndarray, stockout: np.ndarray) -> None: ...

    def decide(self, view: View) -> Decision: ...


def _next_active(network: PlanningNetwork, day: np.datetime64) -> np.ndarray:
    return network.active(day + ONE_DAY)


class NullPolicy:
    """Orders nothing, ever (a test baseline: its stores run out)."""

    name = "null"
    setting = None

    def start(self, sim: SimInput) -> None:
        self.n_pairs = sim.network.n_pairs

    def observe(self, day: np.datetime64, sold: np.ndarray, stockout: np.ndarray) -> None:
        pass

    def decide(self, view: View) -> Decision:
        return Decision(np.zeros(self.n_pairs, np.int64))


class StorenetPolicy:
    """storenet's nightly plan (`cycle.nightly_plan`): order-up-to at NB quantiles,
    scarce allocation by service level, rebalancing; the demand state learns every
    simulated day from the sales with stock-out censoring.

    `service_level`: one level for every category (None = the per-category defaults of
    `targets.SERVICE_LEVELS`); `plan`: other plan settings (lead and review days are
    taken from the simulation)."""

    name = "storenet"

    def __init__(self, service_level: float | None = None, plan: PlanSettings | None = None):
        self.setting = service_level
        self.plan = plan or PlanSettings()

    def start(self, sim: SimInput) -> None:
        self.network = sim.network
        self.state = copy_state(sim.state)
        service = (
            {} if self.setting is None else {name: self.setting for name in sim.network.categories}
        )
        self.plan_settings = replace(
            self.plan,
            lead_days=sim.settings.lead_days,
            review_days=sim.settings.review_days,
            service=service,
        )

    def observe(self, day: np.datetime64, sold: np.ndarray, stockout: np.ndarray) -> None:
        rows = np.flatnonzero((sold > 0) | stockout)
        sales = DaySales(day, rows, sold[rows], stockout[rows])
        self.state = update_day(self.state, self.network, sales)

    def decide(self, view: View) -> Decision:
        n = self.network.n_pairs
        if not view.reviewing.any():
            return Decision(np.zeros(n, np.int64))
        stores = np.zeros(self.network.n_stores, bool)
        stores[self.network.pair_store[view.reviewing]] = True
        stock = Stock(view.on_hand, view.in_transit, np.zeros(n, np.int64), view.warehouse)
        plan = nightly_plan(self.network, self.state, stock, self.plan_settings, reviewing=stores)
        return Decision(plan.request, plan.allocated, plan.moves)


class MinMaxPolicy:
    """The static min/max reorder rule as ERPs configure it, from average daily sales
    (ADS, recorded units over the warm-up window; fixed for the whole replay):

        min = ADS x lead days x safety_factor,   max = min + ADS x cover_days

    both rounded up to whole units, at least the display minimum, at most the capacity.
    On a review day, a pair whose position (on hand + in transit) is below min orders
    up to max in whole packs."""

    name = "minmax"

    def __init__(self, safety_factor: float = 1.5, cover_days: float = 14.0):
        self.setting = safety_factor
        self.cover_days = cover_days

    def start(self, sim: SimInput) -> None:
        net = sim.network
        self.network = net
        ads = sim.avg_sales
        low = ads * sim.settings.lead_days * self.setting
        display_min = net.pair_display_min.astype(np.int64)
        self.low = np.maximum(np.ceil(low - 1e-9).astype(np.int64), display_min)
        high = np.ceil(low + ads * self.cover_days - 1e-9).astype(np.int64)
        self.high = np.maximum(high, self.low)
        self.capacity = net.pair_capacity.astype(np.int64)
        limited = self.capacity > 0
        self.low[limited] = np.minimum(self.low[limited], self.capacity[limited])
        self.high[limited] = np.minimum(self.high[limited], self.capacity[limited])
        self.pack = net.sku_pack[net.pair_sku].astype(np.int64)

    def observe(self, day: np.datetime64, sold: np.ndarray, stockout: np.ndarray) -> None:
        pass

    def decide(self, view: View) -> Decision:
        position = view.on_hand + view.in_transit
        due = view.reviewing & _next_active(self.network, view.day) & (position < self.low)
        request = order_quantity(self.high, position, self.pack, self.capacity)
        return Decision(np.where(due, request, 0))


class PeerUnavailable(ImportError):
    """An optional peer library is not installed."""


def statsforecast_available() -> bool:
    """True if the optional peer statsforecast can be imported."""
    return importlib.util.find_spec("statsforecast") is not None


class ForecastPolicy:
    """Periodic order-up-to on point forecasts from statsforecast (a peer, optional):

        target = ceil(forecast mean per day x (lead + review days) x multiplier)

    at least the display minimum, at most the capacity; a reviewing pair orders up to
    it in whole packs. The forecast is refitted every `review_days` on the last
    `window` days of recorded sales (what an ERP sees: stock-outs are not corrected),
    one series per pair that sold in the window (others forecast 0). `model` names a
    statsforecast model class (CrostonOptimized, ADIDA, IMAPA, ...). Raises
    PeerUnavailable at construction if statsforecast is not installed."""

    name = "statsforecast"

    def __init__(self, multiplier: float = 1.0, model: str = "CrostonOptimized", window: int = 112):
        if not statsforecast_available():
            raise PeerUnavailable(
                "statsforecast is not installed (pip install 'storenet[peers]'): "
                "the statsforecast policy is skipped"
            )
        self.setting = multiplier
        self.model = model
        self.window = window

    def start(self, sim: SimInput) -> None:
        net = sim.network
        self.network = net
        self.horizon = sim.settings.lead_days + sim.settings.review_days
        self.refit_days = sim.settings.review_days
        # Recorded sales of the last `window` days up to the split, oldest first; kept
        # as a ring whose row `self.t % window` is the next day to write.
        h = sim.history
        self.sales = np.zeros((self.window, net.n_pairs), np.float32)
        first = sim.split - np.timedelta64(self.window - 1, "D")
        lo, hi = np.searchsorted(h.day, [first, sim.split + ONE_DAY])
        row = (h.day[lo:hi] - first).astype(np.int64)
        self.sales[row, h.pair[lo:hi]] = h.units[lo:hi]
        self.t = 0
        self.mean: np.ndarray | None = None
        self.fitted_on = sim.split
        self.display_min = net.pair_display_min.astype(np.int64)
        self.capacity = net.pair_capacity.astype(np.int64)
        self.pack = net.sku_pack[net.pair_sku].astype(np.int64)

    def observe(self, day: np.datetime64, sold: np.ndarray, stockout: np.ndarray) -> None:
        self.sales[self.t % self.window] = sold
        self.t += 1

    def forecast(self) -> np.ndarray:
        """Mean units per day per pair from the statsforecast model (float64, >= 0)."""
        import pandas as pd
        from statsforecast import StatsForecast
        from statsforecast import models as sf_models

        series = np.roll(self.sales, -(self.t % self.window), axis=0)  # oldest first
        sold_any = np.flatnonzero(series.sum(axis=0) > 0)
        mean = np.zeros(self.network.n_pairs)
        if sold_any.size == 0:
            return mean
        frame = pd.DataFrame(
            {
                "unique_id": np.repeat(sold_any, self.window),
                "ds": np.tile(np.arange(self.window), sold_any.size),
                "y": series[:, sold_any].T.ravel().astype(np.float64),
            }
        )
        model = getattr(sf_models, self.model)()
        result = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=frame, h=1)
        column = [c for c in result.columns if c not in ("unique_id", "ds")][0]
        values = result[column].to_numpy(np.float64)
        mean[result["unique_id"].to_numpy(np.int64)] = np.nan_to_num(values, nan=0.0)
        return np.maximum(mean, 0.0)

    def decide(self, view: View) -> Decision:
        n = self.network.n_pairs
        if not view.reviewing.any():
            return Decision(np.zeros(n, np.int64))
        stale = (view.day - self.fitted_on).astype(np.int64) >= self.refit_days
        if self.mean is None or stale:
            self.mean, self.fitted_on = self.forecast(), view.day
        target = np.ceil(self.mean * self.horizon * self.setting - 1e-9).astype(np.int64)
        target = np.maximum(target, self.display_min)
        limited = self.capacity > 0
        target[limited] = np.minimum(target[limited], self.capacity[limited])
        position = view.on_hand + view.in_transit
        due = view.reviewing & _next_active(self.network, view.day)
        request = order_quantity(target, position, self.pack, self.capacity)
        return Decision(np.where(due, request, 0))


POLICIES = ("storenet", "minmax", "statsforecast")
SWEEPS: dict[str, tuple[float, ...]] = {
    "storenet": (0.60, 0.70, 0.80, 0.85, 0.90, 0.95, 0.98, 0.99),
    "minmax": (0.5, 1.0, 1.5, 2.0, 3.0, 4.0),
    "statsforecast": (0.75, 1.0, 1.25, 1.5, 2.0, 2.5),
}
"""The frontier's settings per policy: storenet's service level (all categories),
the min/max safety factor, the statsforecast order-up-to multiplier."""


def make_policy(name: str, setting: float | None = None) -> Policy:
    """A policy by name (one of POLICIES or "null"), at `setting` (None = default)."""
    if name == "storenet":
        return StorenetPolicy(setting)
    if name == "minmax":
        return MinMaxPolicy() if setting is None else MinMaxPolicy(setting)
    if name == "statsforecast":
        return ForecastPolicy() if setting is None else ForecastPolicy(setting)
    if name == "null":
        return NullPolicy()
    raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
