"""The evaluation's `gbm` model forecasts exactly as before the global model moved to
planning (`storenet.planning.gbm`).

`gbm_before.npz` was written by `record()` with the code before the move (commit
83d9719, evaluation.gbm holding the model); the adapter must give the same numbers.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from storenet.datasets.m5 import EventCalendar, SalesPanel
from storenet.evaluation import backtest, models
from storenet.planning.demand.memory import DemandSettings
from tests.unit.evaluation.conftest import synthetic_panel

BEFORE = Path(__file__).parent / "data" / "gbm_before.npz"
SMALL = {"origins": 8, "rounds": 30, "threads": 1, "bands": 4}
VARIANTS = {
    "holdout": {"holdout": True},
    "offset": {"offset": True},
    "stack": {"stack": True},
    "extra": {"extra": ("std_28", "max_28", "last_year", "trend_28_91", "days_to_event")},
    "ensemble": {"seeds": 2, "objectives": ("tweedie", "poisson")},
    "blend_fit": {"blend_fit": True},
}


def _inputs() -> tuple[SalesPanel, EventCalendar]:
    """A 400-day panel with prices and SNAP days in one state, cut 28 days early."""
    panel = synthetic_panel(n_days=400, seed=3)
    rng = np.random.default_rng(5)
    price = np.full(panel.units.shape, np.nan)
    price[:4] = np.repeat(rng.choice([1.0, 0.8, 1.2], size=(4, 400 // 7 + 1)), 7, 1)[:, :400]
    panel = SalesPanel(panel.units, panel.days, panel.series, price=price)
    n = len(panel.days) + 60
    days = panel.days[0] + np.arange(n)
    name = np.array([""] * n, dtype=object)
    kind = np.array([""] * n, dtype=object)
    name[::45], kind[::45] = "Feast", "Cultural"
    name[20::90], kind[20::90] = "Games", "Sporting"
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    calendar = EventCalendar(days, name, kind, {"A": dom <= 10, "Z": dom > 20})
    return backtest.cut(panel, panel.days[-29]), calendar


def forecasts() -> dict[str, np.ndarray]:
    """The evaluation gbm's forecasts on `_inputs()`: the backtest model (blended and
    alone) and fit_predict under each option."""
    from storenet.evaluation import gbm

    history, calendar = _inputs()
    out: dict[str, np.ndarray] = {}
    for label, blend in (("gbm", 0.5), ("gbm_alone", 0.0)):
        f = gbm.gbm_model(gbm.GbmSettings(blend=blend, **SMALL))(history, calendar, 28)
        out[f"{label}_mean"] = f.mean
        out[f"{label}_quantiles"] = f.quantiles
        out[f"{label}_week90"] = f.week_q90
        out[f"{label}_week95"] = f.week_q95
    for label, extra in VARIANTS.items():
        g = gbm.fit_predict(history, calendar, 28, gbm.GbmSettings(**SMALL, **extra))
        out[f"{label}_mean"] = g.mean
        out[f"{label}_r"] = g.r
        out[f"{label}_alpha_week"] = g.alpha_week
        out[f"{label}_blend"] = np.array([g.blend])
    return out


def record() -> None:
    """Write BEFORE (run once, with the code before the move)."""
    np.savez_compressed(BEFORE, **forecasts())


@dataclass(frozen=True)
class _DemandSettingsOfTheRecord(DemandSettings):
    """The demand model's defaults when BEFORE was written: the gbm blends storenet's
    forecast, and issue 17 later changed kappa (5 -> 2.5) and added the short pair
    memory (delta_short 0.9); this test checks the move, not those defaults."""

    kappa: float = 5.0
    delta_short: float = 0.0


def test_the_gbm_forecasts_are_those_of_before_the_move_to_planning(monkeypatch):
    pytest.importorskip("lightgbm")
    monkeypatch.setattr(models, "DemandSettings", _DemandSettingsOfTheRecord)
    before = np.load(BEFORE)
    after = forecasts()
    assert sorted(after) == sorted(before.files)
    for key in before.files:
        # One thread, fixed seeds: the same numbers (a few ulps allowed for libm).
        np.testing.assert_allclose(after[key], before[key], rtol=1e-12, atol=0, err_msg=key)
