from dataclasses import replace

import numpy as np
import pytest

from storenet.planning.simulate.chain import simulate_chain, week_of
from storenet.planning.simulate.chain_inputs import ChainSettings, SupplierTerms
from storenet.planning.simulate.chain_policies import (
    ChainDecision,
    DecoupledMinMax,
    StorenetStoresMinMax,
)
from storenet.planning.simulate.policies import Decision

from .conftest import check_conservation, tiny_chain


@pytest.mark.parametrize(
    "policy", [DecoupledMinMax(1.5), StorenetStoresMinMax(0.9)], ids=lambda p: p.name
)
def test_the_chain_replay_conserves_units_every_day(chain, policy):
    result = simulate_chain(chain, policy)
    check_conservation(result)
    assert result.series["supplier_received"].sum() > 0
    assert result.supplier_lines > 0


def test_lead_time_draws_stay_within_their_spread_and_lines_never_overtake():
    terms = SupplierTerms(
        lead_means=(10.0,), lead_sd_share=0.3, order_days=("mon,tue,wed,thu,fri",)
    )
    chain = tiny_chain(days=120, terms=terms, settings=ChainSettings(lead_spread=1.5))
    result = simulate_chain(chain, Buys())
    cell, placed, drawn, arrival = result.supplier_lines_log.T
    assert drawn.size > 20
    # Mean 10, sd 3, within 1.5 sd: 5.5..14.5, whole days 6..14.
    assert drawn.min() >= 6 and drawn.max() <= 14
    assert drawn.min() < 10 < drawn.max()  # they do vary
    # A line arrives no earlier than its draw, and never before a line of the same
    # cell placed earlier (the log is in the order lines were placed).
    assert np.all(arrival >= placed + drawn)
    for c in np.unique(cell):
        assert np.all(np.diff(arrival[cell == c]) >= 0)
    assert np.any(arrival > placed + drawn)  # holding back did happen


def test_supplier_capacity_caps_what_is_confirmed_each_week():
    terms = SupplierTerms(capacity_weeks=0.8, order_days=("mon,thu",))
    chain = tiny_chain(days=84, terms=terms)
    result = simulate_chain(chain, DecoupledMinMax(2.0, warehouse_factor=2.0))
    capacity = chain.tree.sku_weekly_capacity
    # An order decided on an evening goes out the next morning: its week counts.
    weeks = np.array([week_of(int(d.astype(np.int64)) + 1) for d in result.days])
    confirmed = result.orders_by_sku
    for week in np.unique(weeks):
        assert np.all(confirmed[weeks == week].sum(axis=0) <= capacity)
    kpis = result.kpis()
    assert kpis["units_cut_by_capacity"] > 0  # the rule was binding, not idle


class Buys:
    """Buys `cases` cases of every supplier-fed cell each evening, on its supplier's
    order days (or on the other days, `off_days`); ships nothing."""

    name, setting = "buys", None

    def __init__(self, cases: int = 1, off_days: bool = False):
        self.cases, self.off_days = cases, off_days

    def start(self, chain):
        self.chain = chain
        self.sku = np.arange(chain.n_cells) % chain.sim.network.n_skus

    def observe(self, day, sold, stockout):
        pass

    def decide(self, view):
        chain = self.chain
        open_ = view.order_day[self.sku] != self.off_days
        units = self.cases * chain.tree.sku_case_pack[self.sku]
        purchases = np.where(chain.supplier_fed & open_, units, 0).astype(np.int64)
        none = np.zeros(chain.sim.network.n_pairs, np.int64)
        return ChainDecision(Decision(none), np.zeros(chain.n_cells, np.int64), purchases)


def test_a_purchase_off_the_suppliers_order_days_is_refused(chain):
    with pytest.raises(RuntimeError, match="takes no orders"):
        simulate_chain(chain, Buys(off_days=True))


def test_a_purchase_below_the_moq_is_refused(chain):
    tree = replace(chain.tree, sku_moq=chain.tree.sku_case_pack * 3)
    with pytest.raises(RuntimeError, match="MOQ"):
        simulate_chain(replace(chain, tree=tree), Buys(cases=2))
    check_conservation(simulate_chain(replace(chain, tree=tree), Buys(cases=3)))


def test_decoupled_min_max_amplifies_demand_variance_upstream(chain):
    kpis = simulate_chain(chain, DecoupledMinMax(1.5)).kpis()
    # Each node orders in batches from its own shipments: the supplier sees weekly
    # orders far more variable than the stores' weekly demand.
    assert kpis["bullwhip"] > 2.0
    assert kpis["bullwhip_total"] > 2.0


def test_storenet_stores_fill_more_than_min_max_stores_on_the_same_warehouses(chain):
    minmax = simulate_chain(chain, DecoupledMinMax(1.5)).kpis()
    storenet = simulate_chain(chain, StorenetStoresMinMax(0.95)).kpis()
    assert storenet["store_fill"] > minmax["store_fill"]
    assert storenet["supplier_orders"] > 0


def test_the_same_seed_gives_the_same_replay(chain):
    a = simulate_chain(chain, DecoupledMinMax(1.5)).kpis()
    b = simulate_chain(chain, DecoupledMinMax(1.5)).kpis()
    assert {k: v for k, v in a.items() if k != "seconds"} == {
        k: v for k, v in b.items() if k != "seconds"
    }
