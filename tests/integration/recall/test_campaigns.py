"""Creating a campaign: scope by each kind, idempotent by name, audited; bad input
refused naming the field with nothing written (storenet.recall.campaigns, .scope)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storenet.errors import Refused
from storenet.purchasing.orders import create_purchase_order
from storenet.purchasing.receipts import receive_purchase_order
from storenet.purchasing.status import lock_order, move
from storenet.recall.campaigns import create_campaign
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, recall_scopes, recall_units, supplier_items, suppliers
from tests.integration.api.helpers import snapshot


def _create(engine, name="PH1 battery", scope=None, serial_list=None, **more):  # type: ignore[no-untyped-def]
    args = {
        "name": name,
        "reason": "battery may swell",
        "severity": "stop_sale",
        "remedy": "replace",
        "by": "planner",
        "scope": [{"kind": "sku", "value": "PH1"}] if scope is None else scope,
        "serial_list": serial_list,
    } | more
    return unit_of_work(engine, lambda conn: create_campaign(conn, **args))


def _units(engine, campaign_id: str) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        q = select(recall_units.c.serial).where(recall_units.c.campaign_id == campaign_id)
        return set(conn.execute(q).scalars())


ALL_PH1 = {"W-1", "W-2", "W-3", "W-4", "A-1", "A-2", "A-3", "B-1", "B-2", "C-1"}


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ([{"kind": "sku", "value": "PH1"}], ALL_PH1),
        ([{"kind": "model", "value": "phone-x"}], ALL_PH1 | {"X-1"}),
        (
            [{"kind": "serial_range", "value": "A-1", "value_to": "B-1"}],
            {"A-1", "A-2", "A-3", "B-1"},
        ),
        ([{"kind": "receipt", "value": "DN-S1"}], {"A-1", "A-2", "A-3"}),
        (
            [
                {"kind": "sku", "value": "PH1"},
                {"kind": "date_window", "value": "2025-07-01", "value_to": "2025-07-31"},
            ],
            {"A-1", "A-2", "A-3"},
        ),
    ],
    ids=["sku", "model", "serial_range", "receipt", "date_window"],
)
def test_each_scope_kind_lists_exactly_its_units(stocked, scope, expected):
    made = _create(stocked, scope=scope)
    assert made["created"] and made["units"] == len(expected)
    assert _units(stocked, made["id"]) == expected


def test_a_serial_list_is_streamed_and_unknown_serials_wait_for_their_receipt(stocked):
    numbers = iter(["A-1", " B-2 ", "", "A-1", "FUTURE-1"])  # a generator: read once
    made = _create(stocked, scope=[], serial_list=numbers)
    assert _units(stocked, made["id"]) == {"A-1", "B-2", "FUTURE-1"}
    with stocked.connect() as conn:
        row = conn.execute(select(recall_scopes).where(recall_scopes.c.kind == "serial_list")).one()
        sku = conn.execute(
            select(recall_units.c.sku_id).where(recall_units.c.serial == "FUTURE-1")
        ).scalar()
    assert row.value_to.startswith("4 serials, sha256 ") and row.units == 3
    assert sku is None


def test_a_purchase_order_line_scopes_the_units_received_against_it(stocked):
    def work(conn):  # type: ignore[no-untyped-def]
        conn.execute(suppliers.insert().values(id="SUP", name="Supplier", currency="CNY"))
        conn.execute(
            supplier_items.insert().values(
                supplier_id="SUP",
                sku_id="PH1",
                lead_days_mean=10,
                unit_cost_cents=100,
                currency="CNY",
            )
        )
        po = create_purchase_order(
            conn,
            key="po",
            supplier="SUP",
            warehouse="WE",
            lines=[{"sku": "PH1", "qty": 2}],
            by="planner",
            po_id="PO-1",
        )
        header = lock_order(conn, po["id"])
        for to, action in (("approved", "approve"), ("sent", "send"), ("confirmed", "confirm")):
            move(conn, header, to, "planner2", action)
        receive_purchase_order(
            conn,
            key="rcv",
            po_id="PO-1",
            lines=[
                {
                    "line_no": 1,
                    "good": 1,
                    "damaged": 1,
                    "serials": ["P-1"],
                    "damaged_serials": ["P-2"],
                }
            ],
            by="planner2",
        )

    unit_of_work(stocked, work)
    made = _create(stocked, scope=[{"kind": "po_line", "value": "PO-1:1"}])
    assert _units(stocked, made["id"]) == {"P-1", "P-2"}


def test_the_same_name_again_is_the_same_campaign_and_changes_nothing(stocked):
    first = _create(stocked)
    before = snapshot(stocked, skip=set())
    again = _create(stocked, reason="another reason", scope=[{"kind": "sku", "value": "K1"}])
    assert again == {"id": first["id"], "created": False}
    assert snapshot(stocked, skip=set()) == before


def test_creation_is_audited_once(stocked):
    made = _create(stocked)
    with stocked.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.actor, audit_log.c.action, audit_log.c.target).where(
                audit_log.c.action.like("recall.%")
            )
        ).all()
    assert rows == [("planner", "recall.create", f"recall:{made['id']}")]


@pytest.mark.parametrize(
    ("more", "field"),
    [
        ({"scope": [{"kind": "sku", "value": "NOPE"}]}, "value"),
        ({"scope": [{"kind": "colour", "value": "red"}]}, "kind"),
        ({"scope": [{"kind": "serial_range", "value": "B", "value_to": "A"}]}, "value_to"),
        (
            {"scope": [{"kind": "date_window", "value": "2025-01-01", "value_to": "2025-02-01"}]},
            "scope",
        ),
        (
            {
                "scope": [
                    {"kind": "sku", "value": "K1"},
                    {"kind": "date_window", "value": "2025-01-01", "value_to": "2025-02-01"},
                ]
            },
            "date_window",
        ),
        ({"scope": [{"kind": "receipt", "value": "NO-NOTE"}]}, "value"),
        ({"scope": [{"kind": "po_line", "value": "PO-NONE:1"}]}, "value"),
        ({"severity": "urgent"}, "severity"),
        ({"remedy": "pray"}, "remedy"),
        ({"name": "  "}, "name"),
        ({"scope": [], "serial_list": iter(["A-1", "bad\x00serial"])}, "serials"),
    ],
)
def test_bad_input_is_refused_naming_the_field_with_nothing_written(stocked, more, field):
    before = snapshot(stocked, skip=set())
    with pytest.raises(Refused) as refused:
        _create(stocked, **more)
    assert field in [p.field for p in refused.value.problems]
    assert snapshot(stocked, skip=set()) == before


def test_units_listed_by_two_rows_are_listed_once(stocked):
    made = _create(
        stocked,
        scope=[{"kind": "sku", "value": "PH1"}, {"kind": "receipt", "value": "DN-S1"}],
        serial_list=iter(["A-1", "A-2"]),
    )
    with stocked.connect() as conn:
        n = conn.execute(
            select(func.count()).where(recall_units.c.campaign_id == made["id"])
        ).scalar()
    assert n == len(ALL_PH1)


def test_a_receipt_and_a_buyer_trace_to_their_units_and_where_they_are(stocked):
    from storenet.ledger.locations import location_of
    from storenet.recall.trace import trace_units

    with stocked.connect() as conn:
        batch = trace_units(conn, "receipt", "DN-S1")
        buyer = trace_units(conn, "buyer", "buyer-1")
        s3_only = trace_units(conn, "receipt", "DN-S1", {location_of(conn, "S3")})
        with pytest.raises(Refused):
            trace_units(conn, "po_line", "PO-NONE:1")
    assert [(u["serial"], u["where"], u["site"]) for u in batch] == [
        ("A-1", "S1", "S1"),
        ("A-2", "S1", "S1"),
        ("A-3", "customer", "S1"),
    ]
    assert [u["serial"] for u in buyer] == ["A-3"]
    assert s3_only == []


@pytest.mark.postgres
def test_the_same_name_created_twice_at_once_is_one_campaign(pg_stocked):
    import threading

    from tests.integration.reliability.helpers import wide_engine

    engine = wide_engine(pg_stocked, 2)
    start = threading.Barrier(2)
    answers: list[dict] = []

    def create() -> None:
        def work(conn):  # type: ignore[no-untyped-def]
            start.wait(timeout=30)
            return create_campaign(
                conn,
                name="twice",
                reason="r",
                severity="stop_sale",
                remedy="refund",
                by="planner",
                scope=[{"kind": "sku", "value": "PH1"}],
            )

        answers.append(unit_of_work(engine, work))

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(a["created"] for a in answers) == [False, True]
    assert len({a["id"] for a in answers}) == 1
    assert len(_units(pg_stocked, answers[0]["id"])) == len(ALL_PH1)
