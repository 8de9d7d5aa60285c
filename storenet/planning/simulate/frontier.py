"""Frontier metrics: each policy replayed along its sweep, and where its frontier
(fill rate against inventory days) crosses a fill rate or an inventory level."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from storenet.planning.simulate.engine import SimResult, simulate
from storenet.planning.simulate.inputs import Progress, SimInput
from storenet.planning.simulate.policies import SWEEPS, make_policy


def frontier(
    sim: SimInput,
    policies: Sequence[str],
    sweeps: dict[str, Sequence[float]] | None = None,
    progress: Progress | None = None,
) -> dict[str, list[SimResult]]:
    """Replay every policy at every setting of its sweep (default `SWEEPS`): the
    points (inventory days, fill rate) of its frontier, in sweep order."""
    sweeps = sweeps or SWEEPS
    return {
        name: [simulate(sim, make_policy(name, v), progress) for v in sweeps[name]]
        for name in policies
    }


def fill_at(runs: Sequence[SimResult], inventory_days: float) -> float:
    """The fill rate of a policy's frontier at `inventory_days`: linear interpolation
    between its runs ordered by inventory days; NaN outside the runs' range (a frontier
    is not extrapolated)."""
    points = sorted((r.kpis() for r in runs), key=lambda k: k["inventory_days"])
    xs = np.array([k["inventory_days"] for k in points])
    ys = np.array([k["fill_rate"] for k in points])
    if xs.size == 0 or not xs[0] <= inventory_days <= xs[-1]:
        return float("nan")
    return float(np.interp(inventory_days, xs, ys))


def days_at(runs: Sequence[SimResult], fill_rate: float) -> float:
    """The fewest inventory days at which a policy's frontier reaches `fill_rate`:
    walking its runs by inventory days, the first crossing, linearly interpolated; the
    first run's days if it already fills that much; NaN if no run reaches it."""
    points = [(k["inventory_days"], k["fill_rate"]) for k in (r.kpis() for r in runs)]
    return first_crossing(points, fill_rate)


def first_crossing(points: Sequence[tuple[float, float]], fill_rate: float) -> float:
    """`days_at` over plain (inventory days, fill rate) points (any KPI pair: the chain
    replay passes network inventory days and store fill)."""
    points = sorted(points)
    for i, (x, y) in enumerate(points):
        if y >= fill_rate:
            if i == 0:
                return float(x)
            x0, y0 = points[i - 1]
            return float(x0 + (fill_rate - y0) * (x - x0) / (y - y0))
    return float("nan")
