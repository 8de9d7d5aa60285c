"""What the demand model keeps (`storenet.planning.demand.memory`), by its settings."""

import numpy as np

from storenet.planning.demand.memory import DemandSettings, DemandState
from storenet.planning.demand.posterior import posterior
from storenet.planning.demand.update import fit

from ..conftest import poisson_days

FIRST = np.datetime64("2025-03-03")  # a Monday, no festival within 10 weeks


def test_the_short_memory_is_kept_unless_switched_off(network):
    days = poisson_days(network, np.full(network.n_pairs, 1.0), FIRST, 60, seed=1)
    state = fit(network, days, FIRST - 1)
    assert state.pair_short is not None and state.pair_short.shape == (4, network.n_pairs)
    assert fit(network, days, FIRST - 1, DemandSettings(delta_short=0.0)).pair_short is None


def test_a_state_saved_with_the_removed_per_pair_dispersion_still_loads(network, tmp_path):
    # given: a state saved while the model could keep per-pair dispersion moments
    # (`kappa_dispersion`, removed 2026-12-08)
    days = poisson_days(network, np.full(network.n_pairs, 1.0), FIRST, 30, seed=2)
    state = fit(network, days, FIRST - 1)
    state.save(tmp_path / "state.npz")
    with np.load(tmp_path / "state.npz") as data:
        arrays = {name: data[name] for name in data.files}
    np.savez(tmp_path / "old.npz", **arrays, pair_disp=np.ones((3, network.n_pairs), np.float32))
    # when
    loaded = DemandState.load(tmp_path / "old.npz")
    # then: the moments are dropped and the state forecasts as it did
    np.testing.assert_array_equal(posterior(loaded, network).mean, posterior(state, network).mean)
