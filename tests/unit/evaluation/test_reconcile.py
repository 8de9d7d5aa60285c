"""Reconciliation across levels: the summing matrix is the hierarchy of level_codes,
the reconciled means are the dense minimum-trace solution, they add up at every
level, and a reconciled model keeps the Forecast contract."""

import numpy as np
import pytest

from storenet.evaluation import metrics
from storenet.evaluation.forecast import Forecast
from storenet.evaluation.models import storenet_model
from storenet.evaluation.reconcile import (
    level_panel,
    reconcile_means,
    reconciled,
    summing_matrix,
)

pytest.importorskip("hierarchicalforecast")


def test_the_summing_matrix_sums_each_level_like_level_codes(panel):
    s, levels = summing_matrix(panel.series)
    sums = s @ np.nan_to_num(panel.units)
    at = 0
    for name, k in levels:
        codes, groups = metrics.level_codes(panel.series)[name]
        assert groups == k, name
        np.testing.assert_allclose(sums[at : at + k], metrics.group_sum(panel.units, codes, k))
        at += k
    assert at == s.shape[0]


def test_a_level_panel_is_the_groups_summed_and_named_for_the_base_model(panel):
    dept = level_panel(panel, "store_x_dept")
    codes, k = metrics.level_codes(panel.series)["store_x_dept"]
    np.testing.assert_allclose(dept.units, metrics.group_sum(panel.units, codes, k))
    assert dept.series["store"].to_list() == ["A_1", "A_1", "B_1", "B_1"]
    assert dept.series["sku"].to_list() == ["D1", "D2", "D1", "D2"]
    total = level_panel(panel, "total")
    assert total.series.select("store", "sku").row(0) == ("ALL", "ALL")
    np.testing.assert_allclose(total.units[0], panel.units.sum(0))


@pytest.mark.parametrize("method", ["wls_struct", "ols"])
def test_reconciled_means_are_the_dense_minimum_trace_solution(panel, method):
    s, _ = summing_matrix(panel.series)
    rng = np.random.default_rng(4)
    truth = rng.gamma(2.0, 3.0, size=(s.shape[1], 5))
    base = s @ truth * rng.uniform(0.8, 1.25, size=(s.shape[0], 5))  # incoherent
    got = reconcile_means(s, base, method)
    dense = s.toarray()
    w = dense.sum(1) if method == "wls_struct" else np.ones(dense.shape[0])
    g = np.linalg.solve(dense.T @ (dense / w[:, None]), dense.T / w[None, :])
    np.testing.assert_allclose(got, np.clip(g @ base, 0, None), rtol=1e-3, atol=1e-3)


def test_means_that_already_add_up_are_left_as_they_are(panel):
    s, _ = summing_matrix(panel.series)
    bottom = np.random.default_rng(1).gamma(2.0, 2.0, size=(s.shape[1], 7))
    np.testing.assert_allclose(reconcile_means(s, s @ bottom, "wls_struct"), bottom, atol=1e-3)


def test_an_unknown_method_is_refused_by_name(panel):
    s, _ = summing_matrix(panel.series)
    with pytest.raises(ValueError, match="mint_magic"):
        reconcile_means(s, np.ones((s.shape[0], 1)), "mint_magic")


def _last_week_mean(history, calendar, horizon):  # type: ignore[no-untyped-def]
    level = np.nanmean(history.units[:, -7:], axis=1)
    mean = np.repeat(level[:, None], horizon, axis=1)
    q = np.stack([mean * f for f in np.linspace(0.2, 2.0, 9)])
    weeks = mean[:, : horizon // 7 * 7].reshape(len(level), -1, 7).sum(2)
    return Forecast("last_week", mean, q, weeks * 1.5, weeks * 2.0)


def test_a_reconciled_model_adds_up_and_moves_its_quantiles_with_the_mean(panel):
    model = reconciled(_last_week_mean, "rec")
    got = model(panel, None, 14)
    base = _last_week_mean(panel, None, 14)
    s, levels = summing_matrix(panel.series)
    stacked = np.vstack(
        [_last_week_mean(level_panel(panel, n), None, 14).mean for n, _ in levels[:-1]]
        + [base.mean]
    )
    assert got.model == "rec" and got.mean.shape == base.mean.shape
    np.testing.assert_allclose(got.mean, reconcile_means(s, stacked, "wls_struct"), atol=1e-6)
    moved = base.mean > 0
    ratio = got.mean[moved] / base.mean[moved]
    np.testing.assert_allclose(got.quantiles[8][moved], base.quantiles[8][moved] * ratio)
    assert np.all(got.quantiles[:, ~moved] == base.quantiles[:, ~moved])
    assert got.week_q95.shape == base.week_q95.shape


def test_storenet_reconciled_runs_on_a_panel_and_stays_non_negative(panel, calendar):
    got = reconciled(storenet_model(None), "storenet_rec")(panel, calendar, 28)
    assert got.mean.shape == (panel.n_series, 28)
    assert np.isfinite(got.mean).all() and (got.mean >= 0).all()
    assert got.quantiles.shape == (9, panel.n_series, 28)


def test_a_reconciled_model_can_keep_the_base_quantiles(panel):
    def higher(history, calendar, horizon):  # type: ignore[no-untyped-def]
        f = _last_week_mean(history, calendar, horizon)
        return Forecast("higher", f.mean * 1.3)

    model = reconciled(_last_week_mean, "rec", levels_model=higher, move_quantiles=False)
    got = model(panel, None, 14)
    base = _last_week_mean(panel, None, 14)
    assert not np.allclose(got.mean, base.mean)
    assert np.array_equal(got.quantiles, base.quantiles)
    assert np.array_equal(got.week_q95, base.week_q95)
