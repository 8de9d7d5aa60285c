"""Importing master data folders: upserts, formats, references, refusals."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from storenet.errors import Refused
from storenet.imports import import_folder
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.serials import place_serials
from storenet.network.ownership import owner_at, region_manager_history, store_owner_history
from storenet.store.schema import skus, stores
from tests.integration.imports.conftest import snapshot

AS_OF = datetime(2026, 3, 1, 9, 0, 0, 250_000)


def problems_of(error: Refused) -> set[tuple[str, str]]:
    return {(p.where, p.field) for p in error.problems}


def test_a_good_folder_imports_and_a_second_import_changes_nothing(engine, tables, make_folder):
    # given
    folder = make_folder(tables)
    first = import_folder(engine, folder, as_of=AS_OF)
    after_first = snapshot(engine)

    # when
    second = import_folder(engine, folder, as_of=AS_OF)

    # then
    assert first.tables["stores"].inserted == 3
    assert first.tables["assortment"].inserted == 3
    assert first.opening_movements == 4 and first.opening_units == 108
    assert not second.changed
    assert all(c.unchanged == c.read for c in second.tables.values())
    assert second.opening_movements == 0
    assert snapshot(engine) == after_first


def test_money_dates_defaults_and_serial_tracking_are_stored_as_their_types(
    engine, tables, make_folder
):
    # given
    folder = make_folder(tables)

    # when
    import_folder(engine, folder, as_of=AS_OF)

    # then
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(skus))}
        s1 = conn.execute(select(stores).where(stores.c.id == "S1")).one()
    assert (rows["K1"].cost_cents, rows["K1"].price_cents) == (1050, 1999)
    assert rows["K2"].eol_on.isoformat() == "2026-01-01"
    assert rows["K1"].variant == "" and rows["PH1"].pack_size == 1
    assert rows["PH1"].serial_tracked and not rows["K1"].serial_tracked
    assert (s1.lat, s1.floor_area_m2, s1.closed_on) == (31.2, 120, None)


def test_a_parquet_folder_holds_the_same_rows_as_the_csv_folder(engine, tables, make_folder):
    # given
    import_folder(engine, make_folder(tables, "csv", "as_csv"), as_of=AS_OF)
    before = snapshot(engine)

    # when
    report = import_folder(engine, make_folder(tables, "parquet", "as_parquet"), as_of=AS_OF)

    # then
    assert not report.changed
    assert snapshot(engine) == before


def test_changed_rows_are_updated_and_owner_changes_keep_history(engine, tables, make_folder):
    # given
    import_folder(engine, make_folder(tables, name="first"), as_of=AS_OF)
    tables["stores"][0]["name"] = "Store One"
    tables["stores"][1]["franchisee_id"] = "F2"
    tables["skus"][0]["price"] = "17.99"
    tables["regions"][0]["manager"] = "Chen Jie"
    later = datetime(2026, 6, 1)

    # when
    report = import_folder(engine, make_folder(tables, name="second"), as_of=later)

    # then
    assert (report.tables["stores"].updated, report.tables["stores"].unchanged) == (1, 2)
    assert report.tables["skus"].updated == 1
    assert (report.tables["store_owners"].inserted, report.tables["store_owners"].updated) == (1, 1)
    with engine.connect() as conn:
        history = store_owner_history(conn, "S2")
        assert [h["franchisee_id"] for h in history] == ["F1", "F2"]
        assert history[0]["valid_from"] == datetime(2025, 2, 1)  # since it opened
        assert history[0]["valid_to"] == later == history[1]["valid_from"]
        assert owner_at(conn, "S2", datetime(2026, 1, 1)) == "F1"
        assert owner_at(conn, "S2", later) == "F2"
        managers = region_manager_history(conn, "EAST")
        assert [m["manager"] for m in managers] == ["Wang Fang", "Chen Jie"]


def test_a_folder_may_refer_to_rows_already_in_the_database(network, make_folder):
    # given: the small network of tests.support is stored; the folder names its
    # region, city, warehouse, franchisee and SKUs without carrying them
    folder = make_folder(
        {
            "stores": [
                {"id": "S9", "name": "New", "format": "franchise", "region_id": "EAST",
                 "city_id": "SH", "status": "open", "franchisee_id": "F2",
                 "warehouse_id": "WE"},
            ],
            "assortment": [{"store_id": "S9", "sku_id": "K1"}, {"store_id": "S1", "sku_id": "K2"}],
            "opening_stock": [{"location_id": "S9", "sku_id": "K1", "qty": "4"}],
        }
    )  # fmt: skip

    # when
    report = import_folder(network, folder, as_of=AS_OF)

    # then
    assert report.tables["stores"].inserted == 1
    # S9/K1 is new; S1/K2 was stored with display_min 1 and capacity 50
    assert (report.tables["assortment"].inserted, report.tables["assortment"].updated) == (1, 1)
    assert report.opening_units == 4
    with network.connect() as conn:
        assert owner_at(conn, "S9", AS_OF) == "F2"


def test_a_franchise_store_without_a_franchisee_is_refused(engine, tables, make_folder):
    # given
    tables["stores"][2]["franchisee_id"] = ""
    folder = make_folder(tables)
    before = snapshot(engine)

    # when
    with pytest.raises(Refused) as refused:
        import_folder(engine, folder)

    # then
    [problem] = refused.value.problems
    assert (problem.where, problem.field) == ("stores.csv row 3", "franchisee_id")
    assert "franchise store must name its franchisee" in problem.reason
    assert snapshot(engine) == before


def test_every_kind_of_bad_row_is_refused_by_file_row_field_and_reason_and_nothing_changes(
    network, make_folder
):
    # given: a stored network with one phone already in the ledger, and a folder
    # with one bad value of every kind
    with network.begin() as conn:
        [moved] = post_movements(
            conn, [Movement("receipt", "PH1", 1, 101, 1, AS_OF, serials=("SN-OLD",))], AS_OF
        ).ids
        place_serials(conn, [("SN-OLD", "PH1", 101, None, moved, None)])
    folder = make_folder(
        {
            "cities": [
                {"id": "BJ", "name": "Beijing", "province": "Beijing", "tier": "9",
                 "region_id": "EAST", "lat": "north", "lon": ""},
            ],
            "stores": [
                {"id": "S5", "name": "ok", "format": "direct", "region_id": "EAST",
                 "city_id": "SH", "status": "open", "franchisee_id": "", "opened_on": ""},
                {"id": "S6", "name": "x", "format": "franchise", "region_id": "EAST",
                 "city_id": "SH", "status": "open", "franchisee_id": "", "opened_on": ""},
                {"id": "S7", "name": "x", "format": "direct", "region_id": "NORTH",
                 "city_id": "SH", "status": "open", "franchisee_id": "", "opened_on": ""},
                {"id": "S8", "name": "x", "format": "kiosk", "region_id": "EAST",
                 "city_id": "SH", "status": "open", "franchisee_id": "", "opened_on": ""},
                {"id": "S5", "name": "again", "format": "direct", "region_id": "EAST",
                 "city_id": "SH", "status": "open", "franchisee_id": "", "opened_on": ""},
                {"id": "S9", "name": "x", "format": "direct", "region_id": "EAST",
                 "city_id": "SH", "status": "open", "franchisee_id": "",
                 "opened_on": "2025-13-01"},
                {"id": "S10", "name": "x", "format": "direct", "region_id": "EAST",
                 "city_id": "SH", "status": "", "franchisee_id": "", "opened_on": ""},
                {"id": "WC", "name": "x", "format": "direct", "region_id": "EAST",
                 "city_id": "SH", "status": "open", "franchisee_id": "", "opened_on": ""},
            ],
            "skus": [
                {"id": "K9", "name": "x", "category": "tv", "model": "m",
                 "launch_on": "2025-01-01", "cost": "1", "price": "12.345",
                 "successor_id": "", "pack_size": "", "serial_tracked": ""},
                {"id": "K10", "name": "x", "category": "tv", "model": "m",
                 "launch_on": "2025-01-01", "cost": "-1.00", "price": "1",
                 "successor_id": "K99", "pack_size": "0", "serial_tracked": "maybe"},
                {"id": "K11", "name": "x", "category": "tv", "model": "m",
                 "launch_on": "", "cost": "1", "price": "1",
                 "successor_id": "", "pack_size": "", "serial_tracked": ""},
            ],
            "assortment": [
                {"store_id": "S1", "sku_id": "K1", "display_min": "3", "capacity": "1"},
                {"store_id": "S99", "sku_id": "K1", "display_min": "", "capacity": ""},
                {"store_id": "S1", "sku_id": "K98", "display_min": "", "capacity": ""},
            ],
            "opening_stock": [
                {"location_id": "S1", "sku_id": "PH1", "qty": "2"},
                {"location_id": "S1", "sku_id": "K2", "qty": "-1"},
                {"location_id": "NOWHERE", "sku_id": "K1", "qty": "5"},
                {"location_id": "S2", "sku_id": "PH1", "qty": "1"},
                {"location_id": "S3", "sku_id": "K3", "qty": "1.5"},
            ],
            "opening_serials": [
                {"serial": "A1", "sku_id": "PH1", "location_id": "S1"},
                {"serial": "SN-OLD", "sku_id": "PH1", "location_id": "S2"},
                {"serial": "K1-SERIAL", "sku_id": "K1", "location_id": "S1"},
                {"serial": "A1", "sku_id": "PH1", "location_id": "S1"},
            ],
        }
    )  # fmt: skip
    before = snapshot(network)

    # when
    with pytest.raises(Refused) as refused:
        import_folder(network, folder)

    # then
    expected = {
        ("cities.csv row 1", "tier"): "must be 5 or less",
        ("cities.csv row 1", "lat"): "is not a number",
        ("stores.csv row 2", "franchisee_id"): "a franchise store must name its franchisee",
        ("stores.csv row 3", "region_id"): "is not a known region",
        ("stores.csv row 4", "format"): "must be one of flagship, direct, franchise",
        ("stores.csv row 5", "id"): "duplicate key: row 1 has the same",
        ("stores.csv row 6", "opened_on"): "is not a date in the form YYYY-MM-DD",
        ("stores.csv row 7", "status"): "is required",
        ("stores.csv row 8", "id"): "is already a warehouse id",
        ("skus.csv row 1", "price"): "at most two decimals",
        ("skus.csv row 2", "cost"): "must be 0 or more",
        ("skus.csv row 2", "successor_id"): "is not a known SKU",
        ("skus.csv row 2", "pack_size"): "must be 1 or more",
        ("skus.csv row 2", "serial_tracked"): "is not a boolean",
        ("skus.csv row 3", "launch_on"): "is required",
        ("assortment.csv row 1", "capacity"): "is below display_min (3)",
        ("assortment.csv row 2", "store_id"): "is not a known store",
        ("assortment.csv row 3", "sku_id"): "is not a known SKU",
        ("opening_stock.csv row 1", "qty"): "PH1 is serial-tracked",
        ("opening_stock.csv row 2", "qty"): "must be 0 or more",
        ("opening_stock.csv row 3", "location_id"): "is not a known store or warehouse",
        ("opening_stock.csv row 5", "qty"): "is not a whole number",
        ("opening_serials.csv row 2", "serial"): "is already in the ledger (at S1)",
        ("opening_serials.csv row 3", "sku_id"): "is not serial-tracked",
        ("opening_serials.csv row 4", "serial"): "duplicate key: row 1 has the same",
    }
    found = {(p.where, p.field): p.reason for p in refused.value.problems}
    for place, reason in expected.items():
        assert place in found, f"no problem named {place}"
        assert reason in found[place], (place, found[place])
    assert set(found) == set(expected)
    assert snapshot(network) == before


def test_a_header_problem_names_the_file_and_column_and_nothing_changes(
    engine, tables, make_folder
):
    # given
    for row in tables["franchisees"]:
        row["nickname"] = "x"
    del tables["cities"][0]["tier"], tables["cities"][1]["tier"]
    folder = make_folder(tables)

    # when
    with pytest.raises(Refused) as refused:
        import_folder(engine, folder)

    # then
    assert problems_of(refused.value) == {
        ("franchisees.csv header", "nickname"),
        ("cities.csv header", "tier"),
    }
    assert snapshot(engine)["stores"] == []


def test_a_long_list_of_problems_is_cut_at_200_with_a_count_of_the_rest(
    engine, tables, make_folder
):
    # given
    tables["assortment"] = [
        {"store_id": "S1", "sku_id": f"NOPE{i}", "display_min": "", "capacity": ""}
        for i in range(250)
    ]
    folder = make_folder(tables)

    # when
    with pytest.raises(Refused) as refused:
        import_folder(engine, folder)

    # then
    problems = refused.value.problems
    assert len(problems) == 201
    assert problems[0].where == "assortment.csv row 1"
    assert problems[-1].reason == "50 more problem(s) not listed"


def _refused(engine, folder) -> list:  # type: ignore[no-untyped-def]
    """The problems of an import that must be refused whole, having checked nothing
    changed."""
    before = snapshot(engine)
    with pytest.raises(Refused) as refused:
        import_folder(engine, folder, as_of=AS_OF)
    assert snapshot(engine) == before
    return refused.value.problems


def test_a_nul_in_a_franchisee_name_is_refused_naming_file_row_and_field(
    engine, tables, make_folder
):
    # given a franchisee whose name holds a NUL (SQLite would store it, PostgreSQL not)
    tables["franchisees"][1]["name"] = "Zhang\x00Min"
    # when / then: refused on every database, naming the cell
    [problem] = _refused(engine, make_folder(tables))
    assert (problem.where, problem.field) == ("franchisees.csv row 2", "name")
    assert "control character" in problem.reason


def test_control_characters_are_refused_in_ids_a_tab_is_allowed_in_a_name(
    engine, tables, make_folder
):
    # given an SKU id with a control character, and a name with a tab inside
    tables["skus"].append({**tables["skus"][0], "id": "K\x019"})
    tables["assortment"].append({**tables["assortment"][0], "sku_id": "K\x019"})
    tables["stores"][0]["name"] = "Store\t1"
    for fmt in ("csv", "parquet"):
        # when / then: the ids are refused, the name is not
        problems = _refused(engine, make_folder(tables, fmt=fmt, name=fmt))
        suffix = fmt
        assert problems_of(Refused(problems)) == {
            (f"skus.{suffix} row 4", "id"),
            (f"assortment.{suffix} row 4", "sku_id"),
        }
        assert all("ids may not" in p.reason for p in problems)


def test_a_store_in_a_region_its_city_is_not_in_is_refused(engine, tables, make_folder):
    # given S1 filed under WEST while its city, Shanghai, is in EAST
    tables["stores"][0]["region_id"] = "WEST"
    [problem] = _refused(engine, make_folder(tables))
    assert (problem.where, problem.field, problem.value) == (
        "stores.csv row 1",
        "region_id",
        "WEST",
    )
    assert problem.reason == "is not the region of city SH, which is in EAST"


def test_a_store_whose_stored_city_is_in_another_region_is_refused(network, make_folder):
    # given: the stored network has Shanghai in EAST; a new store there names WEST
    folder = make_folder(
        {
            "stores": [
                {"id": "S9", "name": "New", "format": "direct", "region_id": "WEST",
                 "city_id": "SH", "status": "open"},
            ],
        }
    )  # fmt: skip
    [problem] = _refused(network, folder)
    assert (problem.where, problem.field) == ("stores.csv row 1", "region_id")


def test_a_direct_store_with_a_franchisee_is_refused(engine, tables, make_folder):
    # given S1, a direct store, named as owned by F1
    tables["stores"][0]["franchisee_id"] = "F1"
    [problem] = _refused(engine, make_folder(tables))
    assert (problem.where, problem.field, problem.value) == (
        "stores.csv row 1",
        "franchisee_id",
        "F1",
    )
    assert problem.reason == "only a franchise store has a franchisee; a direct store is HQ's"
