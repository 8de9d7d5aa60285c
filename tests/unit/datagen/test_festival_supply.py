"""Supplier orders buy the stores' targets of the days they serve: an order placed a
lead time before Double 11 adds the stores' festival targets to its need, not the
lower targets of its order day (a network run by the plan)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from storenet.datagen import NetworkSpec, generate
from storenet.datagen.history import Simulation

# A network run by the plan whose history ends after Double 11 (2026-11-11).
SPEC = NetworkSpec(
    stores=100, skus=40, days=120, seed=3, end=date(2026, 11, 30), planned_stores=True
)
BEFORE = 3  # days: the order arrives this long before the festival


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Simulation:
    seen: list[Simulation] = []
    run_day = Simulation._day

    def recording(self, t, weekday, writer, totals):
        if not seen:
            seen.append(self)
        run_day(self, t, weekday, writer, totals)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Simulation, "_day", recording)
        generate(SPEC, Path(tmp_path_factory.mktemp("festival")))
    return seen[0]


def listed_pairs(sim: Simulation, k: int, g: int) -> np.ndarray:
    """The pairs of SKU k the supplier order of grid day g counts (as `_store_echelon`)."""
    idx = sim.by_sku[sim.sku_start[k] : sim.sku_start[k + 1]]
    return idx[(idx < sim.p_end(g - 1)) & sim._listed_on(idx, g - 1)]


def test_an_order_a_lead_time_before_double_11_adds_the_stores_festival_targets(sim):
    festival = int((np.datetime64("2026-11-11") - sim.first_day).astype(int))
    festival_total = order_day_total = 0
    for k in range(sim.n_skus):
        # given: an order of SKU k placed so that it arrives BEFORE days before the
        # festival, and the targets the stores order up to on the festival's eve
        g = festival - int(round(sim.lead_mean[k])) - BEFORE
        idx = listed_pairs(sim, k, g) if g >= 1 else np.zeros(0, dtype=np.int64)
        if len(idx) == 0:
            continue
        at_festival = sim._targets(idx, festival).sum()
        festival_total += at_festival
        order_day_total += sim._targets(idx, g).sum()
        # when: the stores' targets the order adds to its need
        targets, _ = sim._store_echelon(g, np.array([k]))
        # then: at least the festival's
        assert targets.sum() >= at_festival, (k, targets.sum(), at_festival)
    # The festival's targets are well above the order days' (else the test is moot).
    assert festival_total >= 1.05 * order_day_total, (festival_total, order_day_total)
