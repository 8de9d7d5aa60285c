"""The nightly plan neither allocates held stock nor counts it as available: the
recall's hold puts units in quarantine, and the plan's stock read
(storenet.planning.source) leaves quarantine out, and does not count recalled units
on their way to a store, which will be quarantined on receipt."""

from __future__ import annotations

import polars as pl

from storenet.ledger.transfers import create_transfer, ship_transfer
from storenet.planning.source import network_from_db, stock_from_db
from storenet.recall.campaigns import create_campaign
from storenet.recall.hold import hold_campaign
from storenet.store.engine import unit_of_work


def _stock(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        network = network_from_db(conn)
        return network, stock_from_db(conn, network)


def test_held_units_are_neither_on_hand_for_a_store_nor_free_at_a_warehouse(stocked):
    network, before = _stock(stocked)
    s1 = network.pair_of_ids(pl.Series(["S1", "S1"]), pl.Series(["PH1", "K1"]))
    wh, ph1, k1 = (
        network.warehouses.index("WE"),
        network.sku_ids.index("PH1"),
        network.sku_ids.index("K1"),
    )
    assert before.on_hand[s1].tolist() == [2, 5]
    assert (before.warehouse[wh, ph1], before.warehouse[wh, k1]) == (3, 10)
    for name, sku in (("phones", "PH1"), ("cables", "K1")):
        campaign = unit_of_work(
            stocked,
            lambda conn, n=name, k=sku: create_campaign(
                conn,
                name=n,
                reason="r",
                severity="stop_sale",
                remedy="refund",
                by="planner",
                scope=[{"kind": "sku", "value": k}],
            ),
        )["id"]
        hold_campaign(stocked, campaign)
    _, after = _stock(stocked)
    assert after.on_hand[s1].tolist() == [0, 0]
    assert (after.warehouse[wh, ph1], after.warehouse[wh, k1]) == (0, 0)


def test_recalled_units_on_their_way_to_a_store_are_not_counted_as_coming(stocked):
    # given: serial W-4 of PH1 shipped from WE to S2 and still in transit
    network, before = _stock(stocked)
    s2_ph1 = network.pair_of_ids(pl.Series(["S2"]), pl.Series(["PH1"]))
    assert before.in_transit[s2_ph1].tolist() == [1]
    # when: an advisory campaign lists it, the plan still counts it (nothing is held)
    for name, severity in (("advice", "advisory"), ("stop", "stop_sale")):
        unit_of_work(
            stocked,
            lambda conn, n=name, sev=severity: create_campaign(
                conn,
                name=n,
                reason="r",
                severity=sev,
                remedy="repair",
                by="planner",
                scope=[{"kind": "serial_range", "value": "W-4", "value_to": "W-4"}],
            ),
        )
        if severity == "advisory":
            _, advised = _stock(stocked)
            assert advised.in_transit[s2_ph1].tolist() == [1]
    # then: under a stop-sale it will be quarantined on receipt: not coming for S2
    _, after = _stock(stocked)
    assert after.in_transit[s2_ph1].tolist() == [0]


def test_units_without_serials_on_their_way_under_a_stop_sale_are_not_counted_as_coming(
    stocked,
):
    # given: 4 units of K1 (no serials) shipped from WE to S3 and still in transit
    def ship(conn):  # type: ignore[no-untyped-def]
        create_transfer(
            conn,
            key="t-k1",
            transfer_id="T-K1",
            source="WE",
            destination="S3",
            lines=[{"sku": "K1", "qty": 4}],
        )
        ship_transfer(conn, key="t-k1-ship", transfer_id="T-K1")

    unit_of_work(stocked, ship)
    network, before = _stock(stocked)
    s3_k1 = network.pair_of_ids(pl.Series(["S3"]), pl.Series(["K1"]))
    assert before.in_transit[s3_k1].tolist() == [4]
    # when: an advisory campaign covers K1 they still come; a stop-sale quarantines them
    for name, severity in (("advice", "advisory"), ("stop", "stop_sale")):
        unit_of_work(
            stocked,
            lambda conn, n=name, sev=severity: create_campaign(
                conn,
                name=n,
                reason="r",
                severity=sev,
                remedy="repair",
                by="planner",
                scope=[{"kind": "sku", "value": "K1"}],
            ),
        )
        if severity == "advisory":
            _, advised = _stock(stocked)
            assert advised.in_transit[s3_k1].tolist() == [4]
    # then: under the stop-sale they will be quarantined on receipt: not coming for S3
    _, after = _stock(stocked)
    assert after.in_transit[s3_k1].tolist() == [0]
