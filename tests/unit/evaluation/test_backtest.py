"""Backtests see nothing after the cut-off; models keep their contract."""

import numpy as np
import pytest

from storenet.evaluation import backtest, models
from storenet.evaluation.report import calibration, summary, write_report
from storenet.planning import distribution


def test_changing_sales_after_the_cutoff_changes_no_forecast(panel, calendar):
    # given: the same panel twice, the second with every day after the cut-off changed
    cutoff = panel.days[150]
    other = models.SalesPanel(units=panel.units.copy(), days=panel.days, series=panel.series)
    other.units[:, 151:] = other.units[:, 151:] * 3 + 5
    chosen = {"snaive": models.seasonal_naive, "storenet": models.storenet_model()}
    # when
    a = backtest.run_backtest(panel, chosen, [cutoff], 28, calendar)
    b = backtest.run_backtest(other, chosen, [cutoff], 28, calendar)
    # then: forecasts are identical (the scores differ: the actuals changed)
    for name in chosen:
        fa, fb = a.origins[0].forecasts[name], b.origins[0].forecasts[name]
        np.testing.assert_array_equal(fa.mean, fb.mean)
        if fa.quantiles is not None:
            np.testing.assert_array_equal(fa.quantiles, fb.quantiles)
            np.testing.assert_array_equal(fa.week_q95, fb.week_q95)
    assert a.mean_score("snaive") != b.mean_score("snaive")


def test_rolling_cutoffs_are_a_horizon_apart_and_scored_per_level(panel, calendar):
    cutoffs = backtest.rolling_cutoffs(panel, panel.days[200], 3, 28)
    assert [str(c) for c in cutoffs] == [str(panel.days[i]) for i in (144, 172, 200)]
    result = backtest.run_backtest(
        panel, {"storenet": models.storenet_model()}, cutoffs, 28, calendar
    )
    levels = {r["level"] for r in result.rows}
    assert {"total", "store", "dept", "store_x_dept", "store_x_item"} <= levels
    l12 = [r for r in result.rows if r["level"] == "store_x_item"]
    assert len(l12) == 3
    assert all(0.0 <= r["coverage95"] <= 1.0 and r["spl"] > 0 for r in l12)


def test_a_horizon_past_the_data_is_refused(panel):
    with pytest.raises(ValueError, match="runs past the data"):
        backtest.run_backtest(panel, {"snaive": models.seasonal_naive}, [panel.days[-10]])


def test_storenet_forecasts_are_negative_binomials_in_row_order(panel, calendar):
    # given: the model fitted through day 199
    history = backtest.cut(panel, panel.days[199])
    network, pair, state = models.fit_storenet(history, calendar)
    # when
    r, p_day, mean, q, w90, w95 = models.forecast_storenet(network, pair, state, 28)
    # then: means follow each row's own level, quantiles are ordered NB quantiles
    np.testing.assert_allclose(mean, distribution.nb_mean(r[None], p_day).T)
    level = history.units[:, -56:].mean(1)
    assert mean[0].mean() > mean[1].mean()  # 2.0/day vs 0.4/day
    assert np.corrcoef(level, mean.mean(1))[0, 1] > 0.9
    assert np.all(np.diff(q, axis=0) >= 0)
    assert np.all(w95 >= w90)
    assert q.shape == (9, panel.n_series, 28)


def test_seasonal_naive_repeats_the_last_week(panel):
    f = models.seasonal_naive(backtest.cut(panel, panel.days[100]), None, 10)
    np.testing.assert_array_equal(f.mean[:, :7], panel.units[:, 94:101])
    np.testing.assert_array_equal(f.mean[:, 7:], panel.units[:, 94:97])


def test_the_report_writes_a_table_charts_and_a_self_contained_page(panel, calendar, tmp_path):
    chosen = {"snaive": models.seasonal_naive, "storenet": models.storenet_model()}
    result = backtest.run_backtest(panel, chosen, [panel.days[180]], 28, calendar)
    written = write_report(result, tmp_path)
    assert {p.name for p in written} >= {"scores.csv", "report.html", "calibration.png"}
    page = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in page and "http" not in page
    assert [r["model"] for r in summary(result)] == ["snaive", "storenet"]
    cal = calibration(result, "storenet")
    assert np.all(np.diff(cal) >= 0) and cal[-1] > 0.9


def test_storenet_with_a_season_learns_at_least_the_season_window():
    from storenet.planning import season

    from .conftest import synthetic_panel

    panel = synthetic_panel(n_days=season.WINDOW + 60, seed=3)
    # A 730-day warm-up still learns the season's whole window; without a season
    # the warm-up is what it says.
    _, _, seasonal = models.fit_storenet(panel, None, 730)
    _, _, flat = models.fit_storenet(panel, None, 730, season_order=0)
    known = np.isfinite(seasonal.season_window).any(axis=0).sum()
    assert known == season.WINDOW
    assert flat.season_window is None
