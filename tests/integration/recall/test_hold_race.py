"""RELIABILITY 20: a recall hold racing POS sales (and a warehouse shipment) on
PostgreSQL. Every affected unit ends counted exactly once: held, in transit or sold
(a sale after the campaign with its recall discrepancy, and its buyer on the contact
list); none is left sellable, and none leaves the warehouse after its hold commits.
"""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import select

from storenet.errors import StorenetError
from storenet.ledger.locations import CUSTOMER, QUARANTINE, TRANSIT
from storenet.ledger.transfers import create_transfer, ship_transfer
from storenet.ledger.verify import conservation_errors, transit_errors, verify_balances
from storenet.recall.campaigns import create_campaign
from storenet.recall.funnel import funnel
from storenet.recall.hold import hold_campaign
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work
from storenet.store.schema import recall_contacts, recall_discrepancies, serials
from tests.integration.recall.recall_support import assert_kept_figures_match
from tests.integration.reliability.helpers import receive, wide_engine

pytestmark = pytest.mark.postgres

PER_PLACE = 40
STORES = ("S1", "S2", "S3", "S4")


def _stock(engine) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    placed = {}
    for place in (*STORES, "WE"):
        numbers = [f"{place}-{i:03d}" for i in range(PER_PLACE)]
        receive(engine, place, [{"sku": "PH1", "qty": len(numbers), "serials": numbers}])
        placed[place] = numbers
    return placed


def _sale(store: str, numbers: list[str], n: int, buyer: bool) -> list[dict]:
    return [
        {
            "store_id": store,
            "device": "T1",
            "receipt": f"race-{store}-{n}",
            "line": i,
            "sku_id": "PH1",
            "qty": 1,
            "unit_price": "2999.00",
            "at": "2026-01-01T10:00:00+08:00",
            "serials": [s],
            **({"buyer": f"buyer-{s}"} if buyer else {}),
        }
        for i, s in enumerate(numbers, start=1)
    ]


@pytest.mark.parametrize("batch_units", [1, 2000], ids=["a location a time", "batched"])
def test_a_hold_racing_sales_and_a_shipment_counts_every_unit_once(pg_network, batch_units):
    placed = _stock(pg_network)
    unit_of_work(
        pg_network,
        lambda conn: create_transfer(
            conn,
            key="t",
            transfer_id="T-RACE",
            source="WE",
            destination="S1",
            lines=[{"sku": "PH1", "qty": 5}],
        ),
    )
    campaign = unit_of_work(
        pg_network,
        lambda conn: create_campaign(
            conn,
            name="race",
            reason="race",
            severity="stop_sale",
            remedy="refund",
            by="planner",
            scope=[{"kind": "sku", "value": "PH1"}],
        ),
    )["id"]
    engine = wide_engine(pg_network, 8)
    rng = random.Random(20)
    plans = {
        store: [placed[store][i : i + 3] for i in range(0, 24, 3)] for store in STORES
    }  # 8 batches of 3 serials per store: 96 units sold during the race
    start = threading.Barrier(len(STORES) + 2)
    errors: list[BaseException] = []
    shipped: list[object] = []

    def seller(store: str) -> None:
        try:
            start.wait(timeout=30)
            for n, numbers in enumerate(plans[store]):
                lines = _sale(store, numbers, n, buyer=rng.random() < 0.5)
                unit_of_work(
                    engine,
                    lambda c, k=f"{store}-{n}", ls=lines: ingest_pos_batch(c, key=k, lines=ls),
                )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def holder() -> None:
        try:
            start.wait(timeout=30)
            hold_campaign(engine, campaign, batch_units=batch_units)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    def shipper() -> None:
        start.wait(timeout=30)
        try:
            shipped.append(
                unit_of_work(engine, lambda c: ship_transfer(c, key="ship", transfer_id="T-RACE"))
            )
        except StorenetError as refused:  # after the hold: no free serial at WE
            shipped.append(refused)

    threads = [threading.Thread(target=seller, args=(s,)) for s in STORES]
    threads += [threading.Thread(target=holder), threading.Thread(target=shipper)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    # The hold ran once alongside; a second pass finds nothing left to hold.
    assert hold_campaign(pg_network, campaign)["serials"] == 0
    assert_kept_figures_match(pg_network)  # the kept funnel followed every unit

    with pg_network.connect() as conn:
        where = dict(conn.execute(select(serials.c.serial, serials.c.location_id)).all())
        discrepant = set(conn.execute(select(recall_discrepancies.c.serial)).scalars())
        contacts = set(conn.execute(select(recall_contacts.c.serial)).scalars())
        buyers = dict(conn.execute(select(serials.c.serial, serials.c.buyer_ref)).all())
        figures = funnel(conn, campaign)
        assert not conservation_errors(conn)
        assert not verify_balances(conn)
        assert not transit_errors(conn)
    every = [s for numbers in placed.values() for s in numbers]
    sold = {s for numbers in plans.values() for batch in numbers for s in batch}
    # Exactly once: each unit is in one place of held / in transit / sold, none on hand.
    assert {where[s] for s in every} <= {QUARANTINE, TRANSIT, CUSTOMER}
    assert {s for s in every if where[s] == CUSTOMER} == sold
    # Each sale during the campaign raised its discrepancy; each known buyer is a contact.
    assert discrepant == sold
    assert contacts == {s for s in sold if buyers[s]}
    in_transit = sum(1 for s in every if where[s] == TRANSIT)
    assert in_transit == (0 if isinstance(shipped[0], StorenetError) else 5)
    assert figures["affected"] == len(every)
    assert figures["not_held"] == 0
    assert figures["held_in_network"] + figures["in_transit"] + figures["sold_reached"] + figures[
        "sold_unreached"
    ] == len(every)
    assert figures["in_transit"] == in_transit
    assert figures["sold_reached"] == len(contacts)
