"""POS ingestion on SQLite and PostgreSQL: RELIABILITY items 2, 3, 4 and 5."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from sqlalchemy import Engine, func, select, text

from storenet.errors import IdempotencyConflict, Refused
from storenet.ledger import stock
from storenet.ledger.verify import conservation_errors, verify_balances
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work
from storenet.store.schema import discrepancies, metadata, movements, sale_lines, serials


def sale(receipt: str, line: int = 1, sku: str = "K1", qty: int = 1, store: str = "S1", **extra):
    return {
        "store": store,
        "device": "till-1",
        "receipt": receipt,
        "line": line,
        "sku": sku,
        "qty": qty,
        "unit_price": "19.90",
        "at": "2026-11-23T10:15:00+08:00",
        **extra,
    }


def ingest(engine: Engine, key: str, lines: list[dict]) -> dict:
    return unit_of_work(engine, lambda c: ingest_pos_batch(c, key=key, lines=lines))


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in metadata.sorted_tables
        }


def receive(engine: Engine, location: str, sku: str, qty: int, serials=None) -> None:
    line = {"sku": sku, "qty": qty, **({"serials": serials} if serials else {})}
    unit_of_work(
        engine,
        lambda c: stock.receive_from_supplier(
            c, key=uuid.uuid4().hex, location=location, lines=[line]
        ),
    )


def test_a_batch_replayed_ten_times_writes_once_and_answers_the_same(network):
    # given a batch of 3 lines
    lines = [sale("r1", 1), sale("r1", 2, sku="K2", qty=2), sale("r2", 1, store="S2")]
    first = ingest(network, "batch-1", lines)
    before = table_counts(network)
    # when the same batch and key are sent 10 more times
    answers = [ingest(network, "batch-1", lines) for _ in range(10)]
    # then every answer equals the first, byte for byte, and nothing more was written
    assert all(json.dumps(a, sort_keys=True) == json.dumps(first, sort_keys=True) for a in answers)
    assert first["accepted"] == 3 and first["units_sold"] == 4
    assert table_counts(network) == before


def test_sixteen_concurrent_sends_of_one_batch_write_one_set_of_movements(network):
    # given a batch, and 16 senders released together
    lines = [sale("r1", n, sku=f"K{n}", qty=n) for n in range(1, 5)]
    barrier, answers, errors = threading.Barrier(16), [], []

    def send() -> None:
        barrier.wait()
        try:
            answers.append(ingest(network, "same-key", lines))
        except Exception as error:  # collected: the assertion below names it
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(16)]
    # when they all send at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then one set of movements exists and every answer is the first one
    assert errors == []
    assert len({json.dumps(a, sort_keys=True) for a in answers}) == 1
    with network.connect() as conn:
        assert conn.execute(select(func.count()).select_from(movements)).scalar() == 4
        assert conn.execute(select(func.count()).select_from(sale_lines)).scalar() == 4


def test_the_same_key_with_a_different_payload_is_refused_naming_the_field(network):
    # given a batch ingested under a key
    ingest(network, "k", [sale("r1", 1, qty=1)])
    before = table_counts(network)
    # when the same key comes with another quantity on line 1
    with pytest.raises(IdempotencyConflict) as refused:
        ingest(network, "k", [sale("r1", 1, qty=2)])
    # then the error names the differing field and nothing is written
    assert refused.value.field == "lines[0].qty"
    assert (refused.value.first, refused.value.now) == (1, 2)
    assert table_counts(network) == before


def test_a_batch_of_500_with_one_bad_line_is_refused_whole_naming_line_field_and_reason(network):
    # given 500 good lines with line 377 carrying an unknown SKU
    lines = [sale(f"r{n}", 1, sku="K1") for n in range(500)]
    lines[376] = sale("r376", 1, sku="NOPE")
    before = table_counts(network)
    # when ingested
    with pytest.raises(Refused) as refused:
        ingest(network, "big", lines)
    # then exactly that line is named with field and reason, and no table changed
    problems = refused.value.problems
    assert [(p.where, p.field, p.value) for p in problems] == [("line 377", "sku", "NOPE")]
    assert "not a known SKU" in problems[0].reason
    assert table_counts(network) == before


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"store": "S99"}, "store", "not a known store"),
        ({"qty": 0}, "qty", "whole number above zero"),
        ({"qty": "two"}, "qty", "whole number above zero"),
        ({"unit_price": "1.999"}, "unit_price", "at most two decimals"),
        ({"at": "yesterday"}, "at", "ISO 8601"),
        ({"sku": "PH1"}, "serials", "serial-tracked"),
        ({"kind": "gift"}, "kind", "'sale' or 'return'"),
        ({"colour": "red"}, "colour", "not a POS line field"),
    ],
)
def test_a_bad_line_is_refused_with_its_field_and_reason(network, change, field, reason):
    # given a line with one bad field
    line = {**sale("r1", 1), **change}
    # when ingested, then it is refused naming the field and the reason
    with pytest.raises(Refused) as refused:
        ingest(network, "bad", [line])
    assert any(
        p.field == field and reason in p.reason and p.where == "line 1"
        for p in refused.value.problems
    ), refused.value.problems
    with network.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sale_lines)).scalar() == 0


def test_the_counter_never_refuses_a_sale_of_stock_the_ledger_does_not_have(network):
    # given no stock of K3 at S1
    # when S1 sells 2 units of K3
    answer = ingest(network, "b", [sale("r1", 1, sku="K3", qty=2)])
    # then the sale is recorded, a discrepancy opened, and conservation still holds
    assert answer["accepted"] == 1 and answer["discrepancies"] == 1
    with network.connect() as conn:
        opened = conn.execute(select(discrepancies.c.kind, discrepancies.c.sku_id)).all()
        assert [tuple(r) for r in opened] == [("negative_stock", "K3")]
        on_hand = conn.execute(
            text(
                "SELECT on_hand FROM balances b JOIN locations l ON l.id = b.location_id "
                "WHERE l.store_id = 'S1' AND b.sku_id = 'K3'"
            )
        ).scalar()
        assert on_hand == -2
        assert conservation_errors(conn) == {}
        assert verify_balances(conn) == []


def test_a_second_short_sale_adds_no_second_open_discrepancy_and_a_count_resolves_it(network):
    # given a short sale already raised
    ingest(network, "b1", [sale("r1", 1, sku="K3")])
    # when another short sale of the same SKU happens, then a count
    ingest(network, "b2", [sale("r2", 1, sku="K3")])
    result = unit_of_work(
        network, lambda c: stock.record_count(c, key="count-1", location="S1", sku="K3", counted=0)
    )
    # then there was one open discrepancy, resolved by the count, and on hand is 0
    assert result == {"movements": result["movements"], "before": -2, "counted": 0, "resolved": 1}
    with network.connect() as conn:
        assert (
            conn.execute(
                select(func.count())
                .select_from(discrepancies)
                .where(discrepancies.c.status == "open")
            ).scalar()
            == 0
        )


def test_a_sold_serial_records_its_buyer_and_leaves_the_store(network):
    # given a phone received at S1 with serial IMEI-1
    receive(network, "S1", "PH1", 1, ["IMEI-1"])
    # when S1 sells it with a warranty registration
    answer = ingest(network, "b", [sale("r1", 1, sku="PH1", serials=["IMEI-1"], buyer="cust-42")])
    # then the serial is at the customer with its buyer, and nothing is discrepant
    assert answer["discrepancies"] == 0
    with network.connect() as conn:
        row = conn.execute(select(serials).where(serials.c.serial == "IMEI-1")).one()
        assert (row.location_id, row.buyer_ref) == (2, "cust-42")


def test_a_serial_sold_where_the_ledger_did_not_have_it_is_recorded_and_raised(network):
    # given IMEI-7 received at S1
    receive(network, "S1", "PH1", 1, ["IMEI-7"])
    # when S2 sells IMEI-7
    ingest(network, "b", [sale("r1", 1, store="S2", sku="PH1", serials=["IMEI-7"])])
    # then the serial is one unit at the customer, and S2 has a serial discrepancy
    with network.connect() as conn:
        assert conn.execute(select(func.count()).select_from(serials)).scalar() == 1
        kinds = sorted(r.kind for r in conn.execute(select(discrepancies.c.kind)))
        assert kinds == ["negative_stock", "serial_elsewhere"]
        assert conservation_errors(conn) == {}


def test_a_receipt_line_resent_in_another_batch_is_stored_once(network):
    # given a batch with two lines
    ingest(network, "first", [sale("r1", 1), sale("r1", 2, sku="K2")])
    # when a later batch from the same till repeats line 2 and adds line 3
    answer = ingest(network, "second", [sale("r1", 2, sku="K2"), sale("r1", 3, sku="K3")])
    # then only line 3 is new
    assert (answer["accepted"], answer["duplicates"]) == (1, 1)
    with network.connect() as conn:
        assert conn.execute(select(func.count()).select_from(movements)).scalar() == 3


def test_a_return_brings_the_unit_back_to_the_store(network):
    # given 5 units at S1 and a sale of 2
    receive(network, "S1", "K1", 5)
    ingest(network, "b1", [sale("r1", 1, qty=2)])
    # when 1 unit is returned
    ingest(network, "b2", [sale("r9", 1, qty=1, kind="return")])
    # then S1 has 4 on hand
    with network.connect() as conn:
        assert (
            conn.execute(
                text(
                    "SELECT on_hand FROM balances WHERE sku_id = 'K1' AND location_id = "
                    "(SELECT id FROM locations WHERE store_id = 'S1')"
                )
            ).scalar()
            == 4
        )
