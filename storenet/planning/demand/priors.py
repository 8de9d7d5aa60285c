"""The hierarchical prior of every pair's rate, and the cold start it serves.

A pair's posterior weighs its own history against `kappa` days of its prior, which
factors as

    prior[p] = format x SKU rate  *  (region x SKU rate / SKU rate)  *  store index

each level shrunk toward the one above it, all recomputed from the pairs' discounted
statistics (A, B) by scatter-adds. So a new store starts from what its format and
region sell of each SKU. A SKU with too little exposure anywhere (just launched, or
never sold) borrows the rates of a donor: its predecessor, else a sibling variant of
the same product model, else its category's average SKU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storenet.planning.demand.memory import DemandState
from storenet.planning.demand.ratios import ratio
from storenet.planning.network import PlanningNetwork


@dataclass(frozen=True)
class Priors:
    """Prior daily rate per pair (mature, ordinary day) and where it came from."""

    rate: np.ndarray  # float64 per pair
    sku_rate: np.ndarray  # float64 per SKU, network average per active store-day
    donor: np.ndarray  # int32 per SKU: whose rates a cold SKU borrowed (itself if warm)


def donors(
    network: PlanningNetwork, sku_exposure_total: np.ndarray, cold_exposure: float
) -> np.ndarray:
    """For each SKU, the SKU whose rates it uses: itself when it has at least
    `cold_exposure` store-days of exposure; else its predecessor (if warm), else the
    warm sibling variant of its model with most exposure, else -1 (category average).
    A loop over SKUs (thousands), never over pairs."""
    warm = sku_exposure_total >= cold_exposure
    out = np.where(warm, np.arange(network.n_skus), -1).astype(np.int32)
    best_in_model: dict[int, int] = {}
    for sku in np.flatnonzero(warm):
        model = int(network.sku_model[sku])
        held = best_in_model.get(model)
        if held is None or sku_exposure_total[sku] > sku_exposure_total[held]:
            best_in_model[model] = int(sku)
    for sku in np.flatnonzero(~warm):
        pred = int(network.sku_predecessor[sku])
        # Follow the chain of predecessors to the nearest warm one.
        seen = 0
        while pred >= 0 and not warm[pred] and seen < 20:
            pred = int(network.sku_predecessor[pred])
            seen += 1
        if pred >= 0 and warm[pred]:
            out[sku] = pred
        else:
            out[sku] = best_in_model.get(int(network.sku_model[sku]), -1)
    return out


def priors(state: DemandState, network: PlanningNetwork) -> Priors:
    """The prior rate of every pair from the current statistics (see the module doc).
    O(pairs) scatter-adds; deterministic."""
    s = state.settings
    n_sku, n_fmt = network.n_skus, 3
    n_reg = len(network.regions)
    sku, store = network.pair_sku, network.pair_store
    fmt = network.store_format[store].astype(np.int64)
    reg = network.store_region[store].astype(np.int64)
    a, b = state.a, state.b

    sku_a = np.bincount(sku, a, n_sku)
    sku_b = np.bincount(sku, b, n_sku)
    n_cat = len(network.categories)
    cat = network.sku_category.astype(np.int64)
    cat_rate = ratio(np.bincount(cat, sku_a, n_cat), np.bincount(cat, sku_b, n_cat), s.default_rate)
    cat_rate = np.maximum(cat_rate, 1e-6)  # a category that never sold still gets a rate
    sku_rate = (sku_a + s.kappa_group * cat_rate[cat]) / (sku_b + s.kappa_group)

    fs = fmt * n_sku + sku
    fmt_a = np.bincount(fs, a, n_fmt * n_sku).reshape(n_fmt, n_sku)
    fmt_b = np.bincount(fs, b, n_fmt * n_sku).reshape(n_fmt, n_sku)
    fmt_rate = (fmt_a + s.kappa_group * sku_rate) / (fmt_b + s.kappa_group)
    rs = reg * n_sku + sku
    reg_a = np.bincount(rs, a, n_reg * n_sku).reshape(n_reg, n_sku)
    reg_b = np.bincount(rs, b, n_reg * n_sku).reshape(n_reg, n_sku)
    reg_index = (reg_a + s.kappa_group * sku_rate) / (reg_b + s.kappa_group) / sku_rate

    donor = donors(network, sku_b, s.cold_exposure)
    cold = donor != np.arange(n_sku)
    if cold.any():
        # A cold SKU takes its donor's rates, or its category's average SKU.
        has = cold & (donor >= 0)
        src = donor[has]
        sku_rate[has] = sku_rate[src]
        fmt_rate[:, has] = fmt_rate[:, src]
        reg_index[:, has] = reg_index[:, src]
        none = cold & (donor < 0)
        sku_rate[none] = cat_rate[cat[none]]
        fmt_rate[:, none] = cat_rate[cat[none]]
        reg_index[:, none] = 1.0

    base = fmt_rate[fmt, sku] * reg_index[reg, sku]
    # Store index: how much the store sells against what the group rates expect.
    store_units = np.bincount(store, a, network.n_stores)
    store_expected = np.bincount(store, base * b, network.n_stores)
    store_index = (store_units + s.kappa_store) / (store_expected + s.kappa_store)
    return Priors(rate=base * store_index[store], sku_rate=sku_rate, donor=donor)
