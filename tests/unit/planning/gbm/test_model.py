"""The global model on plain arrays: it forecasts the series' levels with NB
quantiles, blends with storenet's replay on the planning network, and refuses a
blend without the inputs it needs."""

import numpy as np
import pytest

from storenet.planning.demand.memory import DemandSettings
from storenet.planning.gbm.model import fit_predict
from storenet.planning.gbm.panel import SeriesPanel
from storenet.planning.gbm.settings import GbmSettings
from storenet.planning.gbm.storenet_mean import StorenetReplay
from tests.unit.planning.conftest import small_network
from tests.unit.planning.gbm.test_features import FIRST, events, panel

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
    replay = StorenetReplay(network, pair, DemandSettings())
    f = fit_predict(p, events(), 28, GbmSettings(blend=1.0, **SMALL), replay)
    t = p.units.shape[1]
    own = replay.means(p.units, p.first_day, [t - 1], 28)[t - 1]
    np.testing.assert_allclose(f.mean, np.maximum(own, 1e-6))


def test_a_blend_without_storenet_or_a_fitted_blend_without_a_score_is_refused():
    with pytest.raises(ValueError, match="storenet"):
        fit_predict(panel(), events(), 28, GbmSettings(blend=0.5, **SMALL))
    with pytest.raises(ValueError, match="blend_score"):
        fit_predict(panel(), events(), 28, GbmSettings(blend_fit=True, **SMALL))


class _Oracle:
    """A stand-in for storenet's replay whose forecast made at origin o is the units
    actually sold on o + 1 + shift, ..., o + horizon + shift (where known), and
    `future` (+ shift days) past the data: a stacked feature aligned to the row's
    target day then is the target itself."""

    def __init__(self, future: np.ndarray, shift: int = 0) -> None:
        self.future, self.shift = future, shift

    def means(self, units, first_day, origins, horizon):
        full = np.concatenate([units, self.future], axis=1)
        return {o: full[:, o + 1 + self.shift : o + 1 + self.shift + horizon] for o in origins}


def test_the_stacked_feature_is_storenets_mean_for_the_rows_target_day():
    pytest.importorskip("lightgbm")
    rng = np.random.default_rng(4)
    n, days = 40, 260
    units = rng.poisson(rng.uniform(0.5, 6.0, size=(n, 1)), size=(n, days)).astype(float)
    p = SeriesPanel(units, FIRST, np.repeat([0.0, 1.0], n // 2), np.zeros(n), np.arange(n))
    future = rng.poisson(3.0, size=(n, 29)).astype(float)  # what the replay "knows"
    s = GbmSettings(
        blend=0.0, stack=True, origins=12, rounds=120, learning_rate=0.2, min_leaf=20,
        threads=1, bands=4,
    )  # fmt: skip

    def tracking(shift: int) -> float:
        f = fit_predict(p, None, 28, s, _Oracle(future, shift))
        return float(np.corrcoef(f.mean.ravel(), future[:, shift : shift + 28].ravel())[0, 1])

    # Aligned: the booster learns target = feature and forecasts storenet's mean.
    assert tracking(0) > 0.9
    # A feature one day off carries nothing about the target (units are independent
    # day to day): the same check fails, so it would catch a shifted stack column.
    assert tracking(1) < 0.6
