"""The hold and the funnel: every affected unit on hand into quarantine through the
ledger, atomic per location and exactly once; the funnel adds up against the hand
count of recall_support; later receipts, transfers, sales and returns of recalled
units (storenet.recall.hold, .funnel; storenet.ledger.recall_holds)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from storenet.ledger.locations import QUARANTINE, location_of
from storenet.ledger.stock import receive_from_supplier
from storenet.ledger.transfer_receipts import receive_transfer
from storenet.ledger.verify import conservation_errors, transit_errors, verify_balances
from storenet.recall.campaigns import create_campaign
from storenet.recall.funnel import funnel, funnel_by_store
from storenet.recall.hold import hold_campaign
from storenet.recall.lookup import lookup_serial
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work
from storenet.store.locks import lock_balances
from storenet.store.schema import (
    balances,
    movements,
    recall_contacts,
    recall_discrepancies,
    recall_units,
    serials,
)
from tests.integration.api.helpers import snapshot
from tests.integration.recall.recall_support import HAND_COUNT, sale


def _campaign(engine, scope=None, severity="stop_sale", name="PH1 battery"):  # type: ignore[no-untyped-def]
    return unit_of_work(
        engine,
        lambda conn: create_campaign(
            conn,
            name=name,
            reason="battery may swell",
            severity=severity,
            remedy="replace",
            by="planner",
            scope=scope or [{"kind": "sku", "value": "PH1"}],
        ),
    )["id"]


def _where(engine, serial: str) -> tuple[int, int | None]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        row = conn.execute(
            select(serials.c.location_id, serials.c.site_location).where(serials.c.serial == serial)
        ).one()
    return row.location_id, row.site_location


def _balance(engine, place: str, sku: str) -> dict:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return lock_balances(conn, [(location_of(conn, place), sku)]).popitem()[1]


def _funnel(engine, campaign_id: str, visible=None) -> dict:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return funnel(conn, campaign_id, visible)


def _ledger_ok(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        assert not conservation_errors(conn)
        assert not verify_balances(conn)
        assert not transit_errors(conn)


@pytest.mark.parametrize("batch_units", [1, 2000])
def test_the_hold_quarantines_every_unit_on_hand_and_the_funnel_matches_the_hand_count(
    stocked, batch_units
):
    campaign = _campaign(stocked)
    before = _funnel(stocked, campaign)
    assert before["affected"] == 10 and before["not_held"] == 7
    held = hold_campaign(stocked, campaign, batch_units=batch_units)
    assert held == {"locations": 3, "serials": 7, "units": 0}
    after = _funnel(stocked, campaign)
    assert {k: after[k] for k in HAND_COUNT} == HAND_COUNT
    assert after["affected"] == sum(HAND_COUNT.values()) == 10
    assert after["not_held"] == after["returned"] == after["remedied"] == 0
    s1 = None
    with stocked.connect() as conn:
        s1 = location_of(conn, "S1")
    assert _where(stocked, "A-1") == (QUARANTINE, s1)
    assert _balance(stocked, "S1", "PH1") | {"reserved": 0} == {
        "on_hand": 0,
        "in_transit": 0,
        "reserved": 0,
        "held": 2,
    }
    assert _where(stocked, "X-1")[0] != QUARANTINE  # PH2 is not recalled
    _ledger_ok(stocked)


def test_a_replayed_hold_moves_nothing(stocked):
    campaign = _campaign(stocked)
    hold_campaign(stocked, campaign)
    before = snapshot(stocked, skip=set())
    assert hold_campaign(stocked, campaign) == {"locations": 0, "serials": 0, "units": 0}
    assert snapshot(stocked, skip=set()) == before


def test_skus_without_serials_are_held_by_quantity(stocked):
    campaign = _campaign(stocked, scope=[{"kind": "sku", "value": "K1"}], name="K1 cable")
    assert hold_campaign(stocked, campaign)["units"] == 15
    assert _balance(stocked, "WE", "K1")["held"] == 10
    assert _balance(stocked, "S1", "K1") | {"reserved": 0} == {
        "on_hand": 0,
        "in_transit": 0,
        "reserved": 0,
        "held": 5,
    }
    assert _funnel(stocked, campaign)["held_in_network"] == 15
    _ledger_ok(stocked)


def test_an_advisory_campaign_holds_nothing(stocked):
    campaign = _campaign(stocked, severity="advisory")
    assert hold_campaign(stocked, campaign)["serials"] == 0
    assert _funnel(stocked, campaign)["not_held"] == 7


def test_units_in_transit_are_quarantined_on_receipt(stocked):
    campaign = _campaign(stocked)
    hold_campaign(stocked, campaign)
    unit_of_work(stocked, lambda conn: receive_transfer(conn, key="rcv-w4", transfer_id="T-W4"))
    with stocked.connect() as conn:
        s2 = location_of(conn, "S2")
    assert _where(stocked, "W-4") == (QUARANTINE, s2)
    after = _funnel(stocked, campaign)
    assert after["in_transit"] == 0 and after["held_in_network"] == 8
    _ledger_ok(stocked)


def test_new_receipts_of_affected_units_land_in_quarantine(stocked):
    sku_wide = _campaign(stocked)
    listed = unit_of_work(
        stocked,
        lambda conn: create_campaign(
            conn,
            name="listed ahead",
            reason="bad batch",
            severity="stop_sale",
            remedy="repair",
            by="planner",
            scope=[],
            serial_list=iter(["PH2-NEW"]),
        ),
    )["id"]

    def deliver(conn):  # type: ignore[no-untyped-def]
        receive_from_supplier(
            conn,
            key="late",
            location="S4",
            lines=[
                {"sku": "PH1", "qty": 1, "serials": ["NEW-1"]},
                {"sku": "PH2", "qty": 2, "serials": ["PH2-NEW", "PH2-OK"]},
            ],
            at=datetime(2025, 10, 1, tzinfo=UTC),
        )

    unit_of_work(stocked, deliver)
    assert _where(stocked, "NEW-1")[0] == QUARANTINE
    assert _where(stocked, "PH2-NEW")[0] == QUARANTINE
    assert _where(stocked, "PH2-OK")[0] != QUARANTINE
    with stocked.connect() as conn:
        q = select(recall_units.c.campaign_id).where(recall_units.c.serial == "NEW-1")
        assert set(conn.execute(q).scalars()) == {sku_wide}
        sku = conn.execute(select(serials.c.sku_id).where(serials.c.serial == "PH2-NEW")).scalar()
    assert sku == "PH2"
    assert _funnel(stocked, listed)["held_in_network"] == 1
    _ledger_ok(stocked)


def test_a_sale_of_a_held_unit_is_recorded_and_opens_a_recall_discrepancy(stocked):
    campaign = _campaign(stocked)
    hold_campaign(stocked, campaign)
    answer = unit_of_work(
        stocked,
        lambda conn: ingest_pos_batch(
            conn, key="counter", lines=[sale("S1", "PH1", "A-1", "R-9", buyer="buyer-9")]
        ),
    )
    assert answer["accepted"] == 1 and answer["discrepancies"] == 0
    assert _where(stocked, "A-1")[0] == 2  # the customer
    assert _balance(stocked, "S1", "PH1")["on_hand"] == 0
    assert _balance(stocked, "S1", "PH1")["held"] == 1
    with stocked.connect() as conn:
        found = conn.execute(
            select(recall_discrepancies.c.serial, recall_discrepancies.c.buyer_ref)
        ).all()
        contacts = conn.execute(select(recall_contacts.c.serial, recall_contacts.c.buyer_ref)).all()
    assert found == [("A-1", "buyer-9")]
    assert sorted(contacts) == [("A-1", "buyer-9"), ("A-3", "buyer-1")]
    after = _funnel(stocked, campaign)
    assert after["sold_reached"] == 2 and after["held_in_network"] == 6
    assert after["affected"] == 10
    _ledger_ok(stocked)


def test_a_sale_of_a_unit_held_at_another_store_leaves_no_phantom_held_unit(stocked):
    campaign = _campaign(stocked)
    hold_campaign(stocked, campaign)
    assert _balance(stocked, "S2", "PH1")["held"] == 2  # B-1, B-2
    unit_of_work(
        stocked,
        lambda conn: ingest_pos_batch(conn, key="next door", lines=[sale("S3", "PH1", "B-2", "R")]),
    )
    assert _where(stocked, "B-2")[0] == 2  # the customer
    assert _balance(stocked, "S2", "PH1")["held"] == 1  # B-1 only: nothing phantom
    assert _balance(stocked, "S3", "PH1")["on_hand"] == 0  # not below zero either
    after = _funnel(stocked, campaign)
    assert after["held_in_network"] == 6 and after["sold_unreached"] == 2
    assert after["affected"] == 10
    _ledger_ok(stocked)


def test_a_recall_return_goes_to_quarantine_never_to_sellable_stock(stocked):
    campaign = _campaign(stocked)
    hold_campaign(stocked, campaign)
    unit_of_work(
        stocked,
        lambda conn: ingest_pos_batch(
            conn, key="back", lines=[sale("S1", "PH1", "A-3", "R-back", kind="return")]
        ),
    )
    assert _where(stocked, "A-3")[0] == QUARANTINE
    assert _balance(stocked, "S1", "PH1")["on_hand"] == 0
    after = _funnel(stocked, campaign)
    assert after["returned"] == 1 and after["sold_reached"] == 0
    assert after["affected"] == 10
    _ledger_ok(stocked)


def test_a_scoped_funnel_shows_only_the_callers_stores(stocked):
    campaign = _campaign(stocked)
    hold_campaign(stocked, campaign)
    with stocked.connect() as conn:
        s2, s3 = location_of(conn, "S2"), location_of(conn, "S3")
        rows = {r["location"]: r for r in funnel_by_store(conn, campaign)}
    # S2: B-1, B-2 held; W-4 on its way there. S3 sold C-1.
    assert _funnel(stocked, campaign, {s2}) | {} == _funnel(stocked, campaign, {s2})
    mine = _funnel(stocked, campaign, {s2})
    assert (mine["affected"], mine["held_in_network"], mine["in_transit"]) == (3, 2, 1)
    assert _funnel(stocked, campaign, {s3})["sold_unreached"] == 1
    assert rows["S1"]["sold_reached"] == 1 and rows["WE"]["held_in_network"] == 3


@pytest.mark.parametrize("serial", ["A-1", "B-2"])
def test_the_serial_look_up_says_recalled_stop_sale(stocked, serial):
    campaign = _campaign(stocked)
    with stocked.connect() as conn:
        found = lookup_serial(conn, serial)
        other = lookup_serial(conn, "X-1")
        never = lookup_serial(conn, "NEVER-SEEN")
    assert found["message"] == "recalled, stop sale" and found["stop_sale"]
    assert [c["id"] for c in found["campaigns"]] == [campaign]
    assert other["message"] == never["message"] == "not recalled"
    assert {k: v for k, v in other.items() if k != "serial"} == {
        k: v for k, v in never.items() if k != "serial"
    }


def test_hold_movements_carry_the_campaign(stocked):
    campaign = _campaign(stocked)
    hold_campaign(stocked, campaign)
    with stocked.connect() as conn:
        docs = set(
            conn.execute(select(movements.c.document).where(movements.c.kind == "hold")).scalars()
        )
        held = conn.execute(select(balances.c.held).where(balances.c.sku_id == "PH1")).scalars()
        assert sum(held) == 7
    assert docs == {f"recall:{campaign}"}


def test_the_hold_is_atomic_per_location_and_a_cut_short_hold_finishes_on_rerun(
    stocked, monkeypatch
):
    import storenet.ledger.recall_location_hold as holds

    campaign = _campaign(stocked)
    real = holds._move_serials
    calls = []

    def failing_second(conn, *args):  # type: ignore[no-untyped-def]
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the process died here")
        return real(conn, *args)

    monkeypatch.setattr(holds, "_move_serials", failing_second)
    with pytest.raises(RuntimeError):
        # one location per transaction, one at a time
        hold_campaign(stocked, campaign, batch_units=1, workers=1)
    # The first location is held whole; the second has nothing half-written.
    mid = _funnel(stocked, campaign)
    assert mid["held_in_network"] in (2, 3) and mid["not_held"] == 7 - mid["held_in_network"]
    _ledger_ok(stocked)
    monkeypatch.setattr(holds, "_move_serials", real)
    hold_campaign(stocked, campaign)
    assert {k: _funnel(stocked, campaign)[k] for k in HAND_COUNT} == HAND_COUNT
    _ledger_ok(stocked)


def test_places_with_units_not_held_after_the_deadline_are_flagged(stocked):
    from datetime import date

    campaign = _campaign(stocked, severity="advisory")
    with stocked.connect() as conn:
        late = funnel_by_store(conn, campaign, deadline=date(2026, 1, 1), today=date(2026, 1, 2))
        early = funnel_by_store(conn, campaign, deadline=date(2026, 1, 1), today=date(2026, 1, 1))
    assert {r["location"] for r in late if r["overdue"]} == {"WE", "S1", "S2"}
    assert not any(r["overdue"] for r in early)
    assert late[0]["not_held"] == 3  # most units still not held first


def test_progress_by_day_counts_the_hold_the_sales_and_the_returns(stocked):
    from storenet.recall.funnel import progress_by_day

    campaign = _campaign(stocked)
    hold_campaign(stocked, campaign)
    unit_of_work(
        stocked,
        lambda conn: ingest_pos_batch(
            conn,
            key="mixed",
            lines=[
                sale("S1", "PH1", "A-1", "R-s"),
                sale("S1", "PH1", "A-3", "R-r", kind="return"),
            ],
        ),
    )
    with stocked.connect() as conn:
        days = progress_by_day(conn, campaign)
        s2 = location_of(conn, "S2")
        mine = progress_by_day(conn, campaign, {s2})
    # A returned unit counts as returned, not as held by the campaign's hold.
    assert {k: days[-1][k] for k in ("held", "sold", "returned", "remedied")} == {
        "held": 7,
        "sold": 1,
        "returned": 1,
        "remedied": 0,
    }
    assert mine[-1]["held"] == 2 and mine[-1]["sold"] == 0
