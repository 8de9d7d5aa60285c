"""The hierarchical priors (`storenet.planning.demand.priors`): a new store, a cold SKU."""

import numpy as np
import pytest

from storenet.planning.demand.posterior import posterior
from storenet.planning.demand.update import fit

from ..conftest import poisson_days

FIRST = np.datetime64("2025-03-03")  # a Monday, no festival within 10 weeks


def test_a_new_store_starts_from_its_format_and_region_prior(network):
    rates = np.where(network.store_format[network.pair_store] == 1, 1.5, 0.3)
    days = poisson_days(network, rates, FIRST, 120, seed=5)
    state = fit(network, days, FIRST - 1)
    # Forget store 1 (direct) entirely, as if it had just opened.
    pairs = network.pair_store == 1
    state.a[pairs] = 0.0
    state.b[pairs] = 0.0
    mean = posterior(state, network).mean
    for sku in (0, 1):
        pair = np.flatnonzero(pairs & (network.pair_sku == sku))[0]
        assert mean[pair] == pytest.approx(1.5, rel=0.3)


def test_a_cold_successor_starts_from_its_predecessor(network):
    rates = np.select([network.pair_sku == 0, network.pair_sku == 1], [2.0, 0.2], 0.5)
    state = fit(network, poisson_days(network, rates, FIRST, 100, seed=6), FIRST - 1)
    post = posterior(state, network)
    assert post.prior.donor[3] == 0  # K3 succeeds K0 and has never been on sale
    successor = network.pair_sku == 3
    np.testing.assert_allclose(post.mean[successor], 2.0, rtol=0.3)
