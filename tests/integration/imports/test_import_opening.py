"""Opening stock through the importer: the ledger's rules, once per (location, SKU)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from storenet.errors import Refused
from storenet.imports import import_folder, opening
from storenet.ledger.locations import OPENING, SUPPLIER, location_of
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.serials import find_serial, serial_history
from storenet.ledger.verify import conservation_errors, verify_balances
from storenet.store.schema import balances, movement_serials, movements, serials
from tests.integration.imports.conftest import snapshot
from tests.integration.statistics import analyzed_tables

AS_OF = datetime(2026, 3, 1, 9, 0)


def ledger_rows(engine) -> dict[str, list[tuple]]:
    """The ledger's tables, without the time each row was recorded."""
    recorded = {movements.c.recorded_at}
    with engine.connect() as conn:
        return {
            t.name: sorted(
                tuple(r) for r in conn.execute(select(*[c for c in t.columns if c not in recorded]))
            )
            for t in (movements, movement_serials, serials, balances)
        }


def import_with_path(engine, folder, bulk: bool, monkeypatch) -> None:
    """Import `folder`, posting opening stock by the bulk path or by post_movements."""
    monkeypatch.setattr(opening, "BULK_FROM", 0 if bulk else 10**9)
    import_folder(engine, folder, as_of=AS_OF)


def receive_k1_at_wc_before_the_import(engine) -> None:
    """A supplier receipt already posted, so the opening adds to an existing balance."""
    with engine.begin() as conn:
        wc = location_of(conn, "WC")
        post_movements(conn, [Movement("receipt", "K1", SUPPLIER, wc, 7, AS_OF)], AS_OF)


def test_bulk_opening_stock_writes_exactly_what_post_movements_writes(
    engine, twin_engine, tables, make_folder, monkeypatch
):
    # given: the same master data and a prior receipt in two databases
    masters = {k: v for k, v in tables.items() if not k.startswith("opening")}
    for name, db in (("a", engine), ("b", twin_engine)):
        import_folder(db, make_folder(masters, name=f"masters_{name}"), as_of=AS_OF)
        receive_k1_at_wc_before_the_import(db)
    folder = make_folder(tables)

    # when
    import_with_path(engine, folder, True, monkeypatch)
    import_with_path(twin_engine, folder, False, monkeypatch)

    # then
    bulk, one_by_one = ledger_rows(engine), ledger_rows(twin_engine)
    assert bulk == one_by_one
    assert len(bulk["movements"]) == 1 + 4 and len(bulk["serials"]) == 3
    with engine.connect() as conn:
        wc = location_of(conn, "WC")
        on_hand = conn.execute(
            select(balances.c.on_hand).where(
                balances.c.location_id == wc, balances.c.sku_id == "K1"
            )
        ).scalar()
        assert on_hand == 7 + 100
        assert verify_balances(conn) == []
        assert conservation_errors(conn) == {}


def test_opening_movements_come_from_the_opening_location_at_the_import_time(
    engine, tables, make_folder
):
    # given: S2 opens with zero K2, which posts nothing
    folder = make_folder(tables)

    # when
    report = import_folder(engine, folder, as_of=AS_OF)

    # then
    with engine.connect() as conn:
        rows = conn.execute(select(movements)).all()
        s1 = location_of(conn, "S1")
        assert {(r.kind, r.from_location, r.document, r.occurred_at) for r in rows} == {
            ("opening", OPENING, "opening", AS_OF)
        }
        assert sorted((r.to_location == s1, r.sku_id, r.qty) for r in rows) == [
            (False, "K1", 100),
            (False, "PH1", 1),
            (True, "K1", 5),
            (True, "PH1", 2),
        ]
        s2 = location_of(conn, "S2")
        assert conn.execute(select(balances).where(balances.c.location_id == s2)).all() == []
        assert verify_balances(conn) == []
        assert conservation_errors(conn) == {}
    assert (report.opening_movements, report.tables["opening_stock"].unchanged) == (4, 1)


def test_serial_tracked_opening_stock_places_every_serial_at_its_location(
    engine, tables, make_folder
):
    # given
    folder = make_folder(tables)

    # when
    import_folder(engine, folder, as_of=AS_OF)

    # then
    with engine.connect() as conn:
        s1, we = location_of(conn, "S1"), location_of(conn, "WE")
        unit = find_serial(conn, "IMEI-1")
        assert (unit["sku_id"], unit["location_id"]) == ("PH1", s1)
        assert find_serial(conn, "IMEI-3")["location_id"] == we
        [carried] = serial_history(conn, "IMEI-2")
        assert (carried["kind"], carried["to_location"], carried["qty"]) == ("opening", s1, 2)
        assert carried["id"] == unit["last_movement_id"]


def test_a_second_import_opens_nothing_twice_and_notes_a_different_qty(engine, tables, make_folder):
    # given
    import_folder(engine, make_folder(tables, name="first"), as_of=AS_OF)
    tables["opening_stock"][0]["qty"] = "9"  # S1/K1 was opened with 5
    tables["opening_stock"].append({"location_id": "S2", "sku_id": "K1", "qty": "3"})
    before = ledger_rows(engine)

    # when
    report = import_folder(engine, make_folder(tables, name="second"), as_of=AS_OF)

    # then
    counts = report.tables["opening_stock"]
    assert (counts.read, counts.inserted, counts.unchanged) == (6, 1, 5)
    assert report.tables["opening_serials"].unchanged == 3
    assert any("different from the opening already posted" in note for note in report.notes)
    after = ledger_rows(engine)
    assert len(after["movements"]) == len(before["movements"]) + 1
    with engine.connect() as conn:
        assert verify_balances(conn) == []


def test_serials_that_do_not_match_the_opening_qty_are_refused_and_nothing_changes(
    engine, tables, make_folder
):
    # given: S1 has 2 phones but 1 serial; WE lists a serial for a pair with no stock row
    tables["opening_serials"] = [
        {"serial": "IMEI-1", "sku_id": "PH1", "location_id": "S1"},
        {"serial": "IMEI-3", "sku_id": "PH1", "location_id": "WC"},
    ]
    folder = make_folder(tables)
    before = snapshot(engine)

    # when
    with pytest.raises(Refused) as refused:
        import_folder(engine, folder)

    # then
    found = {(p.where, p.field): p.reason for p in refused.value.problems}
    assert set(found) == {
        ("opening_stock.csv row 2", "qty"),
        ("opening_stock.csv row 5", "qty"),
        ("opening_serials.csv row 2", "location_id"),
    }
    assert "(1)" in found[("opening_stock.csv row 2", "qty")]
    assert (
        "opening_stock has no row for PH1 at WC"
        in found[("opening_serials.csv row 2", "location_id")]
    )
    assert snapshot(engine) == before


def test_an_import_leaves_statistics_on_the_tables_it_wrote(engine, tables, make_folder):
    # given: a fresh database, never analyzed
    folder = make_folder(tables)

    # when
    import_folder(engine, folder, as_of=AS_OF)

    # then
    with engine.connect() as conn:
        found = analyzed_tables(conn)
    assert {"stores", "skus", "locations", "movements", "balances", "serials"} <= found
