"""Receiving purchase orders through the ledger (RELIABILITY item 19), on SQLite and
PostgreSQL: short, over and damaged receipts balance, replays change nothing, and
conservation holds across the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storenet.errors import IdempotencyConflict, Refused
from storenet.ledger.locations import QUARANTINE, location_of
from storenet.ledger.verify import conservation_errors, verify_balances
from storenet.purchasing.orders import get_purchase_order
from storenet.purchasing.receipts import receive_purchase_order
from storenet.store.engine import unit_of_work
from storenet.store.locks import lock_balances
from storenet.store.schema import (
    audit_log,
    movements,
    purchase_order_receipts,
    serials,
)
from tests.integration.purchasing.conftest import confirmed


def _receive(engine, po_id, lines, key="r1", **more):  # type: ignore[no-untyped-def]
    return unit_of_work(
        engine,
        lambda conn: receive_purchase_order(
            conn, key=key, po_id=po_id, lines=lines, by="keeper", **more
        ),
    )


def _stock(engine, sku, where="WC"):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        loc = location_of(conn, where)
        return lock_balances(conn, [(loc, sku)])[(loc, sku)]


def _counts(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (movements, purchase_order_receipts, audit_log)
        )


def _sound(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        assert conservation_errors(conn) == {}
        assert verify_balances(conn) == []


def test_a_short_receipt_leaves_the_line_open_and_the_order_partly_received(chain):
    po_id = confirmed(chain)
    done = _receive(chain, po_id, [{"line_no": 1, "good": 7}], delivery_note="DN-1")
    assert done["status"] == "partly_received"
    assert done["lines"] == [{"line_no": 1, "good": 7, "damaged": 0, "over": 0, "open": 3}]
    assert _stock(chain, "K1")["on_hand"] == 7
    with chain.connect() as conn:
        doc = get_purchase_order(conn, po_id)
        good_id = done["movements"][0][0]
        move = conn.execute(select(movements).where(movements.c.id == good_id)).one()
    assert move.kind == "receipt" and move.document == po_id and move.qty == 7
    assert doc["receipts"][0]["delivery_note"] == "DN-1"
    assert doc["receipts"][0]["movement_id"] == move.id
    assert [line["open"] for line in doc["lines"]] == [3, 5]
    _sound(chain)


def test_damaged_units_go_to_quarantine_through_the_ledger_and_count_as_arrived(chain):
    po_id = confirmed(chain)
    done = _receive(
        chain,
        po_id,
        [{"line_no": 1, "good": 8, "damaged": 2}, {"line_no": 2, "damaged": 5}],
    )
    assert done["status"] == "closed"
    k1, k2 = _stock(chain, "K1"), _stock(chain, "K2")
    assert (k1["on_hand"], k1["held"]) == (8, 2)
    assert (k2["on_hand"], k2["held"]) == (0, 5)
    with chain.connect() as conn:
        held = conn.execute(
            select(movements.c.qty).where(movements.c.to_location == QUARANTINE)
        ).scalars()
        assert sorted(held) == [2, 5]
        doc = get_purchase_order(conn, po_id)
    assert [(line["qty_received"], line["qty_damaged"]) for line in doc["lines"]] == [
        (8, 2),
        (0, 5),
    ]
    _sound(chain)


def test_an_over_receipt_needs_a_note_then_is_recorded_and_audited(chain):
    po_id = confirmed(chain)
    before = _counts(chain)
    with pytest.raises(Refused) as caught:
        _receive(chain, po_id, [{"line_no": 2, "good": 6}])
    problem = caught.value.problems[0]
    assert (problem.where, problem.field) == ("line 1", "good")
    assert "expects 5 more" in problem.reason and "over_note" in problem.reason
    assert _counts(chain) == before
    done = _receive(
        chain, po_id, [{"line_no": 2, "good": 6, "over_note": "full case shipped, kept"}]
    )
    assert done["lines"][0]["over"] == 1 and done["lines"][0]["open"] == 0
    assert done["status"] == "partly_received"
    assert _stock(chain, "K2")["on_hand"] == 6
    with chain.connect() as conn:
        entry = conn.execute(
            select(audit_log.c.after).where(audit_log.c.action == "po.receive")
        ).scalar()
    assert '"over": {"2": 1}' in entry and "full case shipped" in entry
    _sound(chain)


def test_a_replayed_receipt_changes_nothing_and_another_payload_is_refused(chain):
    po_id = confirmed(chain)
    first = _receive(chain, po_id, [{"line_no": 1, "good": 4}], key="dock-7")
    counts = _counts(chain)
    for _ in range(3):
        assert _receive(chain, po_id, [{"line_no": 1, "good": 4}], key="dock-7") == first
    assert _counts(chain) == counts
    assert _stock(chain, "K1")["on_hand"] == 4
    with pytest.raises(IdempotencyConflict) as caught:
        _receive(chain, po_id, [{"line_no": 1, "good": 5}], key="dock-7")
    assert caught.value.field == "lines[0].good"
    assert _counts(chain) == counts
    _sound(chain)


def test_serial_tracked_units_need_one_serial_each_good_and_damaged(chain):
    po_id = confirmed(chain, lines=[{"sku": "PH1", "qty": 3}])
    with pytest.raises(Refused) as caught:
        _receive(chain, po_id, [{"line_no": 1, "good": 2, "damaged": 1, "serials": ["A1"]}])
    assert {p.field for p in caught.value.problems} == {"serials"}
    with pytest.raises(Refused) as caught:
        _receive(chain, po_id, [{"line_no": 1, "good": 2, "damaged": 1, "serials": ["A1", "A2"]}])
    assert {p.field for p in caught.value.problems} == {"damaged_serials"}
    done = _receive(
        chain,
        po_id,
        [
            {
                "line_no": 1,
                "good": 2,
                "damaged": 1,
                "serials": ["A1", "A2"],
                "damaged_serials": ["B1"],
            }
        ],
    )
    assert done["status"] == "closed"
    with chain.connect() as conn:
        placed = {r.serial: r.location_id for r in conn.execute(select(serials))}
        wc = location_of(conn, "WC")
    assert placed == {"A1": wc, "A2": wc, "B1": QUARANTINE}
    assert (_stock(chain, "PH1")["on_hand"], _stock(chain, "PH1")["held"]) == (2, 1)
    _sound(chain)


def test_bad_receipt_lines_are_refused_naming_line_and_field_nothing_written(chain):
    po_id = confirmed(chain)
    before = _counts(chain)
    with pytest.raises(Refused) as caught:
        _receive(
            chain,
            po_id,
            [
                {"line_no": 9, "good": 1},
                {"line_no": 1, "good": -1},
                {"line_no": 2, "good": 0},
                {"line_no": 1, "good": True},
            ],
        )
    got = [(p.where, p.field) for p in caught.value.problems]
    assert got == [
        ("line 1", "line_no"),
        ("line 2", "good"),
        ("line 3", "good"),
        ("line 4", "good"),
    ]
    assert _counts(chain) == before


def test_receipts_for_a_confirmed_quantity_close_the_order_at_the_confirmed_figure(chain):
    po_id = confirmed(chain, confirm=[{"line_no": 1, "qty": 6}, {"line_no": 2, "qty": 0}])
    done = _receive(chain, po_id, [{"line_no": 1, "good": 6}])
    assert done["status"] == "closed"
    _sound(chain)


def test_receiving_in_full_books_every_open_unit_and_closes_the_order(chain):
    from storenet.purchasing.receipts import receive_in_full

    po_id = confirmed(chain, confirm=[{"line_no": 2, "qty": 3}])
    _receive(chain, po_id, [{"line_no": 1, "good": 4}])
    done = unit_of_work(chain, lambda c: receive_in_full(c, key="full", po_id=po_id, by="keeper"))
    assert done["status"] == "closed"
    assert [(a["line_no"], a["good"]) for a in done["lines"]] == [(1, 6), (2, 3)]
    again = unit_of_work(chain, lambda c: receive_in_full(c, key="full", po_id=po_id, by="keeper"))
    assert again == done
    assert (_stock(chain, "K1")["on_hand"], _stock(chain, "K2")["on_hand"]) == (10, 3)
    _sound(chain)


def test_line_numbers_of_the_wrong_type_are_refused_not_a_crash(chain):
    po_id = confirmed(chain)
    for bad in (["1"], "1", 1.0, None):
        with pytest.raises(Refused) as caught:
            _receive(chain, po_id, [{"line_no": bad, "good": 1}], key=f"bad-{bad!r}")
        assert caught.value.problems[0].field == "line_no"
