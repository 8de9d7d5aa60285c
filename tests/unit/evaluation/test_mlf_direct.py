"""mlforecast's direct mode (one model per horizon day) as a backtest model."""

import numpy as np
import pytest

from storenet.datasets.m5 import SalesPanel
from storenet.evaluation import backtest
from tests.unit.evaluation.conftest import synthetic_calendar, synthetic_panel


def test_the_direct_model_forecasts_every_series_with_ordered_nb_quantiles():
    pytest.importorskip("mlforecast")
    from storenet.evaluation import mlf_direct

    panel = synthetic_panel(n_days=460)
    price = np.full(panel.units.shape, np.nan)
    price[0] = 1.0  # a price known for one series only, as in M5's subset
    panel = SalesPanel(panel.units, panel.days, panel.series, price=price)
    history = backtest.cut(panel, panel.days[-29])
    settings = mlf_direct.DirectSettings(rounds=20, train_days=60, threads=1)
    model = mlf_direct.mlf_direct_model(settings)
    f = model(history, synthetic_calendar(panel), 28)
    assert f.mean.shape == (panel.n_series, 28) and (f.mean >= 0).all()
    assert f.quantiles.shape == (9, panel.n_series, 28)
    assert (np.diff(f.quantiles, axis=0) >= 0).all()  # quantiles ordered
    assert (f.week_q95 >= f.week_q90).all()
    assert f.mean[0].mean() > 2 * f.mean[1].mean()  # 2.0/day vs 0.4/day
