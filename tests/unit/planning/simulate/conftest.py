from dataclasses import replace

import numpy as np
import pytest

from storenet.planning.history import HistoryFrame
from storenet.planning.simulate.chain import ECHELONS
from storenet.planning.simulate.chain_inputs import (
    ChainSettings,
    SupplierTerms,
    prepare_chain,
    synthetic_tree,
    with_central,
)
from storenet.planning.simulate.inputs import SimSettings, prepare

from ..conftest import poisson_days, small_network

FIRST = np.datetime64("2025-06-02", "D")  # a Monday
WARM_DAYS = 56


def tiny_chain(
    days: int = 84,
    rate: float = 1.5,
    stores: int = 8,
    skus: int = 3,
    terms: SupplierTerms | None = None,
    settings: ChainSettings | None = None,
    seed: int = 1,
    regionals: int = 1,
):
    """A chain over the planning conftest's network (`stores` stores under one
    regional warehouse W1, or alternating between `regionals` of them, `skus` SKUs, a
    central warehouse appended above them) with Poisson(`rate`) daily demand per pair,
    56 warm-up days, `days` replayed; one synthetic supplier per SKU on `terms`."""
    net = small_network(stores, skus)
    if regionals > 1:
        net = replace(
            net,
            warehouses=[f"W{1 + w}" for w in range(regionals)],
            store_warehouse=(np.arange(net.n_stores) % regionals).astype(np.int32),
        )
    net = with_central(net)
    split = FIRST + np.timedelta64(WARM_DAYS - 1, "D")
    sales = poisson_days(net, np.full(net.n_pairs, rate), FIRST, WARM_DAYS + days, seed=seed)
    units = np.concatenate([s.units for s in sales]).astype(np.int64)
    history = HistoryFrame(
        day=np.concatenate([np.full(s.pair.size, s.day) for s in sales]).astype("datetime64[D]"),
        pair=np.concatenate([s.pair for s in sales]).astype(np.int64),
        units=units,
        stockout=np.zeros(units.size, bool),
        demand=units.copy(),
        dropped_rows=0,
    )
    sim = prepare(
        net,
        history,
        SimSettings(days=days),
        split,
        np.full(net.n_pairs, 5, np.int64),
        np.zeros((len(net.warehouses), net.n_skus), np.int64),
    )
    weekly = np.bincount(net.pair_sku, sim.avg_sales, net.n_skus) * 7
    tree = synthetic_tree(net, np.arange(net.n_skus), weekly, terms)
    return prepare_chain(sim, tree, settings)


@pytest.fixture(scope="module")
def chain():
    return tiny_chain()


def held(result) -> np.ndarray:
    s = result.series
    return s["stores"] + s["regional"] + s["central"] + s["in_transit"]


def check_conservation(result) -> None:
    # Every day: what the network held at the start, plus what suppliers delivered,
    # minus what consumers bought, is in a store, a warehouse or on the way.
    s = result.series
    expected = result.held_start + np.cumsum(s["supplier_received"]) - np.cumsum(s["sold"])
    np.testing.assert_array_equal(held(result), expected)
    assert np.all(s["sold"] <= s["demanded"])
    for echelon in ECHELONS:
        assert np.all(s[echelon] >= 0), echelon
