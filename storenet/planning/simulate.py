"""Replaying demand day by day against a replenishment policy (`storenet simulate`).

The simulator is columnar: stock, pipelines and counters are arrays over (store, SKU)
pairs and (warehouse, SKU) cells; the only loop is over the simulated days.

Timeline. The demand model and every policy learn from the history up to a split day
(the warm-up); the next `days` days are replayed. Each simulated day:

1. morning: store deliveries ordered `lead_days` evenings ago (warehouse shipments and
   store-to-store moves alike) go on the shelf; supplier deliveries ordered
   `supplier_lead_days` evenings ago go into the warehouse;
2. the day's demand (the generator's true demand where the history has it, else the
   recorded units) is served from on hand; what is not on the shelf is lost;
3. evening: the policy observes the day's sales with the stock-out flags (a pair that
   ended the day empty censors its demand), then, for the stores whose weekly review
   falls tonight (stores are staggered by index, store s reviews when
   (day number + s) % review_days == 0), decides orders and moves. The warehouse
   ships within its stock: storenet allocates scarce stock itself (service-level
   water-filling); the other policies get the ERP default, shares in proportion to
   what was asked. Moves leave the giving store at once.
4. warehouses review weekly, all on the same evening, and order from an unlimited
   supplier up to `warehouse_cover_days` of their stores' average daily sales (recorded
   in the warm-up window), so every policy faces the same supply; a SKU past its end
   of life is not ordered. Scarcity happens when the opening warehouse stock is short.

Starting stock. The generator's opening stock is the stock at the END of history, so
it cannot start a replay inside history. A store pair starts from its
`closing_on_hand` on the split day where the history has a row; a pair without a row
that day sold nothing and had stock, so it starts at storenet's default target (at
least 1) if active, else 0. The same start serves every policy. Warehouses start from
the opening stock's warehouse rows (or a given matrix): a stated assumption, since
the history does not record warehouse stock.

Policies: `StorenetPolicy` (the nightly plan: NB targets at service levels, scarce
allocation, rebalancing, demand learned nightly with censoring), `MinMaxPolicy` (a
static ERP reorder rule) and `ForecastPolicy` (order-up-to on statsforecast point
forecasts, an optional peer). `NullPolicy` orders nothing (a test baseline).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Protocol

import numpy as np
import polars as pl

from storenet.planning import demand, kpi
from storenet.planning.cycle import PlanSettings, Stock, nightly_plan
from storenet.planning.distribution import nb_params
from storenet.planning.history import HistoryFrame, read_history
from storenet.planning.network import PlanningNetwork, from_master
from storenet.planning.rebalance import Moves
from storenet.planning.source import stock_from_master
from storenet.planning.targets import order_quantity, order_up_to, service_levels

Progress = Callable[[str, int, int], None]
ONE_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class SimSettings:
    """How the replay runs. Days are whole days; lead times count evenings to mornings
    (an order placed on the evening of day d is on the shelf the morning of d + lead).

    `days`: days replayed after the split; `lead_days` (>= 1): warehouse-to-store and
    store-to-store transport; `review_days`: a store orders every this many days;
    `supplier_lead_days` (>= 1): supplier to warehouse; `warehouse_cover_days`: the
    warehouse base stock in days of its stores' average sales; `sales_window`: days of
    recorded sales before the split behind average daily sales (min/max rule and
    warehouse targets); `demand`: "true" replays the generator's demand column where
    known (else recorded units), "sales" replays recorded units (censored on stock-out
    days).
    """

    days: int = 28
    lead_days: int = 2
    review_days: int = 7
    supplier_lead_days: int = 14
    warehouse_cover_days: float = 35.0
    sales_window: int = 56
    demand: str = "true"

    def __post_init__(self) -> None:
        if self.days < 1 or self.lead_days < 1 or self.supplier_lead_days < 1:
            raise ValueError("days, lead_days and supplier_lead_days must be at least 1")
        if self.review_days < 1 or self.sales_window < 1:
            raise ValueError("review_days and sales_window must be at least 1")
        if self.demand not in ("true", "sales"):
            raise ValueError(f"demand must be 'true' or 'sales', got {self.demand!r}")


@dataclass
class SimInput:
    """Everything a replay starts from; shared, read-only, by every policy's run.

    `split`: the last warm-up day; `days`: the replayed days (datetime64[D]);
    `on_hand` (int64 per pair) and `warehouse` (int64 [warehouses, SKUs]): stock at
    the end of the split day; `start_source` (int8 per pair): 0 closing on hand of the
    history, 1 storenet's target (no row that day), 2 inactive (0); `state`: the
    demand state fitted through the split; `avg_sales` (float64 per pair): recorded
    units per day over `settings.sales_window` days up to the split.
    """

    network: PlanningNetwork
    history: HistoryFrame
    settings: SimSettings
    split: np.datetime64
    days: np.ndarray
    on_hand: np.ndarray
    warehouse: np.ndarray
    start_source: np.ndarray
    state: demand.DemandState
    avg_sales: np.ndarray

    def demand_on(self, day: np.datetime64) -> np.ndarray:
        """Units demanded per pair on `day` (int64): the history's true demand where
        known and `settings.demand` is "true", else its recorded units; 0 for pairs
        without a row (they sold nothing and had stock)."""
        h = self.history
        lo, hi = np.searchsorted(h.day, [day, day + ONE_DAY])
        units = h.units[lo:hi]
        if self.settings.demand == "true":
            units = np.where(h.demand[lo:hi] >= 0, h.demand[lo:hi], units)
        out = np.zeros(self.network.n_pairs, np.int64)
        out[h.pair[lo:hi]] = units
        return out


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


# -- inputs ---------------------------------------------------------------------------


def load(
    network_dir: Path,
    settings: SimSettings | None = None,
    split: date | None = None,
    warehouse: np.ndarray | None = None,
    progress: Progress | None = None,
) -> SimInput:
    """The replay inputs of a generated network folder (master/ and history/, formats
    of docs/data-formats.md): see `prepare`. `split` defaults to `settings.days` days
    before the last day of history; `warehouse` defaults to the opening stock's
    warehouse rows. Raises FileNotFoundError for missing files, ValueError if the
    history does not cover the replayed days."""
    settings = settings or SimSettings()
    network_dir = Path(network_dir)
    network = from_master(network_dir / "master")
    history = read_history(network, network_dir / "history")
    if history.day.size == 0:
        raise ValueError(f"{network_dir / 'history'}: no sales history")
    split_day = (
        history.day[-1] - np.timedelta64(settings.days, "D")
        if split is None
        else np.datetime64(split, "D")
    )
    closing = closing_on_hand(network, network_dir / "history", split_day)
    if warehouse is None:
        warehouse = stock_from_master(network, network_dir / "master").warehouse
    return prepare(network, history, settings, split_day, closing, warehouse, progress)


def closing_on_hand(network: PlanningNetwork, history_dir: Path, day: np.datetime64) -> np.ndarray:
    """Closing on hand per pair at the end of `day` as the history recorded it (int64,
    clipped at 0); -1 for pairs without a row that day."""
    files = sorted(Path(history_dir).glob("month=*/*.parquet"))
    out = np.full(network.n_pairs, -1, np.int64)
    if not files:
        return out
    wanted = date.fromisoformat(str(np.datetime64(day, "D")))
    rows = (
        pl.scan_parquet(files, hive_partitioning=False)
        .filter(pl.col("day") == wanted)
        .group_by("store_id", "sku_id")
        .agg(pl.col("closing_on_hand").min())
        .collect()
    )
    pair = network.pair_of_ids(rows["store_id"], rows["sku_id"])
    keep = pair >= 0
    out[pair[keep]] = np.maximum(rows["closing_on_hand"].to_numpy()[keep], 0)
    return out


def prepare(
    network: PlanningNetwork,
    history: HistoryFrame,
    settings: SimSettings,
    split: np.datetime64,
    closing: np.ndarray,
    warehouse: np.ndarray,
    progress: Progress | None = None,
    demand_settings: demand.DemandSettings | None = None,
) -> SimInput:
    """Fit the demand state on the history up to `split` (inclusive, from its first
    day) and set the starting stock: `closing` per pair (-1 = no row on the split day;
    see the module doc), `warehouse` [warehouses, SKUs]. `demand_settings` tune the
    demand model (e.g. another market's event calendar). Raises ValueError if the
    history does not reach `settings.days` days past the split or starts after it."""
    tell = progress or (lambda stage, done, total: None)
    split = np.datetime64(split, "D")
    first = history.day[0]
    last = split + np.timedelta64(settings.days, "D")
    if first > split or history.day[-1] < last:
        raise ValueError(
            f"history covers {first}..{history.day[-1]}: cannot warm up through {split} "
            f"and replay {settings.days} days after it"
        )
    n_days = int((split - first).astype(np.int64)) + 1
    state = demand.empty_state(network, first - ONE_DAY, demand_settings)
    # demand.fit, one day at a time so the progress bar moves.
    for i, sales in enumerate(history.days(first, split)):
        state = demand.update_day(state, network, sales)
        if i % 7 == 0 or i == n_days - 1:
            tell("warm-up", i + 1, n_days)

    window_start = split - np.timedelta64(settings.sales_window - 1, "D")
    lo, hi = np.searchsorted(history.day, [window_start, split + ONE_DAY])
    span = int(min(settings.sales_window, n_days))
    avg_sales = np.bincount(history.pair[lo:hi], history.units[lo:hi], network.n_pairs) / span

    active = network.active(split + ONE_DAY)
    fallback = np.maximum(_default_target(network, state, settings), 1)
    known = closing >= 0
    on_hand = np.where(known, closing, np.where(active, fallback, 0)).astype(np.int64)
    source = np.where(known, 0, np.where(active, 1, 2)).astype(np.int8)
    wh = np.zeros((len(network.warehouses), network.n_skus), np.int64)
    given = np.asarray(warehouse, np.int64)
    wh[: given.shape[0], : given.shape[1]] = given[: wh.shape[0], : wh.shape[1]]
    return SimInput(
        network=network,
        history=history,
        settings=settings,
        split=split,
        days=split + np.arange(1, settings.days + 1),
        on_hand=on_hand,
        warehouse=wh,
        start_source=source,
        state=state,
        avg_sales=avg_sales,
    )


def _default_target(
    network: PlanningNetwork, state: demand.DemandState, settings: SimSettings
) -> np.ndarray:
    """storenet's order-up-to level per pair at the default service levels (int64)."""
    horizon = np.full(network.n_pairs, settings.lead_days + settings.review_days)
    exposure = demand.horizon_exposure(state, network, state.through + ONE_DAY, horizon)
    post = demand.posterior(state, network)
    # Over the horizon: the rate's uncertainty is shared by all its days, demand's
    # daily noise is not (demand.RatePosterior.over_days).
    shape, rate = post.over_days(horizon)
    r, p = nb_params(shape, rate, exposure)
    level = service_levels(network.categories)[network.sku_category[network.pair_sku]]
    return order_up_to(
        r, p, level, network.pair_display_min.astype(np.int64), network.pair_capacity
    )


def copy_state(state: demand.DemandState) -> demand.DemandState:
    """A deep copy of a demand state (update_day works in place)."""
    arrays = {
        f.name: getattr(state, f.name).copy()
        for f in fields(state)
        if isinstance(getattr(state, f.name), np.ndarray)
    }
    return replace(state, **arrays)


# -- policies -------------------------------------------------------------------------


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
        sales = demand.DaySales(day, rows, sold[rows], stockout[rows])
        self.state = demand.update_day(self.state, self.network, sales)

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


# -- the replay -----------------------------------------------------------------------


@dataclass
class SimResult:
    """One policy's replay. Per pair (int64): `start`, `received` (deliveries and
    incoming moves that reached the shelf), `sold`, `demanded`, `moved_out`, `end`,
    `in_transit` (ordered, not arrived at the end); per day: `on_hand_by_day` (end of
    day, all pairs), `sold_by_day`, `demanded_by_day`, `stockouts_by_day`,
    `active_by_day`; per warehouse cell: `warehouse_start`, `supplier_received`,
    `shipped`, `warehouse_end`, `supplier_on_order` (at the end). Counters:
    `order_lines` (pair orders placed), `units_ordered`, `units_moved`, `transfers`.
    `daily_on_hand` and `daily_lost` [days, pairs] only when kept."""

    policy: str
    setting: float | None
    demand_source: str
    days: np.ndarray
    start: np.ndarray
    received: np.ndarray
    sold: np.ndarray
    demanded: np.ndarray
    moved_out: np.ndarray
    end: np.ndarray
    in_transit: np.ndarray
    on_hand_by_day: np.ndarray
    sold_by_day: np.ndarray
    demanded_by_day: np.ndarray
    stockouts_by_day: np.ndarray
    active_by_day: np.ndarray
    warehouse_start: np.ndarray
    supplier_received: np.ndarray
    shipped: np.ndarray
    warehouse_end: np.ndarray
    supplier_on_order: np.ndarray
    order_lines: int = 0
    units_ordered: int = 0
    units_moved: int = 0
    transfers: int = 0
    seconds: float = 0.0
    daily_on_hand: np.ndarray | None = None
    daily_lost: np.ndarray | None = None

    def kpis(self) -> dict:
        """The KPIs of DESIGN section 4 over the replayed window (storenet.planning.kpi)
        and the counters, as plain numbers (JSON-ready)."""
        return {
            "policy": self.policy,
            "setting": self.setting,
            "demand": self.demand_source,
            "days": len(self.days),
            "fill_rate": kpi.fill_rate(self.sold, self.demanded),
            "inventory_days": kpi.inventory_days(self.on_hand_by_day, self.sold_by_day),
            "turnover": kpi.turnover(self.on_hand_by_day, self.sold_by_day),
            "stockout_rate": kpi.stockout_rate(self.stockouts_by_day, self.active_by_day),
            "sell_through": kpi.sell_through(self.sold, self.received),
            "units_demanded": int(self.demanded.sum()),
            "units_sold": int(self.sold.sum()),
            "units_lost": int(self.demanded.sum() - self.sold.sum()),
            "average_on_hand": float(np.mean(self.on_hand_by_day)),
            "orders_placed": self.order_lines,
            "units_ordered": self.units_ordered,
            "units_shipped": int(self.shipped.sum()),
            "units_moved": self.units_moved,
            "transfers": self.transfers,
            "seconds": round(self.seconds, 3),
        }


def ration(group: np.ndarray, request: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """The ERP default for scarce stock: each request line of a group whose requests
    exceed `supply[group]` gets its proportional share rounded down, the units left
    go one each to the largest remainders (lower line first on ties). Guarantees:
    0 <= units <= request, per group sum = min(supply, sum of requests)."""
    group = np.asarray(group, np.int64)
    request = np.asarray(request, np.int64)
    supply = np.maximum(np.asarray(supply, np.int64), 0)
    asked = np.bincount(group, request, supply.size).astype(np.int64)
    short = asked > supply
    ratio = np.where(short, supply / np.maximum(asked, 1), 1.0)
    exact = request * ratio[group]
    units = np.where(short[group], np.floor(exact).astype(np.int64), request)
    units = np.minimum(units, request)
    left = supply - np.bincount(group, units, supply.size).astype(np.int64)
    frac = np.where(short[group], exact - units, -1.0)
    order = np.lexsort((np.arange(group.size), -frac, group))
    rank = np.empty(group.size, np.int64)
    sorted_group = group[order]
    rank[order] = np.arange(group.size) - np.searchsorted(sorted_group, sorted_group)
    bump = (frac > 0) & (rank < left[group]) & (units < request)
    return units + bump


def simulate(
    sim: SimInput,
    policy: Policy,
    progress: Progress | None = None,
    keep_daily: bool = False,
) -> SimResult:
    """Replay `sim.days` against `policy` (see the module doc for the timeline).

    Guarantees, checked by the tests: per pair start + received = sold + moved_out +
    end; per warehouse cell start + supplier received = shipped + end; units sold
    never exceed demand, and a pair loses sales on a day only if it ends the day with
    nothing on hand. Raises RuntimeError if a policy allocates more than a warehouse
    holds or moves more than a store holds. `keep_daily` keeps [days, pairs] arrays of
    end-of-day stock and lost units (for tests on small networks).
    """
    started = time.perf_counter()
    tell = progress or (lambda stage, done, total: None)
    net, settings = sim.network, sim.settings
    n, n_days = net.n_pairs, len(sim.days)
    label = policy.name if policy.setting is None else f"{policy.name} {policy.setting:g}"
    policy.start(sim)

    wh_of_pair = net.store_warehouse[net.pair_store].astype(np.int64)
    has_wh = wh_of_pair >= 0
    group = np.where(has_wh, wh_of_pair, 0) * net.n_skus + net.pair_sku
    n_cells = len(net.warehouses) * net.n_skus
    warehouse = sim.warehouse.reshape(-1).copy()
    # The warehouse base stock: days of cover of its stores' recorded average sales.
    wh_target = np.ceil(
        settings.warehouse_cover_days * np.bincount(group[has_wh], sim.avg_sales[has_wh], n_cells)
        - 1e-9
    ).astype(np.int64)
    cell_sku = np.tile(np.arange(net.n_skus), len(net.warehouses))

    # Ring buffers of arrivals: slot (i % size) holds what reaches the shelf (or the
    # warehouse) on the morning of replayed day i.
    store_ring = np.zeros((settings.lead_days + 1, n), np.int64)
    supplier_ring = np.zeros((settings.supplier_lead_days + 1, n_cells), np.int64)
    # Orders placed before the split are on their way: the supplier's steady flow, one
    # day of the stores' average sales each morning until the replay's first orders
    # arrive (rounded per cell so the flow sums to the average over the lead time).
    flow = np.bincount(group[has_wh], sim.avg_sales[has_wh], n_cells)
    cumulative = np.floor(np.outer(np.arange(settings.supplier_lead_days + 1), flow) + 0.5)
    supplier_ring[: settings.supplier_lead_days] = np.diff(cumulative, axis=0).astype(np.int64)

    on_hand = sim.on_hand.copy()
    received = np.zeros(n, np.int64)
    sold_total = np.zeros(n, np.int64)
    demanded_total = np.zeros(n, np.int64)
    moved_out = np.zeros(n, np.int64)
    shipped = np.zeros(n_cells, np.int64)
    supplier_received = np.zeros(n_cells, np.int64)
    by_day = {k: np.zeros(n_days, np.int64) for k in ("on_hand", "sold", "dem", "out", "act")}
    daily_on_hand = np.zeros((n_days, n), np.int64) if keep_daily else None
    daily_lost = np.zeros((n_days, n), np.int64) if keep_daily else None
    counters = {"lines": 0, "ordered": 0, "moved": 0, "transfers": 0}

    for i, day in enumerate(sim.days):
        # Morning: deliveries.
        slot = i % store_ring.shape[0]
        on_hand += store_ring[slot]
        received += store_ring[slot]
        store_ring[slot] = 0
        wslot = i % supplier_ring.shape[0]
        warehouse += supplier_ring[wslot]
        supplier_received += supplier_ring[wslot]
        supplier_ring[wslot] = 0

        # The day: serve demand from the shelf, lose the rest.
        wanted = sim.demand_on(day)
        sold = np.minimum(on_hand, wanted)
        on_hand -= sold
        active = net.active(day)
        stockout = active & (on_hand <= 0)
        sold_total += sold
        demanded_total += wanted
        by_day["sold"][i] = sold.sum()
        by_day["dem"][i] = wanted.sum()
        by_day["on_hand"][i] = on_hand.sum()
        by_day["out"][i] = kpi.stockouts(on_hand, active)
        by_day["act"][i] = np.count_nonzero(active)
        if keep_daily:
            daily_on_hand[i] = on_hand
            daily_lost[i] = wanted - sold

        # Evening: the policy learns the day and decides.
        policy.observe(day, sold, stockout)
        day_number = int(day.astype(np.int64))
        store_reviews = (day_number + np.arange(net.n_stores)) % settings.review_days == 0
        reviewing = store_reviews[net.pair_store]
        in_transit = store_ring.sum(axis=0)
        view = View(
            day, on_hand.copy(), in_transit, warehouse.reshape(sim.warehouse.shape), reviewing
        )
        decision = policy.decide(view)
        request = np.where(has_wh, np.maximum(decision.request, 0), 0).astype(np.int64)
        if decision.allocated is None:
            lines = np.flatnonzero(request > 0)
            send = np.zeros(n, np.int64)
            send[lines] = ration(group[lines], request[lines], warehouse)
        else:
            send = np.where(has_wh, decision.allocated, 0).astype(np.int64)
        sent = np.bincount(group, send, n_cells).astype(np.int64)
        if np.any(send < 0) or np.any(sent > warehouse):
            raise RuntimeError(f"{policy.name} allocated more than the warehouse holds on {day}")
        warehouse -= sent
        shipped += sent
        arrive = (i + settings.lead_days) % store_ring.shape[0]
        store_ring[arrive] += send
        counters["lines"] += int(np.count_nonzero(request))
        counters["ordered"] += int(request.sum())

        moves = decision.moves
        if moves is not None and len(moves):
            out_units = np.bincount(moves.from_pair, moves.units, n).astype(np.int64)
            if np.any(out_units > on_hand):
                raise RuntimeError(f"{policy.name} moved more than a store holds on {day}")
            on_hand -= out_units
            moved_out += out_units
            store_ring[arrive] += np.bincount(moves.to_pair, moves.units, n).astype(np.int64)
            counters["moved"] += int(moves.units.sum())
            routes = net.pair_store[moves.from_pair].astype(np.int64) * net.n_stores
            counters["transfers"] += np.unique(routes + net.pair_store[moves.to_pair]).size

        # Warehouses review weekly, all together, from an unlimited supplier.
        if day_number % settings.review_days == 0:
            position = warehouse + supplier_ring.sum(axis=0)
            selling = ~(net.sku_eol < day)[cell_sku]
            order = np.where(selling, np.maximum(wh_target - position, 0), 0)
            supplier_ring[(i + settings.supplier_lead_days) % supplier_ring.shape[0]] += order
        tell(label, i + 1, n_days)

    return SimResult(
        policy=policy.name,
        setting=policy.setting,
        demand_source=settings.demand,
        days=sim.days,
        start=sim.on_hand.copy(),
        received=received,
        sold=sold_total,
        demanded=demanded_total,
        moved_out=moved_out,
        end=on_hand,
        in_transit=store_ring.sum(axis=0),
        on_hand_by_day=by_day["on_hand"],
        sold_by_day=by_day["sold"],
        demanded_by_day=by_day["dem"],
        stockouts_by_day=by_day["out"],
        active_by_day=by_day["act"],
        warehouse_start=sim.warehouse.reshape(-1).copy(),
        supplier_received=supplier_received,
        shipped=shipped,
        warehouse_end=warehouse,
        supplier_on_order=supplier_ring.sum(axis=0),
        order_lines=counters["lines"],
        units_ordered=counters["ordered"],
        units_moved=counters["moved"],
        transfers=counters["transfers"],
        seconds=time.perf_counter() - started,
        daily_on_hand=daily_on_hand,
        daily_lost=daily_lost,
    )


# -- the frontier ---------------------------------------------------------------------


def frontier(
    sim: SimInput,
    policies: Sequence[str],
    sweeps: dict[str, Sequence[float]] | None = None,
    progress: Progress | None = None,
) -> dict[str, list[SimResult]]:
    """Replay every policy at every setting of its sweep (default `SWEEPS`): the
    points (inventory days, fill rate) of its frontier, in sweep order."""
    sweeps = sweeps or SWEEPS
    return {
        name: [simulate(sim, make_policy(name, v), progress) for v in sweeps[name]]
        for name in policies
    }


def fill_at(runs: Sequence[SimResult], inventory_days: float) -> float:
    """The fill rate of a policy's frontier at `inventory_days`: linear interpolation
    between its runs ordered by inventory days; NaN outside the runs' range (a frontier
    is not extrapolated)."""
    points = sorted((r.kpis() for r in runs), key=lambda k: k["inventory_days"])
    xs = np.array([k["inventory_days"] for k in points])
    ys = np.array([k["fill_rate"] for k in points])
    if xs.size == 0 or not xs[0] <= inventory_days <= xs[-1]:
        return float("nan")
    return float(np.interp(inventory_days, xs, ys))


def days_at(runs: Sequence[SimResult], fill_rate: float) -> float:
    """The fewest inventory days at which a policy's frontier reaches `fill_rate`:
    walking its runs by inventory days, the first crossing, linearly interpolated; the
    first run's days if it already fills that much; NaN if no run reaches it."""
    points = sorted((r.kpis() for r in runs), key=lambda k: k["inventory_days"])
    xs = [k["inventory_days"] for k in points]
    ys = [k["fill_rate"] for k in points]
    for i, (x, y) in enumerate(zip(xs, ys)):
        if y >= fill_rate:
            if i == 0:
                return float(x)
            x0, y0 = xs[i - 1], ys[i - 1]
            return float(x0 + (fill_rate - y0) * (x - x0) / (y - y0))
    return float("nan")


COLOURS = {"storenet": "#1f77b4", "minmax": "#d62728", "statsforecast": "#2ca02c"}


def draw_frontier(
    curves: dict[str, list[SimResult]],
    png: Path,
    html: Path,
    defaults: Sequence[SimResult] = (),
    title: str = "Fill rate vs inventory days",
) -> None:
    """Draw each policy's frontier (x: inventory days, y: fill rate; one point per
    setting, labelled) to `png` and to a self-contained `html` (the same figure as
    inline SVG, plus a KPI table of every run; no script, no network). The runs at
    default settings (`defaults`) are drawn as larger markers. Needs matplotlib
    (the `sim` extra); raises ImportError naming it otherwise."""
    try:
        import matplotlib
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError(
            "drawing the frontier needs matplotlib: pip install 'storenet[sim]'"
        ) from error
    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    for name, runs in curves.items():
        points = sorted(
            (r.kpis() for r in runs), key=lambda k: (k["inventory_days"], k["fill_rate"])
        )
        xs = [k["inventory_days"] for k in points]
        ys = [k["fill_rate"] for k in points]
        colour = COLOURS.get(name)
        ax.plot(xs, ys, marker="o", label=name, color=colour)
        for k in points:
            ax.annotate(
                f"{k['setting']:g}",
                (k["inventory_days"], k["fill_rate"]),
                textcoords="offset points",
                xytext=(4, -10),
                fontsize=7,
                color=colour,
            )
    for run in defaults:
        k = run.kpis()
        ax.scatter(
            [k["inventory_days"]],
            [k["fill_rate"]],
            s=90,
            marker="*",
            color=COLOURS.get(run.policy),
            zorder=5,
            label=f"{run.policy} (default)",
        )
    ax.set_xlabel("inventory days (average on hand / average daily sales)")
    ax.set_ylabel("fill rate (units sold / units demanded)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    svg = io.StringIO()
    fig.savefig(svg, format="svg", metadata={"Date": None})  # the same run, the same bytes
    plt.close(fig)
    runs = [*defaults, *(r for rs in curves.values() for r in rs)]
    Path(html).write_text(_html(title, svg.getvalue(), [r.kpis() for r in runs]))


def _html(title: str, svg: str, rows: list[dict]) -> str:
    import html as html_lib

    svg = svg[svg.index("<svg") :]  # drop the XML prolog: the SVG sits inline
    columns = (
        "policy",
        "setting",
        "fill_rate",
        "inventory_days",
        "turnover",
        "stockout_rate",
        "units_moved",
        "orders_placed",
    )

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return html_lib.escape("default" if value is None else str(value))

    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(row[c])}</td>" for c in columns) + "</tr>" for row in rows
    )
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html_lib.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}</style>"
        f"</head><body><h1>{html_lib.escape(title)}</h1>\n{svg}\n"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</body></html>\n"
    )
