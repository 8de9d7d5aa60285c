"""The harness on the real M5 subset, when ../shared/data/m5 is present (read in place)."""

from pathlib import Path

import numpy as np
import pytest

from storenet.datasets import m5
from storenet.evaluation import backtest, models

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "m5"
pytestmark = pytest.mark.skipif(
    not (DATA / "sales_train_subset.csv.gz").exists(),
    reason=f"M5 development data not found at {DATA}",
)


def test_the_m5_subset_loads_with_its_documented_shape():
    panel = m5.read_m5(DATA / "sales_train_subset.csv.gz", DATA / "calendar.csv")
    assert panel.units.shape == (1505, 1913)
    assert str(panel.days[0]) == "2011-01-29" and str(panel.days[-1]) == "2016-04-24"
    assert sorted(set(panel.series["store"].to_list())) == [
        "CA_1", "CA_2", "CA_3", "CA_4", "TX_1", "TX_2", "TX_3",
    ]  # fmt: skip
    weights = m5.read_official_weights(DATA / "weights_validation.csv.gz", panel)
    assert weights.sum() == pytest.approx(1.0)


def test_storenet_beats_seasonal_naive_on_one_real_store():
    panel = m5.read_m5(DATA / "sales_train_subset.csv.gz", DATA / "calendar.csv", stores=["CA_3"])
    events = m5.read_calendar(DATA / "calendar.csv")
    cutoff = m5.parse_day("d_1857", events.days[0])
    chosen = {"snaive": models.seasonal_naive, "storenet": models.storenet_model()}
    result = backtest.run_backtest(panel, chosen, [cutoff], 28, events)
    assert result.mean_score("storenet") < 0.9 * result.mean_score("snaive")
    cover = result.mean_score("storenet", metric="coverage95")
    assert 0.9 < cover < 0.99
    assert np.isfinite(result.mean_score("storenet", metric="spl"))
