"""Event multipliers learned from sales; the global gbm model on a tiny panel."""

import numpy as np
import pytest

from storenet.datasets.m5 import EventCalendar
from storenet.evaluation import backtest
from storenet.evaluation.events import event_function, learn_event_multipliers


def test_an_event_that_doubles_sales_gets_a_multiplier_near_two():
    # given: flat sales of 100, doubled on every 'Feast' day (4 occurrences)
    days = np.datetime64("2015-01-01") + np.arange(400)
    name = np.array([""] * 400, dtype=object)
    name[[50, 150, 250, 350]] = "Feast"
    cal = EventCalendar(days, name, name.copy(), {})
    total = np.full(400, 100.0)
    total[name == "Feast"] = 200.0
    # when
    mult = learn_event_multipliers(total, days, cal, prior_days=0.0)
    events = event_function(cal, mult)
    # then
    assert mult["Feast"] == pytest.approx(2.0)
    assert events(days[[49, 50]]).tolist() == pytest.approx([1.0, 2.0])
    # shrinkage toward 1 with one pseudo-occurrence: exp(4 log 2 / 5)
    assert learn_event_multipliers(total, days, cal)["Feast"] == pytest.approx(2**0.8)


def test_gbm_forecasts_follow_the_series_levels_with_nb_quantiles(panel, calendar):
    pytest.importorskip("lightgbm")
    from storenet.evaluation import gbm

    history = backtest.cut(panel, panel.days[-29])
    settings = gbm.GbmSettings(origins=8, rounds=40, threads=1, bands=4)
    f = gbm.fit_predict(history, calendar, 28, settings)
    assert f.mean.shape == (panel.n_series, 28)
    assert f.mean[0].mean() > 3 * f.mean[1].mean()  # 2.0/day vs 0.4/day
    r, p = f.horizon_nb(7)
    np.testing.assert_allclose(r * (1 - p) / p, f.mean[:, :7].sum(1), rtol=1e-6)
    # no peeking: the features of an origin ignore every later column
    x1 = gbm.features(history, calendar, 100, 28)
    other = backtest.cut(panel, panel.days[-29])
    other.units[:, 101:] += 7
    np.testing.assert_array_equal(x1, gbm.features(other, calendar, 100, 28))
