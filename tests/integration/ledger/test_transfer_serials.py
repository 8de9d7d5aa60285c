"""Transfers of serial-tracked units, on SQLite and PostgreSQL: serials picked oldest
first or named on the draft, carried in transit at the destination, placed where they
arrived; short and over receipts by serial; refusals that write nothing; replays."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from storenet.errors import IdempotencyConflict, InsufficientStock, Refused
from storenet.ledger import stock, transfers
from storenet.ledger.locations import COUNT_DIFFERENCE, TRANSIT, location_ids
from storenet.ledger.serials import find_serial, serial_history
from storenet.ledger.verify import conservation_errors, verify_balances
from storenet.store.engine import unit_of_work
from storenet.store.schema import discrepancies, idempotency_keys, movements, transfer_serials
from tests.integration.reliability.helpers import run_threads


def receive_phones(engine, location, sku, numbers, day):
    """A supplier receipt of one unit per serial in `numbers`, on November `day`."""
    return unit_of_work(
        engine,
        lambda c: stock.receive_from_supplier(
            c,
            key=uuid.uuid4().hex,
            location=location,
            lines=[{"sku": sku, "qty": len(numbers), "serials": list(numbers)}],
            at=datetime(2026, 11, day, 9),
        ),
    )


def create(engine, transfer_id, lines, source="WC", destination="S1", key=None):
    return unit_of_work(
        engine,
        lambda c: transfers.create_transfer(
            c,
            key=key or f"{transfer_id}-create",
            transfer_id=transfer_id,
            source=source,
            destination=destination,
            lines=lines,
        ),
    )


def ship(engine, transfer_id, key=None):
    return unit_of_work(
        engine,
        lambda c: transfers.ship_transfer(
            c, key=key or f"{transfer_id}-ship", transfer_id=transfer_id
        ),
    )


def receive(engine, transfer_id, key=None, **given):
    return unit_of_work(
        engine,
        lambda c: transfers.receive_transfer(
            c, key=key or f"{transfer_id}-receive", transfer_id=transfer_id, **given
        ),
    )


def balance(engine, location, sku):
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT on_hand, in_transit, reserved, held FROM balances "
                "WHERE location_id = :l AND sku_id = :s"
            ),
            {"l": location_ids(conn)[location], "s": sku},
        ).first()
    return tuple(row) if row else (0, 0, 0, 0)


def place(engine, serial):
    """(location, site) of `serial` as names: a store/warehouse id or a virtual id."""
    with engine.connect() as conn:
        found = find_serial(conn, serial)
        names = {v: k for k, v in location_ids(conn).items()}
    return (
        names.get(found["location_id"], found["location_id"]),
        names.get(found["site_location"], found["site_location"]),
    )


def ledger_is_clean(engine):
    with engine.connect() as conn:
        return verify_balances(conn) == [] and conservation_errors(conn) == {}


def counts(engine):
    """Rows in the tables a refused command must not touch."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (movements, transfer_serials, discrepancies, idempotency_keys)
        )


def test_shipping_picks_the_oldest_serials_carries_them_in_transit_and_receiving_places_them(
    network,
):
    # given four phones at the warehouse, received on different days
    receive_phones(network, "WC", "PH1", ["P-D", "P-C"], day=3)
    receive_phones(network, "WC", "PH1", ["P-B"], day=1)
    receive_phones(network, "WC", "PH1", ["P-A"], day=5)
    unit_of_work(
        network,
        lambda c: stock.receive_from_supplier(
            c, key="k1", location="WC", lines=[{"sku": "K1", "qty": 2}]
        ),
    )
    # and a draft of three phones and one plain unit
    create(network, "T1", [{"sku": "PH1", "qty": 3}, {"sku": "K1", "qty": 1}])
    # when shipped without naming serials
    answer = ship(network, "T1")
    # then the three oldest left (day 1, then day 3 by serial), the newest stayed
    assert answer["serials"] == {"PH1": ["P-B", "P-C", "P-D"]}
    assert place(network, "P-A") == ("WC", None)
    for s in ("P-B", "P-C", "P-D"):
        assert place(network, s) == (TRANSIT, "S1")
    assert balance(network, "WC", "PH1") == (1, 0, 0, 0)
    assert balance(network, "S1", "PH1") == (0, 3, 0, 0)
    assert ledger_is_clean(network)
    # when received in full (the default)
    answer = receive(network, "T1")
    # then every serial is on hand at S1, nothing raised, the ledger checks out
    assert answer["discrepancies"] == 0
    for s in ("P-B", "P-C", "P-D"):
        assert place(network, s) == ("S1", None)
    assert balance(network, "S1", "PH1") == (3, 0, 0, 0)
    assert balance(network, "S1", "K1") == (1, 0, 0, 0)
    assert ledger_is_clean(network)
    with network.connect() as conn:
        kinds = [m["kind"] for m in serial_history(conn, "P-C")]
    assert kinds == ["receipt", "ship", "receive"]


def test_serials_named_on_the_draft_are_the_ones_shipped_and_no_other_transfer_takes_them(
    network,
):
    # given three phones at the warehouse and a draft naming the newest one
    receive_phones(network, "WC", "PH1", ["P-1"], day=1)
    receive_phones(network, "WC", "PH1", ["P-2"], day=2)
    receive_phones(network, "WC", "PH1", ["P-3"], day=3)
    create(network, "T1", [{"sku": "PH1", "qty": 1, "serials": ["P-3"]}])
    # when another draft names the same serial, then it is refused naming it
    with pytest.raises(Refused, match="P-3") as refused:
        create(network, "T2", [{"sku": "PH1", "qty": 1, "serials": ["P-3"]}], destination="S2")
    assert "already named on draft transfer T1" in str(refused.value)
    # and a draft without serials, shipped first, picks around the claimed one
    create(network, "T3", [{"sku": "PH1", "qty": 2}], destination="S2")
    assert ship(network, "T3")["serials"] == {"PH1": ["P-1", "P-2"]}
    # when the first draft ships, then it carries the serial it named
    assert ship(network, "T1")["serials"] == {"PH1": ["P-3"]}
    assert place(network, "P-3") == (TRANSIT, "S1")
    assert ledger_is_clean(network)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ({"sku": "PH1", "qty": 2, "serials": ["P-1"]}, "give 2 distinct serial numbers"),
        ({"sku": "PH1", "qty": 1, "serials": ["NOPE"]}, "is not in the ledger"),
        ({"sku": "PH2", "qty": 1, "serials": ["P-1"]}, "is a unit of PH1, not PH2"),
        ({"sku": "PH1", "qty": 1, "serials": ["P-S1"]}, "is not at WC: the ledger has it at S1"),
        ({"sku": "K1", "qty": 1, "serials": ["P-1"]}, "K1 is not serial-tracked"),
    ],
)
def test_a_draft_naming_serials_it_cannot_ship_is_refused_with_nothing_written(
    network, line, reason
):
    # given one phone at the warehouse and one at store S1
    receive_phones(network, "WC", "PH1", ["P-1"], day=1)
    receive_phones(network, "S1", "PH1", ["P-S1"], day=1)
    before = counts(network)
    # when a draft names serials it cannot carry, then it is refused and nothing written
    with pytest.raises(Refused, match=reason):
        create(network, "T1", [line], destination="S2")
    assert counts(network) == before
    with network.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM transfers")).scalar() == 0


def test_a_short_receipt_sends_the_missing_serials_to_count_difference_and_names_them(network):
    # given three phones shipped to S1
    receive_phones(network, "WC", "PH1", ["P-1", "P-2", "P-3"], day=1)
    create(network, "T1", [{"sku": "PH1", "qty": 3}])
    ship(network, "T1")
    # when S1 says only P-2 arrived
    answer = receive(network, "T1", received_serials={"PH1": ["P-2"]})
    # then P-2 is at S1, the missing two at count difference, each raised by serial
    assert answer["serials_short"] == ["P-1", "P-3"]
    assert answer["discrepancies"] == 2
    assert place(network, "P-2") == ("S1", None)
    assert place(network, "P-1") == (COUNT_DIFFERENCE, None)
    assert place(network, "P-3") == (COUNT_DIFFERENCE, None)
    assert balance(network, "S1", "PH1") == (1, 0, 0, 0)
    with network.connect() as conn:
        raised = conn.execute(
            select(discrepancies.c.kind, discrepancies.c.serial, discrepancies.c.detail).order_by(
                discrepancies.c.serial
            )
        ).all()
    assert [(r.kind, r.serial) for r in raised] == [
        ("transfer_short", "P-1"),
        ("transfer_short", "P-3"),
    ]
    assert (
        raised[0].detail == "transfer:T1: shipped 3, received 1; serial P-1 shipped, not received"
    )
    assert ledger_is_clean(network)


def test_a_serial_that_arrives_unshipped_is_an_over_receipt_and_a_lost_one_found_again_too(
    network,
):
    # given P-1 shipped to S1, and P-9 lost on an earlier transfer (at count difference)
    receive_phones(network, "WC", "PH1", ["P-1", "P-9"], day=1)
    create(network, "T0", [{"sku": "PH1", "qty": 1, "serials": ["P-9"]}], destination="S2")
    ship(network, "T0")
    receive(network, "T0", received={"PH1": 0})
    assert place(network, "P-9") == (COUNT_DIFFERENCE, None)
    create(network, "T1", [{"sku": "PH1", "qty": 1, "serials": ["P-1"]}])
    ship(network, "T1")
    # when S1 receives P-1, P-9 and a serial the ledger never saw
    answer = receive(network, "T1", received_serials={"PH1": ["P-1", "P-9", "P-NEW"]})
    # then all three are at S1; the two unshipped came from count difference, raised
    assert answer["serials_over"] == ["P-9", "P-NEW"]
    for s in ("P-1", "P-9", "P-NEW"):
        assert place(network, s) == ("S1", None)
    assert balance(network, "S1", "PH1") == (3, 0, 0, 0)
    with network.connect() as conn:
        over = conn.execute(
            select(discrepancies.c.serial).where(discrepancies.c.kind == "transfer_over")
        ).scalars()
        assert sorted(over) == ["P-9", "P-NEW"]
        line = conn.execute(text("SELECT qty_received FROM transfer_lines WHERE transfer_id='T1'"))
        assert line.scalar() == 3
    assert ledger_is_clean(network)


def test_a_serial_recorded_elsewhere_cannot_arrive_on_a_transfer(network):
    # given P-1 shipped to S1 while P-2 sits at the warehouse
    receive_phones(network, "WC", "PH1", ["P-1", "P-2"], day=1)
    create(network, "T1", [{"sku": "PH1", "qty": 1, "serials": ["P-1"]}])
    ship(network, "T1")
    before = counts(network)
    # when S1 says P-2 arrived too, then refused naming the serial, nothing written
    with pytest.raises(Refused, match="serial P-2 was not shipped on this transfer") as refused:
        receive(network, "T1", received_serials={"PH1": ["P-1", "P-2"]})
    assert "the ledger has it at WC as PH1" in str(refused.value)
    assert counts(network) == before
    assert place(network, "P-2") == ("WC", None)
    assert place(network, "P-1") == (TRANSIT, "S1")


def test_a_serial_line_left_out_of_a_receipt_that_lists_other_skus_arrives_whole(network):
    # given two phones and 5 K1 shipped to S1 on one transfer
    receive_phones(network, "WC", "PH1", ["P-1", "P-2"], day=1)
    unit_of_work(
        network,
        lambda c: stock.receive_from_supplier(
            c, key="k1", location="WC", lines=[{"sku": "K1", "qty": 5}]
        ),
    )
    create(network, "T1", [{"sku": "PH1", "qty": 2}, {"sku": "K1", "qty": 5}])
    ship(network, "T1")
    # when the receipt lists only K1, short by one
    answer = receive(network, "T1", received={"K1": 4})
    # then the phones, not listed, arrived: both serials at S1, none short
    assert answer["serials_short"] == [] and answer["discrepancies"] == 1
    assert place(network, "P-1") == ("S1", None) and place(network, "P-2") == ("S1", None)
    assert balance(network, "S1", "PH1") == (2, 0, 0, 0)
    assert ledger_is_clean(network)


def test_a_partial_count_of_a_serial_line_must_say_which_serials_arrived(network):
    # given two phones shipped
    receive_phones(network, "WC", "PH1", ["P-1", "P-2"], day=1)
    create(network, "T1", [{"sku": "PH1", "qty": 2}])
    ship(network, "T1")
    # when received as a bare count of 1, then refused: which one?
    with pytest.raises(Refused, match="name the serials that arrived in received_serials"):
        receive(network, "T1", received={"PH1": 1})
    # and a count that disagrees with the serials named is refused too
    with pytest.raises(Refused, match="says 2 but received_serials names 1"):
        receive(network, "T1", received={"PH1": 2}, received_serials={"PH1": ["P-1"]})
    assert balance(network, "S1", "PH1") == (0, 2, 0, 0)


def test_shipping_more_phones_than_the_source_has_is_refused_with_nothing_written(network):
    # given two phones at the warehouse and a draft of three
    receive_phones(network, "WC", "PH1", ["P-1", "P-2"], day=1)
    create(network, "T1", [{"sku": "PH1", "qty": 3}])
    before = counts(network)
    # when shipped, then refused like any line short of free stock, nothing written
    with pytest.raises(InsufficientStock, match="insufficient stock of PH1 at WC"):
        ship(network, "T1")
    assert counts(network) == before
    assert balance(network, "WC", "PH1") == (2, 0, 0, 0)
    assert place(network, "P-1") == ("WC", None)


def test_units_without_serials_at_the_source_cannot_ship_as_serial_tracked(network):
    # given one phone with a serial and a count that found two more (no serials known)
    receive_phones(network, "WC", "PH1", ["P-1"], day=1)
    unit_of_work(
        network,
        lambda c: stock.record_count(c, key="count", location="WC", sku="PH1", counted=3),
    )
    create(network, "T1", [{"sku": "PH1", "qty": 2}])
    before = counts(network)
    # when two ship, then refused naming the field, the SKU and the reason
    with pytest.raises(Refused) as refused:
        ship(network, "T1")
    [problem] = refused.value.problems
    assert (problem.field, problem.where) == ("serials", "sku PH1")
    assert problem.reason == "only 1 unit(s) of PH1 with a serial are free at WC, 2 to ship"
    assert counts(network) == before
    assert balance(network, "WC", "PH1") == (3, 0, 0, 0)


def test_a_named_serial_that_left_the_source_before_shipping_refuses_the_shipment(network):
    # given a draft naming P-1, which then leaves the warehouse (its receipt is reversed)
    receive_phones(network, "WC", "PH1", ["P-1"], day=1)
    receive_phones(network, "WC", "PH1", ["P-2", "P-3"], day=2)
    create(network, "T1", [{"sku": "PH1", "qty": 1, "serials": ["P-1"]}])
    unit_of_work(
        network,
        lambda c: stock.reverse_movement(
            c,
            key="undo",
            movement_id=c.execute(text("SELECT MIN(id) FROM movements")).scalar(),
        ),
    )
    # when shipped, then refused naming the serial that is no longer there
    with pytest.raises(Refused, match="is not at WC: the ledger has it at @supplier"):
        ship(network, "T1")


def test_replays_return_the_first_answer_and_change_nothing(network):
    # given a shipped and received transfer of phones
    receive_phones(network, "WC", "PH1", ["P-1", "P-2", "P-3"], day=1)
    create(network, "T1", [{"sku": "PH1", "qty": 2}])
    shipped = ship(network, "T1", key="ship-1")
    received = receive(network, "T1", key="recv-1", received_serials={"PH1": ["P-1"]})
    before = counts(network)
    # when each command is replayed under its key, then the first answers come back
    assert create(network, "T1", [{"sku": "PH1", "qty": 2}]) == {
        "transfer": "T1",
        "status": "draft",
        "lines": 1,
    }
    assert ship(network, "T1", key="ship-1") == shipped
    assert receive(network, "T1", key="recv-1", received_serials={"PH1": ["P-1"]}) == received
    assert counts(network) == before
    # and the same key with other serials is a conflict naming the difference
    with pytest.raises(IdempotencyConflict, match="received_serials"):
        receive(network, "T1", key="recv-1", received_serials={"PH1": ["P-2"]})
    assert ledger_is_clean(network)


@pytest.mark.postgres
def test_two_shipments_from_one_source_at_once_pick_different_serials(pg_network):
    # given six phones at the warehouse and two drafts of three each
    receive_phones(pg_network, "WC", "PH1", [f"P-{n}" for n in range(6)], day=1)
    create(pg_network, "TA", [{"sku": "PH1", "qty": 3}], destination="S1")
    create(pg_network, "TB", [{"sku": "PH1", "qty": 3}], destination="S2")
    answers = {}

    def shipper() -> None:
        ref = threading.current_thread().name
        answers[ref] = ship(pg_network, ref)

    # when both ship at once
    run_threads([shipper, shipper], names=["TA", "TB"], timeout=60)
    # then together they carry all six serials, each once, and the ledger checks out
    carried = answers["TA"]["serials"]["PH1"] + answers["TB"]["serials"]["PH1"]
    assert sorted(carried) == [f"P-{n}" for n in range(6)]
    assert balance(pg_network, "WC", "PH1") == (0, 0, 0, 0)
    assert ledger_is_clean(pg_network)
