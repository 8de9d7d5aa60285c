"""Stock by echelon on SQLite and PostgreSQL, against a hand count and against the
slow obvious sum over every balance row: stores, regional and central warehouses, in
transit to stores and to warehouses (by the destination's kind), and what open
purchase orders still owe (inserted here as rows: the purchasing package owns how they
are made)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from storenet.ledger import stock
from storenet.reports.echelons import ECHELONS, plain, stock_by_echelon
from storenet.store.engine import unit_of_work
from storenet.store.schema import (
    balances,
    locations,
    purchase_order_lines,
    purchase_orders,
    skus,
    suppliers,
    warehouses,
)
from tests.integration.ledger.chain import (
    create,
    ledger_is_clean,
    make_chain,
    receive,
    receive_transfer,
    ship,
)

COSTS = {"K1": 1000, "K2": 1250, "K3": 333, "PH1": 200000}


def _order(conn, po: str, status: str, lines: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    """A purchase order `po` in `status` with (sku, ordered, confirmed, received,
    damaged, cancelled) lines."""
    conn.execute(
        insert(purchase_orders).values(
            id=po,
            supplier_id="SUP",
            warehouse_id="WC",
            status=status,
            currency="CNY",
            created_at=datetime(2026, 11, 1),
            created_by="test",
        )
    )
    conn.execute(
        insert(purchase_order_lines),
        [
            {
                "po_id": po,
                "line_no": n,
                "sku_id": sku,
                "qty_ordered": ordered,
                "unit_cost_cents": 1,  # the echelons value at standard cost, not this
                "qty_confirmed": confirmed,
                "qty_received": received,
                "qty_damaged": damaged,
                "qty_cancelled": cancelled,
            }
            for n, (sku, ordered, confirmed, received, damaged, cancelled) in enumerate(lines, 1)
        ],
    )


@pytest.fixture
def stocked(network):
    make_chain(network)
    with network.begin() as conn:
        for sku, cents in COSTS.items():
            conn.execute(update(skus).where(skus.c.id == sku).values(cost_cents=cents))
    receive(
        network,
        "WC",
        [{"sku": "K1", "qty": 100}, {"sku": "PH1", "qty": 2, "serials": ["P-1", "P-2"]}],
    )
    receive(network, "WE", [{"sku": "K2", "qty": 30}])
    receive(network, "WW", [{"sku": "K1", "qty": 10}])
    receive(network, "S1", [{"sku": "K1", "qty": 7}])
    receive(network, "S3", [{"sku": "K3", "qty": 5}])
    # 2 of WW's K1 held: still at WW
    unit_of_work(network, lambda c: stock.hold_stock(c, key="h", location="WW", sku="K1", qty=2))
    # in transit: 20 K1 central -> east regional, 4 K2 east regional -> S2
    create(network, "T-WH", "WC", "WE", [{"sku": "K1", "qty": 20}])
    ship(network, "T-WH")
    create(network, "T-ST", "WE", "S2", [{"sku": "K2", "qty": 4}])
    ship(network, "T-ST")
    # a received transfer is in transit no more: 3 K3 S3 -> S4
    create(network, "T-DONE", "S3", "S4", [{"sku": "K3", "qty": 3}])
    ship(network, "T-DONE")
    receive_transfer(network, "T-DONE")
    with network.begin() as conn:
        conn.execute(insert(suppliers).values(id="SUP", name="Supplier", currency="CNY"))
        # sent: 50 K1 open; 8 of 10 K2 confirmed, 3 received, 1 damaged: 4 open
        _order(conn, "PO-1", "sent", [("K1", 50, None, 0, 0, 0), ("K2", 10, 8, 3, 1, 0)])
        # partly received, over-delivered: nothing open (never below zero)
        _order(conn, "PO-2", "partly_received", [("K3", 5, None, 7, 0, 0)])
        # confirmed at zero: nothing open; approved: 6 K3, 2 of them cancelled
        _order(conn, "PO-3", "confirmed", [("K1", 9, 0, 0, 0, 0)])
        _order(conn, "PO-4", "approved", [("K3", 6, None, 0, 0, 2)])
        # not open: a draft, a closed and a cancelled order
        for po, status in (("PO-5", "draft"), ("PO-6", "closed"), ("PO-7", "cancelled")):
            _order(conn, po, status, [("K1", 100, None, 0, 0, 0)])
    return network


def test_stock_by_echelon_matches_a_hand_count(stocked):
    with stocked.connect() as conn:
        rows = stock_by_echelon(conn)
    got = {r["echelon"]: (r["units"], r["value"], r["currency"]) for r in rows}
    assert [r["echelon"] for r in rows] == list(ECHELONS)
    assert got == {
        # S1: 7 K1 (70.00); S3: 2 K3 left; S4: 3 K3 received (5 x 3.33)
        "stores": (12, Decimal("86.65"), "CNY"),
        # WE: 26 K2 (325.00); WW: 8 + 2 held K1 (100.00)
        "regional warehouses": (36, Decimal("425.00"), "CNY"),
        # WC: 80 K1 (800.00) and 2 phones (4000.00)
        "central warehouses": (82, Decimal("4800.00"), "CNY"),
        "in transit to stores": (4, Decimal("50.00"), "CNY"),
        "in transit to warehouses": (20, Decimal("200.00"), "CNY"),
        # 50 K1 (500.00) + 4 K2 (50.00) + 4 K3 (13.32)
        "on order from suppliers": (58, Decimal("563.32"), "CNY"),
    }
    # what the network holds is every unit the suppliers delivered (nothing sold)
    assert sum(u for name, (u, _, _) in got.items() if name != "on order from suppliers") == 154
    assert ledger_is_clean(stocked)


def test_stock_by_echelon_equals_the_slow_sum_over_every_balance_row(stocked):
    with stocked.connect() as conn:
        fast = {r["echelon"]: (r["units"], r["value"]) for r in stock_by_echelon(conn)}
        kind = {
            r.id: "store" if r.store_id else r.kind
            for r in conn.execute(
                select(locations.c.id, locations.c.store_id, warehouses.c.kind).outerjoin(
                    warehouses, warehouses.c.id == locations.c.warehouse_id
                )
            )
        }
        cost = dict(conn.execute(select(skus.c.id, skus.c.cost_cents)).all())
        slow = {name: [0, 0] for name in ECHELONS}
        names = {
            "store": "stores",
            "regional": "regional warehouses",
            "central": "central warehouses",
        }
        for b in conn.execute(select(balances)):
            here = slow[names[kind[b.location_id]]]
            here[0] += b.on_hand + b.held
            here[1] += (b.on_hand + b.held) * cost[b.sku_id]
            there = slow[
                "in transit to stores"
                if kind[b.location_id] == "store"
                else "in transit to warehouses"
            ]
            there[0] += b.in_transit
            there[1] += b.in_transit * cost[b.sku_id]
    for name in ECHELONS[:-1]:
        assert fast[name] == (slow[name][0], Decimal(slow[name][1]) / 100), name


def test_an_empty_network_has_every_echelon_at_zero_and_json_has_plain_numbers(network):
    with network.connect() as conn:
        rows = stock_by_echelon(conn, currency="EUR")
    assert [(r["units"], r["value"], r["currency"]) for r in rows] == [
        (0, Decimal("0.00"), "EUR")
    ] * 6
    assert plain(rows)[0] == {"echelon": "stores", "units": 0, "value": 0.0, "currency": "EUR"}
