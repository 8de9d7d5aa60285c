import numpy as np
import pytest
from scipy import stats

from storenet.planning.distribution import (
    nb_mean,
    nb_params,
    nb_prob_at_least,
    nb_prob_runs,
    nb_quantile,
)


def random_params(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = rng.gamma(1.5, 3.0, n) + 0.05
    rate = shape / rng.lognormal(-1.5, 1.5, n)
    return nb_params(shape, rate, rng.uniform(0, 30, n))


@pytest.mark.parametrize("q", [0.005, 0.25, 0.5, 0.9, 0.95, 0.995])
def test_quantile_equals_scipy_ppf(q):
    r, p = random_params(5000, seed=int(q * 1000))
    assert np.array_equal(nb_quantile(r, p, q), stats.nbinom.ppf(q, r, p).astype(np.int64))


def test_quantile_takes_a_level_per_pair():
    r, p = random_params(2000, seed=7)
    q = np.random.default_rng(8).uniform(0, 0.999, 2000)
    assert np.array_equal(nb_quantile(r, p, q), stats.nbinom.ppf(q, r, p).astype(np.int64))


@pytest.mark.parametrize("q", [0.05, 0.5, 0.95, 0.995])
def test_quantile_is_exact_for_aggregate_means_and_near_poisson_demand(q):
    # A state's or a warehouse's demand: means in the thousands; near-Poisson (large r)
    # makes P(D = 0) underflow, where the walk alone answered 2 and small r with a
    # huge mean kept it walking for minutes.
    means = np.array([150.0, 250.0, 1_000.0, 1_000.0, 1_000.0, 7_000.0, 1e5, 800.0])
    r = np.array([0.05, 3.0, 5.0, 5e4, 1e6, 40.0, 5.0, 2e3])
    p = r / (r + means)
    assert np.array_equal(nb_quantile(r, p, q), stats.nbinom.ppf(q, r, p).astype(np.int64))


def test_quantile_mixes_walked_and_aggregate_pairs_in_their_order():
    r, p = random_params(500, seed=11)
    r = np.concatenate([r, [5e4, 3.0]])
    p = np.concatenate([p, [5e4 / (5e4 + 1000.0), 3.0 / 5003.0]])
    got = nb_quantile(r.reshape(2, -1), p.reshape(2, -1), 0.9)
    assert got.shape == (2, 251)
    assert np.array_equal(got.ravel(), stats.nbinom.ppf(0.9, r, p).astype(np.int64))


def test_quantile_of_no_exposure_is_zero():
    r, p = nb_params(np.array([2.0]), np.array([1.0]), np.array([0.0]))
    assert nb_quantile(r, p, 0.99)[0] == 0


def test_quantile_refuses_level_outside_unit_interval():
    with pytest.raises(ValueError, match="quantile level"):
        nb_quantile(np.array([1.0]), np.array([0.5]), 1.0)


def test_prob_at_least_equals_scipy_survival():
    r, p = random_params(3000, seed=3)
    k = np.random.default_rng(4).integers(-1, 40, 3000)
    expected = np.where(k <= 0, 1.0, stats.nbinom.sf(k - 1, r, p))
    np.testing.assert_allclose(nb_prob_at_least(r, p, k), expected, rtol=1e-9, atol=1e-14)


def test_mean_is_gamma_mean_times_exposure():
    r, p = nb_params(np.array([3.0]), np.array([6.0]), np.array([10.0]))
    assert nb_mean(r, p)[0] == pytest.approx(3.0 / 6.0 * 10.0)
    assert nb_mean(r, p)[0] == pytest.approx(stats.nbinom.mean(r, p)[0])


def test_quantile_of_no_pairs_is_empty():
    assert nb_quantile(np.zeros(0), np.zeros(0), 0.9).shape == (0,)


def test_prob_runs_equal_prob_at_least_unit_by_unit():
    rng = np.random.default_rng(11)
    r, p = random_params(3000, seed=12)
    start = rng.integers(-4, 15, 3000)
    count = rng.integers(0, 9, 3000)
    line = np.repeat(np.arange(3000), count)
    j = np.arange(line.size) - (np.cumsum(count) - count)[line]
    expected = nb_prob_at_least(r[line], p[line], start[line] + j)
    np.testing.assert_allclose(nb_prob_runs(r, p, start, count), expected, rtol=0, atol=1e-13)
