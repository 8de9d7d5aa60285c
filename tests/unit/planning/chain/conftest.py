"""A small chain: stores under two regional warehouses, a central above them."""

from datetime import date

import numpy as np
import polars as pl

from storenet.planning.chain.tree import ChainStock, ChainTree, build_tree
from storenet.planning.cycle import Stock
from storenet.planning.demand.update import fit
from storenet.planning.network import PlanningNetwork, build_network
from tests.unit.planning.conftest import poisson_days

FIRST = np.datetime64("2026-08-01")


def chain_network(
    n_stores: int = 8, n_skus: int = 4, launch: date | None = None
) -> PlanningNetwork:
    """Stores S0.. alternate between regionals W1 and W2; every store lists every SKU.
    With `launch`, the last SKU launches that day and succeeds K0."""
    stores = pl.DataFrame(
        {
            "id": [f"S{i}" for i in range(n_stores)],
            "format": ["direct"] * n_stores,
            "region_id": [f"R{i % 2}" for i in range(n_stores)],
            "opened_on": [date(2024, 1, 1)] * n_stores,
            "closed_on": [None] * n_stores,
            "warehouse_id": [f"W{1 + i % 2}" for i in range(n_stores)],
        }
    )
    skus = pl.DataFrame(
        {
            "id": [f"K{k}" for k in range(n_skus)],
            "category": [("phone", "accessory", "tv", "wearable")[k % 4] for k in range(n_skus)],
            "model": [f"M{k}" for k in range(n_skus)],
            "launch_on": [date(2025, 1, 1)] * (n_skus - 1) + [launch or date(2025, 1, 1)],
            "eol_on": [None] * n_skus,
            "successor_id": [f"K{n_skus - 1}" if launch else None] + [None] * (n_skus - 1),
            "pack_size": [1] * n_skus,
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


def chain_tree(
    network: PlanningNetwork,
    case_pack: int = 1,
    moq: int = 1,
    capacity: int | None = None,
    order_days: str = "mon,tue,wed,thu,fri,sat,sun",
    direct: tuple[int, ...] = (),
) -> ChainTree:
    """Central C over W1 and W2; lanes C->W 3 days, W->store 2 days, weekly review;
    one supplier P1 delivering to C in 14 days (SKUs in `direct`: to each regional)."""
    warehouses = pl.DataFrame(
        {
            "id": ["C", "W1", "W2"],
            "kind": ["central", "regional", "regional"],
            "parent_id": [None, "C", "C"],
        }
    )
    lanes = pl.DataFrame(
        {
            "from_id": ["C", "C"] + [f"W{1 + i % 2}" for i in range(network.n_stores)],
            "to_id": ["W1", "W2"] + network.store_ids,
            "lead_days_mean": [3.0, 3.0] + [2.0] * network.n_stores,
            "lead_days_sd": [0.0, 0.0] + [0.0] * network.n_stores,
            "review_days": [7, 7] + [7] * network.n_stores,
        }
    )
    n_k = network.n_skus
    items = pl.DataFrame(
        {
            "supplier_id": ["P1"] * n_k,
            "sku_id": network.sku_ids,
            "delivers_to": [None if k in direct else "C" for k in range(n_k)],
            "lead_days_mean": [14.0] * n_k,
            "lead_days_sd": [2.0] * n_k,
            "moq": [moq] * n_k,
            "case_pack": [case_pack] * n_k,
            "weekly_capacity": [capacity] * n_k,
            "unit_cost_cents": [10000] * n_k,
            "order_days": [order_days] * n_k,
        },
        schema_overrides={"weekly_capacity": pl.Int64},
    )
    return build_tree(network, warehouses, lanes, items, 2.0, 7)


def fitted_state(network: PlanningNetwork, rates: np.ndarray, days: int = 90, seed: int = 0):
    return fit(network, poisson_days(network, rates, FIRST, days, seed=seed), FIRST - 1)


def chain_stock(network, tree, on_hand, warehouse, in_transit=None, on_order=None):
    """ChainStock with store on hand per pair and free stock per warehouse (tree order)."""
    zero = np.zeros(network.n_pairs, np.int64)
    n_w = tree.n_warehouses
    shape = (n_w, network.n_skus)
    return ChainStock(
        stores=Stock(np.asarray(on_hand, np.int64), zero, zero.copy(), np.asarray(warehouse)),
        warehouse_in_transit=np.zeros(shape, np.int64) if in_transit is None else in_transit,
        warehouse_on_order=np.zeros(shape, np.int64) if on_order is None else on_order,
    )
