"""A long-lead launch is bought ahead: the orders placed a lead time before it buy its
first fill and its first weeks' demand, so its warehouses hold stock after it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from storenet.datagen import NetworkSpec, generate
from storenet.datagen.history import Simulation

# A network run by the plan (as the demo's): its 36-day supplier (the phones) launches
# SKUs 92, 108 and 130 days into a 160-day history.
SPEC = NetworkSpec(
    stores=400,
    skus=50,
    days=160,
    seed=1,
    end=date(2026, 8, 2),
    planned_stores=True,
    full_supply=True,
)
LONG_LEAD = 28  # days: a supplier this slow must be ordered from before the launch
FIRST_WEEKS = 21  # days after the launch watched


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory):
    """(simulation, warehouse stock per SKU at the end of each history day)."""
    days: list[np.ndarray] = []
    seen: list[Simulation] = []
    run_day = Simulation._day

    def recording(self, t, weekday, writer, totals):
        run_day(self, t, weekday, writer, totals)
        days.append(self.wh_stock.sum(axis=0))
        if not seen:
            seen.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Simulation, "_day", recording)
        generate(SPEC, Path(tmp_path_factory.mktemp("launch")))
    return seen[0], np.array(days)


def long_lead_launches(sim: Simulation) -> list[tuple[int, int]]:
    """(SKU, launch day) of the SKUs of slow suppliers launched well inside the
    history: a lead time and two weeks after its start, three weeks before its end."""
    out = []
    for day, skus in sorted(sim.launching.items()):
        for k in skus:
            lead = sim.lead_mean[k]
            if lead >= LONG_LEAD and lead + 14 <= day <= sim.n_days - FIRST_WEEKS:
                out.append((k, day))
    return out


def test_the_network_has_long_lead_launches_inside_its_history(watched):
    sim, _ = watched
    assert len(long_lead_launches(sim)) >= 3


def test_a_long_lead_launch_finds_stock_in_its_warehouses_in_its_first_weeks(watched):
    sim, stock = watched
    for k, day in long_lead_launches(sim):
        held = stock[day : day + FIRST_WEEKS, k] > 0
        assert held.mean() >= 0.9, (k, day, held.mean())


def test_orders_placed_before_a_launch_buy_its_first_fill_and_first_weeks(watched):
    sim, _ = watched
    lines = sim.purchases.lines(sim.n_days)
    for k, day in long_lead_launches(sim):
        # given: what the stores took on the launch's eve, and the expected demand of
        # its first two weeks
        keys, units = sim.first_fill_units[day - 1]
        first_fill = units[keys % sim.n_skus == k].sum()
        expected = sim._demand_over(day - 2, np.array([14]), np.array([k])).sum()
        # when: the units that orders placed before the launch delivered by then
        bought = (lines.sku == k) & (lines.ordered < day) & (lines.arrival < day + 14)
        received = lines.qty_good[bought].sum()
        # then
        assert received >= 0.9 * (first_fill + expected), (k, day, received)
