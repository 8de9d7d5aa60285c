"""Transfers over HTTP: a taken id answers the same whoever holds it, and a receipt
that lists some SKUs receives the others as shipped (the schema's default)."""

from __future__ import annotations

from storenet.ledger.transfers import TAKEN_ID
from tests.integration.api.helpers import audit_actions, snapshot


def create(client, transfer_id: str, source: str, key: str):  # type: ignore[no-untyped-def]
    body = {
        "transfer_id": transfer_id,
        "source": source,
        "destination": "WE",
        "lines": [{"sku": "K1", "qty": 1}],
    }
    return client.post("/transfers", json=body, headers={"Idempotency-Key": key})


def test_another_franchisees_transfer_id_answers_as_ones_own_taken_id_and_names_no_transfer(
    api,
):
    # given franchisee F2's transfer T-F2 (from its S3) and F1's own T-F1 (from its S2)
    with api.client("fr_f2") as c:
        assert create(c, "T-F2", "S3", "f2-create").status_code == 201
    with api.client("fr_f1") as c:
        assert create(c, "T-F1", "S2", "f1-create").status_code == 201
        before = snapshot(api.engine)
        # when F1 creates a transfer with F2's id, and with its own taken id
        foreign = create(c, "T-F2", "S2", "f1-foreign")
        own = create(c, "T-F1", "S2", "f1-own")
    # then the two answers are the same but for the id F1 sent: nothing tells that a
    # transfer (let alone F2's) holds it; the refusal names the field, nothing is written
    assert foreign.status_code == 422, foreign.text
    assert (foreign.status_code, foreign.text.replace("T-F2", "T-F1")) == (
        own.status_code,
        own.text,
    )
    assert TAKEN_ID in foreign.text and "transfer_id" in foreign.text
    assert "exist" not in foreign.text and "S3" not in foreign.text
    assert snapshot(api.engine) == before


def test_a_receipt_listing_some_skus_receives_the_others_as_shipped(api):
    # given a shipped transfer of 5 K1 and 5 K2 from the warehouse to S1
    with api.client("admin") as c:
        body = {
            "transfer_id": "T-R",
            "source": "WE",
            "destination": "S1",
            "lines": [{"sku": "K1", "qty": 5}, {"sku": "K2", "qty": 5}],
        }
        assert c.post("/transfers", json=body, headers={"Idempotency-Key": "c"}).is_success
        assert c.post("/transfers/T-R/ship", headers={"Idempotency-Key": "s"}).is_success
        # when the receipt lists K1 only, one short
        r = c.post(
            "/transfers/T-R/receive",
            json={"received": {"K1": 4}},
            headers={"Idempotency-Key": "r"},
        )
        assert r.status_code == 200, r.text
        # then K2 arrived in full and only K1's shortage is raised
        assert r.json()["discrepancies"] == 1
        lines = {x["sku_id"]: x["qty_received"] for x in c.get("/transfers/T-R").json()["lines"]}
        schema = c.get("/openapi.json").json()["components"]["schemas"]["ReceiveIn"]
    assert lines == {"K1": 4, "K2": 5}
    assert "left out" in schema["properties"]["received"]["description"]


def _key(value: str) -> dict:
    return {"Idempotency-Key": value}


def test_a_warehouse_transfer_lives_over_http_with_its_transitions_and_audit(api):
    # given a planner's transfer of 8 K1 from the regional WE back to the central WC
    with api.client("planner") as c:
        body = {
            "transfer_id": "T-WH",
            "source": "WE",
            "destination": "WC",
            "lines": [{"sku": "K1", "qty": 8}],
            "reason": "overstock",
        }
        made = c.post("/transfers", json=body, headers={"Idempotency-Key": "c"})
        assert made.status_code == 201, made.text
        # when shipped, shipped again under the same key, and received with 9 (one over)
        shipped = c.post("/transfers/T-WH/ship", headers={"Idempotency-Key": "s"})
        replay = c.post("/transfers/T-WH/ship", headers={"Idempotency-Key": "s"})
        got = c.post("/transfers/T-WH/receive", json={"received": {"K1": 9}}, headers=_key("r"))
        second = c.post("/transfers/T-WH/receive", json={}, headers=_key("r2"))
        doc = c.get("/transfers/T-WH").json()
    # then the replay answers the same bytes, the receipt raises the surplus, and a
    # second receipt (another key) is a conflict that changes nothing
    assert shipped.status_code == 200 and replay.text == shipped.text
    assert got.status_code == 200 and got.json()["discrepancies"] == 1
    assert second.status_code == 409 and "transfer is received" in second.text
    # and the transfer shows every change, in order, by the planner
    assert doc["status"] == "received"
    assert [(t["from_status"], t["to_status"], t["by"]) for t in doc["transitions"]] == [
        ("", "draft", "planner"),
        ("draft", "shipped", "planner"),
        ("shipped", "received", "planner"),
    ]
    assert doc["transitions"][0]["reason"] == "overstock"
    transfer_actions = [a for a in audit_actions(api.engine) if a[2] == "transfer:T-WH"]
    assert transfer_actions == [
        ("planner", "transfer.create", "transfer:T-WH"),
        ("planner", "transfer.ship", "transfer:T-WH"),
        ("planner", "transfer.receive", "transfer:T-WH"),
    ]


def test_a_draft_is_cancelled_once_with_a_reason_and_a_shipped_one_is_not(api):
    with api.client("rm_east") as c:
        for tid in ("T-X", "T-Y"):
            body = {
                "transfer_id": tid,
                "source": "WE",
                "destination": "S1",
                "lines": [{"sku": "K2", "qty": 2}],
            }
            assert c.post("/transfers", json=body, headers={"Idempotency-Key": tid}).is_success
        assert c.post("/transfers/T-Y/ship", headers={"Idempotency-Key": "s"}).is_success
        # a cancel needs a reason
        bare = c.post("/transfers/T-X/cancel", json={}, headers={"Idempotency-Key": "x0"})
        nul = c.post("/transfers/T-X/cancel", json={"reason": "a\u0000b"}, headers=_key("x1"))
        why = {"reason": "wrong store"}
        ok = c.post("/transfers/T-X/cancel", json=why, headers=_key("x"))
        again = c.post("/transfers/T-X/cancel", json=why, headers=_key("x2"))
        late = c.post(
            "/transfers/T-Y/cancel", json={"reason": "too late"}, headers={"Idempotency-Key": "y"}
        )
        doc = c.get("/transfers/T-X").json()
    assert bare.status_code == 422 and "reason" in bare.text
    assert nul.status_code == 422 and "reason" in nul.text
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"
    # a transfer no longer a draft is a conflict naming its status, as for purchase orders
    assert again.status_code == 409 and "transfer is cancelled" in again.text
    assert late.status_code == 409 and "transfer is shipped" in late.text
    assert doc["status"] == "cancelled" and doc["transitions"][-1]["reason"] == "wrong store"
    assert [a[1] for a in audit_actions(api.engine) if a[2] == "transfer:T-X"] == [
        "transfer.create",
        "transfer.cancel",
    ]


def test_a_franchise_owner_cannot_create_a_transfer_into_another_franchisees_store(api):
    def send(client, tid: str, destination: str):  # type: ignore[no-untyped-def]
        body = {
            "transfer_id": tid,
            "source": "S2",
            "destination": destination,
            "lines": [{"sku": "K1", "qty": 1}],
        }
        return client.post("/transfers", json=body, headers={"Idempotency-Key": tid})

    before = snapshot(api.engine)
    with api.client("fr_f1") as c:
        # when F1 (owner of S2) sends to F2's S3, and to a place that does not exist
        foreign = send(c, "T-1", "S3")
        ghost = send(c, "T-2", "NOWHERE")
        after = snapshot(api.engine)
        # and back to its own warehouse
        back = send(c, "T-3", "WE")
    # then S3 answers exactly as an unknown location, and nothing was written
    assert foreign.status_code == 404, foreign.text
    assert (foreign.status_code, foreign.text.replace("S3", "NOWHERE")) == (
        ghost.status_code,
        ghost.text,
    )
    assert after == before
    assert back.status_code == 201, back.text


def test_stock_by_echelon_is_served_to_network_wide_roles_in_plain_numbers(api):
    with api.client("planner") as c:
        r = c.get("/stock/echelons")
    with api.client("rm_east") as c:
        denied = c.get("/stock/echelons")
    assert r.status_code == 200, r.text
    rows = {row["echelon"]: row for row in r.json()["echelons"]}
    # the seed: 20 K1 + 20 K2 in each of 4 stores and WE, 2 phones at S1 and S3
    assert rows["stores"]["units"] == 4 * 40 + 4
    assert rows["regional warehouses"]["units"] == 40
    assert rows["stores"]["value"] == 4 * 40 * 10.0 + 4 * 2000.0
    assert rows["on order from suppliers"] == {
        "echelon": "on order from suppliers",
        "units": 0,
        "value": 0,
        "currency": "CNY",
    }
    assert denied.status_code == 403


def test_a_regional_manager_lists_the_transfers_of_their_warehouse_and_nobody_elses(api):
    # given a planner's transfer from the central warehouse to the east regional WE
    with api.client("planner") as c:
        body = {
            "transfer_id": "T-IN",
            "source": "WC",
            "destination": "WE",
            "lines": [{"sku": "K1", "qty": 1}],
        }
        assert c.post("/transfers", json=body, headers=_key("in")).status_code == 201
    # then the manager of the east region sees it coming; a franchise owner does not
    with api.client("rm_east") as c:
        east = [t["id"] for t in c.get("/transfers").json()["items"]]
    with api.client("fr_f1") as c:
        f1 = [t["id"] for t in c.get("/transfers").json()["items"]]
    assert east == ["T-IN"] and f1 == []
