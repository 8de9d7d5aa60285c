from datetime import date

import numpy as np
import polars as pl
import pytest

from storenet.planning.network import PlanningNetwork, build_network


def small_network(
    n_stores: int = 6, n_skus: int = 4, launch: date = date(2025, 1, 1)
) -> PlanningNetwork:
    """Stores in two regions and two formats; every store lists every SKU; SKU 3
    succeeds SKU 0 and launches late (a cold SKU)."""
    stores = pl.DataFrame(
        {
            "id": [f"S{i}" for i in range(n_stores)],
            "format": ["direct" if i % 2 else "franchise" for i in range(n_stores)],
            "region_id": [f"R{i % 2}" for i in range(n_stores)],
            "opened_on": [date(2024, 1, 1)] * n_stores,
            "closed_on": [None] * n_stores,
            "warehouse_id": ["W1"] * n_stores,
        }
    )
    skus = pl.DataFrame(
        {
            "id": [f"K{k}" for k in range(n_skus)],
            "category": ["phone", "phone", "accessory", "phone"][:n_skus],
            "model": ["M0", "M1", "M2", "M3"][:n_skus],
            "launch_on": [launch, launch, launch, date(2026, 12, 1)][:n_skus],
            "eol_on": [None] * n_skus,
            "successor_id": ["K3", None, None, None][:n_skus],
            "pack_size": [1, 1, 5, 1][:n_skus],
            "cost": [100.0] * n_skus,
            "price": [150.0] * n_skus,
        }
    )
    assortment = pl.DataFrame(
        {
            "store_id": [f"S{i}" for i in range(n_stores) for _ in range(n_skus)],
            "sku_id": [f"K{k}" for _ in range(n_stores) for k in range(n_skus)],
            "display_min": [1] * (n_stores * n_skus),
        }
    )
    return build_network(stores, skus, assortment)


@pytest.fixture
def network() -> PlanningNetwork:
    return small_network()


def poisson_days(network, rates, first, n_days, seed=0, weekday=None):
    """DaySales for `n_days` from `first`: Poisson(rate x weekday factor) per pair."""
    from storenet.planning.demand.update import DaySales

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_days):
        day = np.datetime64(first, "D") + np.timedelta64(i, "D")
        factor = 1.0 if weekday is None else weekday[(day.astype(np.int64) + 3) % 7]
        units = rng.poisson(rates * factor * network.active(day))
        pair = np.flatnonzero(units > 0)
        out.append(DaySales(day, pair, units[pair], np.zeros(pair.size, bool)))
    return out
