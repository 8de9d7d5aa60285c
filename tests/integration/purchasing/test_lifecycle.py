"""A purchase order's life on SQLite and PostgreSQL: every step dated and audited, no
step skipped, four eyes on approval, cancellation of the rest, nothing deleted."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from storenet.accounts.errors import Denied
from storenet.errors import IdempotencyConflict, Refused
from storenet.purchasing.lifecycle import (
    approve_purchase_order,
    cancel_purchase_order,
    confirm_purchase_order,
    send_purchase_order,
)
from storenet.purchasing.orders import get_purchase_order
from storenet.purchasing.receipts import receive_purchase_order
from storenet.purchasing.status import StatusConflict
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, plans, purchase_order_lines, purchase_orders
from tests.integration.purchasing.conftest import confirmed, draft


def _audit(engine, po_id):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.actor, audit_log.c.action, audit_log.c.before, audit_log.c.after)
            .where(audit_log.c.target == f"po:{po_id}")
            .order_by(audit_log.c.seq)
        ).all()
    return [(r.actor, r.action) for r in rows]


def _do(engine, work):  # type: ignore[no-untyped-def]
    return unit_of_work(engine, work)


def test_an_order_lives_draft_to_closed_each_step_a_dated_transition_and_one_audit_entry(chain):
    po = draft(chain)
    assert po["status"] == "draft" and po["currency"] == "EUR"
    assert [line["unit_cost_cents"] for line in po["lines"]] == [1250, 800]
    assert po["total_cents"] == 10 * 1250 + 5 * 800 and po["total"] == "165.00"
    po_id = po["id"]
    _do(chain, lambda c: approve_purchase_order(c, po_id, "approver"))
    _do(chain, lambda c: send_purchase_order(c, po_id, "buyer"))
    _do(
        chain,
        lambda c: confirm_purchase_order(
            c,
            po_id,
            "buyer",
            promised_on=date(2026, 12, 20),
            lines=[{"line_no": 2, "qty": 4, "promised_on": date(2026, 12, 22)}],
        ),
    )
    done = _do(
        chain,
        lambda c: receive_purchase_order(
            c, key="r1", po_id=po_id, lines=[{"line_no": 1, "good": 6}], by="keeper"
        ),
    )
    assert done["status"] == "partly_received"
    done = _do(
        chain,
        lambda c: receive_purchase_order(
            c,
            key="r2",
            po_id=po_id,
            lines=[{"line_no": 1, "good": 4}, {"line_no": 2, "good": 4}],
            by="keeper",
        ),
    )
    assert done["status"] == "closed"
    with chain.connect() as conn:
        doc = get_purchase_order(conn, po_id)
    steps = [(t["from_status"], t["to_status"], t["by"]) for t in doc["transitions"]]
    assert steps == [
        ("draft", "approved", "approver"),
        ("approved", "sent", "buyer"),
        ("sent", "confirmed", "buyer"),
        ("confirmed", "partly_received", "keeper"),
        ("partly_received", "closed", "keeper"),
    ]
    assert all(t["at"] is not None for t in doc["transitions"])
    assert doc["sent_at"] is not None
    line2 = doc["lines"][1]
    assert (line2["qty_confirmed"], line2["promised_on"], line2["open"]) == (
        4,
        date(2026, 12, 22),
        0,
    )
    assert doc["lines"][0]["promised_on"] == date(2026, 12, 20)
    assert _audit(chain, po_id) == [
        ("buyer", "po.create"),
        ("approver", "po.approve"),
        ("buyer", "po.send"),
        ("buyer", "po.confirm"),
        ("keeper", "po.receive"),
        ("keeper", "po.receive"),
    ]


@pytest.mark.parametrize(
    ("reach", "action"),
    [
        ("draft", "send"),
        ("draft", "confirm"),
        ("draft", "receive"),
        ("approved", "confirm"),
        ("approved", "receive"),
        ("sent", "receive"),
        ("sent", "approve"),
        ("confirmed", "send"),
    ],
)
def test_no_state_is_skipped_or_repeated_a_wrong_step_conflicts_and_writes_nothing(
    chain, reach, action
):
    po_id = draft(chain)["id"]
    steps = {
        "approved": [lambda c: approve_purchase_order(c, po_id, "approver")],
        "sent": [
            lambda c: approve_purchase_order(c, po_id, "approver"),
            lambda c: send_purchase_order(c, po_id, "buyer"),
        ],
    }
    steps["confirmed"] = [*steps["sent"], lambda c: confirm_purchase_order(c, po_id, "buyer")]
    for step in steps.get(reach, []):
        _do(chain, step)
    attempts = {
        "approve": lambda c: approve_purchase_order(c, po_id, "other"),
        "send": lambda c: send_purchase_order(c, po_id, "buyer"),
        "confirm": lambda c: confirm_purchase_order(c, po_id, "buyer"),
        "receive": lambda c: receive_purchase_order(
            c, key="r", po_id=po_id, lines=[{"line_no": 1, "good": 1}], by="keeper"
        ),
    }
    audit_before = _audit(chain, po_id)
    with pytest.raises(StatusConflict) as caught:
        _do(chain, attempts[action])
    assert f"is {reach}" in str(caught.value) and action in str(caught.value)
    with chain.connect() as conn:
        assert get_purchase_order(conn, po_id)["status"] == reach
    assert _audit(chain, po_id) == audit_before


def test_four_eyes_the_creator_may_not_approve_their_own_order(chain):
    po_id = draft(chain, by="buyer")["id"]
    with pytest.raises(Denied) as caught:
        _do(chain, lambda c: approve_purchase_order(c, po_id, "buyer"))
    assert "four eyes" in caught.value.reason
    with chain.connect() as conn:
        assert get_purchase_order(conn, po_id)["status"] == "draft"
    assert _audit(chain, po_id) == [("buyer", "po.create")]


def test_an_order_is_created_approved_only_for_an_approved_plan(chain):
    with pytest.raises(Refused) as caught:
        draft(chain, key="p1", approved=True)
    assert caught.value.problems[0].field == "plan_id"
    with pytest.raises(Refused):
        draft(chain, key="p2", approved=True, plan_id="plan-2026-12-01")
    with chain.begin() as conn:
        conn.execute(
            plans.insert().values(
                id="plan-2026-12-01",
                for_day=date(2026, 12, 1),
                status="approved",
                created_at=date(2026, 11, 30),
                approved_by="planner",
            )
        )
    po = draft(chain, key="p3", approved=True, plan_id="plan-2026-12-01", by="nightly plan")
    assert po["status"] == "approved" and po["plan_id"] == "plan-2026-12-01"
    assert [(t["from_status"], t["to_status"]) for t in po["transitions"]] == [
        ("draft", "approved")
    ]
    assert _audit(chain, po["id"]) == [("nightly plan", "po.create")]


def test_creation_is_idempotent_by_key_and_refuses_bad_lines_naming_them(chain):
    first = draft(chain, key="same")
    assert draft(chain, key="same") == first
    with pytest.raises(IdempotencyConflict) as caught:
        draft(chain, key="same", lines=[{"sku": "K1", "qty": 11}, {"sku": "K2", "qty": 5}])
    assert caught.value.field == "lines[0].qty"
    # "12.5" and "12.50" are the same money: the same order.
    a = draft(chain, key="cost", lines=[{"sku": "K1", "qty": 1, "unit_cost": "12.5"}])
    assert draft(chain, key="cost", lines=[{"sku": "K1", "qty": 1, "unit_cost": "12.50"}]) == a
    assert a["lines"][0]["unit_cost_cents"] == 1250
    with pytest.raises(Refused) as caught:
        draft(
            chain,
            key="bad",
            lines=[
                {"sku": "K1", "qty": 0},
                {"sku": "NOPE", "qty": 1},
                {"sku": "K4", "qty": 1},
                {"sku": "K2", "qty": 1, "unit_cost": 1.1},
                {"sku": "K2", "qty": True},
            ],
        )
    got = [(p.where, p.field) for p in caught.value.problems]
    assert got == [
        ("line 1", "qty"),
        ("line 2", "sku"),
        ("line 3", "unit_cost"),
        ("line 4", "unit_cost"),
        ("line 5", "sku"),
        ("line 5", "qty"),
    ]
    with chain.connect() as conn:
        assert conn.execute(select(func.count()).select_from(purchase_orders)).scalar() == 2


def test_cancelling_cancels_the_rest_of_every_line_and_keeps_everything(chain):
    po_id = draft(chain)["id"]
    with pytest.raises(Refused):
        _do(chain, lambda c: cancel_purchase_order(c, po_id, "buyer", "  "))
    done = _do(chain, lambda c: cancel_purchase_order(c, po_id, "buyer", "supplier bankrupt"))
    assert done["status"] == "cancelled"
    assert [(line["qty_ordered"], line["qty_cancelled"]) for line in done["lines"]] == [
        (10, 10),
        (5, 5),
    ]
    with pytest.raises(StatusConflict):
        _do(chain, lambda c: cancel_purchase_order(c, po_id, "buyer", "again"))
    assert done["transitions"][-1]["reason"] == "supplier bankrupt"
    assert _audit(chain, po_id)[-1] == ("buyer", "po.cancel")


def test_a_partly_received_order_cancelled_for_its_rest_closes(chain):
    po_id = confirmed(chain)
    _do(
        chain,
        lambda c: receive_purchase_order(
            c, key="r1", po_id=po_id, lines=[{"line_no": 1, "good": 3}], by="keeper"
        ),
    )
    # One line only first: the order stays open, no transition.
    done = _do(chain, lambda c: cancel_purchase_order(c, po_id, "buyer", "K2 discontinued", [2]))
    assert done["status"] == "partly_received"
    assert [line["qty_cancelled"] for line in done["lines"]] == [0, 5]
    done = _do(chain, lambda c: cancel_purchase_order(c, po_id, "buyer", "enough for now"))
    assert done["status"] == "closed"
    assert [(line["qty_received"], line["qty_cancelled"]) for line in done["lines"]] == [
        (3, 7),
        (0, 5),
    ]
    assert done["transitions"][-1]["from_status"] == "partly_received"
    with chain.connect() as conn:
        # Nothing deleted: both lines and all their figures are still there.
        assert conn.execute(select(func.count()).select_from(purchase_order_lines)).scalar() == 2


def test_lines_of_the_wrong_shape_are_refused_not_a_crash(chain):
    with pytest.raises(Refused) as caught:
        draft(chain, key="shape", lines=[{"sku": ["K1"], "qty": 1}, "K2", {"sku": None, "qty": 1}])
    got = [(p.where, p.field) for p in caught.value.problems]
    assert got == [("line 1", "sku"), ("line 2", "line"), ("line 3", "sku")]
