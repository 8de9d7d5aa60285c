"""Importing the chain: suppliers, supplier items, lanes, warehouse parents and the
purchase-order history, from a small generated network and from hand-made folders."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from storenet.datagen import NetworkSpec, generate
from storenet.errors import Refused
from storenet.imports import import_folder
from storenet.store.schema import (
    lanes,
    purchase_order_lines,
    purchase_order_receipts,
    purchase_order_transitions,
    purchase_orders,
    supplier_items,
    suppliers,
    warehouses,
)
from tests.integration.imports.conftest import snapshot

AS_OF = datetime(2026, 3, 1, 9, 0)
GENERATED_AS_OF = datetime(2026, 11, 23, 0, 0)  # the day after the history

# The chain of the small good folder (tests/integration/imports/conftest.py GOOD):
# fmt: off
CHAIN = {
    "suppliers": [
        {"id": "SA", "name": "Shenzhen A", "currency": "CNY"},
        {"id": "SB", "name": "Osaka B", "currency": "USD"},
    ],
    "supplier_items": [
        {"supplier_id": "SA", "sku_id": "K1", "delivers_to": "WC", "lead_days_mean": "10",
         "lead_days_sd": "2.5", "moq": "50", "case_pack": "10", "weekly_capacity": "500",
         "unit_cost": "10.50", "currency": "", "order_days": "Thu, mon", "is_primary": ""},
        {"supplier_id": "SB", "sku_id": "K1", "delivers_to": "", "lead_days_mean": "35",
         "lead_days_sd": "", "moq": "", "case_pack": "", "weekly_capacity": "",
         "unit_cost": "1.60", "currency": "", "order_days": "", "is_primary": "false"},
        {"supplier_id": "SB", "sku_id": "PH1", "delivers_to": "", "lead_days_mean": "30",
         "lead_days_sd": "6", "moq": "20", "case_pack": "20", "weekly_capacity": "",
         "unit_cost": "280.00", "currency": "USD", "order_days": "wed", "is_primary": "true"},
    ],
    "lanes": [
        {"from_id": "WC", "to_id": "WE", "lead_days_mean": "2", "lead_days_sd": "0.4",
         "review_days": "1"},
        {"from_id": "WE", "to_id": "S1", "lead_days_mean": "1", "lead_days_sd": "",
         "review_days": ""},
        {"from_id": "WE", "to_id": "S2", "lead_days_mean": "4", "lead_days_sd": "1",
         "review_days": "7"},
    ],
    "purchase_orders": [
        {"id": "PO1", "supplier_id": "SA", "warehouse_id": "WC", "currency": "CNY",
         "ordered_on": "2026-01-05", "status": ""},
        {"id": "PO2", "supplier_id": "SB", "warehouse_id": "WE", "currency": "USD",
         "ordered_on": "2026-01-07", "status": "closed"},
    ],
    "purchase_order_lines": [
        {"po_id": "PO1", "line_no": "1", "sku_id": "K1", "qty_ordered": "100",
         "unit_cost": "10.50", "promised_on": "2026-01-15"},
        {"po_id": "PO2", "line_no": "1", "sku_id": "PH1", "qty_ordered": "40",
         "unit_cost": "280.00", "promised_on": ""},
    ],
    "purchase_order_receipts": [
        {"po_id": "PO1", "line_no": "1", "received_on": "2026-01-16", "qty_good": "97",
         "qty_damaged": "3", "delivery_note": "DN-1"},
        {"po_id": "PO2", "line_no": "1", "received_on": "2026-02-03", "qty_good": "20",
         "qty_damaged": "", "delivery_note": ""},
        {"po_id": "PO2", "line_no": "1", "received_on": "2026-02-10", "qty_good": "10",
         "qty_damaged": "", "delivery_note": ""},
    ],
}
# fmt: on


@pytest.fixture
def chain_tables(tables) -> dict:
    """The good folder with a chain: the warehouses name their parent."""
    for row in tables["warehouses"]:
        row["parent_id"] = "WC" if row["kind"] == "regional" else ""
    return {**tables, **{name: [dict(r) for r in rows] for name, rows in CHAIN.items()}}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("chain")
    generate(NetworkSpec(stores=40, skus=40, days=150, seed=5), out)
    return out / "master"


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def refusal(engine, folder: Path) -> set[tuple[str, str, str]]:
    before = snapshot(engine)
    with pytest.raises(Refused) as refused:
        import_folder(engine, folder, as_of=AS_OF)
    assert snapshot(engine) == before
    return {(p.where, p.field, p.reason) for p in refused.value.problems}


def test_a_generated_network_imports_its_chain_and_a_second_import_changes_nothing(
    engine, generated
):
    # given
    files = {p.stem: pl.read_parquet(p) for p in generated.glob("*.parquet")}

    # when
    first = import_folder(engine, generated, as_of=GENERATED_AS_OF)
    after_first = snapshot(engine)
    second = import_folder(engine, generated, as_of=GENERATED_AS_OF)

    # then
    assert first.tables["suppliers"].inserted == files["suppliers"].height >= 2
    assert first.tables["supplier_items"].inserted == files["supplier_items"].height
    assert first.tables["lanes"].inserted == files["lanes"].height
    n_orders = files["purchase_orders"].height
    assert first.tables["purchase_orders"].inserted == n_orders > 0
    assert count(engine, purchase_order_receipts) == files["purchase_order_receipts"].height
    n_open = files["purchase_orders"].filter(pl.col("status") == "confirmed").height
    # closed: draft -> approved -> sent -> confirmed -> closed; open: up to confirmed
    assert count(engine, purchase_order_transitions) == 4 * (n_orders - n_open) + 3 * n_open
    assert not second.changed
    assert snapshot(engine) == after_first
    with engine.connect() as conn:
        parents = dict(conn.execute(select(warehouses.c.id, warehouses.c.parent_id)).all())
        statuses = dict(
            conn.execute(
                select(purchase_orders.c.status, func.count()).group_by(purchase_orders.c.status)
            ).all()
        )
        movements = conn.execute(
            select(func.count()).where(purchase_order_receipts.c.movement_id.is_not(None))
        ).scalar_one()
        open_lines = conn.execute(
            select(
                func.count(),
                func.sum(
                    purchase_order_lines.c.qty_received + purchase_order_lines.c.qty_cancelled
                ),
            )
            .select_from(purchase_order_lines.join(purchase_orders))
            .where(purchase_orders.c.status == "confirmed")
        ).one()
    assert parents["WH-C01"] is None
    assert {p for w, p in parents.items() if w != "WH-C01"} == {"WH-C01"}
    assert set(statuses) == {"closed", "confirmed"} and statuses["closed"] > statuses["confirmed"]
    assert movements == 0
    assert open_lines[0] > 0 and open_lines[1] == 0


def test_chain_rows_are_stored_with_their_defaults_and_counters(engine, chain_tables, make_folder):
    # given
    folder = make_folder(chain_tables)

    # when
    report = import_folder(engine, folder, as_of=AS_OF)

    # then
    assert report.tables["warehouse_parents"].updated == 1
    with engine.connect() as conn:
        items = {(r.supplier_id, r.sku_id): r for r in conn.execute(select(supplier_items))}
        lane = {(r.from_id, r.to_id): r for r in conn.execute(select(lanes))}
        line2 = conn.execute(
            select(purchase_order_lines).where(purchase_order_lines.c.po_id == "PO2")
        ).one()
        steps = conn.execute(
            select(purchase_order_transitions.c.to_status, purchase_order_transitions.c.at)
            .where(purchase_order_transitions.c.po_id == "PO2")
            .order_by(purchase_order_transitions.c.id)
        ).all()
        currency = dict(conn.execute(select(suppliers.c.id, suppliers.c.currency)).all())
    a, b = items["SA", "K1"], items["SB", "K1"]
    assert (a.order_days, a.currency, a.is_primary, a.unit_cost_cents) == (
        "mon,thu",
        "CNY",
        True,
        1050,
    )
    assert (b.order_days, b.currency, b.is_primary, b.delivers_to) == (
        "mon,tue,wed,thu,fri",
        "USD",
        False,
        None,
    )
    assert (b.moq, b.case_pack, b.lead_days_sd, b.weekly_capacity) == (1, 1, 0.0, None)
    assert (lane["WE", "S1"].review_days, lane["WE", "S1"].lead_days_sd) == (7, 0.0)
    assert currency == {"SA": "CNY", "SB": "USD"}
    assert (line2.qty_received, line2.qty_damaged, line2.qty_cancelled) == (30, 0, 10)
    assert [s for s, _ in steps] == ["approved", "sent", "confirmed", "partly_received", "closed"]
    assert steps[-2][1] == datetime(2026, 2, 3) and steps[-1][1] == datetime(2026, 2, 10)


def test_a_new_primary_supplier_replaces_the_old_one_in_one_import(
    engine, chain_tables, make_folder
):
    # given
    import_folder(engine, make_folder(chain_tables, name="first"), as_of=AS_OF)
    chain_tables["supplier_items"][0]["is_primary"] = "false"
    chain_tables["supplier_items"][1]["is_primary"] = "true"

    # when
    report = import_folder(engine, make_folder(chain_tables, name="second"), as_of=AS_OF)

    # then
    assert report.tables["supplier_items"].updated == 2
    with engine.connect() as conn:
        primary = conn.execute(
            select(supplier_items.c.supplier_id).where(
                supplier_items.c.sku_id == "K1", supplier_items.c.is_primary
            )
        ).scalar_one()
    assert primary == "SB"


def test_a_folder_without_the_parent_column_leaves_parents_alone(
    engine, chain_tables, tables, make_folder
):
    # given
    import_folder(engine, make_folder(chain_tables, name="first"), as_of=AS_OF)

    # when
    import_folder(
        engine, make_folder({"warehouses": tables["warehouses"]}, name="old"), as_of=AS_OF
    )

    # then
    with engine.connect() as conn:
        parent = conn.execute(
            select(warehouses.c.parent_id).where(warehouses.c.id == "WE")
        ).scalar_one()
    assert parent == "WC"


def test_bad_supplier_items_are_refused_by_file_row_field_and_reason(
    engine, chain_tables, make_folder
):
    # given
    items = chain_tables["supplier_items"]
    items[0].update(supplier_id="SX", order_days="mon,funday", lead_days_mean="0", moq="0")
    items[1].update(sku_id="K404", lead_days_mean="-3", delivers_to="W404")
    items[2].update(currency="usd")
    chain_tables["supplier_items"] = items

    # when
    found = refusal(engine, make_folder(chain_tables))

    # then
    fields = {(where, field) for where, field, _ in found}
    assert fields == {
        ("supplier_items.csv row 1", "supplier_id"),
        ("supplier_items.csv row 1", "order_days"),
        ("supplier_items.csv row 1", "lead_days_mean"),
        ("supplier_items.csv row 1", "moq"),
        ("supplier_items.csv row 2", "sku_id"),
        ("supplier_items.csv row 2", "lead_days_mean"),
        ("supplier_items.csv row 2", "delivers_to"),
        ("supplier_items.csv row 3", "currency"),
    }
    reasons = {field: reason for _, field, reason in found}
    assert "funday" in reasons["order_days"]
    assert "not a known supplier" in reasons["supplier_id"]
    assert "more than 0 days" in reasons["lead_days_mean"]


def test_two_primary_suppliers_for_one_sku_are_refused(engine, chain_tables, make_folder):
    # given
    chain_tables["supplier_items"][1]["is_primary"] = "true"

    # when
    found = refusal(engine, make_folder(chain_tables))

    # then
    assert {(w, f) for w, f, _ in found} == {
        ("supplier_items.csv row 1", "is_primary"),
        ("supplier_items.csv row 2", "is_primary"),
    }
    assert all("K1 would have 2 primary suppliers (SA, SB)" in r for _, _, r in found)


def test_a_second_primary_against_the_stored_one_is_refused(engine, chain_tables, make_folder):
    # given: SA is K1's stored primary; the next folder adds SB as primary alone
    import_folder(engine, make_folder(chain_tables, name="first"), as_of=AS_OF)
    later = {"supplier_items": [dict(chain_tables["supplier_items"][1], is_primary="true")]}

    # when
    found = refusal(engine, make_folder(later, name="second"))

    # then
    [(where, field, reason)] = found
    assert (where, field) == ("supplier_items.csv row 1", "is_primary")
    assert "(SA, SB)" in reason


def test_lanes_with_unknown_ends_or_bad_times_are_refused(engine, chain_tables, make_folder):
    # given
    chain_tables["lanes"] = [
        {"from_id": "S1", "to_id": "WE", "lead_days_mean": "1", "lead_days_sd": "",
         "review_days": ""},
        {"from_id": "WE", "to_id": "S404", "lead_days_mean": "-1", "lead_days_sd": "",
         "review_days": "0"},
        {"from_id": "WE", "to_id": "WE", "lead_days_mean": "1", "lead_days_sd": "",
         "review_days": ""},
    ]  # fmt: skip

    # when
    found = refusal(engine, make_folder(chain_tables))

    # then
    assert {(w, f) for w, f, _ in found} == {
        ("lanes.csv row 1", "from_id"),
        ("lanes.csv row 2", "to_id"),
        ("lanes.csv row 2", "lead_days_mean"),
        ("lanes.csv row 2", "review_days"),
        ("lanes.csv row 3", "to_id"),
    }


@pytest.mark.parametrize(
    ("parents", "reason"),
    [
        ({"WE": "WE"}, "cannot feed itself"),
        ({"WE": "WX"}, "is not a central warehouse (WX is regional)"),
        ({"WC": "WE"}, "is not a central warehouse (WE is regional)"),
        ({"WE": "W404"}, "is not a known warehouse"),
    ],
)
def test_a_parent_that_is_not_a_central_warehouse_is_refused(
    engine, chain_tables, make_folder, parents, reason
):
    # given
    chain_tables["warehouses"].append(
        {"id": "WX", "name": "West DC", "kind": "regional", "region_id": "WEST", "city_id": "CD",
         "parent_id": "WC"}
    )  # fmt: skip
    for row in chain_tables["warehouses"]:
        row["parent_id"] = parents.get(row["id"], row["parent_id"])

    # when
    found = refusal(engine, make_folder(chain_tables))

    # then
    assert {f for _, f, _ in found} == {"parent_id"}
    assert any(reason in r for _, _, r in found)


def test_a_cycle_of_central_parents_is_refused(engine, chain_tables, make_folder):
    # given
    chain_tables["warehouses"].append(
        {"id": "WC2", "name": "North central", "kind": "central", "region_id": "",
         "city_id": "SH", "parent_id": "WC"}
    )  # fmt: skip
    chain_tables["warehouses"][0]["parent_id"] = "WC2"

    # when
    found = refusal(engine, make_folder(chain_tables))

    # then
    assert {(w, f) for w, f, _ in found} == {
        ("warehouses.csv row 1", "parent_id"),
        ("warehouses.csv row 3", "parent_id"),
    }
    assert any("WC -> WC2 -> WC" in r for _, _, r in found)


def test_a_bad_order_history_is_refused(engine, chain_tables, make_folder):
    # given
    chain_tables["purchase_orders"].append(
        {"id": "PO3", "supplier_id": "S404", "warehouse_id": "WC", "currency": "CNY",
         "ordered_on": "2026-01-05", "status": ""}
    )  # fmt: skip
    chain_tables["purchase_order_lines"].append(
        {"po_id": "PO9", "line_no": "1", "sku_id": "K1", "qty_ordered": "0",
         "unit_cost": "1", "promised_on": ""}
    )  # fmt: skip
    chain_tables["purchase_order_receipts"] += [
        {"po_id": "PO1", "line_no": "2", "received_on": "2026-01-16", "qty_good": "1",
         "qty_damaged": "", "delivery_note": ""},
        {"po_id": "PO2", "line_no": "1", "received_on": "2026-01-01", "qty_good": "1",
         "qty_damaged": "", "delivery_note": ""},
        {"po_id": "PO2", "line_no": "1", "received_on": "2026-03-02", "qty_good": "1",
         "qty_damaged": "", "delivery_note": ""},
        {"po_id": "PO2", "line_no": "1", "received_on": "2026-02-20", "qty_good": "0",
         "qty_damaged": "0", "delivery_note": ""},
    ]  # fmt: skip

    # when
    found = refusal(engine, make_folder(chain_tables))

    # then
    assert {(w, f) for w, f, _ in found} == {
        ("purchase_orders.csv row 3", "supplier_id"),
        ("purchase_orders.csv row 3", "id"),  # no lines
        ("purchase_order_lines.csv row 3", "po_id"),
        ("purchase_order_lines.csv row 3", "qty_ordered"),
        ("purchase_order_receipts.csv row 4", "line_no"),
        ("purchase_order_receipts.csv row 5", "received_on"),  # before the order
        ("purchase_order_receipts.csv row 6", "received_on"),  # not before --as-of
        ("purchase_order_receipts.csv row 7", "qty_good"),
    }


def test_an_open_order_is_on_order_with_its_life_so_far(engine, chain_tables, make_folder):
    # given
    chain_tables["purchase_orders"][1]["status"] = "confirmed"
    chain_tables["purchase_order_receipts"] = chain_tables["purchase_order_receipts"][:1]

    # when
    import_folder(engine, make_folder(chain_tables), as_of=AS_OF)

    # then
    with engine.connect() as conn:
        order = conn.execute(select(purchase_orders).where(purchase_orders.c.id == "PO2")).one()
        line = conn.execute(
            select(purchase_order_lines).where(purchase_order_lines.c.po_id == "PO2")
        ).one()
        steps = conn.execute(
            select(purchase_order_transitions.c.to_status)
            .where(purchase_order_transitions.c.po_id == "PO2")
            .order_by(purchase_order_transitions.c.id)
        ).scalars()
        closed = conn.execute(select(purchase_orders.c.status).where(purchase_orders.c.id == "PO1"))
        assert closed.scalar_one() == "closed"
        assert list(steps) == ["approved", "sent", "confirmed"]
    assert (order.status, order.sent_at) == ("confirmed", datetime(2026, 1, 7))
    assert (line.qty_confirmed, line.qty_received, line.qty_cancelled) == (40, 0, 0)


def test_an_open_order_with_receipts_or_an_order_after_the_cut_over_is_refused(
    engine, chain_tables, make_folder
):
    # given
    chain_tables["purchase_orders"][1]["status"] = "confirmed"
    chain_tables["purchase_orders"][0]["ordered_on"] = "2026-03-02"

    # when
    found = refusal(engine, make_folder(chain_tables))

    # then
    assert {(w, f) for w, f, _ in found} == {
        ("purchase_orders.csv row 1", "ordered_on"),
        ("purchase_order_receipts.csv row 1", "received_on"),  # before its order now
        ("purchase_order_receipts.csv row 2", "po_id"),
        ("purchase_order_receipts.csv row 3", "po_id"),
    }


def test_a_stored_order_is_left_alone_whatever_happened_to_it(engine, chain_tables, make_folder):
    # given: PO2 was imported open and has been received in full since
    chain_tables["purchase_orders"][1]["status"] = "confirmed"
    chain_tables["purchase_order_receipts"] = chain_tables["purchase_order_receipts"][:1]
    import_folder(engine, make_folder(chain_tables, name="first"), as_of=AS_OF)
    with engine.begin() as conn:
        conn.execute(
            purchase_orders.update().where(purchase_orders.c.id == "PO2").values(status="closed")
        )
    before = snapshot(engine)

    # when
    report = import_folder(engine, make_folder(chain_tables, name="second"), as_of=AS_OF)

    # then
    assert report.tables["purchase_orders"].unchanged == 2
    assert snapshot(engine) == before


def test_a_generated_folder_in_csv_imports_the_same_chain(engine, generated, tmp_path):
    # given: the generated chain as CSV, next to the other master files as Parquet
    folder = tmp_path / "mixed"
    shutil.copytree(generated, folder)
    for name in ("supplier_items", "lanes", "purchase_order_lines"):
        pl.read_parquet(folder / f"{name}.parquet").write_csv(folder / f"{name}.csv")
        (folder / f"{name}.parquet").unlink()
    import_folder(engine, generated, as_of=GENERATED_AS_OF)
    before = snapshot(engine)

    # when
    report = import_folder(engine, folder, as_of=GENERATED_AS_OF)

    # then
    assert not report.changed
    assert snapshot(engine) == before
