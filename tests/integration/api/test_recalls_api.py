"""Recall campaigns over HTTP (issue 15): create (202, the hold in the background), read
with the funnel and the hold's progress, a
franchise owner sees their stores' part only, the serial look-up says "recalled, stop
sale", status changes answer 409 out of order and 403 to four eyes (SQLite and
PostgreSQL)."""

from __future__ import annotations

import time

from tests.integration.api.conftest import sale
from tests.integration.api.helpers import snapshot

BODY = {
    "name": "PH1 battery",
    "reason": "battery may swell",
    "severity": "stop_sale",
    "remedy": "replace",
    "scope": [{"kind": "sku", "value": "PH1"}],
}


def _create(api, body=BODY, key="k1", user="planner", wait=True):  # type: ignore[no-untyped-def]
    """POST /recalls; with `wait`, until the hold it started has finished."""
    with api.client(user) as c:
        made = c.post("/recalls", json=body, headers={"Idempotency-Key": key})
    if wait and made.status_code == 202:
        _hold(api, made.json()["id"])
    return made


def _hold(api, campaign):  # type: ignore[no-untyped-def]
    """The campaign's hold once it is no longer running (GET /recalls/{id})."""
    deadline = time.monotonic() + 30
    with api.client("admin") as c:
        while True:
            hold = c.get(f"/recalls/{campaign}").json()["hold"]
            if hold["status"] != "running" or time.monotonic() > deadline:
                return hold
            time.sleep(0.05)


def test_create_answers_at_once_and_the_hold_finishes_in_the_background(api):
    made = _create(api, wait=False)
    assert made.status_code == 202, made.text
    campaign = made.json()["id"]
    assert made.json()["created"] and made.json()["units"] == 4
    assert made.json()["hold"]["id"] == campaign
    assert made.json()["hold"]["status"] in ("running", "done")
    # PH1: P-S1-1, P-S1-2 at S1 and P-S3-1, P-S3-2 at S3 (tests.integration.api.conftest).
    hold = _hold(api, campaign)
    assert hold["status"] == "done", hold
    assert (hold["locations"], hold["serials"], hold["units"]) == (2, 4, 0)
    assert hold["done"] == hold["total"] == 2
    # The same name again starts the hold again: it finds nothing left to move.
    again = _create(api, key="k-again")
    assert again.status_code == 202 and again.json()["id"] == campaign
    assert _hold(api, campaign)["serials"] == 0


def test_create_holds_and_the_funnel_is_scoped_per_role(api):
    made = _create(api)
    assert made.status_code == 202, made.text
    campaign = made.json()["id"]
    with api.client("admin") as c:
        whole = c.get(f"/recalls/{campaign}").json()
    assert whole["funnel"]["affected"] == 4 and whole["funnel"]["held_in_network"] == 4
    assert not whole["scoped"]
    assert {s["location"] for s in whole["stores"]} == {"S1", "S3"}
    assert whole["stores_page"]["next_offset"] is None
    assert sum(r["held_in_network"] for r in whole["regions"]) == 4
    with api.client("admin") as c:  # the store table a page at a time, in the same order
        first = c.get(f"/recalls/{campaign}?limit=1").json()
        second = c.get(f"/recalls/{campaign}?limit=1&offset=1").json()
    assert first["stores_page"]["next_offset"] == 1 and second["stores_page"]["next_offset"] is None
    assert first["stores"] + second["stores"] == whole["stores"]
    with api.client("fr_f1") as c:  # owns S2: none of the units
        mine = c.get(f"/recalls/{campaign}").json()
    assert mine["scoped"] and mine["funnel"]["affected"] == 0 and mine["stores"] == []
    with api.client("fr_f2") as c:  # owns S3
        theirs = c.get(f"/recalls/{campaign}").json()
    assert theirs["funnel"]["held_in_network"] == 2
    assert [s["location"] for s in theirs["stores"]] == ["S3"]
    with api.client("fr_f1") as c:
        listed = c.get("/recalls").json()
    assert [r["id"] for r in listed["items"]] == [campaign]


def test_replays_and_the_same_name_answer_the_same_campaign(api):
    first = _create(api)
    replay = _create(api)
    assert replay.status_code == 202 and replay.json()["id"] == first.json()["id"]
    before = snapshot(api.engine)
    again = _create(api, body={**BODY, "reason": "other words"}, key="k2")
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    after = snapshot(api.engine)
    # Only the second key's own idempotency row is new.
    assert {k: v for k, v in after.items() if k != "idempotency_keys"} == {
        k: v for k, v in before.items() if k != "idempotency_keys"
    }


def test_the_serial_look_up_says_recalled_stop_sale(api):
    _create(api)
    with api.client("sm_s1") as c:
        found = c.get("/recalls/serials/P-S1-1").json()
        other = c.get("/recalls/serials/P-S3-1").json()
        never = c.get("/recalls/serials/NEVER").json()
    assert found["message"] == "recalled, stop sale" and found["stop_sale"]
    assert "location_id" not in found  # a scoped caller learns the recall, not the place
    assert other["message"] == "recalled, stop sale"
    assert never["message"] == "not recalled"


def test_status_conflicts_answer_409_and_four_eyes_403(api):
    campaign = _create(api).json()["id"]
    with api.client("planner") as c:
        early = c.post(
            f"/recalls/{campaign}/status",
            json={"action": "close"},
            headers={"Idempotency-Key": "s1"},
        )
        assert early.status_code == 409 and "open" in early.text
        done = c.post(
            f"/recalls/{campaign}/status",
            json={"action": "complete"},
            headers={"Idempotency-Key": "s2"},
        )
        assert done.status_code == 200 and done.json()["status"] == "completed"
        mine = c.post(
            f"/recalls/{campaign}/status",
            json={"action": "close"},
            headers={"Idempotency-Key": "s3"},
        )
        assert mine.status_code == 403
    with api.client("admin") as c:
        closed = c.post(
            f"/recalls/{campaign}/status",
            json={"action": "close"},
            headers={"Idempotency-Key": "s4"},
        )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_bad_input_is_a_4xx_naming_the_field(api):
    made = _create(api, body={**BODY, "scope": [{"kind": "sku", "value": "NOPE"}]})
    assert made.status_code == 422 and "value" in made.text
    nul = _create(api, body={**BODY, "name": "bad\u0000name"}, key="k3")
    assert nul.status_code == 422


def test_the_trace_from_a_buyer_is_scoped_per_role(api):
    with api.client("admin") as c:
        sold = c.post(
            "/pos/batches",
            json={"lines": [sale(1, store="S3", sku="PH1", serials=["P-S3-1"], buyer="b-9")]},
            headers={"Idempotency-Key": "trace-sale"},
        )
        assert sold.status_code == 200, sold.text
        found = c.get("/recalls/trace", params={"kind": "buyer", "value": "b-9"}).json()
        assert c.get("/recalls/trace", params={"kind": "po_line", "value": "X"}).status_code == 422
    assert [(u["serial"], u["where"], u["site"]) for u in found] == [("P-S3-1", "customer", "S3")]
    with api.client("fr_f2") as c:
        assert len(c.get("/recalls/trace", params={"kind": "buyer", "value": "b-9"}).json()) == 1
    with api.client("fr_f1") as c:
        assert c.get("/recalls/trace", params={"kind": "buyer", "value": "b-9"}).json() == []


def test_buyers_are_notified_once_and_contacts_move_one_step_at_a_time(api):
    campaign = _create(api).json()["id"]
    with api.client("admin") as c:
        sold = c.post(
            "/pos/batches",
            json={"lines": [sale(1, store="S1", sku="PH1", serials=["P-S1-1"], buyer="b-1")]},
            headers={"Idempotency-Key": "notify-sale"},
        )
        assert sold.status_code == 200, sold.text

    def post(path, body, key):  # type: ignore[no-untyped-def]
        with api.client("planner") as c:
            return c.post(path, json=body, headers={"Idempotency-Key": key})

    first = post(f"/recalls/{campaign}/notifications", {}, "n1")
    assert first.status_code == 200 and first.json() == {"queued": 1, "sent": 1, "failed": 0}
    again = post(f"/recalls/{campaign}/notifications", {}, "n2")
    assert again.json() == {"queued": 0, "sent": 0, "failed": 0}
    contact = f"/recalls/{campaign}/contacts/P-S1-1/status"
    assert post(contact, {"status": "responded"}, "c1").json()["status"] == "responded"
    skipped = post(contact, {"status": "closed"}, "c2")
    assert skipped.status_code == 409
