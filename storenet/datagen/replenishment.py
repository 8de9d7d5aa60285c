"""The generator's own replenishment: order-up-to levels and rationing warehouse stock.

This is deliberately simple (the planner is what storenet is for): stores order up to
a level that covers expected demand until the next delivery plus a safety margin,
without knowing each pair's current demand level; warehouses ship what they have,
rationing shortages in proportion to what was asked. Both produce the stock-outs a
real network has.

A network that has been run by storenet's plan (the demo's) holds more at its stores:
`service_up_to` orders up to the quantile the plan targets, at the plan's service
levels, of the demand's own distribution over the cover.
"""

from __future__ import annotations

import numpy as np

from storenet.datagen.demand import LEVEL_SHAPE
from storenet.planning.distribution import nb_quantile

SAFETY_Z = 1.5


def order_up_to(
    expected: np.ndarray, display_min: np.ndarray, capacity: np.ndarray, z: float = SAFETY_Z
) -> np.ndarray:
    """Order-up-to level per pair: expected demand over the cover period plus z
    standard deviations (Poisson), at least the display minimum, at most the capacity.

    Inputs: float arrays of expected units over the cover (>= 0), int display_min and
    capacity (same shape). Returns int32, display_min <= level <= capacity.
    """
    level = np.ceil(expected + np.float32(z) * np.sqrt(expected)).astype(np.int32)
    return np.minimum(np.maximum(level, display_min), capacity)


def service_up_to(
    expected: np.ndarray,
    service: np.ndarray,
    display_min: np.ndarray,
    capacity: np.ndarray,
    shape: float = LEVEL_SHAPE,
) -> np.ndarray:
    """Order-up-to level per pair as storenet's plan sets it: the `service` quantile
    of demand over the cover, at least the display minimum, at most the capacity.

    Demand over the cover is taken as the plan takes it: a negative binomial of
    mean `expected` (the pair's current rate, which the plan learns from its sales)
    and shape `shape` (the gamma spread of the generator's pair levels, LEVEL_SHAPE).
    On the demo's first night the plan's own quantiles of its requested lines add up
    to within 2% of this distribution's at the plan's means (61,125 against 61,919
    units; a Poisson would give 48,657).

    Inputs: float `expected` (>= 0), `service` in (0, 1), int display_min and capacity
    (same shape). Returns int32, display_min <= level <= capacity.
    """
    mean = np.asarray(expected, dtype=np.float64)
    p = shape / (shape + mean)
    level = nb_quantile(np.full(mean.shape, shape), p, service).astype(np.int32)
    return np.minimum(np.maximum(level, display_min), capacity)


def round_to_pack(qty: np.ndarray, pack: np.ndarray) -> np.ndarray:
    """`qty` rounded up to a multiple of `pack` (elementwise, ints >= 0)."""
    return ((qty + pack - 1) // pack) * pack


def ration(
    keys: np.ndarray, qty: np.ndarray, stock: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Ship requests from stock, rationing each key's shortage in proportion.

    Inputs: `keys` int [n] (the stock cell each request draws on), `qty` int [n] > 0,
    `stock` int64 [n_keys] (updated in place). Where a cell holds enough, every
    request ships whole; otherwise each request gets its share of the cell's stock,
    rounded randomly so the expected share is exact. Guarantees: 0 <= shipped <= qty,
    and the shipments from a cell never exceed its stock.
    """
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    asked = np.bincount(keys, weights=qty, minlength=len(stock))
    ratio = np.ones(len(stock))
    short = asked > stock
    ratio[short] = np.maximum(stock[short], 0) / asked[short]
    r = ratio[keys]
    shipped = qty.astype(np.int64)
    partial = r < 1.0
    exact = qty[partial] * r[partial]
    shipped[partial] = np.floor(exact + rng.random(int(partial.sum()))).astype(np.int64)
    # Random rounding can overshoot a cell by a unit or two: round those cells down.
    sent = np.bincount(keys, weights=shipped, minlength=len(stock))
    over = sent > np.maximum(stock, 0)
    if over.any():
        fix = over[keys]
        shipped[fix] = np.floor(qty[fix] * r[fix]).astype(np.int64)
        sent = np.bincount(keys, weights=shipped, minlength=len(stock))
    stock -= sent.astype(np.int64)
    return shipped


SHORTAGES_PER_YEAR = 1.5
LAUNCH_SHORTAGE = 0.6  # share of orders a supplier fills around a headline launch


def supply_factors(
    launch_week: np.ndarray, headline: np.ndarray, n_weeks: int, rng: np.random.Generator
) -> np.ndarray:
    """Share of each weekly supplier order that is delivered: float64 [n_weeks, n_skus].

    1.0 normally; during a shortage episode (about SHORTAGES_PER_YEAR per SKU, 1-4
    weeks long) a random share in [0, 0.5); headline SKUs get LAUNCH_SHORTAGE in the
    two weeks before and the three weeks after launch (`launch_week`: week index of
    the launch, may be outside 0..n_weeks-1).
    """
    n_skus = len(launch_week)
    factor = np.ones((n_weeks, n_skus))
    weeks = np.arange(n_weeks)[:, None]
    around = (weeks >= launch_week[None, :] - 2) & (weeks <= launch_week[None, :] + 3)
    factor[around & headline[None, :]] = LAUNCH_SHORTAGE
    n_episodes = rng.poisson(SHORTAGES_PER_YEAR * n_weeks / 52, n_skus)
    sku = np.repeat(np.arange(n_skus), n_episodes)
    start = rng.integers(0, max(n_weeks, 1), len(sku))
    length = rng.integers(1, 5, len(sku))
    depth = rng.uniform(0.0, 0.5, len(sku))
    for offset in range(4):
        live = offset < length
        week = start[live] + offset
        inside = week < n_weeks
        factor[week[inside], sku[live][inside]] = np.minimum(
            factor[week[inside], sku[live][inside]], depth[live][inside]
        )
    return factor
