import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from storenet.datagen.build import NetworkSpec, generate
from storenet.planning import simulate as simulate_package
from storenet.planning.history import HistoryFrame
from storenet.planning.simulate import policies
from storenet.planning.simulate.engine import ration, simulate
from storenet.planning.simulate.frontier import days_at, fill_at
from storenet.planning.simulate.inputs import SimSettings, load, prepare
from storenet.planning.simulate.policies import (
    Decision,
    ForecastPolicy,
    MinMaxPolicy,
    NullPolicy,
    PeerUnavailable,
    StorenetPolicy,
    View,
    make_policy,
)

from .conftest import poisson_days, small_network

WARM_DAYS = 56
FIRST = np.datetime64("2025-06-01", "D")
SPLIT = FIRST + np.timedelta64(WARM_DAYS - 1, "D")


def hand_built(replay_demand: np.ndarray, start: int = 5, warehouse: int = 0, quiet_sku: int = -1):
    """A replay of the conftest network (6 stores x 4 SKUs, one warehouse): 56 warm-up
    days of Poisson sales (0.5 a day; none for `quiet_sku`, so its warehouse gets
    nothing from the supplier), then `replay_demand` [days, pairs] as the true demand."""
    network = small_network()
    rates = np.where(network.pair_sku == quiet_sku, 0.0, 0.5)
    warm = poisson_days(network, rates, FIRST, WARM_DAYS, seed=1)
    days, pairs, units = [], [], []
    for sales in warm:
        days.append(np.full(sales.pair.size, sales.day))
        pairs.append(sales.pair)
        units.append(sales.units)
    for i, row in enumerate(replay_demand):
        # Pair 0 has a row every day (maybe of 0 units): the history covers the replay.
        pair = np.flatnonzero((row > 0) | (np.arange(row.size) == 0))
        days.append(np.full(pair.size, SPLIT + np.timedelta64(i + 1, "D")))
        pairs.append(pair)
        units.append(row[pair])
    units = np.concatenate(units).astype(np.int64)
    history = HistoryFrame(
        day=np.concatenate(days).astype("datetime64[D]"),
        pair=np.concatenate(pairs).astype(np.int64),
        units=units,
        stockout=np.zeros(units.size, bool),
        demand=units.copy(),
        dropped_rows=0,
    )
    settings = SimSettings(days=len(replay_demand), lead_days=2, supplier_lead_days=3)
    closing = np.full(network.n_pairs, start, np.int64)
    stock = np.full((1, network.n_skus), warehouse, np.int64)
    return prepare(network, history, settings, SPLIT, closing, stock)


def without_statsforecast(monkeypatch) -> None:
    """As if the optional peer were not installed, wherever callers look it up."""
    for module in (simulate_package, policies):
        monkeypatch.setattr(module, "statsforecast_available", lambda: False)


def with_sweeps(monkeypatch, sweeps: dict) -> None:
    """Replace the frontier's sweeps, wherever callers look them up."""
    for module in (simulate_package, policies):
        monkeypatch.setattr(module, "SWEEPS", sweeps)


class OrderOnce:
    """Asks for `units` of pair 0 on the first evening, nothing after."""

    name = "once"
    setting = None

    def __init__(self, units: int):
        self.units = units

    def start(self, sim):
        self.n = sim.network.n_pairs
        self.asked = False

    def observe(self, day, sold, stockout):
        pass

    def decide(self, view: View) -> Decision:
        request = np.zeros(self.n, np.int64)
        if not self.asked:
            request[0] = self.units
            self.asked = True
        return Decision(request)


def check_conservation(result):
    # Every pair: what it started with and received was sold, moved away or is left.
    np.testing.assert_array_equal(
        result.start + result.received, result.sold + result.moved_out + result.end
    )
    # Every warehouse cell: start + supplier deliveries = shipped + left.
    np.testing.assert_array_equal(
        result.warehouse_start + result.supplier_received, result.shipped + result.warehouse_end
    )
    # Shipped and moved units either reached a shelf or are still on their way.
    assert result.shipped.sum() + result.moved_out.sum() == (
        result.received.sum() + result.in_transit.sum()
    )
    assert np.all(result.sold <= result.demanded)
    assert np.all(result.end >= 0) and np.all(result.warehouse_end >= 0)


def test_a_policy_that_orders_nothing_runs_out_and_loses_only_when_empty():
    demand = np.zeros((6, 24), np.int64)
    demand[:, 0] = 2  # pair 0 wants 2 a day and starts with 5
    sim = hand_built(demand)
    result = simulate(sim, NullPolicy(), keep_daily=True)
    check_conservation(result)
    np.testing.assert_array_equal(result.daily_on_hand[:, 0], [3, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(result.daily_lost[:, 0], [0, 0, 1, 2, 2, 2])
    assert result.received.sum() == 0 and result.order_lines == 0
    k = result.kpis()
    assert k["fill_rate"] == 5 / 12
    assert k["units_lost"] == 7
    # Pair 0 is out from day 3 on; SKU 3 is not launched (not active), others keep 5.
    np.testing.assert_array_equal(result.stockouts_by_day, [0, 0, 1, 1, 1, 1])
    assert k["stockout_rate"] == 4 / (6 * 18)


def test_deliveries_arrive_after_the_lead_time_within_warehouse_stock():
    demand = np.zeros((5, 24), np.int64)
    demand[:, 0] = 2
    sim = hand_built(demand, warehouse=4, quiet_sku=0)
    result = simulate(sim, OrderOnce(10), keep_daily=True)
    check_conservation(result)
    # Asked 10 on the evening of day 0, the warehouse held 4: they are on the shelf
    # the morning of day 2 (lead 2 days).
    assert result.shipped[0] == 4 and result.received[0] == 4
    np.testing.assert_array_equal(result.daily_on_hand[:, 0], [3, 1, 3, 1, 0])
    np.testing.assert_array_equal(result.daily_lost[:, 0], [0, 0, 0, 0, 1])
    assert result.order_lines == 1 and result.units_ordered == 10


def test_the_warehouse_reorders_from_the_supplier_after_its_lead_time():
    demand = np.zeros((21, 24), np.int64)
    sim = hand_built(demand, warehouse=0)
    result = simulate(sim, NullPolicy())
    check_conservation(result)
    # The warehouse builds towards 35 days of its stores' warm-up sales, counting what
    # is on order, and never past it; a SKU that never sold (not launched) gets none.
    cover = np.ceil(35 * np.bincount(sim.network.pair_sku, sim.avg_sales, 4) - 1e-9)
    assert np.all(result.supplier_received[:3] > 0)
    assert np.all(result.warehouse_end + result.supplier_on_order <= cover)
    assert result.warehouse_end[:3].min() > 0.5 * cover[:3].min()
    assert result.supplier_received[3] == 0


def test_ration_shares_scarce_stock_in_proportion_then_by_remainder():
    group = np.array([0, 0, 0, 1, 1])
    request = np.array([5, 3, 2, 4, 1])
    units = ration(group, request, np.array([5, 10]))
    # Group 0: 10 asked, 5 held: 2.5, 1.5, 1 -> 2, 1, 1 and one left for the largest
    # remainder (a tie of .5: the lower line); group 1 is not scarce.
    np.testing.assert_array_equal(units, [3, 1, 1, 4, 1])
    rng = np.random.default_rng(0)
    for _ in range(50):
        group = rng.integers(0, 4, 30)
        request = rng.integers(0, 9, 30)
        supply = rng.integers(0, 40, 4)
        units = ration(group, request, supply)
        assert np.all((units >= 0) & (units <= request))
        given = np.bincount(group, units, 4)
        np.testing.assert_array_equal(given, np.minimum(supply, np.bincount(group, request, 4)))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("simnet")
    generate(NetworkSpec(stores=60, skus=60, days=180, seed=5), folder)
    return folder


@pytest.fixture(scope="module")
def sim(generated):
    return load(generated, SimSettings(days=28))


def test_a_generated_network_starts_from_the_history_and_conserves_units(sim):
    assert sim.days[0] == sim.split + np.timedelta64(1, "D") and len(sim.days) == 28
    # Pairs with a row on the split day start from its closing on hand.
    assert (sim.start_source == 0).any() and (sim.start_source == 1).any()
    for name in ("storenet", "minmax"):
        result = simulate(sim, make_policy(name), keep_daily=True)
        check_conservation(result)
        lost = result.daily_lost > 0
        assert np.all(result.daily_on_hand[lost] == 0), name
        assert result.order_lines > 0


def test_storenet_fills_more_than_min_max_at_equal_inventory_days(sim):
    # The replayed window (late October to November 22) holds Double 11 and is short
    # of warehouse stock. Fill rates are compared along the frontiers: storenet's
    # frontier, interpolated at a min/max point's inventory days, fills more.
    storenet = [simulate(sim, StorenetPolicy(v)) for v in (0.5, 0.6, 0.8)]
    minmax = [simulate(sim, MinMaxPolicy(v)) for v in (1.0, 1.5, 3.0, 5.0)]
    compared = 0
    for run in minmax:
        k = run.kpis()
        ours = fill_at(storenet, k["inventory_days"])
        if not np.isnan(ours):
            compared += 1
            assert ours > k["fill_rate"] + 0.005
    assert compared >= 1
    best = max(r.kpis()["fill_rate"] for r in minmax)
    assert storenet[0].kpis()["fill_rate"] > best


def test_nothing_ordered_fills_less_than_storenet(sim):
    null = simulate(sim, NullPolicy())
    storenet = simulate(sim, StorenetPolicy())
    assert null.received.sum() == 0
    assert null.stockouts_by_day[-1] > 2 * null.stockouts_by_day[0]
    assert null.kpis()["fill_rate"] < storenet.kpis()["fill_rate"] - 0.05


def test_statsforecast_policy_runs_when_installed(sim):
    pytest.importorskip("statsforecast")
    week = replace(sim, days=sim.days[:7])  # the peer's import dominates; one fit
    result = simulate(week, ForecastPolicy(1.0))
    check_conservation(result)
    assert 0 < result.kpis()["fill_rate"] < 1 and result.order_lines > 0


def test_statsforecast_policy_is_skipped_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(policies, "statsforecast_available", lambda: False)
    with pytest.raises(PeerUnavailable, match="statsforecast is not installed"):
        make_policy("statsforecast")


def test_simulate_command_writes_kpis_and_the_frontier(generated, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import typer
    from typer.testing import CliRunner

    from storenet.cli_simulate import register

    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    without_statsforecast(monkeypatch)
    with_sweeps(monkeypatch, {"storenet": (0.8,), "minmax": (1.0, 3.0)})
    out = tmp_path / "out"
    args = ["simulate", "--network", str(generated), "--days", "7", "--out", str(out), "--sweep"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "skipping statsforecast" in result.output
    report = json.loads((out / "kpis.json").read_text())
    runs = [(r["policy"], r["setting"]) for r in report["runs"]]
    assert runs == [
        ("storenet", None),
        ("minmax", 1.5),
        ("storenet", 0.8),
        ("minmax", 1.0),
        ("minmax", 3.0),
    ]
    assert report["skipped"][0]["policy"] == "statsforecast"
    assert all(0 < r["fill_rate"] <= 1 for r in report["runs"])
    assert (out / "frontier.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "frontier.html").read_text()
    assert "<svg" in page and "<script" not in page and "http://cdn" not in page


class _Point:
    def __init__(self, days: float, fill: float) -> None:
        self._k = {"inventory_days": days, "fill_rate": fill}

    def kpis(self) -> dict:
        return self._k


def test_days_at_interpolates_the_first_crossing_of_the_fill_rate():
    runs = [_Point(20.0, 0.99), _Point(10.0, 0.90), _Point(14.0, 0.96), _Point(30.0, 0.98)]
    assert days_at(runs, 0.975) == pytest.approx(14.0 + (0.975 - 0.96) / (0.99 - 0.96) * 6.0)
    assert days_at(runs, 0.85) == 10.0  # the leanest run already fills that much
    assert np.isnan(days_at(runs, 0.995))
