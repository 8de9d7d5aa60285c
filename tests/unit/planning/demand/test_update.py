"""The nightly update (`storenet.planning.demand.update`): one day learned at a time, stock-outs
censored, the same state as a batch fit."""

import numpy as np
import pytest
from scipy import stats

from storenet.planning.demand.memory import DemandState, empty_state
from storenet.planning.demand.posterior import posterior
from storenet.planning.demand.update import DaySales, expected_given_at_least, fit, update_day

from ..conftest import poisson_days

FIRST = np.datetime64("2025-03-03")  # a Monday, no festival within 10 weeks


def test_fitting_history_equals_updating_day_by_day_through_saved_states(network, tmp_path):
    days = poisson_days(network, np.full(network.n_pairs, 0.4), FIRST, 60, seed=1)
    batch = fit(network, days, FIRST - 1)
    state = fit(network, days[:40], FIRST - 1)
    state.save(tmp_path / "state.npz")
    state = DemandState.load(tmp_path / "state.npz")
    for sales in days[40:]:
        state = update_day(state, network, sales)
    assert state.through == batch.through
    for name in ("a", "b", "weekday_units", "stage_units", "stage_expected", "disp_mu2",
                 "pair_weekday", "weekday_days"):  # fmt: skip
        np.testing.assert_array_equal(getattr(state, name), getattr(batch, name), err_msg=name)
    np.testing.assert_array_equal(state.last_sale, batch.last_sale)


def test_update_refuses_a_day_out_of_order(network):
    state = empty_state(network, FIRST - 1)
    with pytest.raises(ValueError, match="cannot follow"):
        update_day(
            state, network, DaySales(FIRST + 1, np.zeros(0, int), np.zeros(0), np.zeros(0, bool))
        )


def test_stockout_days_do_not_pull_the_estimate_down(network):
    rates = np.full(network.n_pairs, 2.0)
    days = poisson_days(network, rates, FIRST, 60, seed=4)

    # From day 30 pair 0 sells nothing: its shelf is empty. Once flagged as a
    # stock-out, and once not.
    def blank(flag):
        out = []
        for i, d in enumerate(days):
            if i < 30:
                out.append(d)
                continue
            keep = d.pair != 0
            pair = np.append(d.pair[keep], 0) if flag else d.pair[keep]
            units = np.append(d.units[keep], 0) if flag else d.units[keep]
            stock = (
                np.append(np.zeros(keep.sum(), bool), True) if flag else np.zeros(keep.sum(), bool)
            )
            out.append(DaySales(d.day, pair, units, stock))
        return out

    censored = posterior(fit(network, blank(True), FIRST - 1), network).mean[0]
    uncensored = posterior(fit(network, blank(False), FIRST - 1), network).mean[0]
    assert censored == pytest.approx(2.0, rel=0.25)
    assert uncensored < 0.5 * censored


def test_expected_demand_given_a_stockout_matches_brute_force():
    mu = np.array([0.5, 2.0, 2.0, 7.5, 0.1])
    sold = np.array([0, 1, 3, 2, 4])
    k = np.arange(0, 200)
    for m, s in zip(mu, sold):
        pmf = stats.poisson.pmf(k, m)
        brute = (k[k >= s] * pmf[k >= s]).sum() / pmf[k >= s].sum()
        assert expected_given_at_least(np.array([m]), np.array([s]))[0] == pytest.approx(
            max(brute, s), rel=1e-6
        )
