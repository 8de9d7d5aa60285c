"""Two changes of one purchase order at once, on PostgreSQL (RELIABILITY items 19, 21):
the order's row lock lets one win; the other waits, sees the winner's change and gets
a clear conflict, with nothing of it written; two docks receiving the same open units
book them once."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from storenet.errors import Refused
from storenet.ledger.verify import conservation_errors
from storenet.purchasing.lifecycle import (
    approve_purchase_order,
    cancel_purchase_order,
    send_purchase_order,
)
from storenet.purchasing.orders import get_purchase_order
from storenet.purchasing.receipts import receive_purchase_order
from storenet.purchasing.status import StatusConflict, lock_order
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, purchase_order_transitions
from tests.integration.purchasing.conftest import confirmed, draft
from tests.integration.purchasing.suppliers import seed_suppliers
from tests.support import seed_small_network


def _counts(engine, po_id):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        moves = conn.execute(
            select(purchase_order_transitions.c.to_status)
            .where(purchase_order_transitions.c.po_id == po_id)
            .order_by(purchase_order_transitions.c.id)
        ).scalars()
        audits = conn.execute(
            select(audit_log.c.action, func.count())
            .where(audit_log.c.target == f"po:{po_id}")
            .group_by(audit_log.c.action)
        ).all()
    return list(moves), dict(audits)


def _race(engine, first, second):  # type: ignore[no-untyped-def]
    """Run `first` holding the order's lock for a while and `second` meanwhile;
    returns what each ended with (its answer or its error)."""
    held = threading.Event()
    ended: dict[str, object] = {}

    def winner() -> None:
        def work(conn):  # type: ignore[no-untyped-def]
            answer = first(conn)
            held.set()
            time.sleep(0.5)  # the loser is blocked on the row lock meanwhile
            return answer

        try:
            ended["first"] = unit_of_work(engine, work)
        except Exception as error:  # noqa: BLE001 - reported to the test
            ended["first"] = error

    def loser() -> None:
        held.wait(10)
        try:
            ended["second"] = unit_of_work(engine, second)
        except Exception as error:  # noqa: BLE001
            ended["second"] = error

    threads = [threading.Thread(target=winner), threading.Thread(target=loser)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return ended


def test_two_concurrent_approvals_one_wins_the_other_conflicts_nothing_half_written(pg_engine):
    seed_small_network(pg_engine)
    seed_suppliers(pg_engine)
    po_id = draft(pg_engine)["id"]
    ended = _race(
        pg_engine,
        lambda c: approve_purchase_order(c, po_id, "anna"),
        lambda c: approve_purchase_order(c, po_id, "bob"),
    )
    assert ended["first"]["status"] == "approved"
    assert isinstance(ended["second"], StatusConflict)
    assert "is approved" in str(ended["second"])
    moves, audits = _counts(pg_engine, po_id)
    assert moves == ["approved"]
    assert audits == {"po.create": 1, "po.approve": 1}


def test_a_send_waiting_on_a_cancellation_conflicts(pg_engine):
    seed_small_network(pg_engine)
    seed_suppliers(pg_engine)
    po_id = draft(pg_engine)["id"]
    unit_of_work(pg_engine, lambda c: approve_purchase_order(c, po_id, "anna"))
    ended = _race(
        pg_engine,
        lambda c: cancel_purchase_order(c, po_id, "buyer", "price too high"),
        lambda c: send_purchase_order(c, po_id, "buyer"),
    )
    assert ended["first"]["status"] == "cancelled"
    assert isinstance(ended["second"], StatusConflict)
    moves, audits = _counts(pg_engine, po_id)
    assert moves == ["approved", "cancelled"]
    assert audits == {"po.create": 1, "po.approve": 1, "po.cancel": 1}


def test_many_approvers_at_once_exactly_one_approval_stands(pg_engine):
    seed_small_network(pg_engine)
    seed_suppliers(pg_engine)
    po_id = draft(pg_engine)["id"]
    start = threading.Barrier(6)
    results: list[object] = []

    def approve(name: str) -> None:
        start.wait(10)
        try:
            done = unit_of_work(pg_engine, lambda c: approve_purchase_order(c, po_id, name))
            results.append(done)
        except StatusConflict as error:
            results.append(error)

    threads = [threading.Thread(target=approve, args=(f"p{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    wins = [r for r in results if isinstance(r, dict)]
    assert len(wins) == 1 and len(results) == 6
    moves, audits = _counts(pg_engine, po_id)
    assert moves == ["approved"] and audits["po.approve"] == 1
    with pg_engine.begin() as conn:
        assert lock_order(conn, po_id)["status"] == "approved"


def test_two_receipts_of_the_same_open_units_at_once_book_them_once(pg_engine):
    seed_small_network(pg_engine)
    seed_suppliers(pg_engine)
    po_id = confirmed(pg_engine)
    start = threading.Barrier(2)
    results: list[object] = []

    def receive(key: str) -> None:
        start.wait(10)
        try:
            results.append(
                unit_of_work(
                    pg_engine,
                    lambda c: receive_purchase_order(
                        c, key=key, po_id=po_id, lines=[{"line_no": 1, "good": 10}], by=key
                    ),
                )
            )
        except Refused as error:
            results.append(error)

    threads = [threading.Thread(target=receive, args=(k,)) for k in ("dock-a", "dock-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    booked = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(booked) == 1 and len(refused) == 1
    assert "expects 0 more" in refused[0].problems[0].reason
    with pg_engine.connect() as conn:
        assert conservation_errors(conn) == {}
        line = get_purchase_order(conn, po_id)["lines"][0]
    assert (line["qty_received"], line["open"]) == (10, 0)
