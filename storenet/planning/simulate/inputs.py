"""What a replay starts from: its settings, the network and history, the demand state
fitted through the split day, and the starting stock.

Starting stock. The generator's opening stock is the stock at the END of history, so
it cannot start a replay inside history. A store pair starts from its
`closing_on_hand` on the split day where the history has a row; a pair without a row
that day sold nothing and had stock, so it starts at storenet's default target (at
least 1) if active, else 0. The same start serves every policy. Warehouses start from
the opening stock's warehouse rows (or a given matrix): a stated assumption, since
the history does not record warehouse stock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from storenet.planning.demand.horizon import horizon_exposure
from storenet.planning.demand.memory import DemandSettings, DemandState, empty_state
from storenet.planning.demand.posterior import posterior
from storenet.planning.demand.update import update_day
from storenet.planning.distribution import nb_params
from storenet.planning.history import HistoryFrame, read_history
from storenet.planning.network import PlanningNetwork, from_master
from storenet.planning.source import stock_from_master
from storenet.planning.targets import order_up_to, service_levels

Progress = Callable[[str, int, int], None]
"""A progress callback: (stage, done, total)."""
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
    state: DemandState
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
    demand_settings: DemandSettings | None = None,
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
    state = empty_state(network, first - ONE_DAY, demand_settings)
    # What `storenet.planning.demand.update.fit` does, one day at a time so the progress bar moves.
    for i, sales in enumerate(history.days(first, split)):
        state = update_day(state, network, sales)
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
    network: PlanningNetwork, state: DemandState, settings: SimSettings
) -> np.ndarray:
    """storenet's order-up-to level per pair at the default service levels (int64)."""
    horizon = np.full(network.n_pairs, settings.lead_days + settings.review_days)
    exposure = horizon_exposure(state, network, state.through + ONE_DAY, horizon)
    post = posterior(state, network)
    # Over the horizon: the rate's uncertainty is shared by all its days, demand's
    # daily noise is not (`storenet.planning.demand.posterior.RatePosterior.over_days`).
    shape, rate = post.over_days(horizon)
    r, p = nb_params(shape, rate, exposure)
    level = service_levels(network.categories)[network.sku_category[network.pair_sku]]
    return order_up_to(
        r, p, level, network.pair_display_min.astype(np.int64), network.pair_capacity
    )


def copy_state(state: DemandState) -> DemandState:
    """A deep copy of a demand state (update_day works in place)."""
    arrays = {
        f.name: getattr(state, f.name).copy()
        for f in fields(state)
        if isinstance(getattr(state, f.name), np.ndarray)
    }
    return replace(state, **arrays)
