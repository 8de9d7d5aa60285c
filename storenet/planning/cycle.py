"""The nightly plan over all pairs: targets, orders, scarce allocation, rebalancing.

Input: the network, the demand state after the day's update, stock per pair and per
(warehouse, SKU). Output: a `NightlyPlan` of arrays: for every pair its forecast,
target, inventory position, request and allocation (with why it was cut), and the
store-to-store moves. Everything is array work over pairs; the documents (transfer
orders with explained lines) are made from it by `storenet.planning.documents`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from storenet.planning.allocate import allocate_scarce
from storenet.planning.demand.horizon import horizon_exposure
from storenet.planning.demand.memory import DemandState
from storenet.planning.demand.posterior import RatePosterior, posterior
from storenet.planning.distribution import nb_params, nb_quantile
from storenet.planning.network import PlanningNetwork
from storenet.planning.rebalance import (
    Moves,
    RebalanceCosts,
    apply_transfer_limits,
    plan_moves,
)
from storenet.planning.targets import bounded_target, order_quantity, service_levels

Progress = Callable[[str, int, int], None]
AGED_DAYS = 60


@dataclass(frozen=True)
class PlanSettings:
    """Lead time and review period (days) of store deliveries; service level per
    category (defaults in `targets.SERVICE_LEVELS`); the quantile above which stock
    is excess; rebalancing costs. For the chain plan: the cost of holding a unit a
    day at a regional and at a central warehouse, relative to holding it at a store
    (they set the warehouses' service levels, `chain.echelon`); `order_smoothing`:
    the order cycles over which a supplier-fed warehouse closes the gap between its
    echelon position and target beyond the demand expected since its last order day
    (a proportional order-up-to, `chain.orders.smoothed_request`; 1 = order up to
    the target every order day), never leaving the position more than
    `order_lag_cycles` cycles of expected demand below it; `sole_store_push`: a
    warehouse whose SKU one store alone holds sends that store all it holds free
    of it on the store's review night and counts the store in full in its echelon
    (`chain.push.sole_store_push`)."""

    lead_days: int = 2
    review_days: int = 7
    service: dict[str, float] = field(default_factory=dict)
    excess_quantile: float = 0.99
    rebalance: RebalanceCosts = field(default_factory=RebalanceCosts)
    regional_holding: float = 0.6
    central_holding: float = 0.4
    # Chosen by bench/chain.py on the M5 tuning window (docs/benchmarks.md): the
    # fewest network inventory days among the settings with a bullwhip ratio below 1.5.
    order_smoothing: float = 8.0
    order_lag_cycles: float = 2.0
    # A regional whose SKU one store alone holds sends that store, on its review
    # night, all it holds free of the SKU (`chain.push.sole_store_push`).
    sole_store_push: bool = False


@dataclass(frozen=True)
class Stock:
    """Stock the plan starts from: per pair `on_hand`, `in_transit`, `reserved`
    (int64 units); per warehouse x SKU `warehouse` (int64 [warehouses, SKUs])."""

    on_hand: np.ndarray
    in_transit: np.ndarray
    reserved: np.ndarray
    warehouse: np.ndarray

    @property
    def position(self) -> np.ndarray:
        """Inventory position per pair: on hand + in transit - reserved."""
        return self.on_hand + self.in_transit - self.reserved


@dataclass(frozen=True)
class HorizonForecast:
    """Demand per pair summed over the plan's horizon (lead + review days from
    tomorrow): `mean` (float64 units) and its negative binomial `r`, `p` (p = 1: no
    demand for sure). A forecast made outside the demand state (`--model gbm`)."""

    mean: np.ndarray
    r: np.ndarray
    p: np.ndarray
    exposure: np.ndarray | None = None  # summed exposure per pair (None: computed)


@dataclass(frozen=True)
class NightlyPlan:
    """The plan for the night after `through`, one entry per pair in each array."""

    through: np.datetime64
    mean: np.ndarray  # float64, expected demand over lead time + review period
    quantile: np.ndarray  # int64, demand at the pair's service level
    service_level: np.ndarray  # float64
    position: np.ndarray  # int64
    target: np.ndarray  # int64
    request: np.ndarray  # int64, units asked of the warehouse
    allocated: np.ndarray  # int64, units the warehouse sends
    cut_reason: np.ndarray  # int8: 0 none, 1 scarce stock, 2 scarce even for minimums
    level: np.ndarray  # float64 per (warehouse * SKUs + SKU): water level; 1 = not scarce
    moves: Moves
    transfer_number: np.ndarray  # int64 per move: moves with one number ship together
    seconds: dict[str, float]


def horizon_forecast(
    network: PlanningNetwork,
    state: DemandState,
    horizon: np.ndarray,
    lead_sd: np.ndarray | None = None,
    post: RatePosterior | None = None,
) -> HorizonForecast:
    """Demand per pair over its horizon from the demand state's posterior.

    `horizon` (int days per pair, from the day after `state.through`), `lead_sd`
    (days per pair, default none): the spread of the lead time inside the horizon,
    added as Var += (mean per day)^2 sd^2 by moment-matching a wider NB with the same
    mean. `post` (default computed): `posterior(state, network)`, when the
    caller has it already. Returns the mean, NB (r, p) and summed exposure per pair.
    """
    tomorrow = state.through + np.timedelta64(1, "D")
    horizon = np.asarray(horizon, np.int64)
    exposure = horizon_exposure(state, network, tomorrow, horizon)
    post = post if post is not None else posterior(state, network)
    # Over the horizon: the rate's uncertainty is shared by all its days, demand's
    # daily noise is not (`RatePosterior.over_days`).
    shape, rate = post.over_days(horizon)
    r, p = nb_params(shape, rate, exposure)
    mean = post.mean * exposure
    if lead_sd is not None and np.any(np.asarray(lead_sd) > 0):
        sd = np.broadcast_to(np.asarray(lead_sd, np.float64), mean.shape)
        wider = np.flatnonzero((sd > 0) & (mean > 0))
        m = mean[wider]
        var = m / p[wider] + (m / np.maximum(horizon[wider], 1)) ** 2 * sd[wider] ** 2
        p = p.copy()
        r = np.array(r, np.float64, copy=True)
        p[wider] = m / var
        r[wider] = m * p[wider] / (1 - p[wider])
    return HorizonForecast(mean=mean, r=r, p=p, exposure=exposure)


def nightly_plan(
    network: PlanningNetwork,
    state: DemandState,
    stock: Stock,
    settings: PlanSettings | None = None,
    progress: Progress | None = None,
    reviewing: np.ndarray | None = None,
    forecast: HorizonForecast | None = None,
    horizon: np.ndarray | None = None,
) -> NightlyPlan:
    """Plan deliveries for the day after `state.through`.

    `reviewing` (bool per store, default all): stores whose orders are reviewed
    tonight; the others neither request stock nor take part in rebalancing (their
    targets and forecasts are still computed, for the record). The protection period
    is lead + review days from tomorrow: what is ordered tonight must last until the
    delivery after next.

    `forecast` (default None: storenet's posterior from `state`) replaces the
    horizon demand's mean and NB (r, p) per pair; which pairs get a target still
    follows the network's calendar (summed exposure > 0; `forecast.exposure` when
    given).

    `horizon` (int days per store, default `settings.lead_days + review_days` for
    all): each store's protection period, its own lane's lead time + review (the
    chain plan's); `forecast`, if given, must be over the same horizons.

    Guarantees: allocations per (warehouse, SKU) sum to at most the warehouse's stock
    and never exceed a request; a request is whole packs; moves stay within a region
    and a SKU, and each store takes part in at most `max_transfers` transfers.
    """

    settings = settings or PlanSettings()
    tell = progress or (lambda stage, done, total: None)
    clock: dict[str, float] = {}
    steps = 5

    started = time.perf_counter()
    tell("nightly plan", 0, steps)
    tomorrow = state.through + np.timedelta64(1, "D")
    if horizon is None:
        pair_horizon = np.full(network.n_pairs, settings.lead_days + settings.review_days)
    else:
        pair_horizon = np.asarray(horizon, np.int64)[network.pair_store]
    if forecast is None:
        forecast = horizon_forecast(network, state, pair_horizon)
    exposure = forecast.exposure
    if exposure is None:
        exposure = horizon_exposure(state, network, tomorrow, pair_horizon)
    mean, r, p = forecast.mean, forecast.r, forecast.p
    clock["forecast"] = time.perf_counter() - started

    tell("nightly plan", 1, steps)
    started = time.perf_counter()
    levels = service_levels(network.categories, settings.service)
    level = levels[network.sku_category[network.pair_sku]]
    # A pair gets a target if it sells on some day of the horizon: a SKU launching
    # within it gets its first stock (launch allocation) from its prior; a closed store
    # or a delisted pair gets none.
    active = exposure > 0
    quantile = nb_quantile(r, p, level)
    capacity = network.pair_capacity.astype(np.int64)
    display_min = np.where(active, network.pair_display_min, 0).astype(np.int64)
    target = np.where(active, bounded_target(quantile, display_min, capacity), 0)
    position = stock.position.astype(np.int64)
    pack = network.sku_pack[network.pair_sku].astype(np.int64)
    request = order_quantity(target, position, pack, capacity)
    in_review = (
        np.ones(network.n_pairs, bool)
        if reviewing is None
        else np.asarray(reviewing)[network.pair_store]
    )
    request = np.where(in_review, request, 0)
    clock["targets"] = time.perf_counter() - started

    tell("nightly plan", 2, steps)
    started = time.perf_counter()
    wh = network.store_warehouse[network.pair_store].astype(np.int64)
    has_wh = wh >= 0
    request = np.where(has_wh, request, 0)
    group = np.where(has_wh, wh, 0) * network.n_skus + network.pair_sku
    n_wh = max(len(network.warehouses), 1)
    supply = np.zeros(n_wh * network.n_skus, np.int64)
    held = np.asarray(stock.warehouse)[: len(network.warehouses)].reshape(-1)
    supply[: held.size] = held
    asks = request > 0
    lines = np.flatnonzero(asks)
    alloc = allocate_scarce(
        group[lines],
        supply,
        request[lines],
        position[lines],
        display_min[lines],
        r[lines],
        p[lines],
    )
    allocated = np.zeros(network.n_pairs, np.int64)
    allocated[lines] = alloc.units
    cut = np.zeros(network.n_pairs, np.int8)
    cut[lines] = alloc.cut_reason
    clock["allocation"] = time.perf_counter() - started

    tell("nightly plan", 3, steps)
    started = time.perf_counter()
    after = position + allocated
    free = stock.on_hand - stock.reserved
    # Only stock above target can be excess: the high quantile is needed only there.
    maybe = np.flatnonzero((free > 0) & (after > target))
    high = np.zeros(network.n_pairs, np.int64)
    high[maybe] = nb_quantile(r[maybe], p[maybe], settings.excess_quantile)
    aged = (state.last_sale < state.through - np.timedelta64(AGED_DAYS, "D")) | np.isnat(
        state.last_sale
    )
    # Newly listed stock has not had the time to age.
    aged &= ~(network.pair_listed_from > state.through - np.timedelta64(AGED_DAYS, "D"))
    keep_level = np.where(aged, display_min, np.maximum(high, display_min))
    give = np.zeros(network.n_pairs, np.int64)
    give[maybe] = np.clip(np.minimum(free, after - keep_level)[maybe], 0, None)
    give = np.where((stock.in_transit > 0) | ~in_review, 0, give)  # on its way: not idle
    take = np.where(give > 0, 0, np.clip(target - after, 0, None))
    take = np.where(active & in_review, take, 0)
    region_sku = network.store_region[network.pair_store].astype(np.int64) * network.n_skus
    region_sku += network.pair_sku
    margin = (network.sku_price - network.sku_cost)[network.pair_sku]
    # Only (region, SKU) groups with both a giver and a taker can move anything.
    size = len(network.regions) * network.n_skus
    both = (np.bincount(region_sku[give > 0], minlength=size) > 0) & (
        np.bincount(region_sku[take > 0], minlength=size) > 0
    )
    candidates = np.flatnonzero(((give > 0) | (take > 0)) & both[region_sku])
    moves = plan_moves(
        region_sku[candidates],
        give[candidates],
        take[candidates],
        stock.on_hand[candidates],
        after[candidates],
        r[candidates],
        p[candidates],
        margin[candidates],
        settings.rebalance,
    )
    moves = Moves(candidates[moves.from_pair], candidates[moves.to_pair], moves.units, moves.value)
    moves, numbers = apply_transfer_limits(moves, network.pair_store, settings.rebalance)
    clock["rebalancing"] = time.perf_counter() - started
    tell("nightly plan", steps, steps)

    return NightlyPlan(
        through=state.through,
        mean=mean,
        quantile=quantile,
        service_level=level,
        position=position,
        target=target,
        request=request,
        allocated=allocated,
        cut_reason=cut,
        level=alloc.level,
        moves=moves,
        transfer_number=numbers,
        seconds=clock,
    )
