"""Long sales tables as panels: a day a store did not report is unknown, not zero; a
closed day is zero by design; public datasets' column names are understood."""

import numpy as np
import polars as pl
import pytest

from storenet.datasets.m5 import read_long


def _write(tmp_path, rows, name="sales.csv"):
    path = tmp_path / name
    pl.DataFrame(rows).write_csv(path)
    return path


def test_a_day_a_store_sent_nothing_is_unknown_and_a_sku_without_a_row_sold_zero(tmp_path):
    rows = {
        "store": ["S1", "S1", "S1", "S2", "S2", "S1"],
        "sku": ["A", "B", "A", "A", "A", "A"],
        "date": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-01", "2024-01-03",
                 "2024-01-03"],
        "quantity": [3, 1, 2, 5, 4, 1],
    }  # fmt: skip
    panel = read_long(_write(tmp_path, rows))
    by_id = dict(zip(panel.series["id"].to_list(), panel.units, strict=True))
    np.testing.assert_array_equal(by_id["A_S1"], [3, 2, 1])
    np.testing.assert_array_equal(by_id["B_S1"], [1, 0, 0])  # S1 reported: B sold none
    assert by_id["A_S2"][0] == 5 and np.isnan(by_id["A_S2"][1]) and by_id["A_S2"][2] == 4
    assert panel.has_gaps and panel.closed is None


def test_public_column_names_are_understood_and_store_level_data_is_one_series_a_store(
    tmp_path,
):
    kaggle = {"date": ["2017-01-01", "2017-01-02"], "store": [1, 1], "item": [7, 7],
              "sales": [13, 11]}  # fmt: skip
    panel = read_long(_write(tmp_path, kaggle, "kaggle.csv"))
    assert panel.series["id"].to_list() == ["7_1"]
    np.testing.assert_array_equal(panel.units[0], [13, 11])

    store_level = {"Store": [1, 2], "Date": ["2015-07-01", "2015-07-01"], "Sales": [5, 6]}
    panel = read_long(_write(tmp_path, store_level, "stores.csv"))
    assert panel.series["sku"].to_list() == ["all", "all"]
    np.testing.assert_array_equal(panel.units[:, 0], [5, 6])


def test_a_closed_day_is_zero_by_design_for_every_series_of_the_store(tmp_path):
    rows = {
        "store": ["S1", "S1", "S1", "S1"],
        "sku": ["A", "B", "A", "B"],
        "date": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"],
        "quantity": [3, 2, 0, 0],
        "open": [1, 1, 0, 1],
    }
    panel = read_long(_write(tmp_path, rows))
    np.testing.assert_array_equal(panel.closed, [[False, True], [False, True]])
    np.testing.assert_array_equal(panel.units[:, 1], [0, 0])


def test_a_table_without_a_quantity_column_is_refused_naming_the_names_accepted(tmp_path):
    path = _write(tmp_path, {"store": ["S1"], "date": ["2024-01-01"], "amount": [3]})
    with pytest.raises(ValueError, match=r"missing column\(s\) \['quantity'\].*sales"):
        read_long(path)
