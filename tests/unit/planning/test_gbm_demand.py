"""The plan's gbm demand forecast: same numbers in chunks, same features in training
and forecast, no peeking, retraining only when due, means that track storenet's.

One small generated network (12 stores x 30 SKUs, 150 days) and a small booster
(one thread: the suite shares the machine) keep the module at a few seconds.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from storenet.datagen import NetworkSpec, generate
from storenet.planning import gbm_demand
from storenet.planning.demand.horizon import horizon_exposure
from storenet.planning.demand.memory import DemandState
from storenet.planning.demand.posterior import posterior
from storenet.planning.demand.update import fit, update_day
from storenet.planning.gbm.settings import GbmSettings
from storenet.planning.history import read_history
from storenet.planning.network import from_master

END = date(2026, 11, 22)
THROUGH = END - timedelta(days=10)  # history goes on after the plan's last day
HORIZON = 9
SMALL = gbm_demand.PlanGbmSettings(
    sample_pairs=200,
    model=GbmSettings(
        drop=("item", "store"), origins=8, rounds=30, leaves=15, min_leaf=20, threads=1
    ),
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gbm_network")
    generate(NetworkSpec(stores=12, skus=30, days=150, seed=3, end=END), folder)
    network = from_master(folder / "master")
    model = gbm_demand.train(network, folder / "history", THROUGH, HORIZON, SMALL)
    return folder, network, model


def state_through(network, history_dir: Path, through: date) -> DemandState:
    history = read_history(network, history_dir, last=through)
    first = history.day.min()
    return fit(
        network, list(history.days(first, np.datetime64(through))), first - np.timedelta64(1, "D")
    )


def test_training_uses_whole_stores_of_at_most_the_sample_size(world):
    _, network, model = world
    pairs = gbm_demand.sample_stores(network, SMALL.sample_pairs, SMALL.seed)
    assert 0 < pairs.size <= SMALL.sample_pairs == 200
    assert model.sample_pairs == pairs.size
    stores = np.unique(network.pair_store[pairs])
    assert pairs.size == np.isin(network.pair_store, stores).sum()  # whole stores
    again = gbm_demand.sample_stores(network, SMALL.sample_pairs, SMALL.seed)
    assert np.array_equal(pairs, again)  # reproducible
    assert model.trained_through == THROUGH and model.horizon == HORIZON
    assert model.features == gbm_demand.feature_names(SMALL)
    assert "store" not in model.features and "item" not in model.features


def test_forecast_in_chunks_equals_the_forecast_at_once(world):
    folder, network, model = world
    sn = np.ones(network.n_pairs)
    chunks = gbm_demand.store_chunks(network, 40)
    assert len(chunks) > 3
    assert chunks[0][0] == 0 and chunks[-1][1] == network.n_pairs
    for (_, hi), (lo, _) in zip(chunks, chunks[1:], strict=False):
        assert hi == lo and network.pair_store[lo - 1] != network.pair_store[lo]
    chunked = replace(SMALL, chunk_pairs=40)
    small = gbm_demand.forecast(network, folder / "history", THROUGH, model, sn, chunked)
    whole = gbm_demand.forecast(network, folder / "history", THROUGH, model, sn, SMALL)
    for a, b in ((small.mean, whole.mean), (small.r, whole.r), (small.p, whole.p)):
        np.testing.assert_array_equal(a, b)


def test_forecast_features_equal_the_training_features_of_a_dense_panel(world):
    folder, network, _ = world
    names = gbm_demand.feature_names(SMALL)
    window = gbm_demand.read_window(network, folder / "history", THROUGH, SMALL.window_days)
    sparse = window.features(network, 0, network.n_pairs, HORIZON, names)
    # The training path: a dense [pairs, days] panel of the whole history.
    history = read_history(network, folder / "history", last=THROUGH)
    first = history.day.min()
    t = int((np.datetime64(THROUGH) - first).astype(int)) + 1
    units = np.zeros((network.n_pairs, t))
    units[history.pair, (history.day - first).astype(int)] = history.units
    sku_28 = np.bincount(network.pair_sku, units[:, -28:].sum(1), minlength=network.n_skus)
    dense = gbm_demand.pair_features(
        network,
        np.arange(network.n_pairs),
        units[:, -gbm_demand.SHORT_DAYS :],
        np.datetime64(THROUGH) - np.timedelta64(gbm_demand.SHORT_DAYS - 1, "D"),
        gbm_demand.long_stats_dense(units[:, -SMALL.window_days :]),
        gbm_demand.sku_mean_28(network, sku_28, 28),
        HORIZON,
        names,
    )
    np.testing.assert_array_equal(sparse, dense)


def test_days_after_the_plan_change_nothing(world, tmp_path):
    folder, network, model = world
    # The same history with every day after THROUGH changed beyond recognition.
    changed = tmp_path / "history"
    for path in sorted((folder / "history").glob("month=*/*.parquet")):
        frame = pl.read_parquet(path)
        later = pl.col("day") > THROUGH
        frame = frame.with_columns(
            pl.when(later).then(pl.col("units") * 7 + 5).otherwise(pl.col("units")).alias("units")
        )
        out = changed / path.parent.name / path.name
        out.parent.mkdir(parents=True)
        frame.write_parquet(out)
    other = gbm_demand.train(network, changed, THROUGH, HORIZON, SMALL)
    assert other.booster_text == model.booster_text
    np.testing.assert_array_equal(other.alpha, model.alpha)
    sn = np.ones(network.n_pairs)
    a = gbm_demand.forecast(network, folder / "history", THROUGH, model, sn, SMALL)
    b = gbm_demand.forecast(network, changed, THROUGH, model, sn, SMALL)
    np.testing.assert_array_equal(a.mean, b.mean)


def test_gbm_means_track_storenet_and_make_a_proper_nb(world):
    folder, network, model = world
    state = state_through(network, folder / "history", THROUGH)
    sn = gbm_demand.storenet_horizon_mean(state, network, HORIZON)
    alone = replace(SMALL, model=replace(SMALL.model, blend=0.0))
    f = gbm_demand.forecast(network, folder / "history", THROUGH, model, sn, alone)
    assert 0.5 < f.mean.sum() / sn.sum() < 2.0
    assert np.corrcoef(f.mean, sn)[0, 1] > 0.8
    blended = gbm_demand.forecast(network, folder / "history", THROUGH, model, sn, SMALL)
    np.testing.assert_allclose(blended.mean, 0.5 * f.mean + 0.5 * sn)
    assert np.all((blended.p > 0) & (blended.p <= 1)) and np.all(blended.r > 0)
    np.testing.assert_allclose(blended.r * (1 - blended.p) / blended.p, blended.mean, rtol=1e-9)
    assert np.all(blended.p[blended.mean == 0] == 1)


def test_the_saved_model_is_reused_until_it_is_due(world, tmp_path):
    folder, network, _ = world
    history = folder / "history"
    state = state_through(network, history, THROUGH)
    first = gbm_demand.plan_forecast(tmp_path, network, history, state, HORIZON, SMALL)
    path = gbm_demand.model_path(tmp_path)
    assert first.trained and first.reason == "no saved model" and path.exists()
    stamp = path.stat().st_mtime_ns
    # the next nights, up to 6 days later: the same file serves
    days = read_history(network, history, THROUGH + timedelta(days=1), THROUGH + timedelta(days=7))
    later = state
    for k, sales in enumerate(days.days(state.through + 1, state.through + 7), start=1):
        later = update_day(later, network, sales)
        if k in (1, 6):
            run = gbm_demand.plan_forecast(tmp_path, network, history, later, HORIZON, SMALL)
            assert not run.trained and run.seconds["gbm_train"] == 0
            assert path.stat().st_mtime_ns == stamp
    # 7 days on: retrained through the new day
    run = gbm_demand.plan_forecast(tmp_path, network, history, later, HORIZON, SMALL)
    assert run.trained and "7 days old" in run.reason
    assert gbm_demand.load_model(path).trained_through == THROUGH + timedelta(days=7)
    assert [p.name for p in path.parent.iterdir()] == ["model.json"]  # no temporary left


def test_retrain_reasons(world):
    _, _, model = world
    assert gbm_demand.retrain_reason(None, THROUGH, SMALL, HORIZON) == "no saved model"
    assert gbm_demand.retrain_reason(model, THROUGH, SMALL, HORIZON) == ""
    assert "after" in gbm_demand.retrain_reason(model, THROUGH - timedelta(days=1), SMALL, HORIZON)
    assert gbm_demand.retrain_reason(model, THROUGH, SMALL, HORIZON + 1) == (
        "features or settings changed"
    )
    fewer = replace(SMALL, model=replace(SMALL.model, drop=("item",)))
    assert gbm_demand.retrain_reason(model, THROUGH, fewer, HORIZON) == (
        "features or settings changed"
    )


def test_save_and_load_round_trip_and_a_damaged_file_is_ignored(world, tmp_path):
    _, _, model = world
    path = tmp_path / "gbm" / "model.json"
    gbm_demand.save_model(path, model)
    back = gbm_demand.load_model(path)
    assert back.booster_text == model.booster_text and back.features == model.features
    np.testing.assert_array_equal(back.edges, model.edges)
    assert back.trained_through == model.trained_through
    path.write_text('{"format": 1, "booster": ')
    assert gbm_demand.load_model(path) is None


def test_settings_refuse_what_the_plan_does_not_support():
    with pytest.raises(ValueError, match="stack"):
        gbm_demand.PlanGbmSettings(model=GbmSettings(stack=True))
    with pytest.raises(ValueError, match="window_days"):
        gbm_demand.PlanGbmSettings(window_days=30)


def test_short_history_is_refused(world):
    folder, network, _ = world
    from storenet.errors import Refused

    with pytest.raises(Refused, match="too short for --model gbm"):
        gbm_demand.train(network, folder / "history", END - timedelta(days=100), HORIZON, SMALL)


def test_nightly_plan_takes_a_forecast_in_place_of_the_posterior(world):
    from storenet.planning.cycle import HorizonForecast, nightly_plan
    from storenet.planning.distribution import nb_params
    from storenet.planning.source import stock_from_master

    folder, network, _ = world
    state = state_through(network, folder / "history", THROUGH)
    stock = stock_from_master(network, folder / "master")
    default = nightly_plan(network, state, stock)
    # storenet's own forecast, handed in from outside: the same plan
    days = np.full(network.n_pairs, HORIZON)
    exposure = horizon_exposure(state, network, state.through + 1, days)
    post = posterior(state, network)
    r, p = nb_params(*post.over_days(days), exposure)
    same = nightly_plan(network, state, stock, forecast=HorizonForecast(post.mean * exposure, r, p))
    for name in ("mean", "quantile", "target", "request", "allocated"):
        np.testing.assert_array_equal(getattr(same, name), getattr(default, name))
    # a forecast twice as large asks for more
    double = HorizonForecast(2 * post.mean * exposure, r, r / (r + 2 * post.mean * exposure))
    more = nightly_plan(network, state, stock, forecast=double)
    assert more.target.sum() > default.target.sum()
