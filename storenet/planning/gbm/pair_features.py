"""The gbm's feature rows of the plan's pairs, and which pairs to train and forecast.

The same code makes the training rows (a sample of whole stores, dense history) and
the nightly rows (every pair, in chunks of whole stores, from a compact window), so
both see the same columns; group-level columns are set network-wide, so the rows of a
pair do not depend on who else is in the chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storenet.planning.gbm.features import FEATURES, features
from storenet.planning.gbm.panel import SeriesPanel
from storenet.planning.network import PlanningNetwork

NO_SALE = 9999.0  # days_since_sale of a pair without a sale in the window


@dataclass(frozen=True)
class LongStats:
    """Per pair over the long window ending at the origin day (its last `days` days):
    `total` units sold, `first_ago` / `last_ago` days from the first / last sale in
    the window to the origin (-1 = no sale)."""

    total: np.ndarray
    first_ago: np.ndarray
    last_ago: np.ndarray
    days: int


def long_stats_dense(units: np.ndarray) -> LongStats:
    """LongStats of a dense [pairs, days] block whose last column is the origin."""
    sold = units > 0
    any_sold = sold.any(1)
    last_col = units.shape[1] - 1
    first_ago = np.where(any_sold, last_col - sold.argmax(1), -1)
    last_ago = np.where(any_sold, sold[:, ::-1].argmax(1), -1)
    return LongStats(units.sum(1), first_ago, last_ago, units.shape[1])


def pair_features(
    network: PlanningNetwork,
    pairs: np.ndarray,
    short: np.ndarray,
    short_first: np.datetime64,
    long: LongStats,
    sku_mean_28: np.ndarray,
    horizon: int,
    names: tuple[str, ...],
) -> np.ndarray:
    """Feature rows [len(pairs) * horizon, len(names)] (float32, pair-major, h = 1..
    horizon) for forecasts made at the last column of `short` (units [pairs, <= 91
    days] from day `short_first`) for the `horizon` days after it.

    `pairs` must hold whole stores (the store-level means are over the given pairs);
    `long` has the pairs' long-window aggregates, `sku_mean_28` the network-wide mean
    daily units per listed pair of every SKU over the last 28 days. No day after the
    origin is read. The same rows come out whether the pairs are given at once or in
    chunks of whole stores.
    """
    n, s_days = short.shape
    store = network.pair_store[pairs].astype(np.int64)
    sku = network.pair_sku[pairs].astype(np.int64)
    dept = network.sku_category[sku].astype(np.int64)
    panel = SeriesPanel(
        units=short,
        first_day=np.datetime64(short_first, "D"),
        store=store.astype(np.float64),
        dept=dept.astype(np.float64),
        item=sku.astype(np.float64),
    )
    x = features(panel, None, s_days - 1, horizon)
    col = {name: k for k, name in enumerate(FEATURES)}
    # Who else is in the panel must not change a pair's features: group-level columns
    # are set from network-wide codes and means (stores are whole in `pairs`).
    mean_28 = x[::horizon, col["mean_28"]]
    _, store_local = np.unique(store, return_inverse=True)
    store_mean = np.bincount(store_local, mean_28) / np.bincount(store_local)
    sd = store * (int(dept.max(initial=0)) + 1) + dept
    _, sd_local = np.unique(sd, return_inverse=True)
    store_dept_mean = np.bincount(sd_local, mean_28) / np.bincount(sd_local)
    per_pair = {
        "mean_364": long.total / max(long.days, 1),
        "age": long.first_ago.astype(np.float64),
        "days_since_sale": np.where(long.last_ago >= 0, long.last_ago, NO_SALE),
        "store_mean_28": store_mean[store_local],
        "store_dept_mean_28": store_dept_mean[sd_local],
        "item_mean_28": sku_mean_28[sku],
        "store": store.astype(np.float64),
        "dept": dept.astype(np.float64),
        "item": sku.astype(np.float64),
    }
    for name, values in per_pair.items():
        x[:, col[name]] = np.repeat(values, horizon)
    return x[:, [col[name] for name in names]].astype(np.float32)


def sku_mean_28(network: PlanningNetwork, sku_units: np.ndarray, days: int) -> np.ndarray:
    """Mean daily units per listed pair of each SKU from `sku_units` (units per SKU
    summed over the last `days` (<= 28) days)."""
    listed = np.bincount(network.pair_sku, minlength=network.n_skus)
    return sku_units / max(days, 1) / np.maximum(listed, 1)


def sample_stores(network: PlanningNetwork, most_pairs: int, seed: int) -> np.ndarray:
    """Pair indices (sorted) of whole stores drawn at random (seeded) while their
    pairs total at most `most_pairs` (at least one store, even a larger one)."""
    counts = np.bincount(network.pair_store, minlength=network.n_stores)
    order = np.random.default_rng(seed).permutation(np.flatnonzero(counts > 0))
    total = np.cumsum(counts[order])
    take = order[: max(int(np.searchsorted(total, most_pairs, side="right")), 1)]
    return np.flatnonzero(np.isin(network.pair_store, take))


def store_chunks(network: PlanningNetwork, most_pairs: int) -> list[tuple[int, int]]:
    """Pair ranges [lo, hi) of consecutive whole stores with at most `most_pairs`
    pairs each (a larger store alone); pairs are sorted by store."""
    bounds = np.searchsorted(network.pair_store, np.arange(network.n_stores + 1))
    bounds = np.unique(bounds)
    chunks = []
    lo = 0
    for k in range(1, len(bounds)):
        if bounds[k] - lo > most_pairs and bounds[k - 1] > lo:
            chunks.append((lo, int(bounds[k - 1])))
            lo = int(bounds[k - 1])
    if network.n_pairs > lo:
        chunks.append((lo, network.n_pairs))
    return chunks
