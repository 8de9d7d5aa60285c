"""Tiny synthetic panels shaped like M5 (no real data in unit tests)."""

import numpy as np
import polars as pl
import pytest

from storenet.datasets.m5 import EventCalendar, SalesPanel


def synthetic_panel(n_days: int = 240, seed: int = 0) -> SalesPanel:
    """2 stores x 4 items (2 depts, 1 state each store), weekday pattern, one item
    launched late, one never sold; Poisson-gamma sales."""
    rng = np.random.default_rng(seed)
    stores, items = ["A_1", "B_1"], ["D1_001", "D1_002", "D2_001", "D2_002"]
    rows = [(s, i) for s in stores for i in items]
    series = pl.DataFrame(
        {
            "id": [f"{i}_{s}" for s, i in rows],
            "store": [s for s, _ in rows],
            "sku": [i for _, i in rows],
            "dept": [i[:2] for _, i in rows],
            "category": ["C"] * len(rows),
            "state": [s[0] for s, _ in rows],
        }
    )
    days = np.datetime64("2015-01-01") + np.arange(n_days)
    weekday = np.array([0.8, 0.8, 0.9, 1.0, 1.1, 1.4, 1.2])[(days.astype(np.int64) + 3) % 7]
    rate = np.array([2.0, 0.4, 1.0, 0.0, 3.0, 0.3, 0.8, 0.0])[:, None] * weekday[None]
    units = rng.poisson(rng.gamma(2.0, rate / 2.0)).astype(float)
    units[2, : n_days // 2] = 0.0  # launched half-way
    units[3] = 0.0  # never sold
    units[7] = 0.0
    return SalesPanel(units=units, days=days, series=series)


def synthetic_calendar(panel: SalesPanel) -> EventCalendar:
    n = len(panel.days) + 60
    days = panel.days[0] + np.arange(n)
    name = np.array([""] * n, dtype=object)
    kind = np.array([""] * n, dtype=object)
    name[::50], kind[::50] = "Feast", "Cultural"
    return EventCalendar(days=days, name=name, kind=kind, snap={"A": np.zeros(n, bool)})


@pytest.fixture
def panel() -> SalesPanel:
    return synthetic_panel()


@pytest.fixture
def calendar(panel) -> EventCalendar:
    return synthetic_calendar(panel)
