"""Purchase orders over HTTP, end to end on SQLite and PostgreSQL: a manual order from
draft to closed by the people who may take each step, four eyes, conflicts as 409,
replays byte for byte, the roles without an action refused and audited."""

from __future__ import annotations

from tests.integration.api.helpers import audit_actions, snapshot
from tests.integration.purchasing.suppliers import seed_suppliers


def _post(c, url, key, body=None):  # type: ignore[no-untyped-def]
    return c.post(url, json=body, headers={"Idempotency-Key": key})


ORDER = {
    "supplier": "SUP-A",
    "warehouse": "WE",
    "po_id": "PO-E1",
    "lines": [{"sku": "K1", "qty": 10}, {"sku": "K2", "qty": 4, "unit_cost": "7.5"}],
}


def test_a_manual_order_goes_from_draft_to_closed_over_http(api):
    seed_suppliers(api.engine)
    with api.client("planner") as planner, api.client("admin") as admin:
        created = _post(planner, "/purchase-orders", "c1", ORDER)
        assert created.status_code == 201, created.text
        po = created.json()
        assert po["status"] == "draft" and po["created_by"] == "planner"
        assert [line["unit_cost"] for line in po["lines"]] == ["12.50", "7.50"]
        assert po["total"] == "155.00" and po["currency"] == "EUR"
        # A replay answers the first answer, byte for byte; another payload is refused.
        again = _post(planner, "/purchase-orders", "c1", ORDER)
        assert (again.status_code, again.content) == (201, created.content)
        other = _post(planner, "/purchase-orders", "c1", {**ORDER, "warehouse": "WC"})
        assert other.status_code == 422 and "warehouse" in other.text
        # Four eyes: the planner who created it may not approve it (403, audited).
        own = _post(planner, "/purchase-orders/PO-E1/approve", "a1")
        assert own.status_code == 403 and "four eyes" in own.text
        assert audit_actions(api.engine)[-1][:2] == ("planner", "denied")
        approved = _post(admin, "/purchase-orders/PO-E1/approve", "a2")
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        # A second approval under another key conflicts, naming the status.
        twice = _post(admin, "/purchase-orders/PO-E1/approve", "a3")
        assert twice.status_code == 409 and "is approved" in twice.text
        # Skipping a step conflicts too: an approved order is not confirmed before sent.
        early = _post(planner, "/purchase-orders/PO-E1/confirm", "f0", {})
        assert early.status_code == 409 and "is approved" in early.text
        assert _post(planner, "/purchase-orders/PO-E1/send", "s1").json()["status"] == "sent"
        confirm = {"promised_on": "2026-12-20", "lines": [{"line_no": 2, "qty": 3}]}
        done = _post(planner, "/purchase-orders/PO-E1/confirm", "f1", confirm)
        assert done.status_code == 200, done.text
        assert [line["open"] for line in done.json()["lines"]] == [10, 3]
        # The buyer does not receive: the regional manager of the warehouse's region does.
        body = {
            "delivery_note": "DN-77",
            "lines": [{"line_no": 1, "good": 6, "damaged": 1}, {"line_no": 2, "good": 3}],
        }
        assert _post(planner, "/purchase-orders/PO-E1/receive", "r0", body).status_code == 403
    with api.client("rm_east") as keeper:
        received = _post(keeper, "/purchase-orders/PO-E1/receive", "r1", body)
        assert received.status_code == 200, received.text
        assert received.json()["status"] == "partly_received"
        before = snapshot(api.engine)
        replay = _post(keeper, "/purchase-orders/PO-E1/receive", "r1", body)
        assert replay.content == received.content
        assert snapshot(api.engine) == before
        stock = keeper.get("/stock/WE").json()
        k1 = next(row for row in stock["items"] if row["sku_id"] == "K1")
        assert (k1["on_hand"], k1["held"]) == (20 + 6, 1)
    with api.client("planner") as planner:
        closed = _post(planner, "/purchase-orders/PO-E1/cancel", "x1", {"reason": "rest late"})
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        doc = planner.get("/purchase-orders/PO-E1").json()
    assert [t["to_status"] for t in doc["transitions"]] == [
        "approved",
        "sent",
        "confirmed",
        "partly_received",
        "closed",
    ]
    assert [(r["qty_good"], r["qty_damaged"]) for r in doc["receipts"]] == [(6, 1), (3, 0)]
    assert [line["qty_cancelled"] for line in doc["lines"]] == [3, 0]
    actions = [a[1] for a in audit_actions(api.engine) if a[2] == "po:PO-E1"]
    steps = ["create", "approve", "send", "confirm", "receive", "cancel"]
    assert actions == [f"po.{step}" for step in steps]


def test_lists_filter_page_and_show_a_regional_manager_only_their_warehouses(api):
    seed_suppliers(api.engine)
    with api.client("planner") as planner:
        for n, where in enumerate(("WE", "WC", "WE")):
            body = {**ORDER, "warehouse": where, "po_id": f"PO-L{n}"}
            assert _post(planner, "/purchase-orders", f"l{n}", body).status_code == 201
        page = planner.get("/purchase-orders", params={"limit": 2}).json()
        assert len(page["items"]) == 2 and page["next_offset"] == 2
        rest = planner.get("/purchase-orders", params={"limit": 2, "offset": 2}).json()
        assert len(rest["items"]) == 1 and rest["next_offset"] is None
        ids = {i["id"] for i in page["items"] + rest["items"]}
        assert ids == {"PO-L0", "PO-L1", "PO-L2"}
        at_wc = planner.get("/purchase-orders", params={"warehouse": "WC"}).json()["items"]
        assert [i["id"] for i in at_wc] == ["PO-L1"]
        assert at_wc[0]["units"] == 14 and at_wc[0]["open_units"] == 14
        none = planner.get("/purchase-orders", params={"status": "sent"}).json()["items"]
        assert none == []
        assert planner.get("/purchase-orders", params={"status": "nope"}).status_code == 422
    with api.client("rm_east") as rm:
        seen = {i["id"] for i in rm.get("/purchase-orders").json()["items"]}
        assert seen == {"PO-L0", "PO-L2"}
        hidden = rm.get("/purchase-orders/PO-L1")
        ghost = rm.get("/purchase-orders/PO-GHOST")
        assert hidden.status_code == ghost.status_code == 404
        assert hidden.text.replace("PO-L1", "PO-GHOST") == ghost.text


def test_roles_without_the_action_are_refused_403_and_nothing_is_written(api):
    seed_suppliers(api.engine)
    with api.client("planner") as planner:
        assert _post(planner, "/purchase-orders", "c", ORDER).status_code == 201
    before = snapshot(api.engine)
    for user in ("auditor", "rm_east", "sm_s1", "fr_f1"):
        with api.client(user) as c:
            assert _post(c, "/purchase-orders", "c", ORDER).status_code == 403, user
            assert _post(c, "/purchase-orders/PO-E1/approve", "a").status_code == 403, user
            cancel = _post(c, "/purchase-orders/PO-E1/cancel", "x", {"reason": "no"})
            assert cancel.status_code == 403, user
    for user in ("sm_s1", "fr_f1", "auditor", "planner"):
        with api.client(user) as c:
            body = {"lines": [{"line_no": 1, "good": 1}]}
            assert _post(c, "/purchase-orders/PO-E1/receive", "r", body).status_code == 403
    with api.client("sm_s1") as c:
        assert c.get("/purchase-orders").status_code == 403
    assert snapshot(api.engine) == before


def test_bad_input_is_a_422_naming_the_field_never_a_500_and_writes_nothing(api):
    seed_suppliers(api.engine)
    before = snapshot(api.engine)
    bad = [
        ({**ORDER, "lines": [{"sku": "K1", "qty": True}]}, "qty"),
        ({**ORDER, "lines": [{"sku": "K1", "qty": 1, "unit_cost": "1.005"}]}, "unit_cost"),
        ({**ORDER, "supplier": "SUP\x00A"}, "supplier"),
        ({**ORDER, "lines": [{"sku": "K\x001", "qty": 1}]}, "sku"),
        ({**ORDER, "lines": [{"sku": "K1", "qty": 1}, {"sku": "K1", "qty": 2}]}, "sku"),
        ({**ORDER, "po_id": "P" * 65}, "po_id"),
    ]
    with api.client("planner") as planner:
        for n, (body, field) in enumerate(bad):
            r = _post(planner, "/purchase-orders", f"bad-{n}", body)
            assert r.status_code == 422, (field, r.text)
            assert field in r.text, (field, r.text)
        r = _post(planner, "/purchase-orders/PO-%00/cancel", "bad-x", {"reason": "x"})
        assert r.status_code in (404, 422), r.text
        r = _post(
            planner, "/purchase-orders/PO-NONE/confirm", "bad-c", {"promised_on": "2026-13-40"}
        )
        assert r.status_code == 422 and "promised_on" in r.text
    assert snapshot(api.engine, skip={"audit_log", "audit_head"}) == before
