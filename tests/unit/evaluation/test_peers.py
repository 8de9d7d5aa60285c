"""The statsforecast peers on short histories."""

import numpy as np

from storenet.evaluation import peers
from tests.unit.evaluation.conftest import synthetic_panel


def test_autoets_forecasts_a_series_younger_than_two_weeks_by_its_mean_since_first_sale():
    panel = synthetic_panel(n_days=120)
    panel.units[2, :] = 0.0
    panel.units[2, -5:] = [1, 0, 2, 0, 1]  # first sold 5 days before the cut-off
    f = peers.statsforecast_model("autoets", None)(panel, None, 28)
    np.testing.assert_allclose(f.mean[2], 0.8)
    assert f.quantiles[4, 2, 0] == 1.0  # the Poisson(0.8) median
    assert np.isfinite(f.mean).all() and (f.week_q95 >= 0).all()
