import numpy as np
import pytest
from scipy import stats

from storenet.planning.chain.echelon import (
    backorder_cost,
    demand_quantile,
    echelon_target,
    serial_echelon_levels,
    stage_service_levels,
)


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_serial_levels_equal_stockpyl_newsvendor_bounds(weight):
    ssm_serial = pytest.importorskip("stockpyl.ssm_serial")
    holding, lead = [2.0, 2.0, 3.0], [2.0, 1.0, 1.0]  # stage 0 (downstream) first
    theirs = ssm_serial.newsvendor_heuristic(
        num_nodes=3,
        echelon_holding_cost=holding[::-1],
        lead_time=lead[::-1],
        stockout_cost=37.12,
        demand_mean=5,
        demand_standard_deviation=1,
        weight=weight,
    )
    ours = serial_echelon_levels(5.0, 1.0, np.array(lead), np.array(holding), 37.12, weight)
    assert ours == pytest.approx([theirs[1], theirs[2], theirs[3]], rel=1e-9)


def test_stage_levels_fall_upstream_and_the_store_keeps_its_own():
    h = np.array([0.4, 0.2, 0.4])  # store, regional, central: local costs 1, 0.6, 0.4
    b = backorder_cost(0.95, 0.4)
    levels = stage_service_levels(h, b)
    assert levels[0] == pytest.approx(0.95)
    assert levels[0] > levels[1] > levels[2] > 0.5


def test_quantile_is_nb_poisson_or_normal_by_the_moments():
    mean, var, level = np.array([10.0, 10.0, 10.0, 0.0]), np.array([25.0, 10.0, 4.0, 0.0]), 0.9
    got = demand_quantile(mean, var, level)
    p = 10.0 / 25.0
    assert got[0] == stats.nbinom.ppf(0.9, 10.0 * p / (1 - p), p)
    assert got[1] == stats.poisson.ppf(0.9, 10.0)
    assert got[2] == pytest.approx(stats.norm.ppf(0.9, 10.0, 2.0))
    assert got[3] == 0


def test_pooled_quantile_covers_the_sum_of_stores_at_its_level():
    """Monte Carlo: 200 stores with different NB demands; the moment-matched NB
    quantile of their sum is exceeded as often as its level says, and it is far below
    the sum of the stores' own quantiles (risk pooling)."""
    rng = np.random.default_rng(7)
    n = 200
    r = rng.uniform(0.3, 3.0, n)
    p = rng.uniform(0.2, 0.8, n)
    mean = r * (1 - p) / p
    var = mean / p
    level = 0.95
    pooled = demand_quantile(mean.sum(), var.sum(), level)
    draws = rng.negative_binomial(r, p, size=(40_000, n)).sum(axis=1)
    coverage = np.mean(draws <= pooled)
    assert abs(coverage - level) < 0.01
    assert pooled < 0.8 * stats.nbinom.ppf(level, r, p).sum()


def test_echelon_target_never_below_the_targets_below_it():
    target, quantile = echelon_target(
        np.array([50.0, 5.0]),
        np.array([80.0, 6.0]),
        0.9,
        np.array([2.0, 0.0]),
        np.array([20.0, 40.0]),
    )
    assert target[0] == quantile[0] + 2.0  # the pooled quantile and the lifts bind
    assert target[1] == 40.0  # intermittent stores: their targets bind
