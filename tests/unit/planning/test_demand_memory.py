"""The demand model's optional per-pair dispersion and second, shorter memory."""

import numpy as np

from storenet.planning import demand
from storenet.planning.demand import DaySales

from .conftest import poisson_days

FIRST = np.datetime64("2025-03-03")


def _lumpy(network, days, pair, every, size):
    # `pair` sells `size` units every `every` days and nothing otherwise.
    out = []
    for i, sales in enumerate(days):
        keep = sales.pair != pair
        p, u = sales.pair[keep], sales.units[keep]
        if i % every == 0:
            p, u = np.append(p, pair), np.append(u, size)
        out.append(DaySales(sales.day, p, u, np.zeros(p.size, bool)))
    return out


def test_what_is_kept_follows_the_settings_and_moments_do_not_move_the_forecast(network):
    days = poisson_days(network, np.full(network.n_pairs, 1.0), FIRST, 60, seed=1)
    state = demand.fit(network, days, FIRST - 1)
    # Defaults: the short memory is kept, the per-pair dispersion is not.
    assert state.pair_disp is None and state.pair_short is not None
    assert (
        demand.fit(network, days, FIRST - 1, demand.DemandSettings(delta_short=0.0)).pair_short
        is None
    )
    with_moments = demand.fit(
        network, days, FIRST - 1, demand.DemandSettings(kappa_dispersion=1e-12)
    )
    # The moments are kept, but what the state learns does not depend on them.
    np.testing.assert_array_equal(state.a, with_moments.a)
    np.testing.assert_allclose(  # shape / rate: rounding differs with phi
        demand.posterior(state, network).mean,
        demand.posterior(with_moments, network).mean,
        rtol=1e-12,
    )


def test_a_lumpy_pair_gets_a_wider_dispersion_than_its_steady_peers(network):
    # given: every pair sells Poisson 2 a day, but pair 0 sells 10 every 5th day (a
    # rhythm no weekday profile can absorb)
    base = poisson_days(network, np.full(network.n_pairs, 2.0), FIRST, 150, seed=2)
    days = _lumpy(network, base, 0, 5, 10)
    settings = demand.DemandSettings(kappa_dispersion=30.0)
    state = demand.fit(network, days, FIRST - 1, settings)
    phi = demand.pair_dispersion(state, network)
    cat = network.sku_category[network.pair_sku]
    same = (cat == cat[0]) & (np.arange(network.n_pairs) != 0)
    # then: pair 0's own over-dispersion shows (smaller phi), its peers stay near Poisson
    assert phi[0] < 0.5 * np.median(phi[same])
    assert np.median(phi[same]) > demand.dispersion(state)[cat[0]]
    # and with kappa_dispersion = 0 every pair has its category's phi
    flat = demand.pair_dispersion(
        demand.DemandState(**{**state.__dict__, "settings": demand.DemandSettings()}), network
    )
    np.testing.assert_array_equal(flat, demand.dispersion(state)[cat])


def test_the_short_memory_takes_over_for_a_pair_whose_level_jumped(network):
    # given: every pair sells Poisson 1 a day for 200 days; pair 0 then jumps to 6
    rates = np.full(network.n_pairs, 1.0)
    days = poisson_days(network, rates, FIRST, 200, seed=3)
    rates_after = rates.copy()
    rates_after[0] = 6.0
    days += poisson_days(network, rates_after, FIRST + 200, 40, seed=4)
    settings = demand.DemandSettings(delta_short=0.9)
    state = demand.fit(network, days, FIRST - 1, settings)
    w = demand.memory_weight(state)
    # then: the short memory weighs more for the pair that jumped than for the others
    steady = network.pair_sku != 3  # SKU 3 is not launched yet
    steady[0] = False
    assert w[0] > 0.6 and w[0] > np.median(w[steady]) + 0.1
    # and its rate is closer to the new level than the long memory alone
    long, short = demand.memory_rates(state, demand.priors(state, network).rate)
    mean = demand.posterior(state, network).mean
    assert abs(mean[0] - 6.0) < abs(long[0] - 6.0)
    np.testing.assert_allclose(mean, w * short + (1 - w) * long)
