"""RELIABILITY 8: one serial sold by two stores at the same moment.

Phone PH1 with serial X is received at S1. S1 and S2 each ring up a sale of X, in
different batches under different keys, at the same moment. Both sales stand (the
counter never refuses), X stays one unit (one `serials` row, at the customer), and
exactly one `serial_elsewhere` discrepancy is raised: at S2, where the ledger never had
X. On PostgreSQL the two batches run in threads released together, and a seam decides
which of them takes the serial's row lock first; on SQLite (one writer at a time) they
run one after the other in that order. Both orders must give the same outcome.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

import storenet.sales.ingest as ingest_module
from storenet.ledger.locations import CUSTOMER
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work
from storenet.store.schema import discrepancies, movement_serials, sale_lines, serials
from tests.integration.reliability.helpers import (
    balance,
    ledger_errors,
    receive,
    run_threads,
    where,
)

SERIAL = "IMEI-350000000000001"


def phone_sale(store: str) -> dict:
    return {
        "store": store,
        "device": "till-1",
        "receipt": f"{store}-r1",
        "line": 1,
        "sku": "PH1",
        "qty": 1,
        "unit_price": "2999.00",
        "at": "2026-11-23T15:00:00+08:00",
        "serials": [SERIAL],
    }


def sell(conn, store: str) -> dict:
    return ingest_pos_batch(conn, key=f"batch-{store}", lines=[phone_sale(store)])


def sell_at_once_on_postgresql(engine, first: str, monkeypatch) -> dict[str, object]:
    """Both stores' batches in flight together; `first` locks the serial first."""
    barrier = threading.Barrier(2)
    first_holds_serial = threading.Event()
    real_lock = ingest_module.lock_serials
    outcomes: dict[str, object] = {}

    def ordered_lock(*args, **kwargs):
        me = threading.current_thread().name
        if me != first:
            first_holds_serial.wait(10)  # then block on the row lock until first commits
        locked = real_lock(*args, **kwargs)
        if me == first:
            first_holds_serial.set()
        return locked

    monkeypatch.setattr(ingest_module, "lock_serials", ordered_lock)

    def store_sells() -> None:
        store = threading.current_thread().name
        attempts = []

        def work(conn):
            conn.execute(text("SELECT 1"))
            if not attempts:
                barrier.wait(timeout=30)
            attempts.append(1)
            return sell(conn, store)

        try:
            outcomes[store] = unit_of_work(engine, work)
        except Exception as error:  # collected: the assertions below name it
            outcomes[store] = error

    run_threads([store_sells, store_sells], names=["S1", "S2"])
    return outcomes


@pytest.mark.parametrize(
    "first",
    [
        "S1",
        "S2",
    ],
)
def test_one_serial_sold_by_two_stores_at_once_stays_one_unit_with_one_discrepancy(
    network, first, monkeypatch
):
    # given phone PH1 with serial X received at S1
    receive(network, "S1", [{"sku": "PH1", "qty": 1, "serials": [SERIAL]}])
    order = [first, "S2" if first == "S1" else "S1"]

    # when S1 and S2 each sell X in their own batch at the same moment
    if network.dialect.name == "postgresql":
        outcomes = sell_at_once_on_postgresql(network, first, monkeypatch)
    else:
        outcomes = {store: unit_of_work(network, lambda c, s=store: sell(c, s)) for store in order}

    # then both sales are recorded: the counter never refuses
    recorded = {
        s: (o["accepted"], o["units_sold"]) if isinstance(o, dict) else repr(o)
        for s, o in outcomes.items()
    }
    assert recorded == {"S1": (1, 1), "S2": (1, 1)}
    s2 = where(network, "S2")
    with network.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sale_lines)).scalar() == 2
        # and X is one unit, with the customer, carried by the receipt and both sales
        rows = conn.execute(select(serials)).all()
        assert [(r.serial, r.sku_id, r.location_id) for r in rows] == [(SERIAL, "PH1", CUSTOMER)]
        carried = conn.execute(
            select(func.count())
            .select_from(movement_serials)
            .where(movement_serials.c.serial == SERIAL)
        ).scalar()
        assert carried == 3
        # and exactly one serial discrepancy, at S2 where the ledger never had X
        raised = conn.execute(
            select(discrepancies.c.location_id, discrepancies.c.serial)
            .where(discrepancies.c.kind == "serial_elsewhere")
            .order_by(discrepancies.c.location_id)
        ).all()
        assert [tuple(r) for r in raised] == [(s2, SERIAL)]
        # and units are conserved, the projection matches the movements
        assert ledger_errors(conn) == ([], {})
    assert balance(network, "S1", "PH1")[0] == 0
    assert balance(network, "S2", "PH1")[0] == -1
