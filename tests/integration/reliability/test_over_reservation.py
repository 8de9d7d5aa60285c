"""RELIABILITY 6: reservations racing for the same units on PostgreSQL.

Twenty workers, each on its own connection, reserve one unit each of ten at the same
moment; and, deterministically, a second reservation arrives exactly between the
first one's stock check and its write (the row lock must make it wait and then see
the unit gone).
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text

import storenet.ledger.reservations as reservations_module
from storenet.errors import InsufficientStock
from storenet.ledger.reservations import reserve_stock
from storenet.ledger.verify import verify_balances
from storenet.store.engine import unit_of_work
from storenet.store.schema import idempotency_keys, reservations
from tests.integration.reliability.helpers import balance, receive, run_threads, wide_engine

pytestmark = pytest.mark.postgres

WORKERS = 20


def reserve_one(engine, n: int) -> dict:
    return unit_of_work(
        engine,
        lambda c: reserve_stock(
            c, key=f"reserve-{n}", location="WC", sku="K1", qty=1, reference=f"order-{n}"
        ),
    )


def test_twenty_workers_reserving_one_unit_each_of_ten_let_exactly_ten_through(pg_network):
    # given 10 units of K1 at WC, and 20 workers each with its own connection
    receive(pg_network, "WC", [{"sku": "K1", "qty": 10}])
    engine = wide_engine(pg_network, WORKERS)
    barrier = threading.Barrier(WORKERS)
    outcomes: dict[int, object] = {}

    def worker(n: int) -> None:
        attempts = []

        def work(conn):
            # Every worker opens its transaction, then all reserve at the same moment.
            conn.execute(text("SELECT 1"))
            if not attempts:
                barrier.wait(timeout=30)
            attempts.append(1)
            return reserve_stock(
                conn, key=f"reserve-{n}", location="WC", sku="K1", qty=1, reference=f"order-{n}"
            )

        try:
            outcomes[n] = unit_of_work(engine, work)
        except Exception as error:  # collected: the assertions below name it
            outcomes[n] = error

    # when they all reserve 1 unit at once
    try:
        run_threads([lambda n=n: worker(n) for n in range(WORKERS)])
    finally:
        engine.dispose()

    # then exactly 10 succeed and 10 get a clear insufficient-stock error
    granted = [o for o in outcomes.values() if isinstance(o, dict)]
    refused = [o for o in outcomes.values() if isinstance(o, InsufficientStock)]
    assert (len(granted), len(refused)) == (10, 10), {n: repr(o) for n, o in outcomes.items()}
    assert all(g == {"reserved": 1, "location": "WC", "sku": "K1"} for g in granted)
    assert {(r.location, r.sku, r.requested, r.available) for r in refused} == {("WC", "K1", 1, 0)}
    # and the ledger holds 10 on hand, 10 reserved, from 10 entries under 10 keys
    assert balance(pg_network, "WC", "K1") == (10, 0, 10, 0)
    with pg_network.connect() as conn:
        assert conn.execute(select(func.count(), func.sum(reservations.c.qty))).one() == (10, 10)
        stored_keys = conn.execute(
            select(func.count())
            .select_from(idempotency_keys)
            .where(idempotency_keys.c.key.like("reserve-%"))
        ).scalar()
        assert stored_keys == 10  # a refused reservation keeps no key: it may be retried
        assert verify_balances(conn) == []


def test_a_reservation_arriving_between_anothers_check_and_write_waits_and_finds_no_stock(
    pg_network, monkeypatch
):
    # given 1 unit of K1 at WC
    receive(pg_network, "WC", [{"sku": "K1", "qty": 1}])
    rival_engine = create_engine(
        pg_network.url,
        isolation_level="READ COMMITTED",
        connect_args={"application_name": "reliability-rival"},
    )
    rival: dict[str, object] = {}
    rival_waited = threading.Event()
    real_take = reservations_module.take_available

    def rival_reserves() -> None:
        try:
            rival["outcome"] = reserve_one(rival_engine, 2)
        except Exception as error:  # collected: the assertions below name it
            rival["outcome"] = error

    def take_then_let_the_rival_in(conn, *args, **kwargs):
        row = real_take(conn, *args, **kwargs)
        if "thread" not in rival:
            # The first worker has checked the unit is free and not yet booked it:
            # now the rival asks for the same unit, and we go on only once it waits.
            rival["thread"] = threading.Thread(target=rival_reserves, daemon=True)
            rival["thread"].start()
            rival_waited.wait(10)  # set by the watcher below
        return row

    def watch_for_the_rival_waiting_on_a_lock() -> None:
        with pg_network.connect() as conn:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE application_name = 'reliability-rival' "
                        "AND wait_event_type = 'Lock'"
                    )
                ).scalar()
                conn.rollback()
                if waiting:
                    break
                time.sleep(0.01)
        rival_waited.set()

    monkeypatch.setattr(reservations_module, "take_available", take_then_let_the_rival_in)
    watcher = threading.Thread(target=watch_for_the_rival_waiting_on_a_lock, daemon=True)
    watcher.start()

    # when the first reservation commits after the rival arrived between its two steps
    try:
        first = reserve_one(pg_network, 1)
        rival["thread"].join(30)
    finally:
        rival_engine.dispose()
    watcher.join(15)

    # then the rival waited on the row lock and was refused, and 1 unit is reserved
    assert first == {"reserved": 1, "location": "WC", "sku": "K1"}
    outcome = rival["outcome"]
    assert isinstance(outcome, InsufficientStock), repr(outcome)
    assert (outcome.requested, outcome.available) == (1, 0)
    assert balance(pg_network, "WC", "K1") == (1, 0, 1, 0)
    with pg_network.connect() as conn:
        assert verify_balances(conn) == []
