"""Reading the M5 wide layout and the plain long layout from tiny files."""

import numpy as np
import polars as pl
import pytest

from storenet.datasets import m5


@pytest.fixture
def files(tmp_path):
    cal = pl.DataFrame(
        {
            "date": ["2011-01-29", "2011-01-30", "2011-01-31", "2011-02-01"],
            "wm_yr_wk": [11101, 11101, 11101, 11102],
            "weekday": ["Saturday", "Sunday", "Monday", "Tuesday"],
            "d": ["d_1", "d_2", "d_3", "d_4"],
            "event_name_1": [None, "SuperBowl", None, None],
            "event_type_1": [None, "Sporting", None, None],
            "snap_CA": [0, 0, 1, 1],
        }
    )
    sales = pl.DataFrame(
        {
            "id": ["A_1_CA_1_x", "A_2_TX_1_x"],
            "item_id": ["A_1", "A_2"],
            "dept_id": ["A", "A"],
            "cat_id": ["C", "C"],
            "store_id": ["CA_1", "TX_1"],
            "state_id": ["CA", "TX"],
            "d_1": [0, 1],
            "d_2": [3, 0],
            "d_3": [1, 2],
        }
    )
    prices = pl.DataFrame(
        {"store_id": ["CA_1"], "item_id": ["A_1"], "wm_yr_wk": [11101], "sell_price": [2.5]}
    )
    cal.write_csv(tmp_path / "calendar.csv")
    sales.write_csv(tmp_path / "sales.csv")
    prices.write_csv(tmp_path / "prices.csv")
    return tmp_path


def test_the_wide_layout_becomes_a_panel_dated_by_the_calendar(files):
    panel = m5.read_m5(files / "sales.csv", files / "calendar.csv", files / "prices.csv")
    assert panel.units.tolist() == [[0, 3, 1], [1, 0, 2]]
    assert str(panel.days[0]) == "2011-01-29" and len(panel.days) == 3
    assert panel.series["store"].to_list() == ["CA_1", "TX_1"]
    assert panel.price[0].tolist() == [2.5, 2.5, 2.5]
    assert np.isnan(panel.price[1]).all()
    assert panel.first_sale().tolist() == [1, 0]
    assert m5.is_wide(files / "sales.csv")


def test_stores_are_selected_and_unknown_ones_refused(files):
    panel = m5.read_m5(files / "sales.csv", files / "calendar.csv", stores=["TX_1"])
    assert panel.series["sku"].to_list() == ["A_2"]
    with pytest.raises(ValueError, match="unknown store"):
        m5.read_m5(files / "sales.csv", files / "calendar.csv", stores=["WI_9"])


def test_the_calendar_names_events_and_snap_days(files):
    cal = m5.read_calendar(files / "calendar.csv")
    name, kind = cal.lookup(np.array(["2011-01-30", "2011-01-31", "2020-01-01"], "datetime64[D]"))
    assert name.tolist() == ["SuperBowl", "", ""]
    assert kind.tolist() == ["Sporting", "", ""]
    assert cal.snap["CA"].tolist() == [False, False, True, True]


def test_a_long_table_keeps_days_a_store_sent_nothing_unknown_and_sums_duplicates(tmp_path):
    rows = pl.DataFrame(
        {
            "store": ["S1", "S1", "S1", "S2"],
            "sku": ["K", "K", "K", "K"],
            "date": ["2024-01-01", "2024-01-03", "2024-01-03", "2024-01-02"],
            "quantity": [2, 1, 4, 7],
            "price": [9.0, 9.0, 9.0, None],
        }
    )
    rows.write_parquet(tmp_path / "sales.parquet")
    panel = m5.load_panel(tmp_path / "sales.parquet")
    # Each store sent nothing on some day: unknown (NaN), not zero sales.
    nan = float("nan")
    np.testing.assert_array_equal(panel.units, [[2, nan, 5], [nan, 7, nan]])
    assert panel.series["id"].to_list() == ["K_S1", "K_S2"]
    assert panel.price[0, 0] == 9.0 and np.isnan(panel.price[1]).all()


def test_official_weights_are_renormalised_over_the_series_present(tmp_path, files):
    pl.DataFrame(
        {
            "Level_id": ["Level1", "Level12", "Level12", "Level12"],
            "Agg_Level_1": ["Total", "A_1", "A_2", "B_9"],
            "Agg_Level_2": ["X", "CA_1", "TX_1", "CA_1"],
            "Weight": [1.0, 0.01, 0.03, 0.5],
        }
    ).write_csv(tmp_path / "w.csv")
    panel = m5.read_m5(files / "sales.csv", files / "calendar.csv")
    assert m5.read_official_weights(tmp_path / "w.csv", panel) == pytest.approx([0.25, 0.75])


def test_days_are_iso_dates_or_m5_day_numbers():
    first = np.datetime64("2011-01-29")
    assert str(m5.parse_day("d_3", first)) == "2011-01-31"
    assert str(m5.parse_day("2016-01-01", first)) == "2016-01-01"
