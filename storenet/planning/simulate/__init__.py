"""Replaying demand day by day against a replenishment policy (`storenet simulate`).

`inputs` (settings, what a replay starts from), `policies` (storenet's plan and its
peers), `engine` (the replay: lanes, warehouses, the day's timeline) and `frontier`
(each policy along its sweep). Callers import from those modules; drawing the frontier
is the CLI's (`storenet.cli_frontier`).
"""

# Kept for callers written against the single module this package replaced:
# storenet.planning.compare refers to these as `simulate.<name>`, and the console
# (storenet.web.simulator) imports SWEEPS from here. New code imports the submodules.
from storenet.planning.simulate.engine import simulate
from storenet.planning.simulate.inputs import closing_on_hand, prepare
from storenet.planning.simulate.policies import (
    POLICIES,
    SWEEPS,
    make_policy,
    statsforecast_available,
)

__all__ = [
    "POLICIES",
    "SWEEPS",
    "closing_on_hand",
    "make_policy",
    "prepare",
    "simulate",
    "statsforecast_available",
]
