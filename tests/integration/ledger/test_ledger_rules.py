"""The ledger's rules on SQLite and PostgreSQL: append-only (RELIABILITY 11),
verify and rebuild (12), transfers with short and over receipts, balances as of a
past time, reversals."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storenet.errors import Refused
from storenet.ledger import stock, transfers
from storenet.ledger.locations import location_ids
from storenet.ledger.verify import balances_as_of, rebuild_balances, verify_balances
from storenet.store.engine import unit_of_work


def receive(engine, location, sku, qty, at=None):
    return unit_of_work(
        engine,
        lambda c: stock.receive_from_supplier(
            c, key=uuid.uuid4().hex, location=location, lines=[{"sku": sku, "qty": qty}], at=at
        ),
    )


def shipped_transfer(engine, transfer_id, destination, lines):
    """A transfer of `lines` from the warehouse WC to `destination`, shipped."""
    unit_of_work(
        engine,
        lambda c: transfers.create_transfer(
            c,
            key=f"{transfer_id}-create",
            transfer_id=transfer_id,
            source="WC",
            destination=destination,
            lines=lines,
        ),
    )
    return unit_of_work(
        engine,
        lambda c: transfers.ship_transfer(c, key=f"{transfer_id}-ship", transfer_id=transfer_id),
    )


def balance(engine, location, sku):
    with engine.connect() as conn:
        loc = location_ids(conn)[location]
        row = conn.execute(
            text(
                "SELECT on_hand, in_transit, reserved, held FROM balances "
                "WHERE location_id = :l AND sku_id = :s"
            ),
            {"l": loc, "s": sku},
        ).first()
    return tuple(row) if row else (0, 0, 0, 0)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE movements SET qty = qty + 1",
        "DELETE FROM movements",
        "UPDATE movement_serials SET serial = 'X'",
        "DELETE FROM reservations",
    ],
)
def test_movements_cannot_be_updated_or_deleted(network, statement):
    # given a ledger with movements, serials and reservations
    unit_of_work(
        network,
        lambda c: stock.receive_from_supplier(
            c,
            key="r",
            location="WC",
            lines=[{"sku": "PH1", "qty": 1, "serials": ["S-1"]}, {"sku": "K1", "qty": 5}],
        ),
    )
    unit_of_work(
        network,
        lambda c: __import__("storenet.ledger.reservations", fromlist=["x"]).reserve_stock(
            c, key="res", location="WC", sku="K1", qty=1, reference="o"
        ),
    )
    # when the application tries to rewrite history, then the database refuses
    with pytest.raises(DBAPIError, match="append-only"), network.begin() as conn:
        conn.execute(text(statement))


def test_verify_names_a_corrupted_balance_and_rebuild_restores_it(network):
    # given 7 units at S1, and a balance row corrupted behind the ledger's back
    receive(network, "S1", "K1", 7)
    with network.begin() as conn:
        conn.execute(text("UPDATE balances SET on_hand = 70 WHERE sku_id = 'K1'"))
    # when verified
    with network.connect() as conn:
        mismatches = verify_balances(conn)
    # then the mismatch names the location, SKU, column and both values
    assert [str(m) for m in mismatches] == ["S1 K1 on_hand: projection says 70, movements say 7"]
    # and a rebuild restores it
    unit_of_work(network, rebuild_balances)
    with network.connect() as conn:
        assert verify_balances(conn) == []
    assert balance(network, "S1", "K1") == (7, 0, 0, 0)


def test_a_transfer_counts_in_transit_at_its_destination_until_received(network):
    # given 10 units at the warehouse and a draft transfer of 6 to S1
    receive(network, "WC", "K1", 10)
    unit_of_work(
        network,
        lambda c: transfers.create_transfer(
            c,
            key="t",
            transfer_id="T1",
            source="WC",
            destination="S1",
            lines=[{"sku": "K1", "qty": 6}],
        ),
    )
    # when shipped
    unit_of_work(network, lambda c: transfers.ship_transfer(c, key="ts", transfer_id="T1"))
    # then the warehouse lost 6 and S1 has 6 in transit
    assert balance(network, "WC", "K1") == (4, 0, 0, 0)
    assert balance(network, "S1", "K1") == (0, 6, 0, 0)
    # when received 4 of 6, then S1 has 4 on hand, none in transit, and a short discrepancy
    answer = unit_of_work(
        network,
        lambda c: transfers.receive_transfer(c, key="tr", transfer_id="T1", received={"K1": 4}),
    )
    assert answer["discrepancies"] == 1
    assert balance(network, "S1", "K1") == (4, 0, 0, 0)
    with network.connect() as conn:
        assert conn.execute(text("SELECT kind FROM discrepancies")).scalar() == "transfer_short"
        assert verify_balances(conn) == []


def test_a_receipt_listing_some_skus_books_the_others_as_shipped(network):
    # given a shipped transfer of 6 K1 and 3 K2 to S1
    receive(network, "WC", "K1", 6)
    receive(network, "WC", "K2", 3)
    shipped_transfer(network, "T1", "S1", [{"sku": "K1", "qty": 6}, {"sku": "K2", "qty": 3}])
    # when the clerk lists only the line that differs: 4 of the 6 K1
    answer = unit_of_work(
        network,
        lambda c: transfers.receive_transfer(c, key="tr", transfer_id="T1", received={"K1": 4}),
    )
    # then K2, not listed, arrived as shipped: on hand, no shortage raised for it
    assert balance(network, "S1", "K2") == (3, 0, 0, 0)
    assert balance(network, "S1", "K1") == (4, 0, 0, 0)
    assert answer["discrepancies"] == 1
    with network.connect() as conn:
        raised = conn.execute(text("SELECT sku_id, kind FROM discrepancies")).all()
        assert [tuple(r) for r in raised] == [("K1", "transfer_short")]
        lines = conn.execute(
            text("SELECT sku_id, qty_received FROM transfer_lines ORDER BY sku_id")
        ).all()
        assert [tuple(r) for r in lines] == [("K1", 4), ("K2", 3)]
        assert verify_balances(conn) == []


def test_a_taken_transfer_id_is_refused_without_saying_a_transfer_exists(network):
    # given a draft T1
    receive(network, "WC", "K1", 6)

    def make(key: str, source: str) -> dict:
        return unit_of_work(
            network,
            lambda c: transfers.create_transfer(
                c,
                key=key,
                transfer_id="T1",
                source=source,
                destination="S2",
                lines=[{"sku": "K1", "qty": 1}],
            ),
        )

    make("first", "WC")
    # when another draft, from another source, asks for the same id
    with pytest.raises(Refused) as refused:
        make("second", "S1")
    # then it is refused naming the field, in words that do not confirm a transfer
    [problem] = refused.value.problems
    assert (problem.field, problem.reason) == ("transfer_id", transfers.TAKEN_ID)
    assert "exist" not in str(refused.value)


def test_an_over_receipt_books_the_extra_units_and_raises_it(network):
    # given a shipped transfer of 3
    receive(network, "WC", "K2", 3)
    unit_of_work(
        network,
        lambda c: transfers.create_transfer(
            c,
            key="t",
            transfer_id="T2",
            source="WC",
            destination="S2",
            lines=[{"sku": "K2", "qty": 3}],
        ),
    )
    unit_of_work(network, lambda c: transfers.ship_transfer(c, key="ts", transfer_id="T2"))
    # when 5 arrive
    unit_of_work(
        network,
        lambda c: transfers.receive_transfer(c, key="tr", transfer_id="T2", received={"K2": 5}),
    )
    # then S2 has 5 and the surplus is raised
    assert balance(network, "S2", "K2") == (5, 0, 0, 0)
    with network.connect() as conn:
        assert conn.execute(text("SELECT kind FROM discrepancies")).scalar() == "transfer_over"


def test_shipping_more_than_is_free_is_refused_and_writes_nothing(network):
    # given 2 units at the warehouse and a transfer of 3
    receive(network, "WC", "K1", 2)
    unit_of_work(
        network,
        lambda c: transfers.create_transfer(
            c,
            key="t",
            transfer_id="T3",
            source="WC",
            destination="S1",
            lines=[{"sku": "K1", "qty": 3}],
        ),
    )
    # when shipped, then refused and the warehouse still has 2
    with pytest.raises(Exception, match="insufficient stock of K1"):
        unit_of_work(network, lambda c: transfers.ship_transfer(c, key="ts", transfer_id="T3"))
    assert balance(network, "WC", "K1") == (2, 0, 0, 0)


def test_balances_as_of_a_past_time_sum_the_movements_that_had_happened(network):
    # given receipts on the 1st and the 10th, and a late receipt dated the 5th
    receive(network, "S1", "K1", 10, at=datetime(2026, 11, 1, 9))
    receive(network, "S1", "K1", 5, at=datetime(2026, 11, 10, 9))
    receive(network, "S1", "K1", 2, at=datetime(2026, 11, 5, 9))
    # when read as of several times
    with network.connect() as conn:
        loc = location_ids(conn)["S1"]

        def at(day: int) -> int:
            found = balances_as_of(conn, datetime(2026, 11, day, 12), loc, "K1")
            return found.get((loc, "K1"), {"on_hand": 0})["on_hand"]

        # then each answer counts what had happened by then, the late entry included
        assert [at(d) for d in (1, 4, 5, 9, 10)] == [10, 10, 12, 12, 17]


def test_a_reversal_undoes_a_movement_once(network):
    # given a receipt of 4 at S1
    answer = receive(network, "S1", "K4", 4)
    moved = answer["movements"][0]
    # when reversed, then S1 is back to 0
    unit_of_work(network, lambda c: stock.reverse_movement(c, key="rev", movement_id=moved))
    assert balance(network, "S1", "K4") == (0, 0, 0, 0)
    # and a second reversal under another key is refused, naming the first
    with pytest.raises(Refused, match="already reversed"):
        unit_of_work(network, lambda c: stock.reverse_movement(c, key="rev2", movement_id=moved))


def test_a_hold_moves_units_from_free_stock_to_held_at_the_same_store(network):
    # given 5 units at S1
    receive(network, "S1", "K1", 5)
    # when 2 are held for a quality check
    unit_of_work(network, lambda c: stock.hold_stock(c, key="h", location="S1", sku="K1", qty=2))
    # then S1 shows 3 on hand (sellable) and 2 held
    assert balance(network, "S1", "K1") == (3, 0, 0, 2)
