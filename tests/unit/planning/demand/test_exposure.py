"""The exposure (`storenet.planning.demand.exposure`): weekday profiles, a pair's own weekday
shape."""

import numpy as np

from storenet import calendar
from storenet.planning.demand.exposure import pair_weekday_factor, weekday_profile
from storenet.planning.demand.memory import DemandSettings
from storenet.planning.demand.update import DaySales, fit

from ..conftest import poisson_days

FIRST = np.datetime64("2025-03-03")  # a Monday, no festival within 10 weeks


def test_weekday_profile_is_recovered(network):
    weekday = np.array([0.7, 0.8, 0.9, 1.0, 1.1, 1.4, 1.1])
    days = poisson_days(network, np.full(network.n_pairs, 3.0), FIRST, 140, seed=3, weekday=weekday)
    state = fit(network, days, FIRST - 1)
    phone = network.categories.index("phone")
    np.testing.assert_allclose(weekday_profile(state)[phone], weekday / weekday.mean(), rtol=0.06)


def test_a_brands_first_days_leave_the_weekdays_not_yet_seen_ordinary(network):
    # A brand that has sold for four days (Monday to Thursday) knows nothing yet of
    # the weekend: it is an ordinary day of the category, not a dead one.
    days = poisson_days(network, np.full(network.n_pairs, 0.5), FIRST, 4, seed=7)
    state = fit(network, days, FIRST - 1)
    profile = weekday_profile(state)
    np.testing.assert_allclose(profile[:, 4:], 1.0, rtol=0.35)
    assert profile.min() > 0.5


def test_a_pairs_own_weekday_shape_is_learned_and_keeps_its_level(network):
    # given: every pair sells flat, except pair 0 which sells only on Saturdays
    flat = fit(
        network, poisson_days(network, np.full(network.n_pairs, 2.0), FIRST, 140, seed=4), FIRST - 1
    )
    g = pair_weekday_factor(flat, network)
    assert g.shape == (7, network.n_pairs)
    profile = weekday_profile(flat)[network.sku_category[network.pair_sku]].T
    # then: the pair's weekday multipliers x its category's profile average 1
    np.testing.assert_allclose((g * profile).mean(axis=0), 1.0, rtol=1e-5)
    np.testing.assert_allclose(g, 1.0, atol=0.35)  # Poisson noise, shrunk by kappa_weekday
    # when: pair 0 sells 14 on Saturdays (weekday 5) and nothing on other days
    days = []
    for sales in poisson_days(network, np.full(network.n_pairs, 2.0), FIRST, 140, seed=4):
        keep = sales.pair != 0
        pair, units = sales.pair[keep], sales.units[keep]
        if int(calendar.weekdays(sales.day)) == 5:
            pair, units = np.append(pair, 0), np.append(units, 14)
        days.append(DaySales(sales.day, pair, units, np.zeros(pair.size, bool)))
    state = fit(network, days, FIRST - 1)
    g = pair_weekday_factor(state, network)
    assert g[5, 0] > 3.0 and g[:5, 0].max() < 0.5


def test_pair_weekday_statistics_can_be_switched_off(network):
    settings = DemandSettings(kappa_weekday=0.0)
    state = fit(
        network,
        poisson_days(network, np.full(network.n_pairs, 1.0), FIRST, 20, seed=5),
        FIRST - 1,
        settings,
    )
    assert state.pair_weekday is None
    assert pair_weekday_factor(state, network) is None
