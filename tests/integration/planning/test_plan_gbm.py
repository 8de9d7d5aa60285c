"""`storenet plan --model gbm`: the nightly plan from the database with the gbm forecast.

A small generated network imported through the real import path; a small booster
(one thread) keeps it quick. The plan's means track storenet's, the saved model
serves the next night, and a bad --model value is refused before anything runs.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from storenet.cli import app
from storenet.datagen import NetworkSpec, generate
from storenet.errors import Refused
from storenet.imports import import_folder
from storenet.planning import gbm_demand
from storenet.planning.gbm.settings import GbmSettings
from storenet.planning.service import run_plan
from storenet.settings import Settings

END = date(2026, 11, 22)  # the generated history's last day
SMALL = gbm_demand.PlanGbmSettings(
    sample_pairs=300,
    model=GbmSettings(
        drop=("item", "store"), origins=8, rounds=30, leaves=15, min_leaf=20, threads=1
    ),
)


@pytest.fixture
def network(engine, tmp_path):
    generate(NetworkSpec(stores=16, skus=30, days=150, seed=5, end=END), tmp_path)
    import_folder(engine, tmp_path / "master")
    return engine, Settings(home=tmp_path, db_url=str(engine.url))


def test_gbm_plan_tracks_storenet_and_reuses_its_model_the_next_night(network):
    engine, settings = network
    day = END  # plans the day after END - 1: the last history day stays unseen
    _, ours = run_plan(settings, engine, day, model="storenet")
    stages = []
    header, gbm = run_plan(
        settings,
        engine,
        day,
        model="gbm",
        gbm_settings=SMALL,
        progress=lambda stage, done, total: stages.append(stage),
    )
    assert "training gbm" in stages and "forecasting gbm" in stages
    assert header["status"] == "draft"
    assert 0.5 < gbm.mean.sum() / ours.mean.sum() < 2.0
    assert np.corrcoef(gbm.mean, ours.mean)[0, 1] > 0.8
    assert not np.array_equal(gbm.mean, ours.mean)
    assert gbm.seconds["gbm_train"] > 0
    assert np.all(gbm.mean[ours.mean == 0] == 0)  # no demand where a pair is not active
    path = gbm_demand.model_path(settings.home)
    stamp = path.stat().st_mtime_ns
    assert gbm_demand.load_model(path).trained_through == day - timedelta(days=1)

    # the next night reuses the saved model, and the demand state moved on
    stages.clear()
    _, next_night = run_plan(
        settings,
        engine,
        day + timedelta(days=1),
        model="gbm",
        gbm_settings=SMALL,
        progress=lambda stage, done, total: stages.append(stage),
    )
    assert "training gbm" not in stages and "forecasting gbm" in stages
    assert next_night.seconds["gbm_train"] == 0
    assert path.stat().st_mtime_ns == stamp
    assert next_night.through == np.datetime64(day)

    # the storenet plan of the same day is the same after the gbm ran
    _, again = run_plan(settings, engine, day, model="storenet")
    np.testing.assert_array_equal(again.mean, ours.mean)
    np.testing.assert_array_equal(again.allocated, ours.allocated)


def test_run_plan_refuses_an_unknown_model(network):
    engine, settings = network
    with pytest.raises(Refused, match="model: must be one of storenet, gbm"):
        run_plan(settings, engine, END, model="prophet")


def test_run_plan_gbm_without_lightgbm_is_refused_before_any_work(network, monkeypatch):
    import importlib.util

    engine, settings = network
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "lightgbm" else real(name, *a)
    )
    with pytest.raises(Refused, match=r"model: gbm needs LightGBM: pip install 'storenet\[gbm\]'"):
        run_plan(settings, engine, END, model="gbm")
    assert not gbm_demand.model_path(settings.home).exists()


def test_cli_plan_model_gbm_and_a_bad_model_value(network, monkeypatch):
    engine, settings = network
    monkeypatch.setenv("STORENET_HOME", str(settings.home))
    monkeypatch.setenv("STORENET_DB", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    bad = runner.invoke(app, ["plan", "--model", "xgboost"])
    assert bad.exit_code == 2
    assert "--model: must be one of storenet, gbm" in bad.output
    assert "'xgboost'" in bad.output
    assert not gbm_demand.model_path(settings.home).exists()

    # the CLI's plan with the small settings (the defaults train on 20,000 pairs)
    real = gbm_demand.plan_forecast
    monkeypatch.setattr(
        gbm_demand,
        "plan_forecast",
        lambda *args, settings=None, progress=None: real(*args, settings=SMALL, progress=progress),
    )
    ok = runner.invoke(app, ["plan", "--model", "gbm", "--date", END.isoformat()])
    assert ok.exit_code == 0, ok.output
    assert "plan-2026-11-22" in ok.output and "gbm_forecast" in ok.output
    assert gbm_demand.model_path(settings.home).exists()
