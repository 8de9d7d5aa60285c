"""On order and learned lead times against hand counts, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from storenet.purchasing.lead_times import PRIOR_RECEIPTS, learned_lead_times
from storenet.purchasing.lifecycle import (
    approve_purchase_order,
    cancel_purchase_order,
    confirm_purchase_order,
    send_purchase_order,
)
from storenet.purchasing.on_order import on_order
from storenet.purchasing.receipts import receive_purchase_order
from storenet.store.engine import unit_of_work
from tests.integration.purchasing.conftest import confirmed, draft


def _do(engine, work):  # type: ignore[no-untyped-def]
    return unit_of_work(engine, work)


def _receive(engine, po_id, key, lines, at=None):  # type: ignore[no-untyped-def]
    return _do(
        engine,
        lambda c: receive_purchase_order(c, key=key, po_id=po_id, lines=lines, by="k", at=at),
    )


def test_on_order_counts_open_units_of_open_orders_as_a_hand_count(chain):
    # A draft: not on order.
    draft(chain, key="d", lines=[{"sku": "K1", "qty": 100}])
    # Approved: 7 K1 at WC.
    a = draft(chain, key="a", lines=[{"sku": "K1", "qty": 7}])["id"]
    _do(chain, lambda c: approve_purchase_order(c, a, "approver"))
    # Sent, to WE: 3 K1 there.
    s = draft(chain, key="s", lines=[{"sku": "K1", "qty": 3}], warehouse="WE")["id"]
    _do(chain, lambda c: approve_purchase_order(c, s, "approver"))
    _do(chain, lambda c: send_purchase_order(c, s, "buyer"))
    # Confirmed below the order (K1 6 of 10), K2 as ordered (5).
    c1 = confirmed(chain, key="c", confirm=[{"line_no": 1, "qty": 6}])
    # Partly received: K1 10 -> 4 good + 1 damaged = 5 open; K2 5 -> 7 arrived, over
    # by 2: 0 open, not -2.
    p = confirmed(chain, key="p")
    _receive(chain, p, "rp", [{"line_no": 1, "good": 4, "damaged": 1}])
    _receive(chain, p, "rp2", [{"line_no": 2, "good": 7, "over_note": "bonus"}])
    # A line cancelled on a confirmed order: K1 10 -> cancelled 10, K2 5 stays.
    q = confirmed(chain, key="q")
    _do(chain, lambda c: cancel_purchase_order(c, q, "buyer", "K1 dropped", [1]))
    # Closed and cancelled orders: nothing.
    z = confirmed(chain, key="z")
    _receive(chain, z, "rz", [{"line_no": 1, "good": 10}, {"line_no": 2, "good": 5}])
    x = draft(chain, key="x")["id"]
    _do(chain, lambda c: cancel_purchase_order(c, x, "buyer", "no"))
    assert c1 and p and q
    with chain.connect() as conn:
        got = {(r["warehouse_id"], r["sku_id"]): r["units"] for r in on_order(conn).to_dicts()}
    hand = {
        ("WC", "K1"): 7 + 6 + (10 - 4 - 1) + 0,
        ("WC", "K2"): 5 + 0 + 5,
        ("WE", "K1"): 3,
    }
    assert got == hand
    with chain.connect() as conn:
        frame = on_order(conn)
    assert frame.columns == ["warehouse_id", "sku_id", "units"]


def test_on_order_of_an_empty_store_is_an_empty_frame_with_its_columns(chain):
    with chain.connect() as conn:
        frame = on_order(conn)
    assert frame.is_empty() and frame.columns == ["warehouse_id", "sku_id", "units"]


def _history(engine, leads: list[float], sku: str = "K1", start=datetime(2026, 1, 5)):  # type: ignore[no-untyped-def]
    """One order per lead time (days), sent at `start` + i weeks, first received
    `lead` days later; a back order of the same line a week after that."""
    for i, lead in enumerate(leads):
        sent = start + timedelta(weeks=i)
        po_id = draft(engine, key=f"h-{sku}-{i}", lines=[{"sku": sku, "qty": 4}])["id"]

        def work(c, po_id=po_id, sent=sent):  # type: ignore[no-untyped-def]
            approve_purchase_order(c, po_id, "approver")
            send_purchase_order(c, po_id, "buyer", at=sent)
            confirm_purchase_order(c, po_id, "buyer")

        _do(engine, work)
        first = sent + timedelta(days=lead)
        _receive(engine, po_id, f"r-{sku}-{i}-a", [{"line_no": 1, "good": 3}], at=first)
        _receive(engine, po_id, f"r-{sku}-{i}-b", [{"line_no": 1, "good": 1}], first + timedelta(7))


def test_learned_lead_times_match_a_hand_computation_shrunk_to_the_stated_figure(chain):
    leads = [12.0, 14.0, 13.0, 15.5, 11.5, 14.0]
    _history(chain, leads)
    _history(chain, [3.0, 4.0], sku="K2")  # too few receipts: no figure
    with chain.connect() as conn:
        got = learned_lead_times(conn, min_receipts=5).to_dicts()
    n, k = len(leads), PRIOR_RECEIPTS
    m = sum(leads) / n
    s2 = sum((x - m) ** 2 for x in leads) / (n - 1)
    mean = (n * m + k * 10.0) / (n + k)  # stated: 10 +- 2 days
    sd = math.sqrt(((n - 1) * s2 + k * 2.0**2) / (n - 1 + k))
    assert len(got) == 1
    row = got[0]
    assert (row["supplier_id"], row["sku_id"], row["receipts"]) == ("SUP-A", "K1", n)
    assert row["lead_days_mean"] == pytest.approx(mean, abs=1e-6)
    assert row["lead_days_sd"] == pytest.approx(sd, abs=1e-6)
    with chain.connect() as conn:
        both = learned_lead_times(conn, min_receipts=2)
    assert both["sku_id"].to_list() == ["K1", "K2"]
