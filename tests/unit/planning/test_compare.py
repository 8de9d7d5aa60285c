"""Policy comparisons (storenet.planning.compare): which runs, in which order, their KPI
points, and the current network's inputs."""

import math

import numpy as np
import pytest

from storenet.errors import Refused
from storenet.planning import compare
from storenet.planning.simulate.engine import simulate
from storenet.planning.simulate.policies import make_policy
from tests.conftest import sqlite_engine

from .test_simulate import hand_built, with_sweeps, without_statsforecast

SMALL_SWEEPS = {"storenet": (0.7, 0.9), "minmax": (1.0,), "statsforecast": (1.0,)}


@pytest.fixture
def sim():
    # Six days of steady demand (one unit a day on every pair) after a Poisson warm-up.
    return hand_built(np.ones((6, 24), np.int64), start=2, warehouse=40)


def test_choose_policies_keeps_the_order_drops_repeats_and_names_the_choices():
    assert compare.choose_policies(["minmax", " storenet", "minmax", ""]) == (
        ["minmax", "storenet"],
        [],
    )
    with pytest.raises(
        Refused, match="policies: unknown policy fifo; choose from storenet, minmax"
    ):
        compare.choose_policies(["storenet", "fifo"])
    with pytest.raises(Refused, match=r"policies: unknown policy \(none\)"):
        compare.choose_policies([" "])


def test_statsforecast_is_skipped_with_its_reason_when_not_installed(monkeypatch):
    without_statsforecast(monkeypatch)
    names, skipped = compare.choose_policies(["storenet", "statsforecast"])
    assert names == ["storenet"]
    assert skipped == [{"policy": "statsforecast", "reason": compare.STATSFORECAST_MISSING}]
    assert "statsforecast" not in compare.available_policies()
    with pytest.raises(Refused, match="policies: statsforecast is not installed"):
        compare.choose_policies(["statsforecast"])


def test_runs_are_the_defaults_then_each_policy_along_its_sweep(monkeypatch):
    with_sweeps(monkeypatch, SMALL_SWEEPS)
    assert compare.planned_runs(["storenet", "minmax"], sweep=False) == [
        ("storenet", None),
        ("minmax", None),
    ]
    assert compare.planned_runs(["storenet", "minmax"], sweep=True) == [
        ("storenet", None),
        ("minmax", None),
        ("storenet", 0.7),
        ("storenet", 0.9),
        ("minmax", 1.0),
    ]


def test_a_comparison_returns_each_runs_kpis_as_simulate_computes_them(sim, monkeypatch):
    with_sweeps(monkeypatch, SMALL_SWEEPS)
    seen = []
    result = compare.compare(
        sim, ["storenet", "minmax"], sweep=True, progress=lambda *a: seen.append(a)
    )

    runs = compare.planned_runs(["storenet", "minmax"], sweep=True)
    assert result.runs == runs and [r.policy for r in result.results] == [n for n, _ in runs]
    # min/max names its default safety factor; storenet's defaults are per category.
    assert [r.setting for r in result.results] == [None, 1.5, 0.7, 0.9, 1.0]
    assert [p["default_settings"] for p in result.points()] == [True, True, False, False, False]
    # Each point is the KPIs of the same replay run on its own (the replay is deterministic).
    for point, (name, value) in zip(result.points(), runs, strict=True):
        alone = simulate(sim, make_policy(name, value)).kpis()
        for key in ("fill_rate", "inventory_days", "turnover", "stockout_rate", "units_sold"):
            assert point[key] == alone[key], (name, value, key)
    assert [r.policy for r in result.defaults()] == ["storenet", "minmax"]
    assert {k: [r.setting for r in v] for k, v in result.curves().items()} == {
        "storenet": [0.7, 0.9],
        "minmax": [1.0],
    }
    # Progress counts replayed days over all runs, never going back.
    totals = {total for _, _, total in seen}
    assert totals == {5 * 6}
    done = [d for _, d, _ in seen]
    assert done == sorted(done) and done[-1] == 30
    assert {stage for stage, _, _ in seen} >= {"storenet", "minmax 1.5", "storenet 0.7"}
    summary = result.summary()
    assert summary["first_day"] == str(sim.days[0]) and summary["last_day"] == str(sim.days[-1])
    assert summary["split"] == str(sim.split) and summary["settings"]["days"] == 6
    assert summary["start_stock"]["store_units"] == 2 * 24


def test_a_kpi_without_a_denominator_is_none_in_the_points(sim):
    # No demand at all in the replay: fill rate and inventory days have nothing to measure.
    quiet = hand_built(np.zeros((3, 24), np.int64), start=2, warehouse=0)
    point = compare.compare(quiet, ["minmax"]).points()[0]
    assert point["fill_rate"] is None and point["inventory_days"] is None
    assert not any(isinstance(v, float) and math.isnan(v) for v in point.values())


def test_compare_refuses_an_unknown_policy(sim):
    with pytest.raises(Refused, match="policies: unknown policy 'fifo'"):
        compare.compare(sim, ["fifo"])


def test_the_current_network_must_have_an_assortment_and_a_history(tmp_path):
    engine = sqlite_engine(tmp_path)
    try:
        with pytest.raises(Refused, match="assortment: is empty"):
            compare.compare_current(engine, tmp_path / "history", ["storenet"], days=3)
    finally:
        engine.dispose()
