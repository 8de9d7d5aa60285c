"""Units lent between sibling warehouses in the chain replay."""

import numpy as np
import pytest

from storenet.planning.simulate.chain import simulate_chain
from storenet.planning.simulate.chain_policies import ChainDecision
from storenet.planning.simulate.policies import Decision

from .conftest import check_conservation, tiny_chain


class Lends:
    """Ships nothing to stores; every evening lends `units` of SKU 0 from the cell of
    warehouse `giver` to that of `taker` while the giver holds them."""

    name, setting = "lends", None

    def __init__(self, giver: int, taker: int, units: int = 2, always: bool = False):
        self.giver, self.taker, self.units, self.always = giver, taker, units, always

    def start(self, chain):
        self.chain = chain
        self.lent = 0

    def observe(self, day, sold, stockout):
        pass

    def decide(self, view):
        n_skus = self.chain.sim.network.n_skus
        held = int(view.warehouse[self.giver, 0])
        units = self.units if self.always else min(self.units, held)
        self.lent += units
        lent = np.array([[self.giver * n_skus, self.taker * n_skus, units]], np.int64)
        none = np.zeros(self.chain.sim.network.n_pairs, np.int64)
        zeros = np.zeros(self.chain.n_cells, np.int64)
        return ChainDecision(Decision(none), zeros, zeros.copy(), lent[lent[:, 2] > 0])


def test_units_lent_between_siblings_travel_and_are_conserved():
    chain = tiny_chain(days=28, regionals=2)
    policy = Lends(giver=1, taker=0)
    result = simulate_chain(chain, policy)
    check_conservation(result)
    assert policy.lent > 0
    # Nothing else moves between nodes: what is on the road is what W2 lent.
    assert result.series["in_transit"].max() > 0
    assert result.series["regional"][0] + result.series["in_transit"][0] == (
        result.series["regional"][-1] + result.series["in_transit"][-1]
    )


def test_lending_between_cells_that_are_not_siblings_is_refused():
    chain = tiny_chain(days=14, regionals=2)
    central = chain.tree.n_warehouses - 1
    with pytest.raises(RuntimeError, match="non-siblings"):
        simulate_chain(chain, Lends(giver=central, taker=0))


def test_lending_more_than_the_sibling_holds_is_refused():
    chain = tiny_chain(days=14, regionals=2)
    with pytest.raises(RuntimeError, match="more than the warehouse holds"):
        simulate_chain(chain, Lends(giver=1, taker=0, units=10**6, always=True))
