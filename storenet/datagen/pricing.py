"""Prices over time: list-price cuts over the life cycle, festival and weekly promotions.

The selling price of a SKU on a day is its list price less the deepest promotion
running that day. List prices fall when a successor launches (the old model is cut to
stay attractive next to it), mid-life, and again for the clearance after end of life.
Demand answers to the price relative to the launch price, with the category's
elasticity, so promotions lift sales and markdowns slow a model's decline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storenet.datagen.catalog import CATEGORIES, ELASTICITY, Catalog

PROMOS_PER_YEAR = 4.0
MID_LIFE_DAYS = 240


@dataclass(frozen=True)
class Prices:
    """Per (day, SKU) on a day grid: arrays shaped [n_days, n_skus]."""

    selling_cents: np.ndarray  # int64, price paid per unit that day
    demand_factor: np.ndarray  # float32, demand multiplier from price (1 at launch price)
    list_cents: np.ndarray  # int64, list price (before promotions) that day


def make_prices(catalog: Catalog, grid: np.ndarray, rng: np.random.Generator) -> Prices:
    """Prices of every SKU on every day of `grid` (``datetime64[D]``, ascending).

    Guarantees: selling price <= list price <= launch price, in whole yuan (cents
    multiple of 100); list prices end in 9 yuan; demand_factor = (selling / launch) **
    -elasticity >= 1.
    """
    n_days, n_skus = len(grid), len(catalog)
    launch = catalog.price_cents.astype(np.float64)
    category = catalog.category.astype(int)
    days = grid[:, None]

    md_successor = rng.uniform(0.08, 0.15, n_skus)
    md_mid = rng.uniform(0.03, 0.08, n_skus)
    factor = np.ones((n_days, n_skus))
    factor *= np.where(days >= catalog.successor_launch[None, :], 1 - md_successor, 1.0)
    factor *= np.where(
        (days - catalog.launch[None, :]).astype(np.int64) >= MID_LIFE_DAYS, 1 - md_mid, 1.0
    )
    factor *= np.where(days > catalog.eol[None, :], 0.9, 1.0)
    list_cents = np.where(factor < 1.0, _charm(launch[None, :] * factor), launch[None, :]).astype(
        np.int64
    )

    # Festival promotions: the days up to 618 and Double 11.
    month = grid.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (grid - grid.astype("datetime64[M]")).astype(np.int64) + 1
    festival = ((month == 6) & (dom >= 15) & (dom <= 18)) | ((month == 11) & (dom <= 11))
    cheap = np.isin(category, [CATEGORIES.index("accessory"), CATEGORIES.index("smart_home")])
    discount = np.where(festival[:, None], np.where(cheap, 0.15, 0.10)[None, :], 0.0)

    # Random promotions of 3-10 days, a few a year per SKU.
    n_promos = rng.poisson(PROMOS_PER_YEAR * n_days / 365, n_skus)
    sku = np.repeat(np.arange(n_skus), n_promos)
    start = rng.integers(0, n_days, len(sku))
    length = rng.integers(3, 11, len(sku))
    depth = rng.uniform(0.08, 0.2, len(sku))
    day = np.repeat(start, length) + _ranges(length)
    keep = day < n_days
    flat = np.zeros(n_days * n_skus)
    np.maximum.at(
        flat, day[keep] * n_skus + np.repeat(sku, length)[keep], np.repeat(depth, length)[keep]
    )
    discount = np.maximum(discount, flat.reshape(n_days, n_skus))

    selling = np.minimum(_whole_yuan(list_cents * (1 - discount)), list_cents)
    elasticity = np.array([ELASTICITY[CATEGORIES[c]] for c in category])
    demand_factor = (selling / launch[None, :]) ** (-elasticity[None, :])
    return Prices(
        selling_cents=selling,
        demand_factor=demand_factor.astype(np.float32),
        list_cents=list_cents,
    )


def _charm(cents: np.ndarray) -> np.ndarray:
    """Marked-down prices rounded down to end in 9 yuan (99 from 2,000 yuan), >= 9."""
    yuan = np.asarray(cents) / 100.0
    step = np.where(yuan >= 2000, 100, 10)
    return (np.maximum(np.floor(yuan / step) * step - 1, 9) * 100).astype(np.int64)


def _whole_yuan(cents: np.ndarray) -> np.ndarray:
    return (np.round(np.asarray(cents) / 100.0) * 100).astype(np.int64)


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """0..len-1 for each length, concatenated (vectorised)."""
    total = int(lengths.sum())
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total) - starts
