"""Transfers over HTTP: a taken id answers the same whoever holds it, and a receipt
that lists some SKUs receives the others as shipped (the schema's default)."""

from __future__ import annotations

from storenet.ledger.transfers import TAKEN_ID
from tests.integration.api.helpers import snapshot


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
