"""RELIABILITY item 19 for purchase orders: after a seeded mix of short, over, damaged
and replayed receipts and cancellations, on SQLite and PostgreSQL, every order's
figures balance against the ledger and on order, and the ledger conserves units."""

from __future__ import annotations

import random
from collections import defaultdict

from sqlalchemy import func, select

from storenet.ledger.locations import QUARANTINE
from storenet.ledger.verify import conservation_errors, verify_balances
from storenet.purchasing.lifecycle import cancel_purchase_order
from storenet.purchasing.on_order import on_order
from storenet.purchasing.orders import expected_units, get_purchase_order
from storenet.purchasing.receipts import receive_purchase_order
from storenet.store.engine import unit_of_work
from storenet.store.schema import movements
from tests.integration.purchasing.conftest import confirmed


def _random_receipt(rng: random.Random, doc: dict) -> list[dict]:
    """Some of the order's lines, each short, exact or over (with a note), sometimes
    with a damaged unit."""
    lines = []
    for line in doc["lines"]:
        if rng.random() < 0.4:
            continue
        good, damaged = rng.randint(0, line["open"] + 2), rng.choice([0, 0, 1])
        if good + damaged == 0:
            continue
        entry = {"line_no": line["line_no"], "good": good, "damaged": damaged}
        if good + damaged > line["open"]:
            entry["over_note"] = "kept: the supplier sent extra"
        lines.append(entry)
    return lines


def _receive(engine, key, po_id, lines):  # type: ignore[no-untyped-def]
    return unit_of_work(
        engine,
        lambda c: receive_purchase_order(c, key=key, po_id=po_id, lines=lines, by="keeper"),
    )


def _ledger(engine, orders):  # type: ignore[no-untyped-def]
    """Units the ledger booked with each order's id: (order, SKU, good|held) -> units."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                movements.c.document,
                movements.c.sku_id,
                movements.c.to_location,
                func.sum(movements.c.qty),
            )
            .where(movements.c.document.in_(orders))
            .group_by(movements.c.document, movements.c.sku_id, movements.c.to_location)
        ).all()
    booked: dict[tuple[str, str, str], int] = defaultdict(int)
    for document, sku, to, units in rows:
        booked[(document, sku, "held" if to == QUARANTINE else "good")] += int(units)
    return booked


def test_receipts_and_cancellations_balance_with_the_ledger_and_on_order(chain):
    rng = random.Random(19)
    orders = [
        confirmed(
            chain,
            key=f"o{i}",
            lines=[
                {"sku": "K1", "qty": rng.randint(1, 12)},
                {"sku": "K2", "qty": rng.randint(1, 9)},
            ],
            confirm=[{"line_no": 1, "qty": rng.randint(0, 12)}] if i % 3 == 0 else None,
        )
        for i in range(6)
    ]
    sent: dict[str, tuple[str, list[dict], dict]] = {}
    for step in range(40):
        po_id = rng.choice(orders)
        with chain.connect() as conn:
            doc = get_purchase_order(conn, po_id)
        if doc["status"] in ("closed", "cancelled"):
            continue
        if rng.random() < 0.1:
            unit_of_work(chain, lambda c, p=po_id: cancel_purchase_order(c, p, "buyer", "enough"))
            continue
        lines = _random_receipt(rng, doc)
        if lines:
            key = f"k{step}"
            sent[key] = (po_id, lines, _receive(chain, key, po_id, lines))
        if sent and rng.random() < 0.5:
            # A replay of an earlier receipt answers the same and changes nothing.
            old = rng.choice(sorted(sent))
            before = _ledger(chain, orders)
            po_again, lines_again, first = sent[old]
            assert _receive(chain, old, po_again, lines_again) == first
            assert _ledger(chain, orders) == before
    with chain.connect() as conn:
        assert conservation_errors(conn) == {}
        assert verify_balances(conn) == []
        docs = [get_purchase_order(conn, po_id) for po_id in orders]
        got_open = {(r["warehouse_id"], r["sku_id"]): r["units"] for r in on_order(conn).to_dicts()}
    booked = _ledger(chain, orders)
    hand_open: dict[tuple[str, str], int] = defaultdict(int)
    for doc in docs:
        for line in doc["lines"]:
            # What the ledger booked under the order's id is what the line records.
            assert booked[(doc["id"], line["sku_id"], "good")] == line["qty_received"]
            assert booked[(doc["id"], line["sku_id"], "held")] == line["qty_damaged"]
            # Every expected unit arrived, was cancelled or is still open (arrivals
            # beyond it are over deliveries, kept with a note).
            arrived = line["qty_received"] + line["qty_damaged"]
            left = expected_units(line) - arrived - line["qty_cancelled"]
            assert line["open"] == max(0, left)
            if doc["status"] in ("confirmed", "partly_received"):
                hand_open[(doc["warehouse_id"], line["sku_id"])] += line["open"]
        finished = all(line["open"] == 0 for line in doc["lines"])
        assert (doc["status"] in ("closed", "cancelled")) == finished, doc["id"]
    assert got_open == {k: v for k, v in hand_open.items() if v}
    assert len(sent) >= 10  # the mix really received something
