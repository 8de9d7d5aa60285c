import numpy as np
import polars as pl
import pytest

from storenet.planning.chain.tree import CENTRAL, EVERY_DAY, REGIONAL, build_tree, order_day_mask

from .conftest import chain_network, chain_tree


def test_build_tree_puts_the_central_after_the_stores_warehouses():
    network = chain_network()
    tree = chain_tree(network)
    assert tree.warehouse_ids == ["W1", "W2", "C"]
    assert tree.warehouse_kind.tolist() == [REGIONAL, REGIONAL, CENTRAL]
    assert tree.warehouse_parent.tolist() == [2, 2, -1]
    assert tree.lane_lead_mean[:2].tolist() == [3.0, 3.0]
    assert np.all(tree.store_lead_mean == 2.0)
    assert np.all(tree.sku_delivers_to == 2)


def test_missing_lanes_and_items_fall_back_to_defaults():
    network = chain_network(n_stores=4, n_skus=3)
    warehouses = pl.DataFrame(
        {
            "id": ["C", "W1", "W2"],
            "kind": ["central", "regional", "regional"],
            "parent_id": [None, "C", "C"],
        }
    )
    lanes = pl.DataFrame(
        {
            "from_id": ["W1"],
            "to_id": ["S0"],
            "lead_days_mean": [5.0],
            "lead_days_sd": [1.5],
            "review_days": [3],
        }
    )
    items = pl.DataFrame(
        {
            "supplier_id": ["P2", "P1"],
            "sku_id": ["K2", "K0"],
            "delivers_to": [None, "C"],
            "lead_days_mean": [20.0, 10.0],
            "lead_days_sd": [None, 2.0],
            "moq": [None, 50],
            "case_pack": [12, None],
            "weekly_capacity": [None, 500],
            "unit_cost_cents": [1234, 500],
            "order_days": ["mon,thu", None],
        }
    )
    tree = build_tree(network, warehouses, lanes, items, 4.0, 7)
    assert tree.store_lead_mean.tolist() == [5.0, 4.0, 4.0, 4.0]
    assert tree.store_lead_sd.tolist() == [1.5, 0.0, 0.0, 0.0]
    assert tree.store_review_days.tolist() == [3, 7, 7, 7]
    assert tree.lane_lead_mean.tolist() == [4.0, 4.0, 4.0]
    assert tree.supplier_ids == ["P1", "P2"]
    assert tree.sku_supplier.tolist() == [0, -1, 1]
    assert tree.sku_delivers_to.tolist() == [2, -1, -1]
    assert tree.sku_moq.tolist() == [50, 1, 1]
    assert tree.sku_case_pack.tolist() == [1, 1, 12]
    assert tree.sku_weekly_capacity.tolist() == [500, 0, 0]
    assert tree.sku_order_days.tolist() == [EVERY_DAY, EVERY_DAY, order_day_mask("mon,thu")]
    assert tree.sku_unit_cost[[0, 2]].tolist() == [5.0, 12.34]


def test_an_unknown_parent_or_kind_is_named():
    network = chain_network(n_stores=2)
    empty_lanes = pl.DataFrame(
        schema={
            "from_id": pl.String,
            "to_id": pl.String,
            "lead_days_mean": pl.Float64,
            "lead_days_sd": pl.Float64,
            "review_days": pl.Int64,
        }
    )
    items = pl.DataFrame(schema={"supplier_id": pl.String, "sku_id": pl.String})
    bad = pl.DataFrame({"id": ["W1"], "kind": ["regional"], "parent_id": ["X"]})
    with pytest.raises(ValueError, match="parent 'X'"):
        build_tree(network, bad, empty_lanes, items, 2.0, 7)
    odd = pl.DataFrame({"id": ["W1"], "kind": ["hub"], "parent_id": [None]})
    with pytest.raises(ValueError, match="kind 'hub'"):
        build_tree(network, odd, empty_lanes, items, 2.0, 7)
