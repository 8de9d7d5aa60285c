import sys
import types
from dataclasses import dataclass

import numpy as np
import pytest

from storenet.planning.cycle import nightly_plan
from storenet.planning.simulate.chain import simulate_chain
from storenet.planning.simulate.chain_policies import StorenetChain, chain_plan_available

from .conftest import check_conservation, tiny_chain


@dataclass
class Upstream:
    kind: np.ndarray
    source: np.ndarray
    destination: np.ndarray
    sku: np.ndarray
    qty: np.ndarray


@dataclass
class Plan:
    stores: object
    upstream: Upstream


def stand_in(calls):
    """A chain plan with the agreed interface: the store plan of `nightly_plan`, one
    case of every SKU bought for the central warehouse every night (whatever the
    supplier's calendar) and one unit of SKU 0 sent central -> regional."""

    def chain_plan(network, tree, state, stock, settings, progress=None, reviewing=None):
        calls.append(stock)
        stores = nightly_plan(network, state, stock.stores, settings, reviewing=reviewing)
        central, regional = len(network.warehouses) - 1, 0
        skus = np.flatnonzero(tree.sku_delivers_to == central)
        n = skus.size
        upstream = Upstream(
            kind=np.r_[np.zeros(n, np.int8), 1],
            source=np.r_[tree.sku_supplier[skus], central],
            destination=np.r_[np.full(n, central), regional],
            sku=np.r_[skus, 0],
            qty=np.r_[tree.sku_case_pack[skus], 1 if stock.stores.warehouse[central, 0] else 0],
        )
        return Plan(stores, upstream)

    return chain_plan


def test_the_storenet_chain_policy_turns_the_plans_lines_into_the_replays_legs(monkeypatch):
    calls = []
    module = types.ModuleType("storenet.planning.chain.plan")
    module.chain_plan = stand_in(calls)
    monkeypatch.setitem(sys.modules, "storenet.planning.chain.plan", module)
    chain = tiny_chain(days=42)
    policy = StorenetChain(0.9)
    result = simulate_chain(chain, policy)
    assert len(calls) == 42  # the plan every night
    # Lines for a supplier that takes no orders tonight are held back, never sent.
    assert policy.held_back > 0
    _, placed, _, _ = result.supplier_lines_log.T
    days = result.days[placed].astype(np.int64) + 1  # a PO goes out the next morning
    weekday_bits = 1 << ((days + 3) % 7)
    sku = result.supplier_lines_log[:, 0] % chain.sim.network.n_skus
    assert np.all(chain.tree.sku_order_days[sku] & weekday_bits)
    # The stand-in sends one unit a night central -> regional: 42 units moved on top
    # of the regional's opening stock, and every unit is accounted for.
    check_conservation(result)
    assert result.series["supplier_received"].sum() > 0
    # The plan is told each warehouse's store sales of the last 7 days, today's last.
    n_w, n_k = chain.tree.n_warehouses, chain.sim.network.n_skus
    for i, stock in enumerate(calls):
        assert stock.recent_sales.shape == (7, n_w, n_k)
        assert stock.recent_sales[-1].sum() == result.series["sold"][i]
        if i:
            assert np.array_equal(stock.recent_sales[:-1], calls[i - 1].recent_sales[1:])
    assert StorenetChain(0.9, pass_sold=False).pass_sold is False


@pytest.mark.skipif(not chain_plan_available(), reason="the multi-echelon plan is not merged")
def test_storenet_multi_echelon_runs_on_a_tiny_network_and_conserves_units():
    chain = tiny_chain(days=56)
    result = simulate_chain(chain, StorenetChain(0.95))
    check_conservation(result)
    kpis = result.kpis()
    assert kpis["store_fill"] > 0.9
    assert kpis["supplier_orders"] > 0


def test_the_sole_store_push_conserves_units_and_empties_the_regionals():
    """Two stores under two regionals: every regional SKU has one store. With the push
    the replay keeps its rules (it raises on a line a node cannot fill) and units, and
    the regionals end their stores' review nights holding less than without it."""
    from storenet.planning.cycle import PlanSettings

    chain = tiny_chain(days=56, stores=2, regionals=2)
    pushed = simulate_chain(chain, StorenetChain(0.95, PlanSettings(sole_store_push=True)))
    plain = simulate_chain(chain, StorenetChain(0.95))
    check_conservation(pushed)
    k, before = pushed.kpis(), plain.kpis()
    assert k["average_regional"] < 0.5 * before["average_regional"]
    assert k["average_stores"] > before["average_stores"]
    assert k["store_fill"] > 0.9
