"""The horizon posterior of the demand model: daily over-dispersion averages out."""

import numpy as np
import pytest

from storenet.evaluation import models
from storenet.planning import demand


def posterior(param_shape: float, phi: float, mean: float) -> demand.RatePosterior:
    shape = 1.0 / (1.0 / param_shape + 1.0 / phi)
    prior = demand.Priors(np.array([mean]), np.array([mean]), np.array([0]))
    return demand.RatePosterior(
        shape=np.array([shape]),
        rate=np.array([shape / mean]),
        prior=prior,
        param_shape=np.array([param_shape]),
        phi=np.array([phi]),
    )


def test_one_day_is_the_daily_posterior_and_the_mean_never_moves():
    post = posterior(param_shape=20.0, phi=1.5, mean=0.8)
    shape1, rate1 = post.over_days(1.0)
    assert shape1 == pytest.approx(post.shape)
    assert rate1 == pytest.approx(post.rate)
    shape7, rate7 = post.over_days(7.0)
    assert shape7 / rate7 == pytest.approx(post.mean)
    assert shape7[0] > shape1[0]


def test_a_week_has_the_variance_of_independent_noisy_days_with_a_shared_rate():
    # given: a rate known up to gamma(20) shared by the week, daily gamma(phi) noise
    rng = np.random.default_rng(1)
    param_shape, phi, mean, n = 20.0, 1.5, 0.8, 200_000
    rate = rng.gamma(param_shape, mean / param_shape, n)
    daily = rng.gamma(phi, 1.0 / phi, (n, 7)) * rate[:, None]
    week = rng.poisson(daily).sum(axis=1)
    # when
    shape7, rate7 = posterior(param_shape, phi, mean).over_days(7.0)
    # then: NB variance of the weekly sum M + M^2 / shape
    m = 7 * mean
    assert week.var() == pytest.approx(m + m * m / shape7[0], rel=0.03)


def test_a_state_posterior_carries_its_parts(panel, calendar):
    network, _, state = models.fit_storenet(panel, calendar)
    post = demand.posterior(state, network)
    np.testing.assert_allclose(1 / post.shape, 1 / post.param_shape + 1 / post.phi)
