"""The global model on plain arrays: it forecasts the series' levels with NB
quantiles, blends with storenet's replay on the planning network, and refuses a
blend without the inputs it needs."""

import numpy as np
import pytest

from storenet.planning import demand
from storenet.planning.gbm.model import fit_predict
from storenet.planning.gbm.settings import GbmSettings
from storenet.planning.gbm.storenet_mean import StorenetReplay
from tests.unit.planning.conftest import small_network
from tests.unit.planning.gbm.test_features import events, panel

SMALL = {"origins": 6, "rounds": 20, "threads": 1, "bands": 4}


def test_the_gbm_alone_follows_the_series_levels_with_ordered_quantiles():
    pytest.importorskip("lightgbm")
    f = fit_predict(panel(), events(), 28, GbmSettings(blend=0.0, **SMALL))
    assert f.mean.shape == (4, 28) and (f.mean > 0).all()
    assert f.mean[0].mean() > 2 * f.mean[2].mean()  # 3.0/day vs 0.5/day
    q = f.day_quantiles(np.array([0.1, 0.5, 0.9]))
    assert q.shape == (3, 4, 28) and (np.diff(q, axis=0) >= 0).all()
    assert (f.week_quantile(0.95) >= f.week_quantile(0.9)).all()


def test_blend_one_is_storenets_replay_on_the_planning_network():
    pytest.importorskip("lightgbm")
    network = small_network()
    p = panel()
    pair = np.array([0, 1, network.n_skus, network.n_skus + 1])  # 2 SKUs of 2 stores
    replay = StorenetReplay(network, pair, demand.DemandSettings())
    f = fit_predict(p, events(), 28, GbmSettings(blend=1.0, **SMALL), replay)
    t = p.units.shape[1]
    own = replay.means(p.units, p.first_day, [t - 1], 28)[t - 1]
    np.testing.assert_allclose(f.mean, np.maximum(own, 1e-6))


def test_a_blend_without_storenet_or_a_fitted_blend_without_a_score_is_refused():
    with pytest.raises(ValueError, match="storenet"):
        fit_predict(panel(), events(), 28, GbmSettings(blend=0.5, **SMALL))
    with pytest.raises(ValueError, match="blend_score"):
        fit_predict(panel(), events(), 28, GbmSettings(blend_fit=True, **SMALL))


def test_level_store_puts_the_gbm_on_storenets_store_sums_per_day():
    pytest.importorskip("lightgbm")
    network = small_network()
    p = panel()
    pair = np.array([0, 1, network.n_skus, network.n_skus + 1])  # 2 SKUs of 2 stores
    replay = StorenetReplay(network, pair, demand.DemandSettings())
    t = p.units.shape[1]
    own = np.maximum(replay.means(p.units, p.first_day, [t - 1], 28)[t - 1], 1e-6)
    alone = fit_predict(p, events(), 28, GbmSettings(blend=0.0, **SMALL), replay)
    f = fit_predict(p, events(), 28, GbmSettings(blend=0.0, level="store", **SMALL), replay)
    for store in (0.0, 1.0):
        rows = p.store == store
        # Each store's sum on each horizon day is storenet's ...
        np.testing.assert_allclose(f.mean[rows].sum(0), own[rows].sum(0))
        # ... split across its series as the gbm alone splits it.
        np.testing.assert_allclose(
            f.mean[rows] / f.mean[rows].sum(0), alone.mean[rows] / alone.mean[rows].sum(0)
        )
    with pytest.raises(ValueError, match="level"):
        GbmSettings(level="region")
