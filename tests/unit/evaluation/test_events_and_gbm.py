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


def test_snap_days_get_a_multiplier_per_state_and_department():
    # given: CA's FOODS series sell 13 on CA SNAP days (the 1st-10th), 10 otherwise;
    # HOBBIES and TX do not react
    from storenet.evaluation.events import learn_snap_multipliers, local_event_function

    days = np.datetime64("2015-01-01") + np.arange(400)
    blank = np.array([""] * 400, dtype=object)
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    snap = {"CA": dom <= 10, "TX": (dom >= 3) & (dom <= 15)}
    cal = EventCalendar(days, blank, blank.copy(), snap)
    state = np.array(["CA", "CA", "TX"])
    dept = np.array(["FOODS_1", "HOBBIES_1", "FOODS_1"])
    units = np.full((3, 400), 10.0)
    units[0, snap["CA"]] = 13.0
    # when
    mult = learn_snap_multipliers(units, days, cal, state, dept, prior_units=0.0)
    local = local_event_function(cal, mult, ["CA", "TX"], ["FOODS_1", "HOBBIES_1"])
    # then
    assert mult[("CA", "FOODS_1")] == pytest.approx(1.3)
    assert mult[("CA", "HOBBIES_1")] == pytest.approx(1.0)
    assert mult[("TX", "FOODS_1")] == pytest.approx(1.0)
    out = local(days[[0, 20]])  # Jan 1 is a CA SNAP day, Jan 21 is not
    assert out.shape == (2, 2, 2)
    assert out[0, 0, 0] == pytest.approx(1.3) and out[1, 0, 0] == 1.0
    assert learn_snap_multipliers(units, days, cal, state, dept)[("CA", "FOODS_1")] < 1.3


def test_gbm_blend_one_is_storenets_own_forecast_and_holdout_still_runs(panel, calendar):
    pytest.importorskip("lightgbm")
    from storenet.evaluation import gbm

    history = backtest.cut(panel, panel.days[-29])
    t = history.units.shape[1]
    small = {"origins": 6, "rounds": 20, "threads": 1, "bands": 4}
    # when: the final mean is all storenet's
    f = gbm.fit_predict(history, calendar, 28, gbm.GbmSettings(blend=1.0, **small))
    # then: storenet's means made at the cut-off, learned from days up to it only
    own = gbm.storenet_means(history, calendar, [t - 1], 28)[t - 1]
    np.testing.assert_allclose(f.mean, np.maximum(own, 1e-6))
    assert f.mean[0].mean() > 3 * f.mean[1].mean()
    # the held-out dispersion variant and the offset variant give finite distributions
    for extra in ({"holdout": True}, {"offset": True}, {"stack": True}):
        g = gbm.fit_predict(history, calendar, 28, gbm.GbmSettings(**small, **extra))
        assert np.isfinite(g.mean).all() and (g.r > 0).all() and (g.alpha_week > 0).all()


def test_gbm_extra_features_see_no_later_day_and_the_ensemble_options_run(panel, calendar):
    pytest.importorskip("lightgbm")
    from storenet.evaluation import gbm

    history = backtest.cut(panel, panel.days[-29])
    # no peeking: the optional features of an origin ignore every later column
    x1 = gbm.extra_features(history, calendar, 100, 28, gbm.EXTRA_FEATURES)
    other = backtest.cut(panel, panel.days[-29])
    other.units[:, 101:] += 7
    np.testing.assert_array_equal(
        x1, gbm.extra_features(other, calendar, 100, 28, gbm.EXTRA_FEATURES)
    )
    assert x1.shape == (panel.n_series * 28, len(gbm.EXTRA_FEATURES))
    small = {"origins": 6, "rounds": 20, "threads": 1, "bands": 4}
    # when: seeds x objectives boosters averaged, optional features
    for extra in (
        {"seeds": 2, "objectives": ("tweedie", "poisson")},
        {"extra": gbm.EXTRA_FEATURES},
    ):
        g = gbm.fit_predict(history, calendar, 28, gbm.GbmSettings(**small, **extra))
        # then: finite distributions that still follow the series' levels
        assert np.isfinite(g.mean).all() and (g.r > 0).all() and (g.alpha_week > 0).all()
        assert g.mean[0].mean() > 1.5 * g.mean[1].mean()  # 2.0/day vs 0.4/day
    # the blend chosen on the month before the cut-off is one of the grid's shares
    f = gbm.fit_predict(history, calendar, 28, gbm.GbmSettings(blend_fit=True, **small))
    assert f.blend in gbm.GbmSettings().blend_grid


def test_the_mlforecast_model_forecasts_every_series_from_the_cutoff_only():
    from storenet.evaluation import mlf
    from tests.unit.evaluation.conftest import synthetic_panel

    panel = synthetic_panel(n_days=460)
    model = mlf.mlf_model(mlf.MlfSettings(rounds=20, train_days=60, threads=1))
    f = model(panel, None, 28)
    assert f.mean.shape == (panel.n_series, 28) and (f.mean >= 0).all()
    assert f.quantiles.shape == (9, panel.n_series, 28)
    assert (np.diff(f.quantiles, axis=0) >= 0).all()  # quantiles ordered
    # Sales after the cut-off cannot reach the forecast: the same history with 40
    # more (wild) days after it, cut back at the cut-off, forecasts the same.
    from dataclasses import replace

    extra = np.full((panel.n_series, 40), 99.0)
    later = panel.days[-1] + np.arange(1, 41).astype("timedelta64[D]")
    longer = replace(
        panel,
        units=np.concatenate([panel.units, extra], axis=1),
        days=np.concatenate([panel.days, later]),
    )
    cut = backtest.cut(longer, panel.days[-1])
    np.testing.assert_allclose(model(cut, None, 28).mean, f.mean)
    sold = panel.units[:, -90:].mean(axis=1)
    assert np.corrcoef(sold, f.mean.mean(axis=1))[0, 1] > 0.8  # it follows the series
